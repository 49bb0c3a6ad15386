/**
 * robots.txt, parsed with `robots-parser` (RFC 9309 matching: longest rule wins, `*` and `$` wildcards),
 * fetched once per origin and cached. Failure handling follows Google's documented behaviour: a 4xx
 * robots.txt means "no rules" (allow all), while a 5xx, a timeout or an unreachable host means "assume
 * everything is disallowed" for a while, because a broken server is no permission to crawl it.
 */
import robotsParserModule from 'robots-parser'
import { z } from 'zod'
import { FetchTimeoutError, parseOptions, RobotsDisallowedError, ScraperError } from './errors.js'
import { createFetcher, type Fetcher } from './fetcher.js'

// robots-parser is CommonJS (`module.exports = fn`) but its .d.ts declares an ES default export, so under
// NodeNext TypeScript types the default import as the namespace while Node hands us the function itself.
const robotsParser = robotsParserModule as unknown as (url: string, robotstxt: string) => Robot

/** The parsed robots.txt of one origin, or why there is none. */
export interface RobotsEntry {
  /** `ok`: parsed rules; `missing`: 4xx, allow all; `unreachable`: 5xx/network/timeout, disallow all. */
  status: 'ok' | 'missing' | 'unreachable'
  /** HTTP status of the robots.txt answer, or null when none came. */
  httpStatus: number | null
  /** When the entry was fetched (ms since the epoch). */
  fetchedAt: number
  /** When the entry must be fetched again (ms since the epoch). */
  expiresAt: number
  /** Parsed rules, for `ok` entries. */
  robot: Robot | null
  /** For `unreachable` entries: why (a `FetchTimeoutError`, `ServerError`, `NetworkError`...). @default undefined */
  error?: unknown
}

/** The parts of robots-parser's `Robot` this module uses. */
export interface Robot {
  isAllowed(url: string, ua?: string): boolean | undefined
  getCrawlDelay(ua?: string): number | undefined
  getSitemaps(): string[]
}

const robotsOptionsSchema = z.strictObject({
  userAgent: z.string().min(1).optional(),
  fetcher: z.custom<Fetcher>((v) => typeof (v as Fetcher | null)?.fetch === 'function').optional(),
  ttlMs: z.number().int().positive().optional(),
  unreachableTtlMs: z.number().int().positive().optional(),
  timeoutMs: z.number().int().positive().optional(),
  maxBytes: z.number().int().positive().optional(),
  maxCrawlDelayMs: z.number().int().nonnegative().optional(),
  now: z.function().optional(),
})

/** Options of `createRobots`. */
export interface RobotsOptions {
  /** The product token matched against `User-agent:` lines (the part before `/` is used). @default the fetcher's User-Agent */
  userAgent?: string
  /** Fetcher for robots.txt; one is created (and closed by `close()`) when omitted. @default a new fetcher */
  fetcher?: Fetcher
  /** How long a fetched robots.txt is trusted (Google caches for up to a day). @default 86_400_000 */
  ttlMs?: number
  /** How long a 5xx/unreachable robots.txt blocks the origin before it is tried again. @default 600_000 */
  unreachableTtlMs?: number
  /** Time limit for fetching robots.txt, headers and body together. @default 10_000 */
  timeoutMs?: number
  /** Largest robots.txt accepted by the fetcher this cache creates (a given `fetcher` keeps its own limit); Google reads 500 KiB. @default 512_000 */
  maxBytes?: number
  /** Cap on Crawl-delay, so a typo like `Crawl-delay: 86400` cannot stall a host forever. @default 60_000 */
  maxCrawlDelayMs?: number
  /** Clock, injectable for TTL tests. @default Date.now */
  now?: () => number
}

/** Cached robots.txt rules for every origin the scraper visits. */
export interface RobotsCache {
  /** Whether `url` may be fetched. Fetches the origin's robots.txt on first use. */
  isAllowed(url: string): Promise<boolean>
  /** @throws {RobotsDisallowedError} when `url` may not be fetched. */
  assertAllowed(url: string): Promise<void>
  /** The Crawl-delay for our user agent at `url`'s origin, in milliseconds (capped), or null. */
  crawlDelay(url: string): Promise<number | null>
  /** Sitemap URLs listed in the origin's robots.txt. */
  sitemaps(url: string): Promise<string[]>
  /** The cache entry of `url`'s origin, fetching it if needed. */
  get(url: string): Promise<RobotsEntry>
  /** Forget every cached entry. */
  clear(): void
  /** Close the fetcher if this cache created it. */
  close(): Promise<void>
}

