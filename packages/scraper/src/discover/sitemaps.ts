/**
 * Sitemaps (sitemaps.org protocol): `<urlset>` pages, `<sitemapindex>` indexes, Google News sitemaps
 * (`news:publication_date`, `news:title`) and gzip'd files. `expandSitemap` walks an index breadth-first
 * with a cap, so a portal with thousands of archive sitemaps cannot run away with a pass.
 */
import { XMLParser } from 'fast-xml-parser'
import { DocumentParseError } from '../errors.js'
import { asObject, type LoadDocument, normalizeDate, parseXmlDocument } from './shared.js'

/** One `<url>` of a urlset, or one `<sitemap>` of an index. */
export interface SitemapEntry {
  /** Absolute URL from `<loc>`. */
  url: string
  /** `<lastmod>` as ISO-8601 UTC, or null. */
  lastmod: string | null
  /** Google News `<news:publication_date>` as ISO-8601 UTC, or null. */
  publishedAt: string | null
  /** Google News `<news:title>`, or null. */
  title: string | null
}

/** A parsed sitemap file. */
export interface Sitemap {
  /** `urlset`: entries are pages; `index`: entries are child sitemaps. */
  type: 'urlset' | 'index'
  entries: SitemapEntry[]
}

/** Options of `parseSitemap`. */
export interface ParseSitemapOptions {
  /** The sitemap's own URL, for messages and relative `<loc>`s (invalid per protocol, but seen). */
  url: string
  /** `Content-Type` of the response, for its charset. @default null */
  contentType?: string | null
  /** Charset override from the sources file. @default null */
  charset?: string | null
}

/**
 * Parse a sitemap or sitemap index from bytes (gzip'd or not) or text.
 *
 * @throws {DocumentParseError} when it is not XML, corrupt gzip, or neither `urlset` nor `sitemapindex`.
 */
export function parseSitemap(input: Uint8Array | string, options: ParseSitemapOptions): Sitemap {
  const doc = parseXmlDocument(input, parser, options, 'sitemap')
  const urlset = asObject(doc.urlset)
  if (urlset) return { type: 'urlset', entries: entries(urlset.url, options.url) }
  const index = asObject(doc.sitemapindex)
  if (index) return { type: 'index', entries: entries(index.sitemap, options.url) }
  const root = Object.keys(doc).find((k) => !k.startsWith('?')) ?? '(empty)'
  throw new DocumentParseError(options.url, 'sitemap', `root element <${root}> is not urlset or sitemapindex`)
}

/** Options of `expandSitemap`. */
export interface ExpandSitemapOptions {
  /** Fetches a sitemap (for example through the politeness scheduler). */
  load: LoadDocument
  /** Sitemap files fetched at most, the root included. @default 50 */
  maxSitemaps?: number
  /** Only keep pages whose `publishedAt` or `lastmod` is at or after this ISO date (undated pages kept). @default null */
  since?: string | null
  /** Charset override from the sources file. @default null */
  charset?: string | null
}

/** Pages found under a sitemap, and the files that could not be read. */
export interface ExpandedSitemap {
  pages: SitemapEntry[]
  /** Sitemap files read, in order. */
  sitemaps: string[]
  /** Files that failed to load or parse; other files are still used. */
  errors: Array<{ url: string; error: unknown }>
}

/**
 * Fetch a sitemap and, if it is an index, its children (breadth-first, newest `lastmod` first, up to
 * `maxSitemaps`), returning every page entry once.
 */
export async function expandSitemap(url: string, options: ExpandSitemapOptions): Promise<ExpandedSitemap> {
  const max = options.maxSitemaps ?? 50
  const since = options.since ? Date.parse(options.since) : null
  const queue = [url]
  const seen = new Set(queue)
  const out: ExpandedSitemap = { pages: [], sitemaps: [], errors: [] }
  const pageSeen = new Set<string>()
  while (queue.length > 0 && out.sitemaps.length < max) {
    const next = queue.shift() as string
    out.sitemaps.push(next)
    let map: Sitemap
    try {
      const doc = await options.load(next)
      map = parseSitemap(doc.body, {
        url: doc.finalUrl,
        contentType: doc.contentType,
        charset: options.charset ?? null,
      })
    } catch (error) {
      out.errors.push({ url: next, error })
      continue
    }
    if (map.type === 'index') {
      // Newest children first: when the cap cuts the list, the recent news survives.
      const children = [...map.entries].sort((a, b) => (b.lastmod ?? '').localeCompare(a.lastmod ?? ''))
      for (const child of children) {
        if (since != null && child.lastmod && Date.parse(child.lastmod) < since) continue
        if (!seen.has(child.url)) {
          seen.add(child.url)
          queue.push(child.url)
        }
      }
      continue
    }
    for (const page of map.entries) {
      const date = page.publishedAt ?? page.lastmod
      if (since != null && date && Date.parse(date) < since) continue
      if (pageSeen.has(page.url)) continue
      pageSeen.add(page.url)
      out.pages.push(page)
    }
  }
  return out
}

// --- Internal helpers ---

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => name === 'url' || name === 'sitemap',
})

function entries(nodes: unknown, base: string): SitemapEntry[] {
  const list = nodes === undefined ? [] : Array.isArray(nodes) ? nodes : [nodes]
  const out: SitemapEntry[] = []
  for (const node of list) {
    const obj = asObject(node)
    if (!obj) continue
    const url = absolute(text(obj.loc), base)
    if (!url) continue
    const news = asObject(obj.news)
    out.push({
      url,
      lastmod: normalizeDate(text(obj.lastmod)),
      publishedAt: normalizeDate(text(news?.publication_date)),
      title: text(news?.title),
    })
  }
  return out
}

function text(node: unknown): string | null {
  return typeof node === 'string' ? node.trim() || null : null
}

function absolute(href: string | null, base: string): string | null {
  if (!href) return null
  try {
    const url = new URL(href, base)
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null
  } catch {
    return null
  }
}
