/**
 * Discovery for one site: read its entry points (feeds, sitemaps, list pages) through the page loader, so
 * robots.txt, politeness and retries apply to them as to articles, and return the article URLs found.
 * Entry points are not archived: they change every hour and say nothing the articles do not.
 */
import {
  crawlListPages,
  errorKind,
  expandSitemap,
  type LoadDocument,
  type PageLoader,
  parseFeed,
  type SiteConfig,
} from '@parkwatch/scraper'

/** An article URL found by discovery. */
export interface Discovered {
  url: string
  /** Publication time the feed or sitemap gave (epoch ms), or null. */
  publishedAt: number | null
  /**
   * When the entry point says the article last changed (epoch ms), or null: Atom `<updated>`, an RSS item's
   * `atom:updated` or date, sitemap `<lastmod>`. Newer than the last visit, it pulls the next visit forward.
   */
  updatedAt: number | null
  /** Headline from the feed, sitemap or anchor text, or null. */
  title: string | null
  /** The entry point it came from. */
  foundOn: string
}

/** What discovery of one site produced. */
export interface SiteDiscovery {
  site: string
  /** Distinct article URLs, in discovery order. */
  found: Discovered[]
  /** Entry points or sub-documents that failed; the rest is still used. */
  errors: Array<{ url: string; kind: string; message: string }>
}

/**
 * Discover the article URLs of `site`. Never throws for a failed entry point: it is listed in `errors`.
 *
 * @example
 * ```ts
 * const { found, errors } = await discoverSite(site, stack.loader)
 * ```
 */
export async function discoverSite(
  site: SiteConfig,
  loader: PageLoader,
  options: { signal?: AbortSignal } = {},
): Promise<SiteDiscovery> {
  const out: SiteDiscovery = { site: site.id, found: [], errors: [] }
  const seen = new Map<string, Discovered>()
  const add = (d: Discovered): void => {
    const prev = seen.get(d.url)
    if (!prev) {
      seen.set(d.url, d)
      out.found.push(d)
    } else if (d.updatedAt !== null && (prev.updatedAt === null || d.updatedAt > prev.updatedAt)) {
      // Listed by a feed and a sitemap: the newest update date counts.
      prev.updatedAt = d.updatedAt
    }
  }
  const fail = (url: string, error: unknown): void => {
    out.errors.push({ url, kind: errorKind(error), message: error instanceof Error ? error.message : String(error) })
  }
  // Discovery documents are always fetched over HTTP: feeds and sitemaps are XML, and list pages that
  // need a browser would be a sources-file problem worth seeing as an error rather than hiding.
  const load: LoadDocument = async (url) => {
    const { result } = await loader.load(url, { render: 'http', ...(options.signal ? { signal: options.signal } : {}) })
    return result
  }
  for (const entry of site.entries) {
    if (options.signal?.aborted) break
    try {
      if (entry.type === 'feed') {
        const doc = await load(entry.url)
        const feed = parseFeed(doc.body, { url: doc.finalUrl, contentType: doc.contentType, charset: site.charset })
        for (const item of feed.items) {
          add({
            url: item.url,
            publishedAt: toMs(item.publishedAt),
            updatedAt: toMs(item.updatedAt),
            title: item.title,
            foundOn: entry.url,
          })
        }
      } else if (entry.type === 'sitemap') {
        const map = await expandSitemap(entry.url, { load, maxSitemaps: entry.maxSitemaps, charset: site.charset })
        for (const e of map.errors) fail(e.url, e.error)
        for (const page of map.pages) {
          add({
            url: page.url,
            publishedAt: toMs(page.publishedAt),
            updatedAt: toMs(page.lastmod),
            title: page.title,
            foundOn: entry.url,
          })
        }
      } else {
        const crawl = await crawlListPages(entry.url, {
          load,
          pattern: entry.pattern,
          depth: entry.depth,
          maxPages: entry.maxPages,
          charset: site.charset,
          ...(entry.follow ? { follow: entry.follow } : {}),
        })
        for (const e of crawl.errors) fail(e.url, e.error)
        for (const link of crawl.articles) {
          add({ url: link.url, publishedAt: null, updatedAt: null, title: link.text || null, foundOn: entry.url })
        }
      }
    } catch (error) {
      fail(entry.url, error)
    }
  }
  return out
}

// --- Internal helpers ---

function toMs(iso: string | null): number | null {
  if (!iso) return null
  const ms = Date.parse(iso)
  return Number.isFinite(ms) ? ms : null
}
