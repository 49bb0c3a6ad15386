/**
 * The visible text of a page as lines, the way a reader sees it: one line per block element or `<br>`,
 * each marked with whether it belongs to the title element, the body, or neither. Credits and dates are
 * searched in the lines around the title and body. `scanPage` collects, in one walk, the elements the
 * metadata reader looks at: a CSS query walks the whole tree each time, and on a 20 MB page a dozen
 * of them cost seconds. `createPageScanner` collects the same while the page is parsed, with no walk.
 */
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
 * @param root the document (or the element) to read
 * @param titleEl the element holding the article title, if known
 * @param bodyRoot the element holding the article body, if known
 * @param options.linesAfterBody how many lines after the body are collected before the walk stops
 *   (@default 8)
 */
export function collectLines(
  root: AnyNode,
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
  // Whether `buffer` is still blank: tracked per text node, since trimming the whole buffer at every
  // text node is quadratic on a long inline run.
  let blank = true
  let bufferRole: PageLine['role'] = 'other'
  // Inside a skipped body only its first and last few lines are kept: a dateline or a credits line
  // the core left out of the blocks sits there.
  let inBody = false
  let bodyLines = 0
  // The raw text of the body's last lines so far: most body lines are dropped from here again, so they
  // are only tidied once the body ends. A buffer that is not blank always tidies to a non-empty line.
  const bodyTail: string[] = []
  const flush = (): void => {
    if (blank) {
      buffer = ''
      return
    }
    const raw = buffer
    buffer = ''
    blank = true
    if (inBody && bodyLines >= EDGE_LINES) {
      bodyTail.push(raw)
      if (bodyTail.length > EDGE_LINES) bodyTail.shift()
      return
    }
    const text = tidyLine(raw)
    if (!text) return
    if (!inBody) lines.push({ text, role: bufferRole })
    else {
      bodyLines++
      lines.push({ text, role: 'body' })
    }
  }
  // Lines far below the body are never looked at: stop there, which bounds the cost on huge pages.
  const done = (): boolean => bodyEndsAt >= 0 && lines.length - bodyEndsAt > after
  // An explicit stack (deep pages must not overflow the call stack): entries are nodes to enter and,
  // below their children, the element's exit step.
  const nodes: AnyNode[] = []
  const roles: PageLine['role'][] = []
  const steps: number[] = []
  nodes.push(root)
  roles.push('other')
  steps.push(ENTER)
  while (nodes.length > 0) {
    const node = nodes.pop() as AnyNode
    const role = roles.pop() as PageLine['role']
    const step = steps.pop() as number
    if (step !== ENTER) {
      if (step === EXIT_SKIPPED_BODY) {
        flush()
        inBody = false
        for (const raw of bodyTail) lines.push({ text: tidyLine(raw), role: 'body' })
        bodyEndsAt = lines.length
        continue
      }
      if (step === EXIT_BLOCK) flush()
      if (node === bodyRoot) bodyEndsAt = lines.length
      continue
    }
    // Once done, what is left on the stack can only flush an empty buffer.
    if (done()) break
    if (node.type === 'text') {
      const data = (node as unknown as { data: string }).data
      if (blank) {
        bufferRole = role
        if (NOT_BLANK.test(data)) blank = false
      }
      buffer += data
      continue
    }
    if (node.type !== 'tag' && node.type !== 'root' && node.type !== 'script' && node.type !== 'style') continue
    const el = node as unknown as { name?: string; children?: AnyNode[] }
    const name = el.name ?? ''
    if (HIDDEN_TAGS.has(name)) continue
    let own: PageLine['role']
    if (node === bodyRoot && skipBody) {
      flush()
      lines.push({ text: '', role: 'body' })
      inBody = true
      nodes.push(node)
      roles.push(role)
      steps.push(EXIT_SKIPPED_BODY)
      own = 'body'
    } else {
      own = node === titleEl ? 'title' : node === bodyRoot ? 'body' : role
      // The title and body roots always get lines of their own, even when they are inline elements.
      const isBlock = BLOCK_TAGS.has(name) || own !== role
      if (isBlock) flush()
      nodes.push(node)
      roles.push(role)
      steps.push(isBlock ? EXIT_BLOCK : EXIT_INLINE)
    }
    const children = el.children ?? []
    for (let k = children.length - 1; k >= 0; k--) {
      nodes.push(children[k] as AnyNode)
      roles.push(own)
      steps.push(ENTER)
    }
  }
  flush()
  return lines
}

