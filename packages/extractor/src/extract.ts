/**
 * `extract`: bytes or HTML in, an article (or a reasoned "not an article") out. This file validates the
 * options and runs the stages: decode, parse, index, pick the content, walk it into blocks, metadata,
 * text-level clean-up, language and industries. Every stage is linear in the input; nothing recurses.
 */
import type { Document, Element } from 'domhandler'
import { blockLength, collectItems, cutAtRelated, dropFurnitureLines, type Item, type RawBlock } from './clean.js'
import { decodeHtml } from './decode.js'
import { buildIndex, isCjkCode, parseHtml, type TreeIndex } from './dom.js'
import { InvalidInputError, InvalidOptionError } from './errors.js'
import { escapeText, parseBase, type RenderItem, renderHtml } from './html.js'
import { classifyIndustries, DEFAULT_INDUSTRY_KEYWORDS, DEFAULT_PARK_NAMES, mentionsPark } from './industries.js'
import { detectLang } from './lang.js'
import { bodyIndex, judgePage, sniffNotHtml } from './listing.js'
import { extractMetadata, type MetadataContext, type PageMetadata } from './metadata.js'
import { cleanBlocks } from './noise.js'
import { createPageScanner } from './page-lines.js'
import { findContent, isUnlikely } from './score.js'
import type {
  ArticleImage,
  Block,
  DecodeInfo,
  ExtractOptions,
  ExtractResult,
  NotArticle,
  NotArticleReason,
} from './types.js'

/** Default `maxInputLength`: characters kept before parsing. */
export const DEFAULT_MAX_INPUT_LENGTH = 5_000_000
/** Default `minTextLength`: fewer body characters than this is `too-short`. */
export const DEFAULT_MIN_TEXT_LENGTH = 60

/**
 * Extract the article from an HTML page.
 *
 * Throws only for bad arguments (`InvalidOptionError`, `InvalidInputError`); any page, however broken,
 * huge or deeply nested, yields an `Article` or a `NotArticle` with its reason.
 *
 * @example
 * ```ts
 * const result = extract(bytes, { url: 'https://news.example.cn/a/1.html', contentType: 'text/html; charset=gbk' })
 * if (result.type === 'article') console.log(result.title, result.paragraphs.length)
 * else console.log(result.reason, result.message)
 * ```
 */
export function extract(input: string | Uint8Array | ArrayBuffer, options: ExtractOptions = {}): ExtractResult {
  const opts = validateOptions(options)
  if (typeof input !== 'string' && !(input instanceof Uint8Array) && !(input instanceof ArrayBuffer)) {
    throw new InvalidInputError(input === null ? 'null' : Array.isArray(input) ? 'array' : typeof input)
  }
  let decode: DecodeInfo | null = null
  let html: string
  if (typeof input === 'string') html = input
  else {
    const d = decodeBytes(input, opts.contentType)
    html = d.text
    decode = { charset: d.charset, source: d.source, declared: d.declared }
  }
  try {
    return run(html, opts, decode)
  } catch (error) {
    // A bug in a stage must not take the caller's crawl down: report it as "nothing extracted".
    const message = error instanceof Error ? error.message : String(error)
    return notArticle(opts.url, 'empty', `extraction failed: ${message}`, null, decode)
  }
}

// --- Internal helpers ---

interface Resolved {
  url: string | null
  contentType: string | null
  industryKeywords: NonNullable<ExtractOptions['industryKeywords']>
  parkNames: readonly string[]
  maxInputLength: number
  minTextLength: number
}

function validateOptions(o: ExtractOptions): Resolved {
  if (o === null || typeof o !== 'object') throw new InvalidOptionError('options', 'an object', o)
  const str = (name: 'url' | 'contentType'): string | null => {
    const v = o[name]
    if (v === undefined || v === null) return null
    if (typeof v !== 'string') throw new InvalidOptionError(name, 'a string or null', v)
    return v
  }
  const int = (name: 'maxInputLength' | 'minTextLength', min: number, dflt: number): number => {
    const v = o[name]
    if (v === undefined) return dflt
    if (typeof v !== 'number' || !(Number.isInteger(v) || v === Number.POSITIVE_INFINITY) || v < min) {
      throw new InvalidOptionError(name, `an integer >= ${min}`, v)
    }
    return v
  }
  const keywords = o.industryKeywords ?? DEFAULT_INDUSTRY_KEYWORDS
  if (typeof keywords !== 'object' || keywords === null) {
    throw new InvalidOptionError('industryKeywords', 'an object of keyword lists', keywords)
  }
  for (const [k, list] of Object.entries(keywords)) {
    if (!Array.isArray(list) || list.some((t) => typeof t !== 'string')) {
      throw new InvalidOptionError(`industryKeywords.${k}`, 'an array of strings', list)
    }
  }
  const parkNames = o.parkNames ?? DEFAULT_PARK_NAMES
  if (!Array.isArray(parkNames) || parkNames.some((t) => typeof t !== 'string')) {
    throw new InvalidOptionError('parkNames', 'an array of strings', parkNames)
  }
  return {
    url: str('url'),
    contentType: str('contentType'),
    industryKeywords: keywords,
    parkNames,
    maxInputLength: int('maxInputLength', 1, DEFAULT_MAX_INPUT_LENGTH),
    minTextLength: int('minTextLength', 0, DEFAULT_MIN_TEXT_LENGTH),
  }
}

