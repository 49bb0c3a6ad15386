/**
 * @file Diff between two versions of an article: paragraphs are aligned first (kept, added, removed,
 * changed, moved), then the words inside each changed paragraph are diffed with `Intl.Segmenter`, so
 * Chinese is compared word by word rather than as whole lines. Metadata changes are listed separately.
 * The result is plain JSON, ready for the viewer.
 */
import type { Block, IndustryMatch } from '@parkwatch/extractor'
import { diffArrays } from 'diff'
import {
  type BigramProfile,
  bigrams,
  codePointLength,
  detectLocale,
  diffWords,
  normaliseLoose,
  similarity,
  similarityBound,
  type WordSegment,
} from './diff/text.js'

export type { WordSegment } from './diff/text.js'

/**
 * The part of a version `diffVersions` reads. An extractor `Article` fits as it is; every field but the
 * title and the paragraphs may be missing (it is then not compared).
 */
export interface DiffableVersion {
  title: string
  paragraphs: readonly Block[]
  byline?: readonly string[]
  editors?: readonly string[]
  source?: string | null
  siteName?: string | null
  publishedAt?: string | null
  modifiedAt?: string | null
  lang?: string | null
  canonicalUrl?: string | null
  description?: string | null
  industries?: readonly IndustryMatch[]
}

/** Options for `diffVersions`. */
export interface DiffOptions {
  /**
   * Treat changes that only touch whitespace or punctuation (including full-width vs half-width forms,
   * e.g. `，` vs `,` or `３６` vs `36`) as no change.
   * @default false
   */
  ignoreWhitespaceAndPunctuation?: boolean
  /**
   * Minimum similarity (Dice coefficient over character bigrams, 0-1) for a removed and an added
   * paragraph to be reported as one changed (or moved and edited) paragraph instead of two.
   * @default 0.5
   */
  similarityThreshold?: number
  /** Locale for word segmentation; by default the version's `lang`, else detected from the text. @default null */
  locale?: string | null
}

/** What happened to one paragraph between the two versions. */
export type ParagraphOp = 'equal' | 'added' | 'removed' | 'changed' | 'moved'

/** One entry of the aligned paragraph list, in the new version's reading order (removed ones where they were). */
export interface ParagraphChange {
  op: ParagraphOp
  /** Index in the old version's paragraphs; null for `added`. */
  oldIndex: number | null
  /** Index in the new version's paragraphs; null for `removed`. */
  newIndex: number | null
  /** The old block; null for `added`. */
  before: Block | null
  /** The new block; null for `removed`. */
  after: Block | null
  /** Similarity of the two texts (1 for identical, 0 when one side is missing). */
  similarity: number
  /** Word-level changes, for `changed` and for a `moved` paragraph that was also edited; otherwise null. */
  words: WordSegment[] | null
}

/** Metadata fields compared by `diffVersions`. */
export type MetadataField =
  | 'title'
  | 'byline'
  | 'editors'
  | 'source'
  | 'siteName'
  | 'publishedAt'
  | 'modifiedAt'
  | 'lang'
  | 'canonicalUrl'
  | 'description'
  | 'industries'

/** A changed metadata field. `industries` compares the set of industry names, not their scores. */
export interface MetadataChange {
  field: MetadataField
  before: string | string[] | null
  after: string | string[] | null
  /** Word-level changes for the free-text fields (`title`, `description`); otherwise null. */
  words: WordSegment[] | null
}

/** Counts over the body (metadata changes are counted separately). Characters are Unicode code points. */
export interface DiffSummary {
  charsAdded: number
  charsRemoved: number
  paragraphsAdded: number
  paragraphsRemoved: number
  paragraphsChanged: number
  paragraphsMoved: number
  paragraphsUnchanged: number
  metadataChanged: number
}

/** The diff between two versions. Plain JSON. */
export interface VersionDiff {
  /** True when nothing (under the chosen options) differs. */
  identical: boolean
  metadata: MetadataChange[]
  paragraphs: ParagraphChange[]
  summary: DiffSummary
}

