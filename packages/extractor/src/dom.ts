/**
 * DOM plumbing for the extractor: parsing with htmlparser2 and one iterative pass that measures every
 * element (text length, link text, punctuation, paragraph/image/list counts). Everything downstream reads
 * these flat arrays instead of calling `.text()` per node, which is what keeps `extract` linear and fast
 * on 20 MB pages and 10,000-deep nesting (no recursion anywhere).
 */
import { type AnyNode, type Document, DomHandler, type Element, type Text } from 'domhandler'
import { Parser } from 'htmlparser2'
import { collapseWhitespace } from './html.js'

/** Elements whose content is never article text. */
export const SKIP_TAGS: ReadonlySet<string> = new Set([
  'script',
  'style',
  'noscript',
  'template',
  'svg',
  'math',
  'iframe',
  'object',
  'embed',
  'canvas',
  'head',
  'title',
  'meta',
  'link',
  'button',
  'input',
  'select',
  'option',
  'textarea',
  'label',
  'audio',
  'video',
  'map',
  'dialog',
])

/** Elements that start a new block of text (everything else is inline). */
export const BLOCK_TAGS: ReadonlySet<string> = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'body',
  'center',
  'dd',
  'details',
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
  'hgroup',
  'hr',
  'html',
  'li',
  'main',
  'menu',
  'nav',
  'ol',
  'p',
  'pre',
  'section',
  'summary',
  'table',
  'tbody',
  'thead',
  'tfoot',
  'tr',
  'td',
  'th',
  'ul',
  'caption',
])

/** Tags that count as "paragraph-like" when judging whether a container is prose or furniture. */
const PARA_TAGS: ReadonlySet<string> = new Set(['p', 'pre', 'blockquote'])

/** Containers that count as a paragraph when they hold no block element. */
const LEAF_PARA: ReadonlySet<string> = new Set(['div', 'section', 'article', 'center'])

/** Flat, per-element measurements of a document, indexed by pre-order position. */
export interface TreeIndex {
  /** Elements in document (pre-)order. Skipped subtrees (scripts, hidden, unlikely) are absent. */
  nodes: Element[]
  /**
   * One past the last position of the element's subtree: its indexed descendants sit at `i + 1` up to
   * `end[i] - 1`, and its indexed children at `i + 1`, `end[i + 1]`, … (see `childPositions`).
   */
  end: Int32Array
  /** Index of the closest indexed ancestor, -1 for roots. */
  parent: Int32Array
  /** Non-whitespace characters of all text below the element. */
  text: Float64Array
  /** Of those, characters inside links. */
  link: Float64Array
  /** Characters of the element's own inline content (not inside a nested block element). */
  inline: Float64Array
  /** Of those, characters inside links. */
  inlineLink: Float64Array
  /** Comma-like punctuation (`,` `，` `、` `。` `;` `；`) below the element. */
  punct: Float64Array
  /** The same, in the element's own inline content. */
  inlinePunct: Float64Array
  /** CJK characters below the element. */
  cjk: Float64Array
  /** Descendant counts. */
  paras: Int32Array
  imgs: Int32Array
  lis: Int32Array
  inputs: Int32Array
  embeds: Int32Array
  /** Direct block-level element children. */
  blockKids: Int32Array
}

/** Which subtrees `buildIndex` leaves out. */
export interface IndexOptions {
  /** Extra predicate: return true to drop an element and everything under it. @default null */
  drop?: ((el: Element) => boolean) | null
  /**
   * Index hidden elements too. Some frameworks stream the server-rendered article into a `hidden`
   * container that a script reveals, so the fallback pass looks inside them. @default false
   */
  keepHidden?: boolean
}

/**
 * Parse HTML into a domhandler document. htmlparser2 never throws and keeps its open-element stack in an
 * array, so malformed and absurdly deep markup are both fine.
 * @param onOpen called with each element as it opens, in document order, before its children are
 *   parsed: a caller that wants a few kinds of element gets them without walking the tree again.
 */
export function parseHtml(html: string, onOpen?: (el: Element) => void): Document {
  // None of the options is the handler's (`withStartIndices` and the like), so it takes none.
  const handler = onOpen === undefined ? new DomHandler() : new VisitingHandler(onOpen)
  // What htmlparser2's `parseDocument` does, with our handler.
  new Parser(handler, PARSE_OPTIONS).end(html)
  return handler.root
}

/** Whether a node is an element (tags, plus htmlparser2's `script`/`style` node types). */
export function isElement(node: AnyNode): node is Element {
  return node.type === 'tag' || node.type === 'script' || node.type === 'style'
}

