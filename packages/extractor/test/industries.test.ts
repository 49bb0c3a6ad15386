import { describe, expect, it } from 'vitest'
import { classifyIndustries, DEFAULT_INDUSTRY_KEYWORDS, DEFAULT_PARK_NAMES, mentionsPark } from '../src/industries.js'
import type { IndustryKeywords } from '../src/types.js'

describe('classifyIndustries', () => {
  it('tags an article by its keywords, best first, with evidence', () => {
    const r = classifyIndustries(
      '园区生物医药产业再创佳绩',
      '园区生物医药企业超2000家,创新药获批上市,抗体药物研发加速。另有一家芯片公司落户。',
    )
    expect(r.map((m) => m.industry)).toEqual(['biomedicine'])
    expect(r[0]?.score).toBe(3 + 1 + 1 + 1)
    expect(r[0]?.evidence).toEqual(
      expect.arrayContaining([
        { term: '生物医药', count: 2 },
        { term: '创新药', count: 1 },
        { term: '抗体', count: 1 },
      ]),
    )
  })

  it('does not tag on one passing mention', () => {
    expect(classifyIndustries('园区召开工作会议', '会上提到了人工智能。')).toEqual([])
  })

  it('tags on a single title mention (title weight)', () => {
    expect(classifyIndustries('人工智能试验区建设提速', '会议强调统筹推进各项工作。').map((m) => m.industry)).toEqual([
      'ai',
    ])
  })

  it('counts nested terms once, for the longest', () => {
    const [m] = classifyIndustries('', '第三代半导体 第三代半导体 第三代半导体')
    expect(m?.evidence).toEqual([{ term: '第三代半导体', count: 3 }])
  })

  it('matches traditional script and English, whole words, acronyms case-sensitively', () => {
    expect(classifyIndustries('', '納米技術 納米城 納米材料').map((m) => m.industry)).toEqual(['nanotech'])
    const en = classifyIndustries('', 'Semiconductor makers and GaN wafers: a wafer fab for integrated circuits.')
    expect(en[0]?.industry).toBe('semiconductors')
    // "Thai", "said" and "chipmunk" contain ai / chip but are not the terms.
    expect(classifyIndustries('', 'Thai officials said the chipmunk ate; ai ai ai')).toEqual([])
    expect(classifyIndustries('', 'AI AI AI').map((m) => m.industry)).toEqual(['ai'])
  })

  it('accepts custom keywords and options', () => {
    const kw: IndustryKeywords = { ...DEFAULT_INDUSTRY_KEYWORDS, ai: ['机器狗'] }
    expect(classifyIndustries('', '机器狗', kw, { minScore: 1 }).map((m) => m.industry)).toEqual(['ai'])
    expect(classifyIndustries('', '人工智能 人工智能 人工智能', kw)).toEqual([])
  })

  it('covers both scripts for every industry', () => {
    for (const terms of Object.values(DEFAULT_INDUSTRY_KEYWORDS)) {
      expect(terms.some((t) => /[\u4e00-\u9fff]/.test(t))).toBe(true)
      expect(terms.some((t) => /^[a-z ]+$/i.test(t))).toBe(true)
    }
  })
})

describe('mentionsPark', () => {
  it.each([
    ['苏州工业园区发布新政', true],
    ['蘇州工業園區是開放創新橋頭堡', true],
    ['Suzhou Industrial Park hosts the event', true],
    ['园区企业加快发展,苏州市委书记调研', true],
    ['园区企业加快发展', false],
    ['The SIP trunk failed again', false],
    ['SIP in Suzhou keeps growing', true],
  ])('%s -> %s', (text, expected) => {
    expect(mentionsPark(text)).toBe(expected)
  })

  it('takes custom names', () => {
    expect(mentionsPark('独墅湖科教创新区', ['独墅湖'])).toBe(true)
    expect(DEFAULT_PARK_NAMES.length).toBeGreaterThan(3)
  })
})

describe('classifyIndustries: neighbouring fields', () => {
  it('drops an industry far below the main one (a passing mention in a long article)', () => {
    const text = `${'人工智能产业加速发展。'.repeat(40)}集成电路设计公共服务平台提档升级,服务IC设计企业,集成电路设计人才集聚。`
    expect(classifyIndustries('', text).map((m) => m.industry)).toEqual(['ai'])
    expect(classifyIndustries('', text, undefined, { minShareOfTop: 0 }).map((m) => m.industry)).toEqual([
      'ai',
      'semiconductors',
    ])
  })
})