/**
 * Diff two versions of an article.
 *
 * @example
 * ```ts
 * const d = diffVersions(v1.article, v2.article, { ignoreWhitespaceAndPunctuation: true })
 * for (const p of d.paragraphs) if (p.op === 'changed') console.log(p.words)
 * console.log(d.summary.charsAdded, d.metadata.map((m) => m.field))
 * ```
 */
export function diffVersions(a: DiffableVersion, b: DiffableVersion, options: DiffOptions = {}): VersionDiff {
  return diffWith(a, b, options, true)
}

/**
 * `diffVersions`, optionally without the word-level changes of metadata fields (`title`, `description`),
 * which the summary does not count: what `versionChange` needs at ingest, for less. Internal.
 */
export function diffWith(
  a: DiffableVersion,
  b: DiffableVersion,
  options: DiffOptions,
  metadataWords: boolean,
): VersionDiff {
  const threshold = options.similarityThreshold ?? DEFAULT_SIMILARITY_THRESHOLD
  if (!(threshold >= 0 && threshold <= 1)) {
    throw new TypeError(`Expected \`similarityThreshold\` to be a number in [0, 1], got \`${threshold}\``)
  }
  const loose = options.ignoreWhitespaceAndPunctuation === true
  const locale = options.locale ?? b.lang ?? a.lang ?? null
  const text = { ignoreWhitespaceAndPunctuation: loose, locale }

  const metadata = diffMetadata(a, b, loose, metadataWords ? text : null)
  const paragraphs = alignParagraphs(a.paragraphs, b.paragraphs, loose, threshold, text)

  const summary: DiffSummary = {
    charsAdded: 0,
    charsRemoved: 0,
    paragraphsAdded: 0,
    paragraphsRemoved: 0,
    paragraphsChanged: 0,
    paragraphsMoved: 0,
    paragraphsUnchanged: 0,
    metadataChanged: metadata.length,
  }
  for (const p of paragraphs) {
    if (p.op === 'added' && p.after) summary.charsAdded += codePointLength(p.after.text)
    if (p.op === 'removed' && p.before) summary.charsRemoved += codePointLength(p.before.text)
    for (const w of p.words ?? []) {
      if (w.op === 'added') summary.charsAdded += codePointLength(w.text)
      else if (w.op === 'removed') summary.charsRemoved += codePointLength(w.text)
    }
    if (p.op === 'added') summary.paragraphsAdded++
    else if (p.op === 'removed') summary.paragraphsRemoved++
    else if (p.op === 'changed') summary.paragraphsChanged++
    else if (p.op === 'moved') summary.paragraphsMoved++
    else summary.paragraphsUnchanged++
  }
  const identical = metadata.length === 0 && paragraphs.every((p) => p.op === 'equal')
  return { identical, metadata, paragraphs, summary }
}

/** Default for `DiffOptions.similarityThreshold`. */
export const DEFAULT_SIMILARITY_THRESHOLD = 0.5

// --- Internal helpers ---

interface TextOpts {
  ignoreWhitespaceAndPunctuation: boolean
  locale: string | null
}

/**
 * Above this many removed×added pairs left over, cross-position (moved and edited) matching is skipped:
 * a rewrite that large is reported as removals and additions rather than paying ~N² comparisons.
 */
const MAX_MOVE_PAIRS = 4096
/** Hunks up to this many removed×added pairs compare every pair; larger ones only near the diagonal. */
const FULL_HUNK_PAIRS = 400
/** Half-width of that diagonal band, in paragraphs (widened by the hunk's size difference). */
const HUNK_BAND = 10

/** A stretch between two kept runs: the old paragraphs removed there and the new ones added there. */
interface Hunk {
  removed: number[]
  added: number[]
}

type Step = { kind: 'equal'; oldIndex: number; newIndex: number } | { kind: 'hunk'; hunk: Hunk }

/** How a paragraph of the new version was matched. */
interface Pairing {
  oldIndex: number
  op: 'changed' | 'moved'
  similarity: number
}

