/**
 * @file Hashing and text folding: the body hash (SHA-256 of raw bytes), the content hash that decides
 * whether a capture is a new version, and the simplified-script folding used by full-text search.
 */
import { hash } from 'node:crypto'
import type { Article } from '@parkwatch/extractor'
import * as OpenCC from 'opencc-js/t2cn'

/** SHA-256 of `bytes` as lower-case hex. */
export function sha256Hex(bytes: Uint8Array | string): string {
  // One-shot: no Hash object per call, which counts at one body hash per capture.
  return hash('sha256', bytes, 'hex')
}

/** A lower-case 64-digit hex string, i.e. something `sha256Hex` could have returned. */
export function isSha256Hex(value: string): boolean {
  return SHA256_RE.test(value)
}

/**
 * Fold text so that re-encoding and reflowed markup do not look like a change: NFKC (full-width ASCII and
 * punctuation become half-width), CJK punctuation mapped to its ASCII twin, quotes unified, whitespace
 * collapsed, and whitespace next to CJK characters or punctuation dropped (Chinese has no word spaces, so
 * a space there is layout, not content).
 *
 * @example
 * normalizeText('园区 ，发布 “新政”。') // '园区,发布"新政".'
 */
export function normalizeText(text: string): string {
  const folded = text.normalize('NFKC').replace(CJK_PUNCT_RE, (ch) => CJK_PUNCT[ch] ?? ch)
  // One pass over whitespace runs, looking at the characters on each side: much cheaper than a lookbehind
  // regex over the whole text, and this runs on every ingest.
  return folded.replace(/\s+/gu, (run, at: number) => {
    const before = folded[at - 1]
    const after = folded[at + run.length]
    if (before === undefined || after === undefined) return ''
    return CJK_OR_PUNCT_RE.test(before) || CJK_OR_PUNCT_RE.test(after) ? '' : ' '
  })
}

/**
 * The content hash of an article: SHA-256 over the normalised title, body text and the metadata a reader
 * would call content (byline, editors, source, publication date). Presentation (HTML, images, site name)
 * and derived fields (industries, word count) are left out on purpose: they change when the extractor
 * changes, not when the article does.
 */
export function contentHash(article: Article): string {
  const key = [
    normalizeText(article.title),
    normalizeText(article.text),
    article.byline.map(normalizeText).join('|'),
    article.editors.map(normalizeText).join('|'),
    normalizeText(article.source ?? ''),
    article.publishedAt ?? '',
  ]
  // NUL never survives normalisation inside a field, so it separates fields unambiguously.
  return sha256Hex(key.join('\u0000'))
}

/**
 * A fingerprint of the raw (not normalised) fields `contentHash` reads: equal keys mean equal fields, so
 * equal content hashes, for the cost of one SHA-256 instead of normalising the text. Unequal keys say
 * nothing (the articles may differ only in layout).
 */
export function rawContentKey(article: Article): string {
  const fields = [
    article.title,
    article.text,
    article.byline.join('\u0001'),
    article.editors.join('\u0001'),
    article.source ?? '',
    article.publishedAt ?? '',
  ]
  return hash('sha256', fields.join('\u0000'), 'base64')
}

/**
 * True when `a` and `b` hold exactly the same values in every field `contentHash` reads, so their content
 * hashes are equal without computing them (comparing strings is far cheaper than normalising and hashing
 * them). False says nothing: the hashes may still be equal after normalisation.
 */
export function sameContent(a: Article, b: Article): boolean {
  return (
    a.title === b.title &&
    a.text === b.text &&
    (a.source ?? '') === (b.source ?? '') &&
    (a.publishedAt ?? '') === (b.publishedAt ?? '') &&
    sameList(a.byline, b.byline) &&
    sameList(a.editors, b.editors)
  )
}

/**
 * Fold traditional Chinese (Taiwan, Hong Kong and OpenCC's standard traditional) to simplified, so the
 * index and the query meet in one script. The converter tables cost ~60 ms to build, so they are built on
 * first use.
 */
export function toSimplified(text: string): string {
  let convert = converter
  if (!convert) {
    convert = OpenCC.Converter({ from: 't', to: 'cn' }) as (text: string) => string
    converter = convert
    triggers = foldTriggers()
  }
  // Most texts are simplified already, and in the others most sentences are: a scan for what could change
  // is much cheaper than the tries, so only the pieces that need them go through.
  return triggers ? foldPieces(text, triggers, convert) : convert(text)
}

