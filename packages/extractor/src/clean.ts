/**
 * Turning the chosen containers into typed blocks and images. One iterative walk drops furniture inside
 * the article (share bars, related-teaser lists, comment boxes, link farms: Readability's "conditional
 * cleaning" on the precomputed counts), splits text at block boundaries and at `<br>` (Chinese portals
 * often have no `<p>` markup), types each block (heading, list item, quote, code, caption, table) and
 * keeps a safe inline-HTML rendering of it for the article HTML.
 */
import type { AnyNode, Element, Text } from 'domhandler'
import {
  BLOCK_TAGS,
  childPositions,
  figcaptionText,
  isDataTable,
  isElement,
  isHidden,
  linkDensity,
  SKIP_TAGS,
  type TreeIndex,
  tableRows,
  textOf,
  textStats,
  weightedLength,
} from './dom.js'
import {
  collapseWhitespace,
  escapeText,
  INLINE_ALLOWED,
  imageSource,
  isTinyImage,
  openInline,
  safeUrl,
} from './html.js'
import { classWeight } from './score.js'
import type { ArticleImage, BlockKind } from './types.js'

/** A block as the walk found it, before text-level clean-up. */
export interface RawBlock {
  kind: BlockKind
  text: string
  level?: number
  /** Safe inline HTML of the block (for tables: the whole `<table>`). */
  html: string
  /** `ul`/`ol` for list items. */
  list?: 'ul' | 'ol'
  /** Non-space characters and how many of them are link text. */
  chars: number
  linkChars: number
  /** CJK characters, for length thresholds that serve both scripts. */
  cjk: number
  /** The element (or its class/style) hints at a caption: "caption", "desc", centred text. */
  captionHint: boolean
}

/** What the walk yields, in reading order. */
export type Item = { type: 'block'; block: RawBlock } | { type: 'image'; image: ArticleImage }

/** What `collectItems` needs besides the containers. */
export interface CollectContext {
  idx: TreeIndex
  scores: Float64Array
  /** Prose characters per element (see `ContentPick.prose`). */
  prose: Float64Array
  base: URL | null
  /** Elements conditional cleaning must keep (the best candidate and its chain up to the root). */
  protect: ReadonlySet<number>
  /** Walk into hidden elements (the fallback pass indexed them). */
  keepHidden: boolean
}

/**
 * Walk the article containers (their positions in `ctx.idx`) and return their blocks and images in reading
 * order. Never recursive: 10,000-deep nesting is just a long stack array.
 */
export function collectItems(roots: readonly number[], ctx: CollectContext): Item[] {
  const w = new Walker(ctx)
  for (const at of roots) w.run(at)
  w.flush()
  return assignCaptions(w.items)
}

/**
 * Cut the body at a "related articles" label (相关新闻, 推荐阅读, 为你推荐, Related stories, You may also
 * like, …) in its latter part: what follows such a label is teasers for other pages, which read like prose
 * and so survive the structural cleaning. Near the top, only the label and its linked entries go. An
 * editor's credit (责任编辑：…) in the latter half ends the body too.
 */
export function cutAtRelated(items: Item[]): Item[] {
  let total = 0
  for (const it of items) if (it.type === 'block') total += blockLength(it.block)
  let seen = 0
  for (let k = 0; k < items.length; k++) {
    const it = items[k] as Item
    if (it.type !== 'block') continue
    const b = it.block
    // Chinese portals close the article with the editor's credit; what follows is the portal's.
    if (seen >= total * 0.5 && blockLength(b) <= 80 && EDITOR_CREDIT.test(b.text)) return items.slice(0, k + 1)
    if (blockLength(b) <= 60 && RELATED_LABEL.test(b.text)) {
      if (seen >= total * 0.3) return items.slice(0, k)
      // A related box near the top (floated into the article): drop the label and its linked entries.
      let end = k + 1
      for (; end < items.length; end++) {
        const next = items[end] as Item
        if (next.type === 'block' && !(next.block.linkChars > next.block.chars / 2)) break
      }
      return [...items.slice(0, k), ...cutAtRelated(items.slice(end))]
    }
    seen += blockLength(b)
  }
  return items
}

/**
 * Drop the short lines that sit inside article containers without being article: datelines ("Updated
 * Nov 19, 6:55 AM"), photo credits, "Read more: …" teaser links, share prompts and comment counters.
 * With `keepDates`, date lines stay for the text clean-up, which takes the publication date from them.
 */