function alignParagraphs(
  before: readonly Block[],
  after: readonly Block[],
  loose: boolean,
  threshold: number,
  text: TextOpts,
): ParagraphChange[] {
  // The kind is part of the key, so a paragraph turned into a heading shows as changed, not equal.
  const keyOf = (block: Block): string => `${block.kind}\u0000${loose ? normaliseLoose(block.text) : block.text}`
  const oldKeys = before.map(keyOf)
  const newKeys = after.map(keyOf)

  // 1. The longest common subsequence of paragraphs (jsdiff's Myers diff over the keys).
  const steps: Step[] = []
  let oi = 0
  let ni = 0
  let open: Hunk | null = null
  for (const change of diffArrays(oldKeys, newKeys)) {
    if (!change.added && !change.removed) {
      open = null
      for (let k = 0; k < change.count; k++) steps.push({ kind: 'equal', oldIndex: oi++, newIndex: ni++ })
      continue
    }
    if (open === null) {
      open = { removed: [], added: [] }
      steps.push({ kind: 'hunk', hunk: open })
    }
    for (let k = 0; k < change.count; k++) {
      if (change.removed) open.removed.push(oi++)
      else open.added.push(ni++)
    }
  }
  const hunks = steps.flatMap((s) => (s.kind === 'hunk' ? [s.hunk] : []))
  const pairOf = new Map<number, Pairing>()
  const pairedOld = new Set<number>()

  // 2. Identical paragraphs outside the common subsequence moved (an optimal LCS never leaves an
  // identical pair inside one hunk, so any exact match is across hunks).
  const removedByKey = new Map<string, number[]>()
  for (const h of hunks) for (const o of h.removed) push(removedByKey, oldKeys[o] as string, o)
  for (const h of hunks) {
    for (const n of h.added) {
      const o = removedByKey.get(newKeys[n] as string)?.shift()
      if (o === undefined) continue
      pairOf.set(n, { oldIndex: o, op: 'moved', similarity: 1 })
      pairedOld.add(o)
    }
  }

  // 3. Edited paragraphs: pair by similarity, first within a hunk (changed in place), then across hunks
  // (moved and edited).
  const profiles = new Map<string, BigramProfile>()
  const profile = (block: Block): BigramProfile => {
    const t = loose ? normaliseLoose(block.text) : block.text
    let p = profiles.get(t)
    if (p === undefined) {
      p = bigrams(t)
      profiles.set(t, p)
    }
    return p
  }
  const hunkOfOld = new Map<number, Hunk>()
  const hunkOfNew = new Map<number, Hunk>()
  for (const h of hunks) {
    for (const o of h.removed) hunkOfOld.set(o, h)
    for (const n of h.added) hunkOfNew.set(n, h)
  }
  const pairUp = (olds: number[], news: number[], op: Pairing['op']): void => {
    const candidates: Array<{ o: number; n: number; s: number }> = []
    // An edited paragraph usually stays at about the same place in its hunk: big hunks (a rewrite)
    // compare only along the diagonal, which keeps the cost linear instead of quadratic.
    const banded = op === 'changed' && olds.length * news.length > FULL_HUNK_PAIRS
    const band = Math.max(HUNK_BAND, Math.abs(news.length - olds.length))
    const scale = news.length / Math.max(1, olds.length)
    for (const [k, o] of olds.entries()) {
      if (pairedOld.has(o)) continue
      const po = profile(before[o] as Block)
      for (const [m, n] of news.entries()) {
        if (pairOf.has(n)) continue
        if (banded && Math.abs(m - k * scale) > band) continue
        // Pairs inside one hunk were already weighed as "changed".
        if (op === 'moved' && hunkOfOld.get(o) === hunkOfNew.get(n)) continue
        const pn = profile(after[n] as Block)
        if (similarityBound(po, pn) < threshold) continue
        const s = similarity(po, pn)
        if (s >= threshold) candidates.push({ o, n, s })
      }
    }
    // Greedy best-first; ties keep document order so equal candidates pair up in sequence.
    candidates.sort((x, y) => y.s - x.s || x.o - y.o || x.n - y.n)
    for (const c of candidates) {
      if (pairedOld.has(c.o) || pairOf.has(c.n)) continue
      pairOf.set(c.n, { oldIndex: c.o, op, similarity: c.s })
      pairedOld.add(c.o)
    }
  }
  for (const h of hunks) pairUp(h.removed, h.added, 'changed')
  const leftOld = hunks.flatMap((h) => h.removed.filter((o) => !pairedOld.has(o)))
  const leftNew = hunks.flatMap((h) => h.added.filter((n) => !pairOf.has(n)))
  if (leftOld.length * leftNew.length <= MAX_MOVE_PAIRS) pairUp(leftOld, leftNew, 'moved')

  // 4. Emit in the new reading order, each unpaired removed paragraph where it used to be.
  const out: ParagraphChange[] = []
  for (const step of steps) {
    if (step.kind === 'equal') {
      const b = before[step.oldIndex] as Block
      const a = after[step.newIndex] as Block
      out.push({
        op: 'equal',
        oldIndex: step.oldIndex,
        newIndex: step.newIndex,
        before: b,
        after: a,
        similarity: 1,
        words: null,
      })
      continue
    }
    for (const o of step.hunk.removed) {
      if (pairedOld.has(o)) continue
      out.push({
        op: 'removed',
        oldIndex: o,
        newIndex: null,
        before: before[o] as Block,
        after: null,
        similarity: 0,
        words: null,
      })
    }
    for (const n of step.hunk.added) {
      const a = after[n] as Block
      const pair = pairOf.get(n)
      if (pair === undefined) {
        out.push({ op: 'added', oldIndex: null, newIndex: n, before: null, after: a, similarity: 0, words: null })
        continue
      }
      const b = before[pair.oldIndex] as Block
      const sameText = loose ? normaliseLoose(b.text) === normaliseLoose(a.text) : b.text === a.text
      const words = sameText
        ? null
        : diffWords(b.text, a.text, { ...text, locale: text.locale ?? detectLocale(a.text) })
      out.push({
        op: pair.op,
        oldIndex: pair.oldIndex,
        newIndex: n,
        before: b,
        after: a,
        similarity: pair.similarity,
        words,
      })
    }
  }
  return out
}