/** The lower-cased `class` and `id` of an element joined by a space ("" when neither is set). */
export function classAndId(el: Element): string {
  const c = el.attribs.class
  const id = el.attribs.id
  if (c === undefined && id === undefined) return ''
  return `${c ?? ''} ${id ?? ''}`.toLowerCase()
}

const HIDDEN_STYLE = /display\s*:\s*none|visibility\s*:\s*hidden/i

/** Whether the page hides the element from readers (`hidden`, `display:none`, `aria-hidden`). */
export function isHidden(el: Element): boolean {
  const a = el.attribs
  if (a.hidden !== undefined) return true
  if (a.style !== undefined && HIDDEN_STYLE.test(a.style)) return true
  // Icons and decorative images carry aria-hidden too; only whole containers of it are a hidden block.
  return a['aria-hidden'] === 'true' && el.name !== 'img' && el.name !== 'span' && el.name !== 'i'
}

/** Whether a code point is a CJK ideograph or kana/hangul (each counts as one word). */
export function isCjkCode(c: number): boolean {
  return (
    (c >= 0x4e00 && c <= 0x9fff) ||
    (c >= 0x3400 && c <= 0x4dbf) ||
    (c >= 0x3040 && c <= 0x30ff) ||
    (c >= 0xac00 && c <= 0xd7af) ||
    (c >= 0xf900 && c <= 0xfaff)
  )
}

/** Character statistics of a piece of text, computed in one pass. */
export interface TextStats {
  /** Non-whitespace characters. */
  chars: number
  /** Comma-like punctuation. */
  punct: number
  /** CJK characters. */
  cjk: number
}

/** Count non-space characters, comma-like punctuation and CJK characters of a string. */
export function textStats(s: string): TextStats {
  let chars = 0
  let punct = 0
  let cjk = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c <= 32 || c === 0xa0 || c === 0x3000 || c === 0x200b) continue
    chars++
    if (c === 44 || c === 0xff0c || c === 0x3001 || c === 0x3002 || c === 59 || c === 0xff1b) punct++
    else if (c >= 0x3040 && isCjkCode(c)) cjk++
  }
  return { chars, punct, cjk }
}

/**
 * Measure every element under `root`: one pre-order walk finds the elements, a pass over each one's
 * children measures its own text, and one reverse (post-order) sweep adds it all up.
 * Text of skipped subtrees (scripts, hidden, `options.drop`) is not counted anywhere.
 */
