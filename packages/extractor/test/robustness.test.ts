/**
 * Robustness of `extract`: it must never throw on bad HTML or bad bytes, must always answer with a
 * well-formed `ExtractResult`, must finish on pathological pages, and must throw typed errors only for
 * inputs and options that break its contract.
 *
 * Properties use fast-check with moderate run counts so the file stays well under 20 s; a failure prints
 * the shrunk counter-example and the seed to replay it.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ExtractOptions, ExtractResult } from '@parkwatch/extractor'
import { ExtractorError, extract, InvalidInputError, InvalidOptionError } from '@parkwatch/extractor'
import { findAll } from 'domutils'
import fc from 'fast-check'
import { parseDocument } from 'htmlparser2'
import { describe, expect, it } from 'vitest'

const BLOCK_KINDS = new Set(['paragraph', 'heading', 'caption', 'list-item', 'quote', 'code', 'table'])
const INDUSTRIES = new Set(['biomedicine', 'nanotech', 'ai', 'semiconductors'])
const NOT_ARTICLE_REASONS = new Set(['empty', 'listing', 'login-wall', 'too-short', 'not-html'])
const DECODE_SOURCES = new Set(['bom', 'header', 'meta', 'detected', 'default', 'string'])
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/
const PAGE_URL = 'https://example.com/news/2024/0101/a.html'
const DEFAULT_MAX_INPUT_LENGTH = 5_000_000

// --- Generators ---

/** A lone (unpaired) UTF-16 surrogate: the kind of string a broken scraper or JSON round trip produces. */
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code))

/** Text that looks like page text: CJK, Latin, entities, whitespace, NUL and lone surrogates. */
const textFragment = fc.oneof(
  fc.constantFrom(
    '苏州工业园区',
    '人工智能',
    '生物医药',
    '記者 王某',
    '编辑:张三',
    '来源:新华日报',
    '2023年2月22日',
    '2023-12-31 15:58:36',
    '會(huì)議',
    'a0g新江南网| 江南第一生活服务网站',
    '&nbsp;',
    '&amp;',
    '&#x4e2d;',
    '&#0;',
    '&bogus;',
    '&',
    '\u0000',
    '\u00a0',
    '\u3000',
    '\r\n',
    '\t',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: loneSurrogate, maxLength: 3 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
)

const tagName = fc.oneof(
  fc.constantFrom(
    'html',
    'head',
    'body',
    'title',
    'meta',
    'div',
    'p',
    'span',
    'a',
    'b',
    'strong',
    'i',
    'font',
    'br',
    'img',
    'h1',
    'h2',
    'h3',
    'h6',
    'article',
    'section',
    'main',
    'aside',
    'nav',
    'header',
    'footer',
    'ul',
    'ol',
    'li',
    'table',
    'tr',
    'td',
    'th',
    'blockquote',
    'pre',
    'code',
    'figure',
    'figcaption',
    'script',
    'style',
    'noscript',
    'iframe',
    'template',
    'textarea',
    'svg',
    'math',
    'select',
    'marquee',
    'frameset',
  ),
  // Made-up and malformed names: custom elements, uppercase, digits, punctuation.
  fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9:-]{0,8}$/),
)

