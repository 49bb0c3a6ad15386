/**
 * RSS 2.0, RSS 1.0 (RDF) and Atom feeds to a list of article URLs, parsed with fast-xml-parser. Namespace
 * prefixes are dropped (`dc:date` -> `date`) because portals bind the same namespaces to varying prefixes.
 */
import { XMLParser } from 'fast-xml-parser'
import { DocumentParseError } from '../errors.js'
import { asObject, normalizeDate, parseXmlDocument } from './shared.js'

/** One entry of a feed. */
export interface FeedItem {
  /** Absolute URL of the article (fragment removed). */
  url: string
  title: string | null
  /** ISO-8601 UTC, or null when the item has no usable date. */
  publishedAt: string | null
  /**
   * When the feed says the item last changed, ISO-8601 UTC, or null: Atom `<updated>`, RSS `atom:updated`
   * or `dcterms:modified`, else the item's own date (a republished RSS item gets a new `pubDate`).
   */
  updatedAt: string | null
}

/** A parsed feed. */
export interface Feed {
  format: 'rss' | 'atom' | 'rdf'
  title: string | null
  /** Items with a usable http(s) URL, in document order, duplicates removed. */
  items: FeedItem[]
}

/** Options of `parseFeed`. */
export interface ParseFeedOptions {
  /** The feed's own URL: relative item links resolve against it. */
  url: string
  /** `Content-Type` of the response, for its charset. @default null */
  contentType?: string | null
  /** Charset override from the sources file. @default null */
  charset?: string | null
}

/**
 * Parse a feed from bytes (decoded per XML rules, so GBK feeds work) or from text.
 *
 * @throws {DocumentParseError} when the document is not XML or not a known feed format.
 * @example
 * ```ts
 * const res = await fetcher.fetch(feedUrl)
 * const feed = parseFeed(res.body, { url: res.finalUrl, contentType: res.contentType })
 * for (const item of feed.items) console.log(item.url, item.publishedAt)
 * ```
 */
export function parseFeed(input: Uint8Array | string, options: ParseFeedOptions): Feed {
  const doc = parseXmlDocument(input, parser, options, 'feed')
  const rss = asObject(doc.rss)
  if (rss) {
    const channel = asObject(first(rss.channel))
    const items = asArray(channel?.item).map((node) => {
      const item = asObject(node) ?? {}
      const guid = asObject(first(item.guid))
      // A guid is a permalink unless it says isPermaLink="false".
      const guidUrl = guid?.['@_isPermaLink'] === 'false' ? null : textOf(item.guid)
      return {
        href: linkText(item.link) ?? guidUrl,
        title: textOf(item.title),
        date: textOf(item.pubDate) ?? textOf(item.date) ?? textOf(item.updated),
        updated: textOf(item.updated) ?? textOf(item.modified) ?? textOf(item.pubDate) ?? textOf(item.date),
      }
    })
    return finish('rss', textOf(channel?.title), items, options.url)
  }
  const feed = asObject(doc.feed)
  if (feed) {
    const items = asArray(feed.entry).map((node) => {
      const entry = asObject(node) ?? {}
      return {
        href: atomLink(entry.link) ?? textOf(entry.id),
        title: textOf(entry.title),
        date: textOf(entry.published) ?? textOf(entry.updated) ?? textOf(entry.issued),
        updated: textOf(entry.updated) ?? textOf(entry.modified) ?? textOf(entry.published) ?? textOf(entry.issued),
      }
    })
    return finish('atom', textOf(feed.title), items, options.url)
  }
  const rdf = asObject(doc.RDF)
  if (rdf) {
    const channel = asObject(first(rdf.channel))
    const items = asArray(rdf.item).map((node) => {
      const item = asObject(node) ?? {}
      return {
        href: textOf(item.link) ?? (typeof item['@_about'] === 'string' ? item['@_about'] : null),
        title: textOf(item.title),
        date: textOf(item.date) ?? textOf(item.pubDate),
        updated: textOf(item.modified) ?? textOf(item.date) ?? textOf(item.pubDate),
      }
    })
    return finish('rdf', textOf(channel?.title), items, options.url)
  }
  const root = Object.keys(doc).find((k) => !k.startsWith('?')) ?? '(empty)'
  throw new DocumentParseError(options.url, 'feed', `root element <${root}> is not rss, feed or RDF`)
}

// --- Internal helpers ---

const ARRAY_TAGS = new Set(['item', 'entry', 'link', 'channel'])

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  // Keep every value a string: "2024" must stay a title, not become a number.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  htmlEntities: true,
  isArray: (name) => ARRAY_TAGS.has(name),
})

type RawItem = { href: string | null; title: string | null; date: string | null; updated: string | null }

function finish(format: Feed['format'], title: string | null, raw: RawItem[], base: string): Feed {
  const seen = new Set<string>()
  const items: FeedItem[] = []
  for (const item of raw) {
    const url = absolute(item.href, base)
    if (!url || seen.has(url)) continue
    seen.add(url)
    items.push({
      url,
      title: item.title,
      publishedAt: normalizeDate(item.date),
      updatedAt: normalizeDate(item.updated),
    })
  }
  return { format, title, items }
}

function absolute(href: string | null, base: string): string | null {
  if (!href) return null
  try {
    const url = new URL(href.trim(), base)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null
    url.hash = ''
    return url.href
  } catch {
    return null
  }
}

/** Text content of a parsed node: a string, or the `#text` of an element that has attributes. */
function textOf(node: unknown): string | null {
  const value = first(node)
  if (typeof value === 'string') return value.trim() || null
  if (typeof value === 'number') return String(value)
  const obj = asObject(value)
  const text = obj?.['#text']
  return typeof text === 'string' ? text.trim() || null : null
}

/** RSS `<link>` text; skips `atom:link` self links, which lose their prefix and share the name. */
function linkText(node: unknown): string | null {
  for (const link of asArray(node)) {
    const text = textOf(link)
    if (text) return text
  }
  return null
}

/** Atom: the `alternate` link (or one without `rel`), else the first link with an href. */
function atomLink(node: unknown): string | null {
  const links = asArray(node)
    .map(asObject)
    .filter((l): l is Record<string, unknown> => l !== null)
  const pick = links.find((l) => l['@_rel'] === undefined || l['@_rel'] === 'alternate') ?? links[0]
  const href = pick?.['@_href']
  return typeof href === 'string' ? href : null
}

function first(node: unknown): unknown {
  return Array.isArray(node) ? node[0] : node
}

function asArray(node: unknown): unknown[] {
  if (node === undefined || node === null) return []
  return Array.isArray(node) ? node : [node]
}