export function buildIndex(root: AnyNode, options: IndexOptions = {}): TreeIndex {
  const drop = options.drop ?? null
  const keepHidden = options.keepHidden ?? false
  const nodes: Element[] = []
  const parents: number[] = []
  // Two parallel stacks rather than a tuple per node: this walk touches every node of 20 MB pages.
  const stackNodes: AnyNode[] = [root]
  const stackParents: number[] = [-1]
  while (stackNodes.length > 0) {
    const node = stackNodes.pop() as AnyNode
    const parent = stackParents.pop() as number
    let here = parent
    if (isElement(node)) {
      if (SKIP_TAGS.has(node.name) || (!keepHidden && isHidden(node)) || drop?.(node)) continue
      here = nodes.length
      nodes.push(node)
      parents.push(parent)
    } else if (node.type !== 'root') {
      continue
    }
    const kids = (node as Element).children
    // Push in reverse so children pop in document order: pre-order positions then follow the source.
    // Text is measured below, per indexed element.
    for (let k = kids.length - 1; k >= 0; k--) {
      const kid = kids[k] as AnyNode
      if (!isElement(kid)) continue
      stackNodes.push(kid)
      stackParents.push(here)
    }
  }
  const n = nodes.length
  // Views on two buffers rather than sixteen typed arrays: each typed array larger than a few bytes is
  // an off-heap allocation of its own, and they showed in profiles.
  const f64 = new Float64Array(n * 7)
  const i32 = new Int32Array(n * 8)
  const floats = (k: number): Float64Array => f64.subarray(k * n, (k + 1) * n)
  const ints = (k: number): Int32Array => i32.subarray(k * n, (k + 1) * n)
  const idx: TreeIndex = {
    nodes,
    end: ints(7),
    parent: ints(0),
    text: floats(0),
    link: floats(1),
    inline: floats(2),
    inlineLink: floats(3),
    punct: floats(4),
    inlinePunct: floats(5),
    cjk: floats(6),
    paras: ints(1),
    imgs: ints(2),
    lis: ints(3),
    inputs: ints(4),
    embeds: ints(5),
    blockKids: ints(6),
  }
  idx.parent.set(parents)
  // Each element's own text, and the inputs and embeds among its children: those are in SKIP_TAGS (their
  // text is never article text), but conditional cleaning wants to know how many a container holds.
  // Read from the children here, once the arrays exist, so the walk above grows no per-element arrays.
  for (let i = 0; i < n; i++) {
    const kids = (nodes[i] as Element).children
    let chars = 0
    let punct = 0
    let cjk = 0
    for (let k = 0; k < kids.length; k++) {
      const kid = kids[k] as AnyNode
      if (kid.type === 'text') {
        const st = textStats((kid as Text).data)
        chars += st.chars
        punct += st.punct
        cjk += st.cjk
      } else if (isElement(kid)) {
        const name = kid.name
        if (name === 'input' || name === 'select' || name === 'textarea' || name === 'button') {
          idx.inputs[i] = (idx.inputs[i] as number) + 1
        } else if (name === 'iframe' || name === 'embed' || name === 'object' || name === 'video') {
          idx.embeds[i] = (idx.embeds[i] as number) + 1
        }
      }
    }
    idx.text[i] = chars
    idx.inline[i] = chars
    idx.punct[i] = punct
    idx.inlinePunct[i] = punct
    idx.cjk[i] = cjk
  }
  // Children sit after their parent in pre-order, so a reverse sweep sees every child before its parent.
  for (let i = n - 1; i >= 0; i--) {
    const el = nodes[i] as Element
    // Descendants were all seen (they sit after `i`), so the subtree's end is final here.
    if ((idx.end[i] as number) <= i) idx.end[i] = i + 1
    const name = el.name
    if (name === 'a') {
      idx.link[i] = idx.text[i] as number
      idx.inlineLink[i] = idx.inline[i] as number
    }
    // A container with no block children is a paragraph too, as Readability turns such divs into <p>:
    // portals that never write <p>, and image wrappers, which keep galleries of captioned photos.
    if (PARA_TAGS.has(name) || (LEAF_PARA.has(name) && (idx.blockKids[i] as number) === 0)) {
      idx.paras[i] = (idx.paras[i] as number) + 1
    } else if (name === 'img' || name === 'picture') idx.imgs[i] = (idx.imgs[i] as number) + 1
    else if (name === 'li') idx.lis[i] = (idx.lis[i] as number) + 1
    const p = idx.parent[i] as number
    if (p < 0) continue
    if ((idx.end[i] as number) > (idx.end[p] as number)) idx.end[p] = idx.end[i] as number
    idx.text[p] = (idx.text[p] as number) + (idx.text[i] as number)
    idx.link[p] = (idx.link[p] as number) + (idx.link[i] as number)
    idx.punct[p] = (idx.punct[p] as number) + (idx.punct[i] as number)
    idx.cjk[p] = (idx.cjk[p] as number) + (idx.cjk[i] as number)
    idx.paras[p] = (idx.paras[p] as number) + (idx.paras[i] as number)
    idx.imgs[p] = (idx.imgs[p] as number) + (idx.imgs[i] as number)
    idx.lis[p] = (idx.lis[p] as number) + (idx.lis[i] as number)
    idx.inputs[p] = (idx.inputs[p] as number) + (idx.inputs[i] as number)
    idx.embeds[p] = (idx.embeds[p] as number) + (idx.embeds[i] as number)
    if (BLOCK_TAGS.has(name)) {
      idx.blockKids[p] = (idx.blockKids[p] as number) + 1
    } else {
      idx.inline[p] = (idx.inline[p] as number) + (idx.inline[i] as number)
      idx.inlineLink[p] = (idx.inlineLink[p] as number) + (idx.inlineLink[i] as number)
      idx.inlinePunct[p] = (idx.inlinePunct[p] as number) + (idx.inlinePunct[i] as number)
    }
  }
  return idx
}

/**
 * Where an indexed element's children are in the index, in `children` order: `out[k]` is the position
 * of `children[k]`, or -1 for a child the index left out (text, scripts, dropped furniture). Indexed
 * children appear in the index in document order, each after the previous one's subtree, so this is a
 * merge rather than a lookup. Fills `out[0]` to `out[children.length - 1]` and returns `out`: walkers
 * reuse one array, so it is never shortened (entries past the children are stale).
 */
export function childPositions(idx: TreeIndex, i: number, out: number[] = []): number[] {
  const kids = (idx.nodes[i] as Element).children
  const end = idx.end[i] as number
  let j = i + 1
  for (let k = 0; k < kids.length; k++) {
    if (j < end && idx.nodes[j] === kids[k]) {
      out[k] = j
      j = idx.end[j] as number
    } else out[k] = -1
  }
  return out
}

/** Link density of an indexed element: link characters over all characters (0 for an empty element). */
export function linkDensity(idx: TreeIndex, i: number): number {
  const t = idx.text[i] as number
  return t > 0 ? (idx.link[i] as number) / t : 0
}