function decodeBytes(input: Uint8Array | ArrayBuffer, contentType: string | null): ReturnType<typeof decodeHtml> {
  try {
    return decodeHtml(input, { contentType })
  } catch {
    // An unknown charset label must not lose the page: fall back to UTF-8 like a browser would.
    const u8 = input instanceof Uint8Array ? input : new Uint8Array(input)
    return { text: new TextDecoder('utf-8').decode(u8), charset: 'utf-8', source: 'default', declared: null }
  }
}

/** Below this weighted length the first pick is suspect: retry without stripping "unlikely" furniture. */
const RETRY_BELOW = 500

function run(input: string, opts: Resolved, decode: DecodeInfo | null): ExtractResult {
  const notHtml = sniffNotHtml(input, opts.contentType)
  if (notHtml !== null) return notArticle(opts.url, notHtml.reason, notHtml.message, null, decode)
  const html = input.length > opts.maxInputLength ? input.slice(0, opts.maxInputLength) : input
  // The metadata reader's elements are picked up while parsing, which saves it a walk of the tree.
  const scanner = createPageScanner()
  const doc = parseHtml(html, scanner.visit)
  const base = parseBase(opts.url)

  let pass = pick(doc, base, true)
  if (totalLength(pass.items) < RETRY_BELOW) {
    const second = pick(doc, base, false)
    if (totalLength(second.items) > totalLength(pass.items) * 1.5) pass = second
  }
  const { idx } = pass
  const meta = safeMetadata(doc, { url: opts.url, bodyRoot: pass.root, scan: scanner.finish() })
  // Without a page-level date, keep date lines: the text clean-up takes the publication date from them.
  const items = dropFurnitureLines(cutAtRelated(dropTitle(pass.items, meta.title)), meta.publishedAt === null)
  const raw: RawBlock[] = []
  const images: ArticleImage[] = []
  for (const it of items) {
    if (it.type === 'block') raw.push(it.block)
    else images.push(it.image)
  }
  const verdict = judgePage({ idx, body: bodyIndex(idx), html, blocks: raw, minTextLength: opts.minTextLength })
  if (verdict !== null) return notArticle(opts.url, verdict.reason, verdict.message, meta.title, decode)

  const cleaned = safeClean(raw.map(toBlock))
  const blocks = cleaned.blocks
  const text = blocks.map((b) => b.text).join('\n\n')
  const title = meta.title ?? ''
  const lang = safeCall(() => detectLang(`${title}\n${text}`, meta.declaredLang), meta.declaredLang)
  return {
    type: 'article',
    url: opts.url,
    title,
    paragraphs: blocks,
    text,
    html: renderHtml(rebuild(items, blocks)),
    images,
    byline: meta.byline.length > 0 ? meta.byline : cleaned.byline,
    editors: meta.editors.length > 0 ? meta.editors : cleaned.editors,
    source: meta.source ?? cleaned.source,
    siteName: meta.siteName,
    publishedAt: meta.publishedAt ?? cleaned.publishedAt,
    modifiedAt: meta.modifiedAt,
    lang,
    canonicalUrl: meta.canonicalUrl,
    description: meta.description,
    industries: safeCall(() => classifyIndustries(title, text, opts.industryKeywords), []),
    mentionsPark: safeCall(() => mentionsPark(`${title}\n${text}`, opts.parkNames), false),
    wordCount: countWords(text),
    decode,
  }
}

interface Pass {
  idx: TreeIndex
  items: Item[]
  root: Element | null
}

/**
 * One scoring pass. The first strips furniture by class/id/role and hidden elements; the fallback keeps
 * everything.
 */
function pick(doc: Document, base: URL | null, stripUnlikely: boolean): Pass {
  const keepHidden = !stripUnlikely
  const idx = buildIndex(doc, { drop: stripUnlikely ? isUnlikely : null, keepHidden })
  const found = findContent(idx)
  if (found === null) return { idx, items: [], root: null }
  const items = collectItems(found.rootAt, {
    idx,
    scores: found.scores,
    prose: found.prose,
    base,
    protect: found.protect,
    keepHidden,
  })
  return { idx, items, root: found.roots[0] ?? null }
}

