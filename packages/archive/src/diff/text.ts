/**
 * Text helpers for `diffVersions`: normalisation for the "ignore whitespace and punctuation" option,
 * locale detection, word segmentation with `Intl.Segmenter`, the word-level diff inside one paragraph and
 * a cheap similarity score used to pair changed and moved paragraphs.
 */
import { diffArrays } from 'diff'

/** One run of a word-level diff: text kept, added or removed, in reading order. */
export interface WordSegment {
  op: 'equal' | 'added' | 'removed'
  text: string
}

/** Options shared by the text helpers. */
export interface TextDiffOptions {
  /** Treat whitespace, punctuation and full-width/half-width differences as no change. @default false */
  ignoreWhitespaceAndPunctuation?: boolean
  /** BCP-47 locale for `Intl.Segmenter`; detected from the text when null. @default null */
  locale?: string | null
}

/** Whitespace and punctuation (both widths); what the ignore option disregards after NFKC. */
const NOISE_RE = /[\p{P}\p{White_Space}]/gu
const NOISE_ONLY_RE = /^[\p{P}\p{White_Space}]*$/u

/**
 * The comparison form of a text under the ignore option: NFKC folds full-width letters, digits and
 * punctuation to their half-width forms, then whitespace and punctuation are dropped altogether (the
 * ideographic full stop 。 has no half-width twin under NFKC, so folding alone would not be enough).
 */
export function normaliseLoose(text: string): string {
  return text.normalize('NFKC').replace(NOISE_RE, '')
}

/** Whether a token is only whitespace and punctuation. */
export function isNoise(text: string): boolean {
  return NOISE_ONLY_RE.test(text)
}

/**
 * A locale for `Intl.Segmenter` from the text itself: the ICU word breaker needs a CJK locale to use its
 * dictionary, otherwise Chinese comes back one character at a time.
 */
export function detectLocale(text: string): string {
  if (/[\p{Script=Hiragana}\p{Script=Katakana}]/u.test(text)) return 'ja'
  if (/\p{Script=Han}/u.test(text)) return 'zh'
  if (/\p{Script=Hangul}/u.test(text)) return 'ko'
  return 'en'
}

/** Number of Unicode code points (a CJK character or an emoji counts once). */
export function codePointLength(text: string): number {
  let n = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    // A high surrogate starts a pair that is one code point.
    if (c < 0xd800 || c > 0xdbff) n++
  }
  return n
}

/**
 * Word-level diff of two texts. Only the window between the common prefix and suffix is segmented
 * (widened to the nearest punctuation or space so no word is cut): `Intl.Segmenter` costs several
 * microseconds per character, and most edits touch a few words of a long paragraph.
 */
export function diffWords(before: string, after: string, options: TextDiffOptions = {}): WordSegment[] {
  if (before === after) return before === '' ? [] : [{ op: 'equal', text: before }]
  let start = 0
  const max = Math.min(before.length, after.length)
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++
  let end = 0
  while (end < max - start && before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)) {
    end++
  }
  start = widenLeft(before, start)
  end = widenRight(before, before.length - end)
  const prefix = before.slice(0, start)
  const suffix = end > 0 ? before.slice(before.length - end) : ''
  const oldMid = before.slice(start, before.length - end)
  const newMid = after.slice(start, after.length - end)

  const locale = options.locale ?? detectLocale(oldMid + newMid)
  const oldTokens = segment(oldMid, locale)
  const newTokens = segment(newMid, locale)
  const loose = options.ignoreWhitespaceAndPunctuation === true
  const changes = loose
    ? diffArrays(oldTokens, newTokens, { comparator: (a, b) => a === b || normaliseLoose(a) === normaliseLoose(b) })
    : diffArrays(oldTokens, newTokens)

  const out: WordSegment[] = []
  push(out, 'equal', prefix)
  for (const change of changes) {
    const text = change.value.join('')
    if (loose && (change.added || change.removed) && isNoise(text)) {
      // A punctuation-only insertion or deletion is no change under the option: keep the new text.
      if (change.added) push(out, 'equal', text)
      continue
    }
    push(out, change.added ? 'added' : change.removed ? 'removed' : 'equal', text)
  }
  push(out, 'equal', suffix)
  return out
}

/**
 * Similarity of two texts in [0, 1]: the Dice coefficient over character bigrams. It needs no word
 * segmentation (so it is cheap for Chinese) and is robust to a few words changing.
 */
export function similarity(a: BigramProfile, b: BigramProfile): number {
  if (a.total === 0 && b.total === 0) return 1
  if (a.total === 0 || b.total === 0) return 0
  // Both profiles are sorted, so the multiset intersection is one merge pass: no hashing, no allocation.
  // That matters because a heavily rewritten article compares every removed with every added paragraph.
  const x = a.wide === b.wide ? a.codes : widen(a)
  const y = a.wide === b.wide ? b.codes : widen(b)
  let i = 0
  let j = 0
  let shared = 0
  while (i < x.length && j < y.length) {
    const u = x[i] as number
    const v = y[j] as number
    if (u === v) {
      shared++
      i++
      j++
    } else if (u < v) i++
    else j++
  }
  return (2 * shared) / (a.total + b.total)
}

