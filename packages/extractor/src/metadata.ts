/**
 * Page-level metadata: structured sources first (JSON-LD, OpenGraph, `article:*`, the `<meta name>`
 * tags Chinese portals use), then the short lines printed between the title and the body, and right
 * after the body (`发布时间:…  来源:…`, `记者 …`, `2023年2月22日`).
 */
import type { AnyNode } from 'domhandler'
import { cleanSource, isCreditsLine, isName, NAME_LIST_SEPARATOR, parseCredits, splitNames } from './byline.js'
import { DEFAULT_DATE_OFFSET, isDateLine, parseDate } from './dates.js'
import { textContent } from './dom.js'
import { stripPinyin } from './noise.js'
import { collectLines, contains, type PageLine, type PageScan, scanPage } from './page-lines.js'
import { chooseTitle } from './title.js'

/** Page-level metadata, before body-text peeling. */
export interface PageMetadata {
  title: string | null
  siteName: string | null
  byline: string[]
  editors: string[]
  source: string | null
  publishedAt: string | null
  modifiedAt: string | null
  canonicalUrl: string | null
  description: string | null
  /** The `lang` the page declares (`<html lang>`, og:locale), not detected. */
  declaredLang: string | null
}

/** What `extractMetadata` may look at besides the document. */
export interface MetadataContext {
  url: string | null
  /** The element the body was found in, when known: text-level metadata is searched around it. */
  bodyRoot: AnyNode | null
  /**
   * The page's elements of interest, when the caller collected them while parsing (`createPageScanner`);
   * otherwise the tree is walked for them. @default null
   */
  scan?: PageScan | null
}

/** `<meta>` names (lower-cased) that carry the publication date, best first. */
const PUBLISHED_META = [
  'article:published_time',
  'og:article:published_time',
  'og:published_time',
  'og:release_date',
  'datepublished',
  'publishdate',
  'publish_date',
  'publish-date',
  'pubdate',
  'ptime',
  'publishtime',
  'publication_date',
  'firstpublishedtime',
  'weibo: article:create_at',
  'apub:time',
  'article.published',
  'sailthru.date',
  'parsely-pub-date',
  'dc.date.issued',
  'dc.date',
  'dcterms.created',
  'date',
]
const MODIFIED_META = [
  'article:modified_time',
  'og:updated_time',
  'datemodified',
  'lastmodifiedtime',
  'last-modified',
  'weibo: article:update_at',
  'dcterms.modified',
  'modified',
]
const AUTHOR_META = ['author', 'article:author', 'dc.creator', 'byline', 'sailthru.author', 'parsely-author']
const SOURCE_META = ['contentsource', 'source', 'mediaid', 'og:article:source']

/**
 * Metadata from JSON-LD, OpenGraph and meta tags first, then the page text around the title and body.
 * Never throws: malformed JSON-LD and impossible dates are skipped.
 * @example
 * ```ts
 * const meta = extractMetadata(parseHtml(html), { url: 'https://news.example.cn/a.html', bodyRoot: null })
 * meta.publishedAt // '2023-12-31T15:58:36+08:00'
 * ```
 */