function totalLength(items: readonly Item[]): number {
  let n = 0
  for (const it of items) if (it.type === 'block') n += blockLength(it.block)
  return n
}

/**
 * Drop the headline from the body: the article's title is metadata, and repeated at the top of the body
 * it would be counted twice. Only headings before the first real paragraph are considered.
 */
function dropTitle(items: Item[], title: string | null): Item[] {
  const want = title === null ? '' : normalise(title)
  const out: Item[] = []
  let seenProse = false
  for (const it of items) {
    if (!seenProse && it.type === 'block') {
      const b = it.block
      if (b.kind === 'heading') {
        const t = normalise(b.text)
        const same =
          want !== '' &&
          t !== '' &&
          (t === want ||
            (want.includes(t) && t.length * 2 > want.length) ||
            (t.includes(want) && want.length * 2 > t.length))
        if (same || (b.level === 1 && want === '')) continue
      } else if (blockLength(b) >= 80) seenProse = true
    }
    out.push(it)
  }
  return out
}

function collapse(s: string): string {
  return s.replace(/\s+/g, ' ').trim()
}

function normalise(s: string): string {
  return s.toLowerCase().replace(/[\s\p{P}\p{S}]+/gu, '')
}

function toBlock(b: RawBlock): Block {
  return b.level === undefined ? { kind: b.kind, text: b.text } : { kind: b.kind, text: b.text, level: b.level }
}

/**
 * Pair the cleaned blocks with the walk's items so the HTML keeps each surviving block's inline markup;
 * a block whose text the clean-up changed is rendered from its new text.
 */
function rebuild(items: readonly Item[], blocks: readonly Block[]): RenderItem[] {
  const out: RenderItem[] = []
  let j = 0
  for (let k = 0; k < items.length; k++) {
    const it = items[k] as Item
    if (it.type === 'image') {
      out.push({ type: 'image', src: it.image.src, alt: it.image.alt, caption: it.image.caption })
      continue
    }
    const next = blocks[j]
    if (next === undefined) continue
    const raw = it.block
    if (next.text === raw.text || (raw.kind === next.kind && collapse(raw.text) === next.text)) {
      out.push({ type: 'block', block: raw })
      j++
      continue
    }
    // The clean-up either removed this block (the cleaned one matches a later raw block) or rewrote it.
    let removed = false
    for (let m = k + 1; m < items.length && m <= k + 4 && !removed; m++) {
      const x = items[m] as Item
      removed = x.type === 'block' && x.block.text === next.text
    }
    if (removed) continue
    const block = { ...raw, kind: next.kind, html: escapeText(next.text) }
    if (next.level !== undefined) block.level = next.level
    out.push({ type: 'block', block })
    j++
  }
  return out
}

function safeMetadata(doc: Document, ctx: MetadataContext): PageMetadata {
  try {
    return extractMetadata(doc, ctx)
  } catch {
    return {
      title: null,
      siteName: null,
      byline: [],
      editors: [],
      source: null,
      publishedAt: null,
      modifiedAt: null,
      canonicalUrl: ctx.url,
      description: null,
      declaredLang: null,
    }
  }
}

function safeClean(blocks: Block[]): ReturnType<typeof cleanBlocks> {
  return safeCall(() => cleanBlocks(blocks), { blocks, byline: [], editors: [], source: null, publishedAt: null })
}

function safeCall<T>(fn: () => T, fallback: T): T {
  try {
    return fn()
  } catch {
    return fallback
  }
}

/** Latin (and other spaced-script) words plus CJK characters. */
function countWords(text: string): number {
  let n = 0
  let inWord = false
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k)
    if (c >= 0x3040 && isCjkCode(c)) {
      n++
      inWord = false
      continue
    }
    // ASCII letters and digits on the fast path; other scripts through the Unicode class.
    const letter = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || (c > 127 && isWordish(c))
    if (letter) {
      if (!inWord) n++
      inWord = true
    } else if (!(inWord && (c === 39 || c === 0x2019 || c === 45))) inWord = false
  }
  return n
}

const WORDISH = /[\p{L}\p{N}\p{M}]/u
/**
 * `WORDISH` per UTF-16 code unit, filled in as units are met (0 unknown, 1 yes, 2 no): CJK punctuation
 * is a tenth of a Chinese text, and a regex test (and a one-character string) for each showed.
 */
const WORDISH_UNIT = new Uint8Array(0x10000)

function isWordish(c: number): boolean {
  let known = WORDISH_UNIT[c] as number
  if (known === 0) {
    known = WORDISH.test(String.fromCharCode(c)) ? 1 : 2
    WORDISH_UNIT[c] = known
  }
  return known === 1
}

function notArticle(
  url: string | null,
  reason: NotArticleReason,
  message: string,
  title: string | null,
  decode: DecodeInfo | null,
): NotArticle {
  return { type: 'not-article', url, reason, message, title, decode }
}
