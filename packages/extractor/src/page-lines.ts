/**
 * The visible text of a page as lines, the way a reader sees it: one line per block element or `<br>`,
 * each marked with whether it belongs to the title element, the body, or neither. Credits and dates are
 * searched in the lines around the title and body. `scanPage` collects, in one walk, the elements the
 * metadata reader looks at: a CSS query walks the whole tree each time, and on a 20 MB page a dozen
 * of them cost seconds.
 */
import type { CheerioAPI } from 'cheerio'
import type { AnyNode, Element } from 'domhandler'

/** One visible line of the page. */
export interface PageLine {
  text: string
  /** `title` inside the title element, `body` inside the body root, else `other`. */
  role: 'title' | 'body' | 'other'
  /** Set by callers that window the lines: before the body (after the title), the body's first lines, or after it. */
  zone?: 'header' | 'body-head' | 'footer'
}

/** Elements that start a new line. Inline elements (`span`, `a`, `em`) do not. */
export const BLOCK_TAGS: ReadonlySet<string> = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'br',
  'center',
  'dd',
  'details',
  'dialog',
  'div',
  'dl',
  'dt',
  'fieldset',
  'figcaption',
  'figure',
  'footer',
  'form',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hr',
  'li',
  'main',
  'nav',
  'ol',
  'p',
  'pre',
  'section',
  'summary',
  'table',
  'td',
  'th',
  'tr',
  'ul',
  'body',
  'html',
])

/** How many lines at each end of a skipped body are kept. */
const EDGE_LINES = 4

/** Elements whose text is never shown. */
const HIDDEN_TAGS: ReadonlySet<string> = new Set([
  'script',
  'style',
  'noscript',
  'template',
  'iframe',
  'svg',
  'select',
  'textarea',
  'head',
  'button',
  'object',
])

/**
 * The page's visible lines in document order (empty lines dropped).
 * @param titleEl the element holding the article title, if known
 * @param bodyRoot the element holding the article body, if known
 * @param options.linesAfterBody how many lines after the body are collected before the walk stops
 *   (@default 8)
 */
export function collectLines(
  $: CheerioAPI,
  titleEl: AnyNode | null,
  bodyRoot: AnyNode | null,
  options: { linesAfterBody?: number } = {},
): PageLine[] {
  const lines: PageLine[] = []
  const after = options.linesAfterBody ?? 8
  // The body's own lines are not searched, only where it starts and ends: a marker plus its first and
  // last few lines stand for them, unless the title sits inside the body (then all lines are kept).
  const skipBody = bodyRoot !== null && !(titleEl !== null && contains(bodyRoot, titleEl))
  let bodyEndsAt = -1
  let buffer = ''
  let bufferRole: PageLine['role'] = 'other'
  // Inside a skipped body only its first and last few lines are kept: a dateline or a credits line
  // the core left out of the blocks sits there.
  let inBody = false
  let bodyLines = 0
  let bodyTail: PageLine[] = []
  const flush = (): void => {
    const text = buffer.replace(/[\s\u00a0\u3000]+/g, ' ').trim()
    buffer = ''
    if (!text) return
    if (!inBody) lines.push({ text, role: bufferRole })
    else if (bodyLines++ < EDGE_LINES) lines.push({ text, role: 'body' })
    else bodyTail = [...bodyTail.slice(1 - EDGE_LINES), { text, role: 'body' }]
  }
  // Lines far below the body are never looked at: stop there, which bounds the cost on huge pages.
  const done = (): boolean => bodyEndsAt >= 0 && lines.length - bodyEndsAt > after
  const walk = (node: AnyNode, role: PageLine['role']): void => {
    if (done()) return
    if (node.type === 'text') {
      if (!buffer.trim()) bufferRole = role
      buffer += (node as unknown as { data: string }).data
      return
    }
    if (node.type !== 'tag' && node.type !== 'root' && node.type !== 'script' && node.type !== 'style') return
    const el = node as unknown as { name?: string; children?: AnyNode[] }
    const name = el.name?.toLowerCase() ?? ''
    if (HIDDEN_TAGS.has(name)) return
    if (node === bodyRoot && skipBody) {
      flush()
      lines.push({ text: '', role: 'body' })
      inBody = true
      for (const child of el.children ?? []) walk(child, 'body')
      flush()
      inBody = false
      lines.push(...bodyTail)
      bodyEndsAt = lines.length
      return
    }
    const own: PageLine['role'] = node === titleEl ? 'title' : node === bodyRoot ? 'body' : role
    // The title and body roots always get lines of their own, even when they are inline elements.
    const isBlock = BLOCK_TAGS.has(name) || own !== role
    if (isBlock) flush()
    for (const child of el.children ?? []) walk(child, own)
    if (isBlock) flush()
    if (node === bodyRoot) bodyEndsAt = lines.length
  }
  walk($.root()[0] as AnyNode, 'other')
  flush()
  return lines
}