const attribute = fc
  .tuple(
    fc.oneof(
      fc.constantFrom('class', 'id', 'style', 'href', 'src', 'onclick', 'onload', 'lang', 'charset', 'content', 'rel'),
      // Any printable name, minus the characters that would end the attribute.
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }).map((name) => name.replace(/[\s"'>/=]/g, '') || 'x'),
    ),
    fc.oneof(
      fc.constantFrom('', 'content', 'post_body', 'display:none', 'javascript:alert(1)', 'canonical', 'zh-Hant'),
      fc.string({ unit: 'binary', maxLength: 20 }),
    ),
    fc.constantFrom('"', "'", ''),
  )
  .map(([name, value, quote]) => {
    const v = quote === '' ? value.replace(/[\s>]/g, '') : value.replaceAll(quote, '')
    return `${name}=${quote}${v}${quote}`
  })

/** One piece of tag soup; joined without any attempt at balance. */
const soupPiece = fc.oneof(
  { weight: 4, arbitrary: textFragment },
  {
    weight: 4,
    arbitrary: fc
      .tuple(tagName, fc.array(attribute, { maxLength: 4 }), fc.boolean())
      .map(([name, attrs, selfClose]) => `<${[name, ...attrs].join(' ')}${selfClose ? '/' : ''}>`),
  },
  { weight: 3, arbitrary: tagName.map((name) => `</${name}>`) },
  { weight: 1, arbitrary: textFragment.map((t) => `<![CDATA[${t}]]>`) },
  { weight: 1, arbitrary: textFragment.map((t) => `<!--${t}-->`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '<!DOCTYPE html>',
      '<!doctype',
      '<!--',
      '-->',
      '<',
      '>',
      '</',
      '<?xml version="1.0"?>',
      '<meta charset="gb2312">',
      '<meta http-equiv="Content-Type" content="text/html; charset=big5">',
      '<meta charset="x-no-such-charset">',
      '<html lang="zh-Hant">',
      '<link rel="canonical" href="::not a url::">',
      '<meta property="article:published_time" content="not a date">',
      '<script>document.write("<p>")</script>',
      '<style>p{}</style>',
      '<title>',
    ),
  },
)

const tagSoup = fc.array(soupPiece, { maxLength: 80 }).map((pieces) => pieces.join(''))

/** Bytes with invalid UTF-8 spliced in: lone continuation bytes, overlongs, truncated sequences. */
const invalidUtf8 = fc.constantFrom(
  Uint8Array.of(0xff),
  Uint8Array.of(0xfe, 0xff),
  Uint8Array.of(0x80),
  Uint8Array.of(0xc0, 0xaf),
  Uint8Array.of(0xe4, 0xb8),
  Uint8Array.of(0xed, 0xa0, 0x80),
  Uint8Array.of(0xf4, 0x90, 0x80, 0x80),
  Uint8Array.of(0x00),
  Uint8Array.of(0xef, 0xbb, 0xbf), // a BOM in the middle
)

const soupBytes = fc
  .array(fc.oneof({ weight: 3, arbitrary: soupPiece.map((p) => new TextEncoder().encode(p)) }, invalidUtf8), {
    maxLength: 80,
  })
  .map((parts) => concat(parts))

const contentType = fc.option(
  fc.constantFrom(
    'text/html',
    'text/html; charset=utf-8',
    'text/html; charset=GBK',
    'text/html; charset=big5',
    'text/html; charset="shift_jis"',
    'text/html; charset=x-unknown-label',
    'application/octet-stream',
    'text/plain; charset=utf-16le',
    ';;;charset=',
  ),
  { nil: undefined },
)

// --- Properties ---

describe('extract never throws on bad HTML', () => {
  it('random strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 500 }), (input) => {
        expectResultShape(extract(input, { url: PAGE_URL }), { url: PAGE_URL, bytes: false })
      }),
      { numRuns: 200 },
    )
  })

  it('random UTF-16 code units, lone surrogates included', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 500 }),
        (input) => {
          expectResultShape(extract(input), { url: null, bytes: false })
        },
      ),
      { numRuns: 200 },
    )
  })

  it('random tag soup (unclosed tags, stray end tags, CDATA, comments, NUL)', () => {
    fc.assert(
      fc.property(tagSoup, (input) => {
        expectResultShape(extract(input, { url: PAGE_URL }), { url: PAGE_URL, bytes: false })
      }),
      { numRuns: 200 },
    )
  })

  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2_000 }), contentType, (bytes, ct) => {
        expectResultShape(extract(bytes, { url: PAGE_URL, contentType: ct }), { url: PAGE_URL, bytes: true })
      }),
      { numRuns: 200 },
    )
  })

  it('tag soup as bytes with invalid UTF-8 and odd charset declarations', () => {
    fc.assert(
      fc.property(soupBytes, contentType, fc.boolean(), (bytes, ct, asArrayBuffer) => {
        // ArrayBuffer is the other accepted byte form; copy so the buffer is exactly the page.
        const input = asArrayBuffer ? bytes.slice().buffer : bytes
        expectResultShape(extract(input, { url: PAGE_URL, contentType: ct }), { url: PAGE_URL, bytes: true })
      }),
      { numRuns: 200 },
    )
  })

  it('is deterministic: the same input gives the same result', () => {
    fc.assert(
      fc.property(tagSoup, (input) => {
        expect(extract(input, { url: PAGE_URL })).toEqual(extract(input, { url: PAGE_URL }))
      }),
      { numRuns: 100 },
    )
  })

  it('never returns more text than `maxInputLength` lets in', () => {
    fc.assert(
      fc.property(tagSoup, fc.integer({ min: 1, max: 400 }), (input, maxInputLength) => {
        const result = extract(input, { url: PAGE_URL, maxInputLength, minTextLength: 0 })
        expectResultShape(result, { url: PAGE_URL, bytes: false })
        // Block texts only: the blank lines joining them in `text` are not input characters.
        const chars = result.type === 'article' ? result.paragraphs.reduce((n, p) => n + p.text.length, 0) : 0
        expect(chars).toBeLessThanOrEqual(maxInputLength)
      }),
      { numRuns: 100 },
    )
  })
})

