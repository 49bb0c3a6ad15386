/**
 * Text-level clean-up of the body blocks the core found. Portals leave noise *inside* the article
 * container: a watermark glued to every paragraph, per-character pinyin, share counters, disclaimers,
 * contact spam, and credit lines at the edges that belong in metadata rather than in the text.
 */
import { isCreditsLine, parseBylineLine, parseCredits, parseLabelledLine, splitNames } from './byline.js'
import { findDate } from './dates.js'
import type { Block } from './types.js'

/** What `cleanBlocks` took out of the body and moved into metadata. */
export interface CleanedBlocks {
  blocks: Block[]
  byline: string[]
  editors: string[]
  source: string | null
  publishedAt: string | null
  /** The watermark stripped from the blocks, if one was found. */
  watermark?: string | null
}

/** Options for `cleanBlocks`. */
export interface CleanBlocksOptions {
  /** Zone for a date line without one. @default '+08:00' when the blocks contain CJK, else 'Z' */
  defaultOffset?: string
  /** The article title: a first heading repeating it is dropped. @default null */
  title?: string | null
  /** How many blocks at each edge are searched for credit, date and disclaimer lines. @default 8 */
  edgeBlocks?: number
}

/**
 * Text-level clean-up of the body blocks: watermarks repeated across blocks, per-character pinyin
 * annotations, share counters, copyright/disclaimer lines, and metadata lines at the edges of the body
 * (记者 …, 编辑: …, a trailing (王梦菲 王艳艳)) moved into metadata. Real prose is kept: a line is only
 * removed when all of it is a credit, a date, a counter or boilerplate.
 * @example
 * ```ts
 * const { blocks, byline, editors } = cleanBlocks([{ kind: 'paragraph', text: '记者 张三' }, …])
 * ```
 */
export function cleanBlocks(blocks: Block[], options: CleanBlocksOptions = {}): CleanedBlocks {
  const title = options.title ?? null
  const edge = options.edgeBlocks ?? 8
  const out: CleanedBlocks = { blocks: [], byline: [], editors: [], source: null, publishedAt: null, watermark: null }

  let texts = blocks.map((b) => tidy(b.text))
  // Chinese text without a zone is China time; anything else is taken as UTC.
  const offset = options.defaultOffset ?? (texts.some((t) => CJK_CHAR.test(t)) ? '+08:00' : 'Z')
  const watermark = findRepeatedAffix(texts, 'suffix') ?? findRepeatedAffix(texts, 'prefix')
  const kinds = blocks.map((b) => ({ kind: b.kind, level: b.level }))
  if (watermark) {
    out.watermark = watermark
    texts = texts.map((t, i) => {
      if (!t.includes(watermark)) return t
      const left = tidy(t.split(watermark).join(' '))
      // `<p><strong>龙头拉动,</strong>watermark</p>` was a paragraph only because of the watermark:
      // what is left, short and without a sentence end, is the section heading the page shows.
      if (kinds[i]?.kind === 'paragraph' && left.length <= 25 && !/[。！？!?.]$/.test(left)) {
        kinds[i] = { kind: 'heading', level: 2 }
      }
      return left
    })
  }
  texts = stripPinyin(texts).map(stripSeparators)

  // A loop rather than `flatMap`, which showed in profiles at one small array per block.
  let items: Block[] = []
  for (let i = 0; i < blocks.length; i++) {
    for (const b of splitJoinedParagraphs(withText(blocks[i] as Block, kinds[i], texts[i] ?? ''))) {
      if (b.text && !SHARE.test(b.text) && !isSeparatorsOnly(b.text)) items.push(b)
    }
  }

  const merge = (c: { byline: string[]; editors: string[]; source: string | null; publishedAt: string | null }) => {
    out.byline.push(...c.byline)
    out.editors.push(...c.editors)
    out.source ??= c.source
    out.publishedAt ??= c.publishedAt
  }

  // Leading edge: datelines, credits and bylines before the first real paragraph.
  // A heading (the repeated title, a kicker) may sit above the credit lines: look past it, keep it.
  const leading: typeof items = []
  let start = 0
  while (start < Math.min(items.length, edge)) {
    const item = items[start]
    if (!item) break
    const meta = metaLine(item.text, offset)
    if (meta) {
      merge(meta)
      // Headings above a credits line are the article header (the title repeated), not body.
      leading.length = 0
    } else if (title && start === 0 && item.kind === 'heading' && sameText(item.text, title)) {
      // The repeated title; compared after the pinyin strip, which the caller's title also had.
    } else if (item.kind === 'heading' && item.text.length <= 60) leading.push(item)
    else if (!ORIGINAL_TITLE.test(item.text)) break
    start++
  }
  items = [...leading, ...items.slice(start)]
  const lead = items[0]
  if (lead) {
    // `本报讯(记者 张三 通讯员 李四)…` opens the first paragraph: keep the prose, take the names.
    const m = /^.{0,24}?[(（]((?:本报|本台)?(?:记者|記者|通讯员|通訊員)[^()（）]{2,40})[)）]/.exec(lead.text)
    if (m?.[1]) out.byline.push(...(parseBylineLine(m[1]) ?? []))
  }

  // Trailing edge: credits glued to the last paragraph, then credit, date, disclaimer and contact lines.
  let end = items.length
  while (end > 0 && items.length - end < edge) {
    const block = items[end - 1]
    if (!block) break
    const cut = cutTrailingCredits(block.text, offset)
    if (cut) {
      merge(cut.credits)
      block.text = cut.text
      if (!block.text) {
        end--
        continue
      }
    }
    const meta = metaLine(block.text, offset)
    if (meta) merge(meta)
    if (meta || isBoilerplate(block.text)) {
      end--
      continue
    }
    const tail = cutTrailingParenthesis(block.text)
    if (tail) {
      merge(tail.credits)
      block.text = tail.text
      // A `(趙藝丹)` that was a block of its own leaves nothing: look at the paragraph before it.
      if (!block.text) {
        end--
        continue
      }
    }
    break
  }
  out.blocks = keepLayout(
    items.slice(0, end).filter((b) => b.text),
    blocks,
  )
  out.byline = [...new Set(out.byline)]
  out.editors = [...new Set(out.editors)]
  return out
}

