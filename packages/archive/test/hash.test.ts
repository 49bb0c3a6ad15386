import type { Article } from '@parkwatch/extractor'
import * as OpenCC from 'opencc-js/t2cn'
import { describe, expect, it } from 'vitest'
import {
  contentHash,
  makeSnippet,
  normalizeText,
  searchTerms,
  searchTextOf,
  sha256Hex,
  toSimplified,
} from '../src/hash.js'
import { makeArticle } from './fixtures.js'

describe('sha256Hex', () => {
  it('hashes bytes and strings alike', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    expect(sha256Hex(new TextEncoder().encode('abc'))).toBe(sha256Hex('abc'))
  })
})

describe('normalizeText', () => {
  it.each([
    ['full-width ASCII and punctuation', 'ＡＩ芯片，产能！（２０２６）', 'AI芯片,产能!(2026)'],
    ['CJK full stop and enumeration comma', '生物医药、纳米技术。', '生物医药,纳米技术.'],
    ['curly and corner quotes', '“园区”「新政」', '"园区""新政"'],
    ['whitespace between CJK', '苏州 工业\n园区\t发布', '苏州工业园区发布'],
    ['whitespace runs between Latin words', '  Suzhou   Industrial\n\nPark ', 'Suzhou Industrial Park'],
    ['space next to punctuation', '园区 ， 发布 。', '园区,发布.'],
  ])('folds %s', (_, input, expected) => {
    expect(normalizeText(input)).toBe(expected)
  })

  it('keeps real differences', () => {
    expect(normalizeText('园区发布新政')).not.toBe(normalizeText('园区发布旧政'))
    expect(normalizeText('Suzhou Park')).not.toBe(normalizeText('SuzhouPark'))
  })
})

describe('contentHash', () => {
  const base = makeArticle()

  it('ignores reflow, punctuation width and presentation fields', () => {
    const reflowed: Article = {
      ...base,
      title: ` ${base.title} `,
      text: base.text.replaceAll('。', '．').replaceAll('\n\n', '\n'),
      html: '<div>completely different markup</div>',
      images: [{ src: 'https://a.example/x.png', alt: null, caption: null }],
      siteName: 'other',
      industries: [],
      wordCount: 1,
      decode: { charset: 'gb18030', source: 'meta', declared: 'gb2312' },
    }
    expect(contentHash(reflowed)).toBe(contentHash(base))
  })

  it.each([
    ['title', { title: '新标题' }],
    ['text', { text: `${base.text}补充一句。` }],
    ['byline', { byline: ['李四'] }],
    ['editors', { editors: ['王五'] }],
    ['source', { source: '新华社' }],
    ['publication date', { publishedAt: '2026-03-02T09:00:00+08:00' }],
  ] as Array<[string, Partial<Article>]>)('changes with the %s', (_, patch) => {
    expect(contentHash({ ...base, ...patch })).not.toBe(contentHash(base))
  })

  it('does not let fields run into each other', () => {
    const a = { ...base, byline: ['张', '三'] }
    const b = { ...base, byline: ['张三'] }
    expect(contentHash(a)).not.toBe(contentHash(b))
  })
})

describe('script folding and search helpers', () => {
  it('folds traditional (standard, Taiwan, Hong Kong) to simplified', () => {
    expect(toSimplified('蘇州工業園區發佈新藥研發進展')).toBe('苏州工业园区发布新药研发进展')
    expect(toSimplified('臺灣積體電路')).toBe('台湾积体电路')
    expect(toSimplified('苏州工业园区')).toBe('苏州工业园区')
  })

  it('gives what the opencc converter gives, also where it skips texts that need no folding', () => {
    const convert = OpenCC.Converter({ from: 't', to: 'cn' }) as (text: string) => string
    const texts = [
      '',
      'plain ASCII',
      '苏州工业园区生物医药项目签约落户，集成电路产值同比增长。',
      '乾隆年間的乾燥天氣', // a phrase entry (乾隆) shadows the single-character one (乾 → 干)
      '反覆檢查後回覆', // phrases whose characters are all simplified-looking
      '一坏土',
      '𠮷野家的臺灣分店', // a character outside the BMP
      '髮',
      '苏州 臺北',
    ]
    // Every character of the CJK blocks, in runs, so any dictionary entry start is met.
    const chars: string[] = []
    for (let cp = 0x3400; cp < 0xa000; cp++) chars.push(String.fromCodePoint(cp))
    for (let i = 0; i < chars.length; i += 40) texts.push(chars.slice(i, i + 40).join(''))
    for (const text of texts) expect(toSimplified(text)).toBe(convert(text))
  })

  it('gives what the opencc converter gives when it converts only the sentences that need it', () => {
    const convert = OpenCC.Converter({ from: 't', to: 'cn' }) as (text: string) => string
    const dicts = OpenCC.Locale.configs?.t2s
    // Text made of dictionary entries (phrases and characters, both sides), separators and plain simplified
    // text, so phrases meet separators and each other at every position; seeded, so a failure repeats.
    const entries = [...(dicts?.normalizationChain ?? []), ...(dicts?.conversionChain ?? [])]
      .flat()
      .flatMap((d) => (typeof d === 'string' ? d.split('|').flatMap((e) => e.split(' ')) : []))
      .filter(Boolean)
    expect(entries.length).toBeGreaterThan(1000)
    const parts = [
      ...entries.slice(0, 4000),
      ...'，。、；：？！,.;:?! \n“”（）《》…—%0123456789',
      '苏州工业园区',
      'AI',
      '⿰氵工',
      '𠮷',
    ]
    let seed = 20261122
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) >>> 0
      return seed
    }
    for (let round = 0; round < 3000; round++) {
      let text = ''
      for (let k = next() % 40; k >= 0; k--) text += parts[next() % parts.length]
      expect(toSimplified(text), text).toBe(convert(text))
    }
    // A long simplified article with a few traditional sentences: converted sentence by sentence.
    const article = `${'苏州工业园区今天举行新闻发布会，介绍了园区人工智能产业的最新进展。'.repeat(50)}蘇州工業園區發佈新藥研發進展。${'会上发布了新一批应用场景。'.repeat(20)}乾隆年間的乾燥天氣，反覆檢查後回覆。`
    expect(toSimplified(article)).toBe(convert(article))
  })

  it('builds the index text from title and text', () => {
    expect(searchTextOf({ title: '蘇州 園區', text: '生物\n\n醫藥' })).toBe('苏州 园区 生物 医药')
  })

  it('splits queries into distinct folded terms', () => {
    expect(searchTerms('  蘇州   园区 苏州 ')).toEqual(['苏州', '园区'])
    expect(searchTerms('   ')).toEqual([])
  })

  it('marks matches in a window around the first one', () => {
    const text = `${'前'.repeat(40)}纳米技术${'中'.repeat(10)}园区${'后'.repeat(80)}`
    const s = makeSnippet(text, ['园区', '纳米技术'], 10)
    expect(s).toBe(`…${'前'.repeat(10)}[纳米技术]${'中'.repeat(10)}[园区]${'后'.repeat(4)}…`)
    expect(makeSnippet('short text', ['absent'])).toBe('short text')
    expect(makeSnippet('A+B (c)', ['b (c'])).toBe('A+[B (c])')
  })
})