export function dropFurnitureLines(items: Item[], keepDates = false): Item[] {
  return items.filter((it) => {
    if (it.type !== 'block') return true
    const b = it.block
    if (b.kind === 'table' || b.kind === 'code' || b.kind === 'quote' || blockLength(b) > 160) return true
    const t = b.text
    // Nothing but symbols: mis-decoded emoji (U+FFFD runs), dingbats, separators.
    if (!LETTER_OR_DIGIT.test(t)) return false
    if (b.linkChars > 0 && TEASER_PREFIX.test(t)) return false
    if (CHROME_LINE.test(t) || CREDIT.test(t) || ORIGINAL_TITLE.test(t)) return false
    if (keepDates) return true
    const rest = t.replace(DATELINE, '')
    // "Updated Nov 19, 6:55 AM; Posted Nov 19, 6:51 AM" has several dates: check each part on its own.
    return !rest.split(/[;|]/).every((part) => isOnlyDate(part.replace(DATELINE, '')))
  })
}

/** Weighted length of a raw block (CJK characters count three). */
export function blockLength(b: RawBlock): number {
  return weightedLength(b.chars, b.cjk)
}

// --- Internal helpers ---

const CONDITIONAL: ReadonlySet<string> = new Set([
  'div',
  'section',
  'ul',
  'ol',
  'dl',
  'table',
  'form',
  'aside',
  'header',
  'footer',
  'center',
  'nav',
])
const RELATED_LABEL =
  /^[\s【[]*(相关(新闻|阅读|文章|推荐|报道|链接|专题)|推荐(阅读|文章|新闻)|为你推荐|热门(推荐|文章|新闻)|延伸阅读|猜你喜欢|更多(精彩|阅读|新闻|文章)|热点推荐|往期(回顾|推荐)|related( articles| stories| posts| content| coverage| news| reading)?|read (more|next)|more (from|on|stories|news)\b.*|you (may|might) (also )?(like|enjoy)|recommended( for you| stories| reading)?|trending( now)?|most (read|popular))[\s:：】\].…]*$/i
const EDITOR_CREDIT = /^[\s（(【[]*(责任编辑|责编|編輯|责任編輯|編審)\s*[:：|｜]/
/** "(原标题：…)": the republished story's former headline, metadata rather than text. */
const ORIGINAL_TITLE = /^[\s（(【[]*(本文)?原标题\s*[:：]/
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u
const TEASER_PREFIX =
  /^(read more|related|see also|see more|also|more|watch|listen|recommended|read next|相关|延伸阅读|推荐阅读)\s*[:：]/i
const CHROME_LINE =
  /^(advertisement|advertising|sponsored( content)?|(reading time|tempo de leitura|filed under|tags?)\s*[:：].*|\d+\s*min(ute)?s?\s*read|share( this( article| story| post)?)?|sharing is caring!?|\d*\s*comments?|tweet|print|email|(like this story\?\s*)?share it with a friend!?|广告|分享到?[:：]?|打印|收藏|评论|点赞)$/i
const DATELINE =
  /^\s*(updated|posted|published|first published|last updated|modified|date|发布时间|发布于|更新时间|发表时间|时间)(\s+on)?\s*[:：]?\s*/i
const CREDIT =
  /^[(（]?(photo|image|picture|credit|source|图片来源|图源|来源[:：]\s*网络)s?\s*[:：]|getty images[)）]?$|shutterstock[)）]?$|associated press[)）]?$|\bap photo\b|reuters[)）]?$|\bafp\b[)）]?$|credit:\s*\S+.{0,40}$|供图[)）]?$|摄[)）]?$|^(资料图片?|网络图片|视频截图)$/i
const DATE_TOKENS =
  /(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec|monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun)\.?|\d+(st|nd|rd|th)?|(am|pm|a\.m\.|p\.m\.)\b|\b(est|pst|edt|pdt|cst|cdt|gmt|utc|bst|ist|at|on|by)\b|年|月|日|时|分|[\s,.:;|/\-–—()·]/gi
const STRONG_NEGATIVE =
  /comment|reply|replies|related|share|social|sidebar|footer|sponsor|promo|outbrain|taboola|newsletter|subscribe|recommend|breadcrumb|caption|gallery|slide|carousel|byline|author|poll|rating|disclaimer|copyright/
const CAPTION_HINT = /caption|desc|note|credit|pic|photo|img|image|figure|tuzhu|图/
const CENTER = /text-align\s*:\s*center/i

