/**
 * @file Page URL normalisation: one canonical URL per page, so the same article reached through a share
 * link, a tracking link or `index.html` lands on one page.
 */
import { InvalidUrlError } from './errors.js'

/**
 * Query parameters that only track where a click came from. Names ending in `*` are prefixes.
 * `spm` is Alibaba/163-style click tracking, common on Chinese portals.
 */
export const DEFAULT_TRACKING_PARAMS: readonly string[] = [
  'utm_*',
  'gclid',
  'fbclid',
  'msclkid',
  'yclid',
  'dclid',
  'mc_cid',
  'mc_eid',
  'igshid',
  '_hsenc',
  '_hsmi',
  'spm',
  'share_token',
]

/** Index file names that mean "the directory". */
export const DEFAULT_INDEX_FILES: readonly string[] = [
  'index.html',
  'index.htm',
  'index.shtml',
  'index.php',
  'index.jsp',
  'default.htm',
  'default.html',
  'default.aspx',
]

/** URLs longer than this are rejected: no real article URL is, and they bloat every index. */
export const MAX_URL_LENGTH = 8192

/** Options of `normalizeUrl`. */
export interface NormalizeUrlOptions {
  /** Query parameters to drop (`*` suffix = prefix match), compared case-insensitively. @default DEFAULT_TRACKING_PARAMS */
  trackingParams?: readonly string[]
  /** Trailing file names replaced by the directory. @default DEFAULT_INDEX_FILES */
  indexFiles?: readonly string[]
}

/**
 * The canonical form of a page URL: lower-case scheme and host (WHATWG URL parsing also drops default
 * ports and normalises IDN hosts to punycode), no fragment, no credentials, tracking parameters removed,
 * remaining parameters sorted by name (stable, so repeated names keep their order), trailing index files
 * removed. Throws `InvalidUrlError` for anything that is not an absolute http(s) URL.
 *
 * @example
 * normalizeUrl('HTTPS://News.Example.com:443/a/index.html?utm_source=x&b=2&a=1#top')
 * // 'https://news.example.com/a/?a=1&b=2'
 */
export function normalizeUrl(input: string, options: NormalizeUrlOptions = {}): string {
  if (typeof input !== 'string') throw new InvalidUrlError(String(input), 'not a string')
  const trimmed = input.trim()
  if (trimmed.length === 0) throw new InvalidUrlError(input, 'empty')
  if (trimmed.length > MAX_URL_LENGTH) throw new InvalidUrlError(input, `longer than ${MAX_URL_LENGTH} characters`)
  let url: URL
  try {
    url = new URL(trimmed)
  } catch (cause) {
    throw new InvalidUrlError(input, 'not an absolute URL', { cause })
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidUrlError(input, `scheme ${url.protocol} is not http or https`)
  }
  if (url.hostname === '') throw new InvalidUrlError(input, 'no host')
  url.hash = ''
  url.username = ''
  url.password = ''

  const tracking = compileTracking(options.trackingParams ?? DEFAULT_TRACKING_PARAMS)
  const kept = [...url.searchParams].filter(([name]) => !tracking(name.toLowerCase()))
  // Array#sort is stable, so `?a=2&a=1` keeps its order: repeated parameters can be meaningful.
  kept.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  url.search = kept.length > 0 ? new URLSearchParams(kept).toString() : ''

  const indexFiles = options.indexFiles ?? DEFAULT_INDEX_FILES
  const slash = url.pathname.lastIndexOf('/')
  const last = url.pathname.slice(slash + 1).toLowerCase()
  if (last !== '' && indexFiles.includes(last)) url.pathname = url.pathname.slice(0, slash + 1)

  return url.href
}

/** The `URL.host` (lower-case, port only when not the default) of a normalised URL. */
export function hostOf(normalizedUrl: string): string {
  return new URL(normalizedUrl).host
}

/**
 * Check a URL that is stored as given (final URL, redirect targets): absolute, at most `MAX_URL_LENGTH`
 * characters. Returns the URL unchanged.
 */
export function checkUrl(input: string, field: string): string {
  if (typeof input !== 'string' || input.length > MAX_URL_LENGTH || !URL.canParse(input)) {
    throw new InvalidUrlError(String(input), `${field} is not an absolute URL of at most ${MAX_URL_LENGTH} characters`)
  }
  return input
}

// --- Internal helpers ---

const trackingCache = new WeakMap<readonly string[], (name: string) => boolean>()

function compileTracking(list: readonly string[]): (name: string) => boolean {
  let fn = trackingCache.get(list)
  if (fn) return fn
  const exact = new Set<string>()
  const prefixes: string[] = []
  for (const raw of list) {
    const name = raw.toLowerCase()
    if (name.endsWith('*')) prefixes.push(name.slice(0, -1))
    else exact.add(name)
  }
  fn = (name) => exact.has(name) || prefixes.some((p) => name.startsWith(p))
  trackingCache.set(list, fn)
  return fn
}