export function extractMetadata(root: AnyNode, ctx: MetadataContext): PageMetadata {
  const scan = ctx.scan ?? scanPage(root)
  const meta = readMetaTags(scan)
  const ld = readJsonLd(scan)
  const declaredLang = readDeclaredLang(scan, meta, ld)
  const docTitle = clean(scan.titles[0] ? textContent(scan.titles[0]) : '')
  const headings = scan.h1.map((el) => ({ el, text: clean(textContent(el)) })).filter((h) => h.text.length > 0)

  const offset = zoneFor(declaredLang, docTitle)
  const date = (v: string | null | undefined): string | null => parseDate(v, { defaultOffset: offset })
  const explicitSite = first(meta.get('og:site_name'), meta.get('sitename'), meta.get('application-name'), ld.publisher)

  // The title-like elements' texts, read at most once (both the title choice and its element use them).
  let titleLike: string[] | null = null
  const titleLikeTexts = (): string[] => {
    titleLike ??= scan.titleLike.map((el) => clean(textContent(el)))
    return titleLike
  }
  const picked = chooseTitle({
    docTitle,
    headings: headings.map((h) => h.text),
    structured: [ld.headline, meta.get('og:title'), meta.get('twitter:title'), meta.get('articletitle')].filter(
      (t): t is string => !!t,
    ),
    siteName: explicitSite,
    titleElements: docTitle ? titleLikeTexts() : [],
  })
  const titleEl =
    headings.find((h) => h.text === picked.title)?.el ?? findTitleElement(scan, titleLikeTexts, picked.title)
  const text = textCredits(root, titleEl, ctx.bodyRoot, offset)

  const metaAuthors = metaNames(first(...AUTHOR_META.map((n) => meta.get(n)))).filter(
    (n) => n !== explicitSite && n !== picked.siteName,
  )
  const itemAuthors = scan.itemAuthors.flatMap((el) => splitNames(clean(textContent(el))))
  const itemDate = scan.itemDates[0]

  return {
    // Mirror sites annotate the title with pinyin too (`蘇州工業(yè)園區(qū)`).
    title: picked.title === null ? null : (stripPinyin([picked.title])[0] ?? picked.title),
    siteName: explicitSite ?? picked.siteName,
    byline: dedupe(
      ld.authors.length ? ld.authors : text.byline.length ? text.byline : [...itemAuthors, ...metaAuthors],
    ),
    editors: dedupe(text.editors),
    source: first(cleanSource(first(...SOURCE_META.map((n) => meta.get(n))) ?? ''), text.source),
    publishedAt: first(
      date(ld.datePublished),
      ...PUBLISHED_META.map((n) => date(meta.get(n))),
      date(itemDate ? (itemDate.attribs.content ?? itemDate.attribs.datetime ?? textContent(itemDate)) : null),
      text.publishedAt,
      date(firstTime(scan, ctx.bodyRoot)),
    ),
    modifiedAt: first(date(ld.dateModified), ...MODIFIED_META.map((n) => date(meta.get(n)))),
    canonicalUrl: resolveUrl(first(scan.canonical[0]?.attribs.href, meta.get('og:url'), ld.url), ctx.url),
    description: first(
      meta.get('description'),
      meta.get('og:description'),
      meta.get('twitter:description'),
      ld.description,
    ),
    declaredLang,
  }
}

// --- Internal helpers ---

/**
 * Names from an author meta tag. Besides real names, a single handle (`kingname`) is accepted here,
 * where the tag says it is an author; numeric ids (people.cn prints `104363`) are not.
 */
function metaNames(value: string | null): string[] {
  if (!value) return []
  const names = splitNames(value)
  if (names.length > 0) return names
  const v = value.trim()
  return /^[\p{L}][\p{L}\p{N}_.-]{1,39}$/u.test(v) &&
    !/^\d+$/.test(v) &&
    isName(v.replace(/^./, (c) => c.toUpperCase()))
    ? [v]
    : []
}

/** Roles that follow a name in structured data (`By TOM KRISHER, AP Auto Writer`). */
const ROLE =
  /\b(?:writer|reporter|correspondent|editor|staff|contributor|columnist|bureau|desk|press|news|media|agency)\b|\.(?:com|net|org)\b/i
/** Credentials after a name (`Ilana Muhlstein, MS, RDN`) and placeholder accounts. */
const NOT_PERSON =
  /^(?:[A-Z]{2,4}|Ph\.?D\.?|M\.?D\.?|Jr\.?|Sr\.?|[Aa]dmin(?:istrator)?|[Gg]uest|[Uu]nknown|null|undefined)$/

/**
 * Author names from JSON-LD: trusted as names (handles and all-caps included), minus a leading "By"
 * and trailing roles.
 */
function structuredNames(value: string | null): string[] {
  if (!value) return []
  const v = value.replace(/^\s*by\s+/i, '').trim()
  if (/[\u4e00-\u9fff]/.test(v)) return splitNames(v)
  const parts = v.split(NAME_LIST_SEPARATOR).filter((p) => p && !NOT_PERSON.test(p))
  const people = parts.filter((p) => !ROLE.test(p))
  return people.length > 0 ? people : parts.slice(0, 1)
}