/**
 * Create a robots.txt cache.
 *
 * @example
 * ```ts
 * const robots = createRobots({ fetcher })
 * if (await robots.isAllowed('https://example.com/news/1.html')) { ... }
 * const delayMs = await robots.crawlDelay('https://example.com/')
 * ```
 */
export function createRobots(options: RobotsOptions = {}): RobotsCache {
  parseOptions(robotsOptionsSchema, options, 'robots options')
  const timeoutMs = options.timeoutMs ?? 10_000
  const ownFetcher = options.fetcher
    ? null
    : createFetcher({
        totalTimeoutMs: timeoutMs,
        headersTimeoutMs: timeoutMs,
        maxBodyBytes: options.maxBytes ?? 512_000,
      })
  const fetcher = options.fetcher ?? (ownFetcher as Fetcher)
  const userAgent = options.userAgent ?? fetcher.userAgent
  const ttlMs = options.ttlMs ?? 86_400_000
  const unreachableTtlMs = options.unreachableTtlMs ?? 600_000
  const maxCrawlDelayMs = options.maxCrawlDelayMs ?? 60_000
  const now = options.now ?? Date.now
  const entries = new Map<string, RobotsEntry>()
  // Concurrent first requests to one origin share a single robots.txt fetch.
  const inflight = new Map<string, Promise<RobotsEntry>>()

  async function load(origin: string): Promise<RobotsEntry> {
    const robotsUrl = `${origin}/robots.txt`
    const fetchedAt = now()
    try {
      const res = await fetcher.fetch(robotsUrl, { signal: AbortSignal.timeout(timeoutMs) })
      const text = new TextDecoder().decode(res.body)
      return {
        status: 'ok',
        httpStatus: res.status,
        fetchedAt,
        expiresAt: fetchedAt + ttlMs,
        robot: robotsParser(robotsUrl, text),
      }
    } catch (error) {
      const status = (error as { status?: unknown }).status
      // 4xx other than 429 means "no robots.txt": crawl freely. Google treats 429 like a server error.
      if (typeof status === 'number' && status >= 400 && status < 500 && status !== 429) {
        return { status: 'missing', httpStatus: status, fetchedAt, expiresAt: fetchedAt + ttlMs, robot: null }
      }
      // Anything that is not one of our typed failures (a bug) must not silently block a host.
      if (!(error instanceof ScraperError) && !isTimeout(error)) throw error
      return {
        status: 'unreachable',
        httpStatus: typeof status === 'number' ? status : null,
        fetchedAt,
        expiresAt: fetchedAt + unreachableTtlMs,
        robot: null,
        // Our own time limit aborts the fetch with a DOMException; callers want a typed timeout.
        error:
          error instanceof ScraperError
            ? error
            : new FetchTimeoutError(robotsUrl, 'total', timeoutMs, { cause: error }),
      }
    }
  }

  async function get(url: string): Promise<RobotsEntry> {
    const origin = new URL(url).origin
    const cached = entries.get(origin)
    if (cached && cached.expiresAt > now()) return cached
    let pending = inflight.get(origin)
    if (!pending) {
      pending = load(origin)
        .then((entry) => {
          entries.set(origin, entry)
          return entry
        })
        .finally(() => inflight.delete(origin))
      inflight.set(origin, pending)
    }
    return pending
  }

  async function check(url: string): Promise<{ allowed: boolean; entry: RobotsEntry }> {
    const entry = await get(url)
    if (entry.status === 'missing') return { allowed: true, entry }
    if (entry.status === 'unreachable') return { allowed: new URL(url).pathname === '/robots.txt', entry }
    // robots-parser answers undefined for URLs of another origin; get() keys by origin, so that cannot happen.
    return { allowed: entry.robot?.isAllowed(url, userAgent) !== false, entry }
  }

  return {
    get,
    isAllowed: async (url) => (await check(url)).allowed,
    async assertAllowed(url) {
      const { allowed, entry } = await check(url)
      if (!allowed && entry.status === 'unreachable') {
        throw new RobotsDisallowedError(url, userAgent, 'unreachable', { cause: entry.error })
      }
      if (!allowed) throw new RobotsDisallowedError(url, userAgent, 'rule')
    },
    async crawlDelay(url) {
      const entry = await get(url)
      const seconds = entry.robot?.getCrawlDelay(userAgent)
      if (seconds === undefined || !Number.isFinite(seconds) || seconds <= 0) return null
      return Math.min(seconds * 1000, maxCrawlDelayMs)
    },
    sitemaps: async (url) => (await get(url)).robot?.getSitemaps() ?? [],
    clear: () => entries.clear(),
    close: async () => {
      await ownFetcher?.close()
    },
  }
}

// --- Internal helpers ---

function isTimeout(error: unknown): boolean {
  return error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError')
}