/** The elements `extractMetadata` reads, in document order. */
export interface PageScan {
  /** `<html>`, for its `lang`. */
  html: Element | null
  /** `<title>` elements (the first one is the document title). */
  titles: Element[]
  h1: Element[]
  metas: Element[]
  /** `<script type="application/ld+json">`. */
  jsonLd: Element[]
  /** `<link rel="canonical">`. */
  canonical: Element[]
  /** `<time datetime>`. */
  times: Element[]
  /** `[itemprop="author"]`. */
  itemAuthors: Element[]
  /** `[itemprop="datePublished"]`. */
  itemDates: Element[]
  /** `h2`-`h4` and elements whose class or id mentions a title or headline: where a non-h1 title lives. */
  titleLike: Element[]
}

/** How many title-like elements are kept; portals repeat "title" classes in every list item. */
const MAX_TITLE_LIKE = 300

/** Walk the tree below `root` once, without recursion (deep pages must not overflow the stack). */
export function scanPage(root: AnyNode): PageScan {
  const scan: PageScan = {
    html: null,
    titles: [],
    h1: [],
    metas: [],
    jsonLd: [],
    canonical: [],
    times: [],
    itemAuthors: [],
    itemDates: [],
    titleLike: [],
  }
  const stack: AnyNode[] = [root]
  while (stack.length > 0) {
    const node = stack.pop() as AnyNode
    const children = (node as { children?: AnyNode[] }).children
    if (children) for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as AnyNode)
    if (node.type !== 'tag' && node.type !== 'script' && node.type !== 'style') continue
    visitForScan(node as Element, scan)
  }
  return scan
}

function visitForScan(el: Element, scan: PageScan): void {
  const name = el.name.toLowerCase()
  const a = el.attribs
  if (name === 'html') scan.html ??= el
  else if (name === 'title') scan.titles.push(el)
  else if (name === 'h1') scan.h1.push(el)
  else if (name === 'meta') scan.metas.push(el)
  else if (name === 'script' && a.type?.trim().toLowerCase() === 'application/ld+json') scan.jsonLd.push(el)
  else if (name === 'link' && /(?:^|\s)canonical(?:\s|$)/i.test(a.rel ?? '')) scan.canonical.push(el)
  else if (name === 'time' && a.datetime) scan.times.push(el)
  if (a.itemprop === 'author') scan.itemAuthors.push(el)
  else if (a.itemprop === 'datePublished') scan.itemDates.push(el)
  // A title is a small element; a `div.title-wrapper` around the whole page is not one (and reading
  // its text would cost a page-sized string).
  if (scan.titleLike.length < MAX_TITLE_LIKE && name !== 'title' && name !== 'meta' && el.children.length <= 8) {
    const marker = `${a.class ?? ''} ${a.id ?? ''}`
    if (name === 'h2' || name === 'h3' || name === 'h4' || /title|headline/i.test(marker)) scan.titleLike.push(el)
  }
}

/** Whether `node` is `root` or below it. */
export function contains(root: AnyNode, node: AnyNode): boolean {
  for (let n: AnyNode | null = node; n; n = n.parent) if (n === root) return true
  return false
}