/** The element showing the title when it is not an `<h1>` (`<h2>`, `<div class="title">`). */
function findTitleElement(scan: PageScan, texts: () => string[], title: string | null): AnyNode | null {
  if (!title) return null
  const want = clean(title)
  const at = texts().indexOf(want)
  return at >= 0 ? (scan.titleLike[at] ?? null) : null
}

interface JsonLdArticle {
  headline: string | null
  authors: string[]
  datePublished: string | null
  dateModified: string | null
  publisher: string | null
  url: string | null
  description: string | null
  inLanguage: string | null
}

const ARTICLE_TYPES = /^(?:\w*Article|BlogPosting|Report|LiveBlogPosting|SocialMediaPosting|WebPage)$/

function readMetaTags(scan: PageScan): Map<string, string> {
  const out = new Map<string, string>()
  scan.metas.forEach((el) => {
    const a = el.attribs
    const key = (a.property ?? a.name ?? a.itemprop ?? a['http-equiv'] ?? '').trim().toLowerCase()
    const value = clean(a.content ?? '')
    // First occurrence wins: duplicated tags further down are usually from embedded widgets.
    if (key && value && !out.has(key)) out.set(key, value)
  })
  return out
}

function readJsonLd(scan: PageScan): JsonLdArticle {
  const nodes: Record<string, unknown>[] = []
  scan.jsonLd.forEach((el) => {
    try {
      flatten(JSON.parse(textContent(el)), nodes)
    } catch {
      // Portals ship broken JSON-LD (trailing commas, raw newlines); it is a hint, not a requirement.
    }
  })
  const typeOf = (n: Record<string, unknown>): string[] => [n['@type']].flat().map(String)
  const article =
    nodes.find((n) => typeOf(n).some((t) => t !== 'WebPage' && ARTICLE_TYPES.test(t))) ??
    nodes.find((n) => typeOf(n).includes('WebPage'))
  if (!article) {
    return {
      headline: null,
      authors: [],
      datePublished: null,
      dateModified: null,
      publisher: null,
      url: null,
      description: null,
      inLanguage: null,
    }
  }
  return {
    headline: str(article.headline) ?? str(article.name),
    authors: [article.author]
      .flat()
      .flatMap((a) => structuredNames(typeof a === 'string' ? a : str((a as Record<string, unknown> | null)?.name))),
    datePublished: str(article.datePublished) ?? str(article.dateCreated),
    dateModified: str(article.dateModified),
    publisher: str((article.publisher as Record<string, unknown> | undefined)?.name),
    url:
      str(article.url) ??
      str((article.mainEntityOfPage as Record<string, unknown> | undefined)?.['@id']) ??
      str(article.mainEntityOfPage),
    description: str(article.description),
    inLanguage: str(article.inLanguage),
  }
}

function flatten(value: unknown, out: Record<string, unknown>[]): void {
  if (Array.isArray(value)) for (const v of value) flatten(v, out)
  else if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>
    out.push(obj)
    if (obj['@graph']) flatten(obj['@graph'], out)
  }
}

function readDeclaredLang(scan: PageScan, meta: Map<string, string>, ld: JsonLdArticle): string | null {
  const locale = meta.get('og:locale')?.replace('_', '-')
  return first(scan.html?.attribs.lang?.trim(), meta.get('content-language'), locale, ld.inLanguage)
}

/** The zone for dates printed without one: China for Chinese pages, Japan/Korea for theirs, else UTC. */
function zoneFor(lang: string | null, title: string): string {
  // The title's script beats the declaration: Chinese templates often ship `<html lang="en">`.
  if (/[\u3041-\u30fa\uac00-\ud7a3]/.test(title)) return '+09:00'
  if (/[\u4e00-\u9fff]/.test(title)) return DEFAULT_DATE_OFFSET
  const l = (lang ?? '').toLowerCase()
  if (l.startsWith('zh')) return DEFAULT_DATE_OFFSET
  if (l.startsWith('ja') || l.startsWith('ko')) return '+09:00'
  return 'Z'
}

