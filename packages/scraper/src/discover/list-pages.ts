/**
 * List pages ("新闻列表", channel index pages): links whose URL matches the site's article `pattern` are
 * articles; other same-site links under the entry page's directory (pagination like `index_2.html`, sub
 * channels) are followed as more list pages, breadth-first, up to `depth` levels and `maxPages` fetches.
 */
import { decodeHtml } from '@parkwatch/extractor'
import { extractLinks } from './links.js'
import { type LoadDocument, sameSite } from './shared.js'

/** An article link found on a list page. */
export interface DiscoveredLink {
  url: string
  /** The anchor text, often the headline. */
  text: string
  /** The list page it was found on. */
  foundOn: string
  /** 0 for the entry page, 1 for pages linked from it, ... */
  depth: number
}

/** Options of `crawlListPages`. */
export interface ListCrawlOptions {
  /** Fetches a page (for example through the politeness scheduler). */
  load: LoadDocument
  /** Article URLs match this (a string is compiled as a RegExp); tested on the absolute URL. */
  pattern: RegExp | string
  /** Levels of list pages followed beyond the entry page; 0 reads only the entry page. @default 1 */
  depth?: number
  /** Which non-article links are list pages to follow. @default same-site links under the entry's directory */
  follow?: RegExp | string
  /** List pages fetched at most, the entry included. @default 20 */
  maxPages?: number
  /** Keep only article links on the entry page's site. @default true */
  sameSiteOnly?: boolean
  /** Charset override from the sources file. @default null */
  charset?: string | null
}

/** What a list crawl found. */
export interface ListCrawlResult {
  /** Distinct article links, in discovery order. */
  articles: DiscoveredLink[]
  /** List pages fetched, in order. */
  pages: string[]
  /** Pages that failed to load; the others are still used. */
  errors: Array<{ url: string; error: unknown }>
}

/**
 * Article links from an HTML list page (already decoded), filtered by `pattern` and, by default, site.
 */
export function findArticleLinks(
  html: string,
  pageUrl: string,
  pattern: RegExp | string,
  sameSiteOnly = true,
): Array<{ url: string; text: string }> {
  const re = toRegExp(pattern)
  return extractLinks(html, pageUrl).filter(
    (link) => matches(re, link.url) && (!sameSiteOnly || sameSite(link.url, pageUrl)),
  )
}

/**
 * Crawl list pages from `entryUrl`, returning the article links they point to (articles are not fetched).
 * Pages are decoded with the extractor's browser-style charset sniffing, so GBK portals work.
 *
 * @example
 * ```ts
 * const { articles } = await crawlListPages('https://news.example.com/sip/', {
 *   load: (u) => fetcher.fetch(u),
 *   pattern: /\/\d{4}\/\d{2}\/\d+\.html$/,
 *   depth: 1,
 * })
 * ```
 */
export async function crawlListPages(entryUrl: string, options: ListCrawlOptions): Promise<ListCrawlResult> {
  const pattern = toRegExp(options.pattern)
  const follow = options.follow ? toRegExp(options.follow) : null
  const maxDepth = options.depth ?? 1
  const maxPages = options.maxPages ?? 20
  const sameSiteOnly = options.sameSiteOnly ?? true
  const scope = directoryOf(entryUrl)
  const result: ListCrawlResult = { articles: [], pages: [], errors: [] }
  const seenArticles = new Set<string>()
  const seenPages = new Set<string>([pageKey(entryUrl)])
  let frontier: string[] = [entryUrl]

  for (let depth = 0; depth <= maxDepth && frontier.length > 0; depth++) {
    const next: string[] = []
    for (const pageUrl of frontier) {
      if (result.pages.length >= maxPages) return result
      result.pages.push(pageUrl)
      let html: string
      let base: string
      try {
        const doc = await options.load(pageUrl)
        html = decodeHtml(doc.body, { contentType: doc.contentType, charset: options.charset ?? null }).text
        base = doc.finalUrl
      } catch (error) {
        result.errors.push({ url: pageUrl, error })
        continue
      }
      for (const link of extractLinks(html, base)) {
        const onSite = sameSite(link.url, entryUrl)
        if (matches(pattern, link.url)) {
          if ((sameSiteOnly && !onSite) || seenArticles.has(link.url)) continue
          seenArticles.add(link.url)
          result.articles.push({ url: link.url, text: link.text, foundOn: pageUrl, depth })
          continue
        }
        if (depth === maxDepth || !onSite) continue
        const isList = follow ? matches(follow, link.url) : link.url.startsWith(scope)
        const key = pageKey(link.url)
        if (isList && !seenPages.has(key)) {
          seenPages.add(key)
          next.push(link.url)
        }
      }
    }
    frontier = next
  }
  return result
}

// --- Internal helpers ---

function toRegExp(pattern: RegExp | string): RegExp {
  return typeof pattern === 'string' ? new RegExp(pattern) : pattern
}

function matches(re: RegExp, url: string): boolean {
  // A /g or /y RegExp keeps lastIndex between calls; reset so every test starts at 0.
  re.lastIndex = 0
  return re.test(url)
}

/** `https://x/news/index.html` -> `https://x/news/` (query dropped). */
function directoryOf(url: string): string {
  const u = new URL(url)
  u.search = ''
  u.hash = ''
  u.pathname = u.pathname.slice(0, u.pathname.lastIndexOf('/') + 1)
  return u.href
}

/** `/list/` and `/list/index.html` are often the same page; treat a trailing `index.*` as the directory. */
function pageKey(url: string): string {
  const u = new URL(url)
  u.hash = ''
  u.pathname = u.pathname.replace(/\/index\.(?:s?html?|php|aspx?)$/i, '/')
  return u.href
}