interface Context {
  kind: BlockKind
  level?: number
  list?: 'ul' | 'ol'
}

type ExitKind = 'block' | 'inline' | 'pre' | 'link' | 'figure'

class Walker {
  readonly items: Item[] = []
  readonly #ctx: CollectContext
  #text: string[] = []
  #html: string[] = []
  #chars = 0
  #linkChars = 0
  #cjk = 0
  #links = 0
  #pre = 0
  /** Open `<strong>`/`<b>` elements, and how many pending characters sit inside them. */
  #bold = 0
  #boldChars = 0
  /** Open allowlisted inline tags, re-opened when a `<br>` splits a block inside them. */
  #open: Array<[string, string]> = []
  #contexts: Context[] = [{ kind: 'paragraph' }]
  #blockEls: Element[] = []
  #figures: Element[] = []

  constructor(ctx: CollectContext) {
    this.#ctx = ctx
  }

  #rootIndex = -1

  /** Walk the container at index position `at`. */
  run(at: number): void {
    const idx = this.#ctx.idx
    const root = idx.nodes[at] as Element
    this.#rootIndex = at
    // Parallel stacks rather than a frame object per node: a node to enter (`null` step) or, below its
    // children, the element to leave and how; and the node's position in the index (-1 when left out).
    const nodes: AnyNode[] = [root]
    const exits: Array<ExitKind | null> = [null]
    const positions: number[] = [at]
    const kidPositions: number[] = []
    while (nodes.length > 0) {
      const node = nodes.pop() as AnyNode
      const exit = exits.pop() as ExitKind | null
      const i = positions.pop() as number
      if (exit !== null) {
        this.#leave(node as Element, exit)
        continue
      }
      if (node.type === 'text') {
        this.#addText((node as Text).data)
        continue
      }
      if (!isElement(node)) continue
      const kind = this.#enter(node, i, node === root)
      if (kind === null) continue
      nodes.push(node)
      exits.push(kind)
      positions.push(i)
      const kids = node.children
      childPositions(idx, i, kidPositions)
      for (let k = kids.length - 1; k >= 0; k--) {
        nodes.push(kids[k] as AnyNode)
        exits.push(null)
        positions.push(kidPositions[k] as number)
      }
    }
  }