describe('extract never throws on mutated golden pages', () => {
  const pages = loadGoldenPages()

  it('has golden pages to mutate', () => {
    expect(pages.length).toBeGreaterThanOrEqual(5)
  })

  /** Delete, duplicate or swap byte slices: this cuts tags, multi-byte (GBK, UTF-8) characters and entities. */
  const mutation = fc.record({
    op: fc.constantFrom('delete', 'duplicate', 'swap'),
    a: fc.double({ min: 0, max: 1, noNaN: true }),
    b: fc.double({ min: 0, max: 1, noNaN: true }),
    length: fc.integer({ min: 1, max: 8_000 }),
  })

  it('delete / duplicate / swap random slices', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Math.max(0, pages.length - 1) }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (pageIndex, mutations) => {
          const page = pages[pageIndex]
          if (page === undefined) return
          const bytes = mutations.reduce((acc, m) => mutate(acc, m), page.bytes)
          expectResultShape(extract(bytes, { url: page.url }), { url: page.url, bytes: true })
        },
      ),
      { numRuns: 30 },
    )
  })
})

// --- Pathological inputs: they only have to finish (within vitest's timeout) with a sound result ---

describe('pathological inputs complete', () => {
  const para = '<p>苏州工业园区人工智能产业创新集群加速崛起,一批企业在各自技术领域突破前行,形成多个应用标杆。</p>\n'

  it('10,000-deep nesting', () => {
    const html = `<html><body>${'<div>'.repeat(10_000)}${para.repeat(5)}${'</div>'.repeat(10_000)}</body></html>`
    expectResultShape(extract(html, { url: PAGE_URL }), { url: PAGE_URL, bytes: false })
  })

  it('10,000-deep nesting that is never closed', () => {
    const html = `<body>${'<div><section>'.repeat(5_000)}${para.repeat(5)}`
    expectResultShape(extract(html, { url: PAGE_URL }), { url: PAGE_URL, bytes: false })
  })

  it('a 20 MB page (bytes)', () => {
    const unit = new TextEncoder().encode(para)
    const count = Math.ceil((20 * 1024 * 1024) / unit.length)
    const bytes = concat([
      new TextEncoder().encode('<html><head><meta charset="utf-8"><title>大页面</title></head><body><article>'),
      ...Array.from({ length: count }, () => unit),
      new TextEncoder().encode('</article></body></html>'),
    ])
    expect(bytes.length).toBeGreaterThan(20 * 1024 * 1024)
    const result = extract(bytes, { url: PAGE_URL })
    expectResultShape(result, { url: PAGE_URL, bytes: true })
    // The default cap bounds what comes out, whatever the page size.
    const chars = result.type === 'article' ? result.paragraphs.reduce((n, p) => n + p.text.length, 0) : 0
    expect(chars).toBeLessThanOrEqual(DEFAULT_MAX_INPUT_LENGTH)
  })

  it('a 2,000 x 20 table', () => {
    const row = `<tr>${'<td>苏州 123</td>'.repeat(20)}</tr>`
    const html = `<html><body>${para}<table>${row.repeat(2_000)}</table>${para}</body></html>`
    expectResultShape(extract(html, { url: PAGE_URL }), { url: PAGE_URL, bytes: false })
  })

  it('100,000 <br>s', () => {
    const html = `<html><body><div>${'园区<br>'.repeat(100_000)}</div></body></html>`
    expectResultShape(extract(html, { url: PAGE_URL }), { url: PAGE_URL, bytes: false })
  })

  it('a single 5 MB text node', () => {
    const html = `<html><body><p>${'园区'.repeat(2_500_000)}</p></body></html>`
    expectResultShape(extract(html, { url: PAGE_URL }), { url: PAGE_URL, bytes: false })
  })

  it('50,000 attributes on one element', () => {
    const attrs = Array.from({ length: 50_000 }, (_, i) => `data-a${i}="${i}"`).join(' ')
    const html = `<html><body><div ${attrs}>${para.repeat(5)}</div></body></html>`
    expectResultShape(extract(html, { url: PAGE_URL }), { url: PAGE_URL, bytes: false })
  })

  it('deeply nested inline tags', () => {
    const open = '<b><i><span><a href="#"><font color="red"><em>'.repeat(2_000)
    const html = `<html><body><p>${open}园区人工智能${'</em></font></a></span></i></b>'.repeat(2_000)}</p>${para.repeat(5)}</body></html>`
    expectResultShape(extract(html, { url: PAGE_URL }), { url: PAGE_URL, bytes: false })
  })

  it('inline tags opened 10,000 times and never closed', () => {
    const html = `<p>${'<b>园'.repeat(5_000)}${'<span>区'.repeat(5_000)}`
    expectResultShape(extract(html, { url: PAGE_URL }), { url: PAGE_URL, bytes: false })
  })
})

