/**
 * Discovery documents of the demo portals: robots.txt, RSS 2.0, Atom, a sitemap index pointing to a Google
 * News sitemap, and paginated list pages. All are rendered per request from the current revision, so
 * titles and "updated" dates follow the edits.
 */
import { escapeHtml } from './templates.js'

/** One linked article as discovery documents show it. */
export interface Listing {
  /** Absolute URL to link (for a moved article, the old URL lists still carry). */
  url: string
  title: string
  /** ISO-8601 with offset. */
  publishedAt: string
  /** When the page last changed. */
  updatedAt: Date
  summary: string
}

/** Channel-level facts of a feed. */
export interface FeedInfo {
  title: string
  /** The site's home URL. */
  link: string
  /** The feed's own URL. */
  self: string
  description: string
}

/** Options of `renderRobots`. */
export interface RobotsOptions {
  /** Paths to disallow for every user agent. @default [] */
  disallow?: string[]
  /** `Crawl-delay` in seconds, or null for none. @default null */
  crawlDelay?: number | null
  /** Absolute sitemap URLs to announce. @default [] */
  sitemaps?: string[]
}

/** A robots.txt; with nothing disallowed it allows everything. */
export function renderRobots(options: RobotsOptions = {}): string {
  const lines = ['User-agent: *']
  const disallow = options.disallow ?? []
  if (disallow.length === 0) lines.push('Allow: /')
  for (const path of disallow) lines.push(`Disallow: ${path}`)
  if (options.crawlDelay != null) lines.push(`Crawl-delay: ${options.crawlDelay}`)
  for (const url of options.sitemaps ?? []) lines.push('', `Sitemap: ${url}`)
  return `${lines.join('\n')}\n`
}

/** An RSS 2.0 feed: `pubDate` is publication; `lastBuildDate` and each item's `atom:updated` show edits. */
export function renderRss(info: FeedInfo, items: Listing[]): string {
  const body = items
    .map(
      (item) => `    <item>
      <title>${escapeHtml(item.title)}</title>
      <link>${escapeHtml(item.url)}</link>
      <guid isPermaLink="true">${escapeHtml(item.url)}</guid>
      <pubDate>${new Date(item.publishedAt).toUTCString()}</pubDate>
      <atom:updated>${item.updatedAt.toISOString()}</atom:updated>
      <description>${escapeHtml(item.summary)}</description>
    </item>`,
    )
    .join('\n')
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>${escapeHtml(info.title)}</title>
    <link>${escapeHtml(info.link)}</link>
    <atom:link href="${escapeHtml(info.self)}" rel="self" type="application/rss+xml"/>
    <description>${escapeHtml(info.description)}</description>
    <language>zh-cn</language>
    <lastBuildDate>${latest(items).toUTCString()}</lastBuildDate>
${body}
  </channel>
</rss>
`
}

/** An Atom 1.0 feed with `published` and `updated` per entry. */
export function renderAtom(info: FeedInfo, items: Listing[]): string {
  const body = items
    .map(
      (item) => `  <entry>
    <id>${escapeHtml(item.url)}</id>
    <title>${escapeHtml(item.title)}</title>
    <link rel="alternate" type="text/html" href="${escapeHtml(item.url)}"/>
    <published>${item.publishedAt}</published>
    <updated>${item.updatedAt.toISOString()}</updated>
    <summary>${escapeHtml(item.summary)}</summary>
  </entry>`,
    )
    .join('\n')
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">
  <id>${escapeHtml(info.self)}</id>
  <title>${escapeHtml(info.title)}</title>
  <subtitle>${escapeHtml(info.description)}</subtitle>
  <link rel="self" href="${escapeHtml(info.self)}"/>
  <link rel="alternate" type="text/html" href="${escapeHtml(info.link)}"/>
  <updated>${latest(items).toISOString()}</updated>
${body}
</feed>
`
}

/** A sitemap index listing child sitemaps with their `lastmod`. */
export function renderSitemapIndex(children: Array<{ url: string; lastmod: Date }>): string {
  const body = children
    .map(
      (c) =>
        `  <sitemap>\n    <loc>${escapeHtml(c.url)}</loc>\n    <lastmod>${c.lastmod.toISOString()}</lastmod>\n  </sitemap>`,
    )
    .join('\n')
  return `<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
${body}
</sitemapindex>
`
}

/** A Google News sitemap: `lastmod` follows edits, `news:publication_date` and `news:title` per URL. */
export function renderNewsSitemap(publication: string, items: Listing[]): string {
  const body = items
    .map(
      (item) => `  <url>
    <loc>${escapeHtml(item.url)}</loc>
    <lastmod>${item.updatedAt.toISOString()}</lastmod>
    <news:news>
      <news:publication>
        <news:name>${escapeHtml(publication)}</news:name>
        <news:language>zh-cn</news:language>
      </news:publication>
      <news:publication_date>${item.publishedAt}</news:publication_date>
      <news:title>${escapeHtml(item.title)}</news:title>
    </news:news>
  </url>`,
    )
    .join('\n')
  return `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
${body}
</urlset>
`
}

/**
 * The inner markup of list page `page` (1-based) of `pages`: a dated list of links and a pager whose
 * links are relative (`list_2.html`), as CMS list templates write them.
 */
export function renderListInner(items: Listing[], page: number, pages: number): string {
  const list = items
    .map(
      (item) =>
        `  <li><span class="date">${item.publishedAt.slice(0, 10)}</span><a href="${escapeHtml(item.url)}" target="_blank">${escapeHtml(item.title)}</a></li>`,
    )
    .join('\n')
  const pager: string[] = []
  if (page > 1) pager.push(`<a href="list_${page - 1}.html">上一页</a>`)
  for (let p = 1; p <= pages; p++)
    pager.push(p === page ? `<span class="current">${p}</span>` : `<a href="list_${p}.html">${p}</a>`)
  if (page < pages) pager.push(`<a href="list_${page + 1}.html">下一页</a>`)
  return `<div class="list_box">
<ul class="news_list">
${list}
</ul>
<div class="pages">${pager.join(' ')}</div>
</div>`
}

/** Split `items` into pages of `size`. */
export function paginate<T>(items: T[], size: number): T[][] {
  const pages: T[][] = []
  for (let i = 0; i < items.length; i += size) pages.push(items.slice(i, i + size))
  return pages.length > 0 ? pages : [[]]
}

// --- Internal helpers ---

function latest(items: Listing[]): Date {
  return new Date(Math.max(0, ...items.map((i) => i.updatedAt.getTime())))
}