  /** Emit the pending inline text as a block. */
  flush(): void {
    // Most flushes (every block boundary) find nothing pending: build no strings for them.
    if (this.#chars > 0) this.#emit()
    // Emptied in place: a flush runs at every block boundary, and new arrays for each were garbage.
    this.#text.length = 0
    this.#html.length = 0
    for (const [, open] of this.#open) this.#html.push(open)
    this.#chars = 0
    this.#linkChars = 0
    this.#cjk = 0
    this.#boldChars = 0
  }

  #emit(): void {
    const closing = this.#open.map(([name]) => `</${name}>`).reverse()
    const raw = this.#text.join('')
    const text = this.#pre > 0 ? raw.replace(/^\n+|\s+$/g, '') : collapseWhitespace(raw)
    if (text !== '') {
      const c = this.#innermost()
      const el = this.#blockEls[this.#blockEls.length - 1]
      const block: RawBlock = {
        kind: c.kind,
        text,
        html: (this.#html.join('') + closing.join('')).trim(),
        chars: this.#chars,
        linkChars: this.#linkChars,
        cjk: this.#cjk,
        captionHint: el !== undefined && captionHint(el),
      }
      if (c.level !== undefined) block.level = c.level
      if (c.list !== undefined) block.list = c.list
      if (c.kind === 'paragraph' && c.list === undefined && this.#boldChars === this.#chars && isHeadingLike(block)) {
        // A short, all-bold line that is not a sentence is a sub-heading on portals that style <p> as one.
        block.kind = 'heading'
        block.level = 3
      }
      this.items.push({ type: 'block', block })
    }
  }

  #innermost(): Context {
    return this.#contexts[this.#contexts.length - 1] as Context
  }

  #addText(data: string): void {
    const st = textStats(data)
    this.#text.push(data)
    this.#html.push(escapeText(this.#pre > 0 ? data : data.replace(/[\s\u00a0]+/g, ' ')))
    this.#chars += st.chars
    this.#cjk += st.cjk
    if (this.#links > 0) this.#linkChars += st.chars
    if (this.#bold > 0) this.#boldChars += st.chars
  }

  /** Returns how to close the element, or null to skip it (and its subtree). */
  #enter(el: Element, i: number, isRoot: boolean): ExitKind | null {
    const name = el.name
    if (SKIP_TAGS.has(name) || (!this.#ctx.keepHidden && isHidden(el))) return null
    if (name === 'br') {
      this.flush()
      return null
    }
    if (name === 'img') {
      this.#image(el)
      return null
    }
    if (name === 'hr') {
      this.flush()
      return null
    }
    // Not indexed: an unlikely-furniture subtree the index dropped.
    if (i < 0) return null
    if (!isRoot && !this.#ctx.protect.has(i) && this.#dropInContent(el, i)) return null
    if (name === 'table' && isDataTable(el)) {
      this.flush()
      this.#table(el)
      return null
    }
    if (BLOCK_TAGS.has(name)) {
      this.flush()
      this.#blockEls.push(el)
      this.#contexts.push(contextFor(el, this.#innermost()))
      if (name === 'pre') {
        this.#pre++
        return 'pre'
      }
      if (name === 'figure') {
        this.#figures.push(el)
        return 'figure'
      }
      return 'block'
    }
    if (INLINE_ALLOWED.has(name)) {
      const open = openInline(el, this.#ctx.base)
      if (name === 'a') this.#links++
      if (name === 'strong' || name === 'b') this.#bold++
      if (open === null) return name === 'a' ? 'link' : 'inline'
      this.#html.push(open)
      this.#open.push([name, open])
      return name === 'a' ? 'link' : 'inline'
    }
    return 'inline'
  }

  #leave(el: Element, kind: ExitKind): void {
    if (kind === 'inline' || kind === 'link') {
      if (kind === 'link') this.#links--
      if (el.name === 'strong' || el.name === 'b') this.#bold--
      const top = this.#open[this.#open.length - 1]
      if (top !== undefined && top[0] === el.name) {
        this.#open.pop()
        this.#html.push(`</${el.name}>`)
      }
      return
    }
    this.flush()
    if (kind === 'pre') this.#pre--
    if (kind === 'figure') this.#figures.pop()
    this.#blockEls.pop()
    this.#contexts.pop()
  }

  /**
   * Readability's conditional cleaning, on the index's counts: negative class weight plus content score,
   * link-heavy containers, more list items than paragraphs, forms, lone embeds, image galleries.
   */
  #dropInContent(el: Element, i: number): boolean {
    const name = el.name
    const idx = this.#ctx.idx
    if (/^h[1-6]$/.test(name)) return classWeight(el) < 0 || linkDensity(idx, i) > 0.5
    if (!CONDITIONAL.has(name)) return false
    if (name === 'table' || this.#figures.length > 0) return false
    const weight = classWeight(el)
    const score = this.#ctx.scores[i] as number
    // A container holding most of the chosen text, with few links, is the article whatever its class says
    // (page builders wrap every text in "widget" containers).
    const root = this.#rootIndex
    if (root >= 0 && (idx.text[i] as number) * 2 > (idx.text[root] as number) && linkDensity(idx, i) < 0.25)
      return false
    // Class names lie more often than text does: a block that is mostly link-free prose stays.
    // Not for classes naming prose-like furniture outright (comments, bios, captions, polls).
    const prosy =
      (this.#ctx.prose[i] as number) > 0.6 * (idx.text[i] as number) &&
      linkDensity(idx, i) < 0.2 &&
      !STRONG_NEGATIVE.test(`${el.attribs.class ?? ''} ${el.attribs.id ?? ''}`.toLowerCase())
    if (weight + score < 0 && !prosy) return true
    if ((idx.punct[i] as number) >= 10) return false
    const paras = idx.paras[i] as number
    const imgs = idx.imgs[i] as number
    const lis = (idx.lis[i] as number) - 100
    const inputs = idx.inputs[i] as number
    const embeds = idx.embeds[i] as number
    const ld = linkDensity(idx, i)
    const len = weightedLength(idx.text[i] as number, idx.cjk[i] as number)
    const isList = name === 'ul' || name === 'ol' || name === 'dl'
    if (imgs > 1 && paras / imgs < 0.5) return true
    if (!isList && lis > paras) return true
    if (inputs > Math.floor(paras / 3)) return true
    if (!isList && len < 25 && (imgs === 0 || imgs > 2)) return true
    if (weight < 25 && ld > 0.2) return true
    if (weight >= 25 && ld > 0.5) return true
    if ((embeds === 1 && len < 75) || embeds > 1) return true
    return false
  }

  #image(img: Element): void {
    if (isTinyImage(img)) return
    const src = safeUrl(imageSource(img), this.#ctx.base)
    if (src === null) return
    this.flush()
    const alt = img.attribs.alt !== undefined ? collapseWhitespace(img.attribs.alt) || null : null
    const figure = this.#figures[this.#figures.length - 1]
    const caption = figure === undefined ? null : figcaptionText(figure)
    this.items.push({ type: 'image', image: { src, alt, caption } })
  }

  #table(table: Element): void {
    const rows = tableRows(table)
    const html: string[] = ['<table>']
    const lines: string[] = []
    let chars = 0
    let cjk = 0
    for (const row of rows) {
      html.push('<tr>')
      const cells: string[] = []
      for (const cell of row) {
        const t = collapseWhitespace(textOf(cell))
        const st = textStats(t)
        chars += st.chars
        cjk += st.cjk
        cells.push(t)
        const tag = cell.name === 'th' ? 'th' : 'td'
        html.push(`<${tag}>${escapeText(t)}</${tag}>`)
      }
      html.push('</tr>')
      if (cells.some((c) => c !== '')) lines.push(cells.join(' | '))
    }
    html.push('</table>')
    if (chars === 0) return
    const block: RawBlock = {
      kind: 'table',
      text: lines.join('\n'),
      html: html.join(''),
      chars,
      linkChars: 0,
      cjk,
      captionHint: false,
    }
    this.items.push({ type: 'block', block })
  }
}

/** Short, link-free, and not ending like a sentence: what a sub-heading looks like. */
/** A line made of nothing but a date and a time. */
function isOnlyDate(t: string): boolean {
  if (t.length > 60 || !/\d/.test(t) || t.replace(DATE_TOKENS, '') !== '') return false
  // Digits alone could be a phone number or a score: a date also names a month or has a y-m-d shape.
  return /[a-z年月日]/i.test(t) || /\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}/.test(t)
}

function isHeadingLike(b: RawBlock): boolean {
  const len = blockLength(b)
  return len >= 4 && len <= 90 && b.linkChars === 0 && !/[。！？!?.;；，,：:…"”]$/.test(b.text)
}

function contextFor(el: Element, outer: Context): Context {
  const name = el.name
  if (name.length === 2 && name[0] === 'h' && name[1] !== undefined && name[1] >= '1' && name[1] <= '6') {
    return { kind: 'heading', level: Number(name[1]) }
  }
  if (name === 'li') {
    const list = outer.list ?? 'ul'
    return { kind: 'list-item', list }
  }
  if (name === 'ul' || name === 'ol') return { kind: outer.kind === 'quote' ? 'quote' : 'paragraph', list: name }
  if (name === 'blockquote') return { kind: 'quote' }
  if (name === 'pre') return { kind: 'code' }
  if (name === 'figcaption' || name === 'caption') return { kind: 'caption' }
  // Paragraphs and containers inherit the enclosing quote/list item/caption; a plain container is prose.
  if (outer.kind === 'quote' || outer.kind === 'caption' || outer.kind === 'list-item' || outer.kind === 'code') {
    return outer
  }
  return outer.list === undefined ? { kind: 'paragraph' } : { kind: 'paragraph', list: outer.list }
}

function captionHint(el: Element): boolean {
  const ci = `${el.attribs.class ?? ''} ${el.attribs.id ?? ''}`.toLowerCase()
  if (ci.length > 1 && CAPTION_HINT.test(ci)) return true
  return el.attribs.style !== undefined && CENTER.test(el.attribs.style) ? true : el.attribs.align === 'center'
}

/**
 * An image without a figcaption takes the short, caption-like paragraph right below it ("图为…",
 * centred text, a class saying caption): that block becomes a `caption`.
 */
function assignCaptions(items: Item[]): Item[] {
  for (let k = 0; k < items.length - 1; k++) {
    const it = items[k] as Item
    const next = items[k + 1] as Item
    if (it.type !== 'image' || it.image.caption !== null || next.type !== 'block') continue
    const b = next.block
    if (b.kind === 'caption') {
      it.image.caption = b.text
      continue
    }
    if (b.kind !== 'paragraph' || b.linkChars > b.chars / 2) continue
    const len = blockLength(b)
    // Without a hint (centred, a caption-ish class) only a short line that is not a sentence qualifies.
    const sentence = /[。！？!?.]$/.test(b.text)
    if (b.captionHint ? len <= 150 : len <= 80 && !sentence) {
      b.kind = 'caption'
      it.image.caption = b.text
    }
  }
  return items
}