function tidyLine(raw: string): string {
  return raw.replace(/[\s\u00a0\u3000]+/g, ' ').trim()
}

/** Steps of `collectLines`' walk. */
const ENTER = 0
const EXIT_BLOCK = 1
const EXIT_INLINE = 2
const EXIT_SKIPPED_BODY = 3

/** Anything `String.prototype.trim` would keep (`\s` is exactly the whitespace it removes). */
const NOT_BLANK = /\S/

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

/** Class or id words of elements that hold a title. */
const TITLE_MARKER = /title|headline/i

/** How many title-like elements are kept; portals repeat "title" classes in every list item. */
const MAX_TITLE_LIKE = 300

/** Collects a `PageScan` from elements fed to `visit` in document order: while parsing, or by `scanPage`. */
export interface PageScanner {
  visit: (el: Element) => void
  /** The scan of every element visited so far. */
  finish: () => PageScan
}

/**
 * A scanner to hand to `parseHtml`, which visits each element as it opens: the scan then costs no walk
 * of its own. An element's children are not parsed yet when it opens, so the title-like candidates are
 * only sized up in `finish`.
 */
export function createPageScanner(): PageScanner {
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
  const candidates: Element[] = []
  return {
    visit: (el) => visitForScan(el, scan, candidates),
    finish: () => {
      const titleLike: Element[] = []
      for (const el of candidates) {
        // A title is a small element; a `div.title-wrapper` around the whole page is not one (and reading
        // its text would cost a page-sized string).
        if (el.children.length > 8) continue
        titleLike.push(el)
        if (titleLike.length >= MAX_TITLE_LIKE) break
      }
      return { ...scan, titleLike }
    },
  }
}

/** Walk the tree below `root` once, without recursion (deep pages must not overflow the stack). */
export function scanPage(root: AnyNode): PageScan {
  const scanner = createPageScanner()
  const stack: AnyNode[] = [root]
  while (stack.length > 0) {
    const node = stack.pop() as AnyNode
    const children = (node as { children?: AnyNode[] }).children
    if (children) {
      // Text nodes (half of any page) have nothing to scan: leave them off the stack.
      for (let i = children.length - 1; i >= 0; i--) {
        const kid = children[i] as AnyNode
        if (kid.type !== 'text') stack.push(kid)
      }
    }
    if (node.type !== 'tag' && node.type !== 'script' && node.type !== 'style') continue
    scanner.visit(node as Element)
  }
  return scanner.finish()
}

function visitForScan(el: Element, scan: PageScan, titleLike: Element[]): void {
  // Both parsers the extractor meets (htmlparser2 with `lowerCaseTags`, parse5) lower-case HTML tag
  // names already; lower-casing again cost a string scan per element.
  const name = el.name
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
  if (name === 'title' || name === 'meta') return
  // The pattern has no space in it, so testing class and id apart equals testing them joined.
  const cls = a.class
  const id = a.id
  if (
    name === 'h2' ||
    name === 'h3' ||
    name === 'h4' ||
    (cls !== undefined && TITLE_MARKER.test(cls)) ||
    (id !== undefined && TITLE_MARKER.test(id))
  ) {
    titleLike.push(el)
  }
}

/** Whether `node` is `root` or below it. */
export function contains(root: AnyNode, node: AnyNode): boolean {
  for (let n: AnyNode | null = node; n; n = n.parent) if (n === root) return true
  return false
}