// --- Typed errors for contract violations ---

describe('invalid input', () => {
  it.each([
    ['a number', 42],
    ['an object', { html: '<p>x</p>' }],
    ['an array', ['<p>x</p>']],
    ['null', null],
    ['undefined', undefined],
    ['a boolean', true],
    ['a function', () => '<p>x</p>'],
  ])('throws InvalidInputError for %s', (_label, input) => {
    const run = (): ExtractResult => extract(input as unknown as string)
    expect(run).toThrow(InvalidInputError)
    try {
      run()
    } catch (error) {
      expect(error).toBeInstanceOf(ExtractorError)
      expect((error as InvalidInputError).code).toBe('EXTRACTOR_INVALID_INPUT')
    }
  })
})

describe('invalid options', () => {
  it.each<[string, string, unknown]>([
    ['a negative maxInputLength', 'maxInputLength', -1],
    ['a NaN maxInputLength', 'maxInputLength', Number.NaN],
    ['a fractional maxInputLength', 'maxInputLength', 1.5],
    ['a string maxInputLength', 'maxInputLength', '100'],
    ['a negative minTextLength', 'minTextLength', -1],
    ['a numeric url', 'url', 42],
    ['a numeric contentType', 'contentType', 42],
    ['a string parkNames', 'parkNames', '苏州工业园区'],
    ['a string industryKeywords', 'industryKeywords', '人工智能'],
  ])('throws InvalidOptionError for %s', (_label, option, value) => {
    const options = { [option]: value } as ExtractOptions
    const run = (): ExtractResult => extract('<p>苏州工业园区</p>', options)
    expect(run).toThrow(InvalidOptionError)
    try {
      run()
    } catch (error) {
      expect(error).toBeInstanceOf(ExtractorError)
      expect((error as InvalidOptionError).code).toBe('EXTRACTOR_INVALID_OPTION')
      expect((error as InvalidOptionError).option).toBe(option)
    }
  })

  it('accepts the smallest valid limits', () => {
    const result = extract('<p>苏州工业园区</p>', { maxInputLength: 1, minTextLength: 0, url: null, contentType: null })
    expectResultShape(result, { url: null, bytes: false })
  })
})

// --- Internal helpers ---

interface GoldenPage {
  url: string
  bytes: Uint8Array
}

function loadGoldenPages(): GoldenPage[] {
  const dir = fileURLToPath(new URL('./pages/', import.meta.url))
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => {
      const expected = JSON.parse(readFileSync(join(dir, entry.name, 'expected.json'), 'utf8')) as { url: string }
      return { url: expected.url, bytes: new Uint8Array(readFileSync(join(dir, entry.name, 'source.html'))) }
    })
}