/**
 * The watermark glued to the end (or start) of many blocks: the longest affix of at least 8
 * characters shared by at least 3 blocks and 60% of them. General on purpose: no list of known sites.
 */
export function findRepeatedAffix(texts: string[], side: 'suffix' | 'prefix'): string | null {
  const n = texts.filter((t) => t.length > 0).length
  const need = Math.max(3, Math.ceil(n * 0.6))
  if (n < 3) return null
  const take = (t: string, len: number): string => (side === 'suffix' ? t.slice(-len) : t.slice(0, len))
  const counts = new Map<string, number>()
  for (const t of texts) {
    if (t.length < 6) continue
    const key = take(t, 6)
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  const [seed, seedCount] = mostFrequent(counts)
  if (seedCount < need) return null

  // Grow one character at a time while most carriers still agree; stop where the prose begins,
  // which is where the preceding characters start to differ.
  let affix = seed
  for (;;) {
    const next = new Map<string, number>()
    for (const t of texts) {
      const has = side === 'suffix' ? t.endsWith(affix) : t.startsWith(affix)
      if (!has || t.length <= affix.length) continue
      const grown = take(t, affix.length + 1)
      next.set(grown, (next.get(grown) ?? 0) + 1)
    }
    const [grown, count] = mostFrequent(next)
    if (!grown || count < Math.max(need, seedCount * 0.8) || affix.length >= 80) break
    // Sentence punctuation and quotes belong to the prose the watermark is glued to.
    const added = side === 'suffix' ? grown[0] : grown.at(-1)
    if (affix.length >= 8 && added && PROSE_EDGE.test(added)) break
    affix = grown
  }
  const trimmed = affix.trim()
  // Identical blocks (a pasted paragraph repeated) share everything; a watermark leaves prose behind.
  const carriers = texts.filter((t) => t.length > trimmed.length + 1 && t.includes(trimmed)).length
  // A suffix ending a sentence is the prose's own last clause, not something glued after it.
  if (side === 'suffix' && /[。！？!?]$/.test(trimmed)) return null
  return trimmed.length >= 8 && carriers >= need / 2 ? trimmed : null
}

/**
 * Drop per-character pinyin (`會(huì)議` -> `會議`) when the page does it repeatedly (3+ times); a
 * single `(mi)` after a character may be real text.
 */
export function stripPinyin(texts: string[]): string[] {
  const keep = (before: string, py: string): boolean => !isPinyin(py) || !(CJK_CHAR.test(before) || TONE_MARK.test(py))
  const total = texts.reduce(
    (n, t) => n + [...t.matchAll(PINYIN)].filter((m) => !keep(m[1] ?? '', m[2] ?? '')).length,
    0,
  )
  if (total < 3) return texts
  // After a CJK character any syllable goes; after anything else (mojibake like `橘|(zhì)`) only one
  // with a tone mark, which plain text never has: `(NMPA)` and `(caiMR)` stay.
  return texts.map((t) => t.replace(PINYIN, (all, before: string, py: string) => (keep(before, py) ? all : before)))
}

/**
 * Paragraphs a page printed as one text run joined by single spaces (seed 001), split back apart. A
 * space between CJK characters is not how Chinese prose is written, so it marks a break when it follows
 * a sentence end; a short punctuation-free run between two breaks is a section heading. Blocks with
 * fewer than three such sentence-end breaks are left alone: their spaces are inside sentences.
 */
export function splitJoinedParagraphs(block: Block): Block[] {
  if (block.kind !== 'paragraph' || block.text.length < 300) return [block]
  const pieces = block.text.split(JOIN_SPACE)
  if (pieces.length < 3) return [block]
  const out: Block[] = []
  let buffer = ''
  let breaks = 0
  pieces.forEach((piece, i) => {
    const last = i === pieces.length - 1
    if (!buffer && !last && HEADING_LIKE.test(piece)) {
      out.push({ kind: 'heading', text: piece, level: 2 })
      return
    }
    buffer = buffer ? `${buffer} ${piece}` : piece
    if (SENTENCE_END.test(buffer) || last) {
      if (!last) breaks++
      out.push({ kind: 'paragraph', text: buffer })
      buffer = ''
    }
  })
  return breaks >= 3 ? out : [block]
}

/** Whether a token is one pinyin syllable, with tone marks or a tone digit (`huì`, `qu1`, `lü4`). */
export function isPinyin(token: string): boolean {
  const plain = token
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/ü|u:/g, 'v')
    .replace(/[1-5]$/, '')
  return (
    /^(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?[aeiouv]{1,3}(?:ng|n|r)?$/.test(plain) || /^(?:ng|hm|hng|m|n)$/.test(plain)
  )
}

// --- Internal helpers ---

/**
 * The entry with the highest count, the first inserted among equals (what a stable sort by count would
 * put first), or `['', 0]` for an empty map.
 */
function mostFrequent(counts: ReadonlyMap<string, number>): [string, number] {
  let best: [string, number] = ['', 0]
  let found = false
  for (const [key, count] of counts) {
    if (!found || count > best[1]) best = [key, count]
    found = true
  }
  return best
}

const PROSE_EDGE = /[。，、！？；：,.!?;:…“”‘’"']/
const PINYIN = /([^\s(（])[(（]([a-zA-ZüÜāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ:]{1,7}[1-5]?)[)）]/g
const CJK_CHAR = /[\u3400-\u9fff]/
/** A single space with CJK (or CJK punctuation) on both sides. */
const JOIN_SPACE =
  /(?<=[\u3400-\u9fff\u3000-\u303f\uff01-\uff0f\uff1a-\uff1f”’」』）)]) (?=[\u3400-\u9fff“‘「『（(0-9])/
const SENTENCE_END = /[。！？!?…](?:[”’」』"'])?$/
const HEADING_LIKE = /^[\u3400-\u9fff“”"、·]{4,30}$/
const TONE_MARK = /[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ]/
/** Share counters and widget labels: `0 分享至`, `分享给朋友:`, `打印本页`. */
const SHARE =
  /^(?:\d+\s*)?(?:分享(?:至|到|给朋友|給朋友)?|转发|轉發|收藏|点赞|點讚|打印(?:本页|本頁)?|关闭(?:窗口)?|關閉|返回顶部|字体[:：]?\s*[大中小\s]*)[:：]?\s*$/
const ORIGINAL_TITLE = /^原标题[:：]|^原標題[:：]/
const DISCLAIMER =
  /^(?:[【[]?\s*(?:版权声明|版權聲明|免责声明|免責聲明|特别声明|特別聲明|声明|聲明)\s*[】\]]?\s*[:：]?)|^(?:copyright|©|\(c\)|版权所有|版權所有|本文仅代表|本文僅代表|本文来源于网络|转载请|轉載請|未经授权|未經授權|如有侵权|如有侵權)|不代表本(?:站|网|網|平台)|版权归|版權歸|仅供参考|僅供參考/i
const PHONE = /(?<!\d)(?:1[3-9]\d{9}|400[-\s]?\d{3,4}[-\s]?\d{3,4}|0\d{2,3}-\d{7,8})(?!\d)/
const CONTACT =
  /微信号|微信號|微信[:：/]|公众号[:：]|QQ群?[:：号號]|扫一扫|掃一掃|长按|長按|二维码|二維碼|联系人|聯繫人|手机号|手機號|联系电话|聯繫電話|联系方式|聯繫方式|咨询热线|諮詢熱線|加微信/i

function sameText(a: string, b: string): boolean {
  const norm = (s: string): string => s.toLowerCase().replace(/[\s\p{P}\p{S}]+/gu, '')
  return norm(a) === norm(b)
}

function withText(
  b: Block,
  kind: { kind: Block['kind']; level?: number | undefined } | undefined,
  text: string,
): Block {
  const k = kind ?? b
  return k.level === undefined ? { kind: k.kind, text } : { kind: k.kind, text, level: k.level }
}

/**
 * The clean-up works on whitespace-collapsed text, but in code and tables the line breaks are the content:
 * such a block gets its original text back when nothing but whitespace changed.
 */
function keepLayout(cleaned: Block[], original: readonly Block[]): Block[] {
  const byText = new Map<string, string>()
  for (const b of original) if (b.kind === 'code' || b.kind === 'table') byText.set(tidy(b.text), b.text)
  if (byText.size === 0) return cleaned
  return cleaned.map((b) => {
    const text = b.kind === 'code' || b.kind === 'table' ? byText.get(b.text) : undefined
    return text === undefined ? b : { ...b, text }
  })
}

function tidy(text: string): string {
  return text.replace(/[\s\u00a0\u3000]+/g, ' ').trim()
}

/** Stray `|` separators at the edges of a block (mirror sites print them between credits). */
function stripSeparators(text: string): string {
  // What `text.replace(/^(?:[|｜]\s*)+|(?:\s*[|｜])+$/g, '')` gives, without that regex's rescan of a
  // long whitespace run from every position in it (quadratic on a code block).
  let start = 0
  while (start < text.length && isBar(text[start])) {
    start++
    while (start < text.length && WHITESPACE.test(text[start] as string)) start++
  }
  let end = text.length
  if (end > start && isBar(text[end - 1])) {
    end--
    while (end > start && (isBar(text[end - 1]) || WHITESPACE.test(text[end - 1] as string))) end--
  }
  return text.slice(start, end).trim()
}

const WHITESPACE = /\s/

function isBar(c: string | undefined): boolean {
  return c === '|' || c === '｜'
}

function isSeparatorsOnly(text: string): boolean {
  return /^[\s|｜/\\·•\-—_]*$/.test(text)
}

/** Boilerplate that never belongs to an article: disclaimers, copyright, contact spam. */
function isBoilerplate(text: string): boolean {
  if (text.length <= 300 && DISCLAIMER.test(text)) return true
  return text.length <= 150 && (PHONE.test(text) || CONTACT.test(text))
}

type CreditInfo = { byline: string[]; editors: string[]; source: string | null; publishedAt: string | null }

/** A block that is only metadata (a dateline, a credits line, a bare byline), read; else null. */
function metaLine(text: string, offset: string | undefined): CreditInfo | null {
  if (!isCreditsLine(text)) return null
  const credits = parseCredits(text, offset)
  return { ...credits, publishedAt: credits.publishedAt ?? findDate(text, { defaultOffset: offset }) }
}

/** `…落地。 (趙藝丹) 編輯:湯心慈 責編:胡蘇 肖玲 審核:袁享林`: credits glued after the last sentence. */
function cutTrailingCredits(text: string, offset: string | undefined): { text: string; credits: CreditInfo } | null {
  const m =
    /(?:^|[\s(（【[。！？”"」])((?:责任编辑|責任編輯|编辑|編輯|责编|責編|审核|審核|校对|校對|来源|來源)\s*[:：][^。！？()（）]{1,80})$/.exec(
      text,
    )
  if (!m?.[1]) return null
  const tail = m[1]
  const { fields } = parseLabelledLine(tail)
  if (!fields.every((f) => f.kind !== 'other')) return null
  const head = text.slice(0, text.length - tail.length).replace(/[\s(（【[]+$/, '')
  return { text: stripSeparators(head), credits: parseCredits(tail, offset) }
}

/** `…的答案。(王梦菲 王艳艳)` or `…(来源:新华社)`: a credit in parentheses after the last sentence. */
function cutTrailingParenthesis(text: string): { text: string; credits: CreditInfo } | null {
  const m = /(^|[。！？!?…”"」』.])\s*[(（]([^()（）]{2,40})[)）]\s*$/.exec(text)
  if (!m?.[2]) return null
  const inner = m[2].trim()
  const credits = parseCredits(inner)
  const hasCredit = credits.byline.length > 0 || credits.editors.length > 0 || credits.source !== null
  if (!hasCredit) {
    // Bare names only: every token must be a 2-4 character CJK name.
    const tokens = inner.split(/[\s、，,]+/)
    const names = splitNames(inner)
    if (!/^[\u3400-\u9fff·\s、，,]+$/.test(inner) || names.length === 0 || names.length !== tokens.length) return null
    credits.byline.push(...names)
  }
  return { text: text.slice(0, (m.index ?? 0) + (m[1]?.length ?? 0)).trim(), credits }
}