/**
 * Text length that weighs CJK characters like the few Latin letters they stand for, so one threshold
 * serves both scripts: a 40-character Chinese sentence is as long as a 120-letter English one.
 */
export function weightedLength(chars: number, cjk: number): number {
  return chars + cjk * 2
}

/** Text of a subtree (iterative, skipping scripts), with a space at block boundaries. */
export function textOf(root: Element): string {
  const out: string[] = []
  const stack: AnyNode[] = [root]
  while (stack.length > 0) {
    const node = stack.pop() as AnyNode
    if (node.type === 'text') {
      out.push((node as Text).data)
      continue
    }
    if (!isElement(node) || SKIP_TAGS.has(node.name)) continue
    if (node.name === 'br' || BLOCK_TAGS.has(node.name)) out.push(' ')
    for (let k = node.children.length - 1; k >= 0; k--) stack.push(node.children[k] as AnyNode)
  }
  return out.join('')
}

/**
 * All text below a node, scripts included: what cheerio's `.text()` (domutils `textContent`) returns,
 * without its recursion (which overflows the stack on deep pages) or a wrapper object per call.
 */
export function textContent(root: AnyNode): string {
  if (root.type === 'text') return (root as Text).data
  let out = ''
  const stack: AnyNode[] = [root]
  while (stack.length > 0) {
    const node = stack.pop() as AnyNode
    if (node.type === 'text') {
      out += (node as Text).data
      continue
    }
    if (node.type === 'comment') continue
    const kids = (node as { children?: AnyNode[] }).children
    if (kids) for (let k = kids.length - 1; k >= 0; k--) stack.push(kids[k] as AnyNode)
  }
  return out
}

/** Text of the first `<figcaption>` inside a figure, or null. */
export function figcaptionText(figure: Element): string | null {
  const stack: AnyNode[] = [...figure.children]
  while (stack.length > 0) {
    const node = stack.pop() as AnyNode
    if (!isElement(node)) continue
    if (node.name === 'figcaption') return collapseWhitespace(textOf(node)) || null
    for (const kid of node.children) stack.push(kid)
  }
  return null
}

/** Rows of a table as cell elements, not descending into nested tables. */
export function tableRows(table: Element): Element[][] {
  const rows: Element[][] = []
  const stack: AnyNode[] = [...table.children].reverse()
  while (stack.length > 0) {
    const node = stack.pop() as AnyNode
    if (!isElement(node) || node.name === 'table') continue
    if (node.name === 'tr') {
      rows.push(node.children.filter((c): c is Element => isElement(c) && (c.name === 'td' || c.name === 'th')))
      continue
    }
    for (let k = node.children.length - 1; k >= 0; k--) stack.push(node.children[k] as AnyNode)
  }
  return rows
}

/**
 * Data table or layout table? Layout tables (old portals wrap whole pages in them) are walked like
 * containers; data tables become one `table` block. The cues are Readability's.
 */
export function isDataTable(table: Element): boolean {
  const a = table.attribs
  if (a.role === 'presentation' || a.datatable === '0') return false
  if (a.summary) return true
  const rows = tableRows(table)
  let cols = 0
  let hasTh = false
  for (const r of rows) {
    cols = Math.max(cols, r.length)
    if (r.some((c) => c.name === 'th')) hasTh = true
  }
  if (hasNested(table)) return false
  if (hasTh) return true
  if (rows.length <= 1 || cols <= 1) return false
  if (rows.length >= 10 || cols > 4) return true
  return rows.length * cols > 10
}

// --- Internal helpers ---

const PARSE_OPTIONS = { lowerCaseTags: true, lowerCaseAttributeNames: true, decodeEntities: true } as const

/** A DOM handler that shows each element to a callback once it is in the tree. */
class VisitingHandler extends DomHandler {
  readonly #onOpen: (el: Element) => void

  constructor(onOpen: (el: Element) => void) {
    super()
    this.#onOpen = onOpen
  }

  override onopentag(name: string, attribs: { [key: string]: string }): void {
    super.onopentag(name, attribs)
    this.#onOpen(this.tagStack[this.tagStack.length - 1] as Element)
  }
}

/** Whether a table holds nested tables, paragraphs or divs (layout, not data). */
function hasNested(table: Element): boolean {
  const stack: AnyNode[] = [...table.children]
  while (stack.length > 0) {
    const node = stack.pop() as AnyNode
    if (!isElement(node)) continue
    if (node.name === 'table' || node.name === 'p' || node.name === 'div') return true
    for (const kid of node.children) stack.push(kid)
  }
  return false
}