/** Upper bound of `similarity` from the sizes alone (Dice ≤ 2·min/(min+max)), to prune hopeless pairs. */
export function similarityBound(a: BigramProfile, b: BigramProfile): number {
  if (a.total === 0 && b.total === 0) return 1
  return (2 * Math.min(a.total, b.total)) / (a.total + b.total)
}

/**
 * The character bigrams of a text as sorted numeric codes, built once per paragraph. A text of Basic
 * Multilingual Plane characters only (nearly every text) packs each bigram into 32 bits (`wide` false);
 * one with a character beyond it uses doubles (`wide` true). The two orders agree, so a narrow profile is
 * widened, still sorted, when it meets a wide one.
 */
export interface BigramProfile {
  codes: Uint32Array | Float64Array
  total: number
  wide: boolean
}

/** Build the bigram profile of a text (a one-character text counts as one "bigram"). */
export function bigrams(text: string): BigramProfile {
  // Paragraphs are profiled on every diff and at every ingest of a new version: 32-bit codes sort in about
  // half the time of doubles.
  const n = text.length - 1
  if (n < 1) return n === 0 ? wideBigrams(text) : { codes: new Uint32Array(0), total: 0, wide: false }
  const codes = new Uint32Array(n)
  let prev = text.charCodeAt(0)
  if (prev >= 0xd800 && prev <= 0xdfff) return wideBigrams(text)
  for (let i = 1; i <= n; i++) {
    const cp = text.charCodeAt(i)
    if (cp >= 0xd800 && cp <= 0xdfff) return wideBigrams(text)
    codes[i - 1] = prev * 0x10000 + cp
    prev = cp
  }
  codes.sort()
  return { codes, total: n, wide: false }
}

/** `bigrams` over code points, as doubles (two code points < 0x110000 each stay below 2^53: exact). */
function wideBigrams(text: string): BigramProfile {
  // Code points read straight off the UTF-16 units (a lone surrogate counts as itself, as `for…of` does).
  const codes = new Float64Array(Math.max(0, text.length - 1))
  let n = 0
  let count = 0
  let prev = -1
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i)
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1)
      if (low >= 0xdc00 && low <= 0xdfff) {
        cp = (cp - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000
        i++
      }
    }
    if (count > 0) codes[n++] = prev * 0x110000 + cp
    prev = cp
    count++
  }
  if (count === 1) return { codes: Float64Array.of(prev), total: 1, wide: true }
  const out = n === codes.length ? codes : codes.subarray(0, n)
  out.sort()
  return { codes: out, total: n, wide: true }
}

/** A narrow profile's codes in the wide packing (same order, so still sorted). */
function widen(p: BigramProfile): Uint32Array | Float64Array {
  if (p.wide) return p.codes
  const out = new Float64Array(p.codes.length)
  for (let i = 0; i < out.length; i++) {
    const k = p.codes[i] as number
    out[i] = Math.floor(k / 0x10000) * 0x110000 + (k % 0x10000)
  }
  return out
}

// --- Internal helpers ---

const segmenters = new Map<string, Intl.Segmenter>()

function segment(text: string, locale: string): string[] {
  if (text === '') return []
  let segmenter = segmenters.get(locale)
  if (segmenter === undefined) {
    segmenter = new Intl.Segmenter(locale, { granularity: 'word' })
    segmenters.set(locale, segmenter)
  }
  const out: string[] = []
  for (const s of segmenter.segment(text)) out.push(s.segment)
  return out
}

/** Characters at which a word can never continue: a safe place to start or end the segmented window. */
const BREAK_RE = /[\p{P}\p{White_Space}]/u

function isBreak(text: string, index: number): boolean {
  const ch = text[index]
  return ch !== undefined && BREAK_RE.test(ch)
}

function widenLeft(text: string, start: number): number {
  let i = start
  // Step back to just after a break character (or the text start), so the first word is whole. Break
  // characters are in the BMP, so this never lands inside a surrogate pair.
  while (i > 0 && !isBreak(text, i - 1)) i--
  return i
}

/** The suffix length once its start is moved forward to a break character (or the text end). */
function widenRight(text: string, suffixStart: number): number {
  let j = suffixStart
  while (j < text.length && !isBreak(text, j)) j++
  return text.length - j
}

function push(out: WordSegment[], op: WordSegment['op'], text: string): void {
  if (text === '') return
  const last = out[out.length - 1]
  if (last !== undefined && last.op === op) last.text += text
  else out.push({ op, text })
}