/** Changed metadata fields; with `text` null, free-text fields are listed without their word-level changes. */
function diffMetadata(a: DiffableVersion, b: DiffableVersion, loose: boolean, text: TextOpts | null): MetadataChange[] {
  const out: MetadataChange[] = []
  const prose = (field: 'title' | 'description', x: string | null | undefined, y: string | null | undefined): void => {
    if (x === undefined || y === undefined) return
    const same = loose ? normaliseLoose(x ?? '') === normaliseLoose(y ?? '') && (x === null) === (y === null) : x === y
    if (same) return
    const words = x !== null && y !== null && text !== null ? diffWords(x, y, text) : null
    out.push({ field, before: x, after: y, words })
  }
  const scalar = (field: MetadataField, x: string | null | undefined, y: string | null | undefined): void => {
    if (x === undefined || y === undefined || x === y) return
    out.push({ field, before: x, after: y, words: null })
  }
  const list = (field: MetadataField, x: readonly string[] | undefined, y: readonly string[] | undefined): void => {
    if (x === undefined || y === undefined) return
    if (x.length === y.length && x.every((v, i) => v === y[i])) return
    out.push({ field, before: [...x], after: [...y], words: null })
  }
  prose('title', a.title, b.title)
  list('byline', a.byline, b.byline)
  list('editors', a.editors, b.editors)
  scalar('source', a.source, b.source)
  scalar('siteName', a.siteName, b.siteName)
  scalar('publishedAt', a.publishedAt, b.publishedAt)
  scalar('modifiedAt', a.modifiedAt, b.modifiedAt)
  scalar('lang', a.lang, b.lang)
  scalar('canonicalUrl', a.canonicalUrl, b.canonicalUrl)
  prose('description', a.description, b.description)
  // Scores move with every text edit; only a gained or lost industry is a metadata change.
  const names = (v: DiffableVersion): string[] | undefined => v.industries?.map((m) => m.industry).sort()
  list('industries', names(a), names(b))
  return out
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key)
  if (list === undefined) map.set(key, [value])
  else list.push(value)
}