/** Title and text of an article as they go into the full-text index: simplified, whitespace collapsed. */
export function searchTextOf(article: Pick<Article, 'title' | 'text'>): string {
  return toSimplified(`${article.title}\n${article.text}`.normalize('NFKC').replace(/\s+/gu, ' '))
}

/**
 * Split a search query into terms (whitespace-separated, folded like the index). Every term must match.
 *
 * @example
 * searchTerms(' 蘇州  园区 ') // ['苏州', '园区']
 */
export function searchTerms(query: string): string[] {
  return [...new Set(searchTextOf({ title: '', text: query }).split(' ').filter(Boolean))]
}

/**
 * A short excerpt of `text` around the first match of any term, every match wrapped in `[` `]`. Both
 * backends build snippets here, so results read the same whatever stores them.
 */
export function makeSnippet(text: string, terms: readonly string[], radius = 24): string {
  const lower = text.toLowerCase()
  let first = -1
  for (const term of terms) {
    const at = lower.indexOf(term.toLowerCase())
    if (at !== -1 && (first === -1 || at < first)) first = at
  }
  if (first === -1) return text.slice(0, radius * 2) + (text.length > radius * 2 ? '…' : '')
  const start = Math.max(0, first - radius)
  const end = Math.min(text.length, first + radius * 2)
  let out = text.slice(start, end)
  const escaped = terms.filter(Boolean).map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  if (escaped.length > 0) out = out.replace(new RegExp(`(${escaped.join('|')})`, 'giu'), '[$1]')
  return (start > 0 ? '…' : '') + out + (end < text.length ? '…' : '')
}

// --- Internal helpers ---

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

const SHA256_RE = /^[0-9a-f]{64}$/

let converter: ((text: string) => string) | undefined
let triggers: FoldTriggers | null = null

/**
 * What can make `toSimplified` change a text: the characters that dictionary entries of one character
 * change, and the first two characters of every longer entry (a text holding neither cannot match any entry
 * that changes it, nor one that shadows such an entry). Null when the installed opencc-js does not expose
 * its dictionaries; then every text is converted.
 */
function foldTriggers(): FoldTriggers | null {
  const config = (OpenCC.Locale as { configs?: Record<string, OpenccConfig | undefined> }).configs?.t2s
  if (!config?.conversionChain) return null
  const out: FoldTriggers = { flags: new Uint8Array(0x10000), astral: new Map(), pairs: new Set() }
  const flag = (cp: number, bit: number): void => {
    if (cp < 0x10000) out.flags[cp] = (out.flags[cp] ?? 0) | bit
    else out.astral.set(cp, (out.astral.get(cp) ?? 0) | bit)
  }
  const add = (from: unknown, to: unknown): boolean => {
    if (typeof from !== 'string' || typeof to !== 'string' || from === '') return false
    const [first, second] = Array.from(from) as [string, string | undefined]
    const cp = first.codePointAt(0) as number
    if (second === undefined) {
      if (from !== to) flag(cp, CHANGES)
    } else {
      flag(cp, STARTS_PHRASE)
      out.pairs.add(first + second)
    }
    return true
  }
  const addDict = (dict: unknown): boolean => {
    if (typeof dict === 'string') {
      for (const entry of dict.split('|')) {
        const [from, to] = entry.split(' ')
        if (!add(from, to)) return false
      }
      return true
    }
    if (Array.isArray(dict)) return dict.every((e) => Array.isArray(e) && add(e[0], e[1]))
    return false
  }
  // Every stage of the chain: a text no stage can change reaches the next stage unchanged.
  const groups = [...(config.normalizationChain ?? []), ...config.conversionChain]
  if (config.segmentation !== undefined) groups.push(config.segmentation as unknown[])
  for (const group of groups) {
    if (!Array.isArray(group) || !group.every(addDict)) return null
  }
  // Separators no entry holds, on either side: no match can span one, and none appears in a replacement.
  const used = new Set<number>()
  for (const group of groups) {
    for (const dict of group as unknown[]) {
      const text = typeof dict === 'string' ? dict.replace(/[ |]/g, '') : JSON.stringify(dict)
      for (let i = 0; i < text.length; i++) used.add(text.charCodeAt(i))
    }
  }
  for (let i = 0; i < PIECE_SEPARATORS.length; i++) {
    const c = PIECE_SEPARATORS.charCodeAt(i)
    if (!used.has(c) && out.flags[c] === 0) out.flags[c] = SEPARATES
  }
  for (let c = 0x2ff0; c <= 0x2fff; c++) out.flags[c] = (out.flags[c] ?? 0) | DESCRIBES
  return out
}