/**
 * Credits in the short lines between the title and the body, and just after the body. A title-less,
 * body-less call looks at nothing: without an anchor, a date in a sidebar would be taken for the
 * article's.
 */
function textCredits(root: AnyNode, titleEl: AnyNode | null, bodyRoot: AnyNode | null, offset: string) {
  const lines = collectLines(root, titleEl, bodyRoot)
  const out = {
    byline: [] as string[],
    editors: [] as string[],
    source: null as string | null,
    publishedAt: null as string | null,
  }
  const window = zones(lines)
  for (const line of window) {
    if (line.text.length > 150) continue
    // Inside the body only a credits-only line counts; a paragraph that mentions 来源 is prose.
    if (line.role === 'body' && !isCreditsLine(line.text)) continue
    const c = parseCredits(line.text, offset)
    out.byline.push(...c.byline)
    out.editors.push(...c.editors)
    out.source ??= c.source
    // Header lines may be `admin1年前 (2024-09-28)株洲产业信息58`: any date there is the article's. After
    // the body only a line that is nothing but a date counts; teaser lists print dates too.
    const loose = line.zone === 'header' ? line.text.length <= 80 : isDateLine(line.text)
    out.publishedAt ??= c.publishedAt ?? (loose ? parseDate(line.text, { defaultOffset: offset }) : null)
  }
  return out
}

function zones(lines: PageLine[]): PageLine[] {
  const titleAt = lines.findIndex((l) => l.role === 'title')
  const bodyAt = lines.findIndex((l) => l.role === 'body')
  const bodyEnd = lines.findLastIndex((l) => l.role === 'body')
  const out: PageLine[] = []
  const headerStart = titleAt >= 0 ? titleAt + 1 : bodyAt >= 0 ? Math.max(0, bodyAt - 8) : -1
  const headerEnd = bodyAt >= 0 && bodyAt > headerStart ? bodyAt : headerStart >= 0 ? headerStart + 8 : -1
  // The lines from `collectLines` carry only text and role: no object spread needed to copy them.
  const tag = (zone: NonNullable<PageLine['zone']>) => (l: PageLine) => ({ text: l.text, role: l.role, zone })
  if (headerStart >= 0) out.push(...lines.slice(headerStart, Math.min(headerEnd, headerStart + 12)).map(tag('header')))
  if (bodyAt >= 0 && bodyAt >= headerEnd) {
    // The body's first lines: a dateline the core did not keep as a block (`<div class="date">`).
    out.push(
      ...lines
        .slice(bodyAt, Math.min(bodyAt + 4, bodyEnd + 1))
        .filter((l) => l.role === 'body')
        .map(tag('body-head')),
    )
  }
  if (bodyEnd >= 0) {
    out.push(...lines.slice(Math.max(bodyAt + 4, bodyEnd - 2), bodyEnd + 1).map(tag('footer')))
    out.push(...lines.slice(bodyEnd + 1, bodyEnd + 7).map(tag('footer')))
  }
  return out
}

function firstTime(scan: PageScan, bodyRoot: AnyNode | null): string | null {
  // Not `$(bodyRoot).find(…)`: with tens of thousands of children that search is quadratic in cheerio.
  const times = scan.times
  const inside = bodyRoot ? times.find((t) => contains(bodyRoot, t)) : undefined
  return (inside ?? times[0])?.attribs.datetime ?? null
}

function resolveUrl(href: string | null, base: string | null): string | null {
  if (!href) return null
  try {
    return new URL(href, base ?? undefined).href
  } catch {
    return null
  }
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.trim() ? clean(v) : null
}

function first<T>(...values: Array<T | null | undefined>): T | null {
  for (const v of values) if (v !== null && v !== undefined && v !== '') return v
  return null
}

function dedupe(names: string[]): string[] {
  return [...new Set(names)]
}

function clean(s: string): string {
  return s.replace(/\s+/g, ' ').trim()
}