function mutate(bytes: Uint8Array, m: { op: string; a: number; b: number; length: number }): Uint8Array {
  const at = (f: number): number => Math.min(bytes.length, Math.floor(f * bytes.length))
  const start = at(m.a)
  const end = Math.min(bytes.length, start + m.length)
  const slice = bytes.subarray(start, end)
  if (m.op === 'delete') return concat([bytes.subarray(0, start), bytes.subarray(end)])
  if (m.op === 'duplicate') return concat([bytes.subarray(0, end), slice, bytes.subarray(end)])
  // swap: move the slice to another position (b), which also scrambles what was between.
  const rest = concat([bytes.subarray(0, start), bytes.subarray(end)])
  const to = Math.min(rest.length, Math.floor(m.b * rest.length))
  return concat([rest.subarray(0, to), slice, rest.subarray(to)])
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

/**
 * The `ExtractResult` contract, field by field, as `src/types.ts` documents it. Uses `expect` so a
 * failing property shows which field broke.
 */
function expectResultShape(result: ExtractResult, ctx: { url: string | null; bytes: boolean }): void {
  expect(result).toBeTypeOf('object')
  expect(result.url).toBe(ctx.url)
  // Plain, JSON-serialisable data: a round trip changes nothing.
  expect(JSON.parse(JSON.stringify(result))).toEqual(result)
  if (ctx.bytes) {
    expect(result.decode).not.toBeNull()
    expect(result.decode?.charset).toBeTypeOf('string')
    expect(DECODE_SOURCES.has(result.decode?.source ?? '')).toBe(true)
  } else if (result.decode !== null) {
    // `decode` is for byte input; a string may at most be reported as such.
    expect(result.decode.source).toBe('string')
  }

  if (result.type === 'not-article') {
    expect(NOT_ARTICLE_REASONS.has(result.reason)).toBe(true)
    expect(result.message).toBeTypeOf('string')
    expect(result.message.length).toBeGreaterThan(0)
    expect(result.title === null || typeof result.title === 'string').toBe(true)
    return
  }

  expect(result.type).toBe('article')
  expect(result.title).toBeTypeOf('string')
  expect(Array.isArray(result.paragraphs)).toBe(true)
  // Problems are collected and asserted once: an `expect` per block costs more than the extraction
  // itself on the 20 MB page's tens of thousands of paragraphs.
  const badBlocks: unknown[] = []
  for (const block of result.paragraphs) {
    const ok =
      BLOCK_KINDS.has(block.kind) &&
      typeof block.text === 'string' &&
      block.text.length > 0 &&
      // "whitespace collapsed": no edges, no runs.
      (block.kind === 'code' ||
        block.kind === 'table' ||
        (block.text === block.text.trim() && !/\s{2,}/.test(block.text))) &&
      (block.level === undefined ||
        (block.kind === 'heading' && Number.isInteger(block.level) && block.level >= 1 && block.level <= 6))
    if (!ok) badBlocks.push(block)
  }
  expect(badBlocks).toEqual([])
  expect(result.text).toBe(result.paragraphs.map((p) => p.text).join('\n\n'))
  expect(result.html).toBeTypeOf('string')
  expectSafeHtml(result.html)
  for (const image of result.images) {
    expect(image.src).toBeTypeOf('string')
    expect(image.alt === null || typeof image.alt === 'string').toBe(true)
    expect(image.caption === null || typeof image.caption === 'string').toBe(true)
  }
  for (const list of [result.byline, result.editors]) {
    expect(Array.isArray(list)).toBe(true)
    for (const name of list) expect(name).toBeTypeOf('string')
  }
  for (const field of [result.source, result.siteName, result.lang, result.canonicalUrl, result.description]) {
    expect(field === null || typeof field === 'string').toBe(true)
  }
  for (const date of [result.publishedAt, result.modifiedAt]) {
    if (date !== null) {
      expect(date).toMatch(ISO_WITH_OFFSET)
      expect(Number.isNaN(Date.parse(date))).toBe(false)
    }
  }
  for (const match of result.industries) {
    expect(INDUSTRIES.has(match.industry)).toBe(true)
    expect(match.score).toBeGreaterThan(0)
    expect(match.evidence.length).toBeGreaterThan(0)
  }
  expect(new Set(result.industries.map((m) => m.industry)).size).toBe(result.industries.length)
  expect(result.mentionsPark).toBeTypeOf('boolean')
  expect(Number.isInteger(result.wordCount) && result.wordCount >= 0).toBe(true)
}

/** "Safe tags only, no scripts or event attributes": checked on the parsed tree, not with a regex. */
function expectSafeHtml(html: string): void {
  const elements = findAll(() => true, parseDocument(html).children)
  const unsafe: string[] = []
  for (const element of elements) {
    const tag = element.name.toLowerCase()
    if (['script', 'style', 'iframe', 'object', 'embed'].includes(tag)) unsafe.push(`<${tag}>`)
    for (const name of Object.keys(element.attribs)) if (/^on/.test(name.toLowerCase())) unsafe.push(`${tag}[${name}]`)
  }
  expect(unsafe).toEqual([])
}