/**
 * `convert(text)`, running the tries only over the pieces that could change. Pieces are cut at separators
 * that no dictionary entry holds (punctuation, spaces, line breaks): a trie match never spans one and a
 * replacement never makes one, so every stage converts the pieces exactly as it converts the whole text.
 * An ideographic description character (U+2FF0-U+2FFF) makes opencc treat the characters after it as one
 * unit, separators included: a text holding one is converted whole.
 */
function foldPieces(text: string, t: FoldTriggers, convert: (text: string) => string): string {
  let out = ''
  // Text before `copied` is in `out`; the current piece starts at `from`.
  let copied = 0
  let from = 0
  const n = text.length
  for (let i = 0; i <= n; i++) {
    const f = i < n ? (t.flags[text.charCodeAt(i)] as number) : SEPARATES
    if (f & DESCRIBES) return convert(text)
    if ((f & SEPARATES) === 0) continue
    if (i > from && mayFold(text, t, from, i)) {
      out += text.slice(copied, from) + convert(text.slice(from, i))
      copied = i
    }
    from = i + 1
  }
  return copied === 0 ? text : out + text.slice(copied)
}

/** Whether `toSimplified` could change `text[from, to)` (false: it certainly returns it as it is). */
function mayFold(text: string, t: FoldTriggers, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const unit = text.charCodeAt(i)
    let width = 1
    let f = t.flags[unit] as number
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const cp = text.codePointAt(i) as number
      if (cp > 0xffff) {
        width = 2
        f = t.astral.get(cp) ?? 0
      }
    }
    if (f === 0) continue
    if (f & CHANGES) return true
    // Starts a longer entry: look at the next character too.
    const next = i + width < to ? text.codePointAt(i + width) : undefined
    if (next !== undefined && t.pairs.has(text.slice(i, i + width + (next > 0xffff ? 2 : 1)))) return true
    i += width - 1
  }
  return false
}

const CHANGES = 1
const STARTS_PHRASE = 2
/** A separator between pieces (see `foldPieces`); never set with the two above. */
const SEPARATES = 4
/** An ideographic description character. */
const DESCRIBES = 8
/** Where `foldPieces` may cut a text, unless a dictionary holds the character. */
const PIECE_SEPARATORS = ' \t\n\r，。、；：？！,.;:?!“”"\'()（）《》【】…—·%0123456789'

interface FoldTriggers {
  /**
   * Per BMP code unit: `CHANGES` (a one-character entry changes it) | `STARTS_PHRASE` (a longer entry starts
   * with it), or `SEPARATES`, or `DESCRIBES`.
   */
  flags: Uint8Array
  /** The same for code points above the BMP. */
  astral: Map<number, number>
  /** The first two characters of every longer entry. */
  pairs: Set<string>
}

interface OpenccConfig {
  normalizationChain?: unknown[]
  conversionChain?: unknown[]
  segmentation?: unknown
}

/** CJK punctuation NFKC leaves alone, mapped to what a half-width rendering of the same text would use. */
const CJK_PUNCT: Readonly<Record<string, string>> = {
  '。': '.',
  '、': ',',
  '｡': '.',
  '「': '"',
  '」': '"',
  '『': '"',
  '』': '"',
  '“': '"',
  '”': '"',
  '‘': "'",
  '’': "'",
  '【': '[',
  '】': ']',
  '〔': '(',
  '〕': ')',
  '《': '<',
  '》': '>',
  '〈': '<',
  '〉': '>',
  '—': '-',
  '–': '-',
  '…': '...',
  '·': '.',
  '・': '.',
}

const CJK_PUNCT_RE = new RegExp(`[${Object.keys(CJK_PUNCT).join('')}]`, 'gu')

// A space is dropped when a CJK ideograph/kana/hangul or any punctuation sits on either side of it. Tested
// on one UTF-16 unit: Han ideographs outside the BMP are surrogate pairs, also treated as CJK.
const CJK_OR_PUNCT_RE = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{P}\uD800-\uDFFF]/u
