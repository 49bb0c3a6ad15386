import type { Block } from '@parkwatch/extractor'
import { describe, expect, it } from 'vitest'
import { bigrams, diffWords, normaliseLoose, similarity } from '../src/diff/text.js'
import { type DiffableVersion, diffVersions } from '../src/diff.js'

const P = (text: string): Block => ({ kind: 'paragraph', text })

const P1 = '苏州工业园区管委会3日发布消息，园区生物医药产业今年前三季度实现产值1200亿元，同比增长15.6%。'
const P2 = '截至目前，园区已集聚生物医药企业2300余家，其中上市企业36个，形成了从研发到生产的完整产业链。'
const P3 = '园区相关负责人表示，下一步将继续加大对创新药和高端医疗器械的支持力度。'
const P4 = '与此同时，纳米技术应用产业和人工智能产业也保持了较快增长，成为园区经济的新引擎。'
const P5 = '记者了解到，园区将于下月举办第十届中国医药创新大会，预计吸引超过五千名业内人士参会。'

const base: DiffableVersion = {
  title: '苏州工业园区生物医药产业前三季度产值突破千亿',
  paragraphs: [P1, P2, P3, P4].map(P),
  byline: ['张三'],
  editors: ['李四'],
  source: '苏州日报',
  publishedAt: '2025-10-03T09:00:00+08:00',
  modifiedAt: null,
  lang: 'zh-Hans',
  industries: [{ industry: 'biomedicine', score: 12, evidence: [] }],
}

const withParagraphs = (texts: string[], extra: Partial<DiffableVersion> = {}): DiffableVersion => ({
  ...base,
  paragraphs: texts.map(P),
  ...extra,
})

describe('diffVersions', () => {
  it('reports two identical versions as identical', () => {
    const d = diffVersions(base, structuredClone(base))
    expect(d.identical).toBe(true)
    expect(d.metadata).toEqual([])
    expect(d.paragraphs.map((p) => p.op)).toEqual(['equal', 'equal', 'equal', 'equal'])
    expect(d.summary).toMatchObject({ charsAdded: 0, charsRemoved: 0, paragraphsUnchanged: 4 })
  })

  it('lists a title change as metadata with word-level changes, not as a body change', () => {
    const next = { ...base, title: '苏州工业园区生物医药产业前三季度产值突破1200亿元' }
    const d = diffVersions(base, next)
    expect(d.identical).toBe(false)
    expect(d.metadata).toHaveLength(1)
    const title = d.metadata[0]
    expect(title?.field).toBe('title')
    expect(title?.before).toBe(base.title)
    expect(title?.after).toBe(next.title)
    // ICU splits 千亿 into 千|亿 and 1200亿元 into 1200|亿|元: the shared 亿 stays unchanged.
    expect(title?.words).toEqual([
      { op: 'equal', text: '苏州工业园区生物医药产业前三季度产值突破' },
      { op: 'removed', text: '千' },
      { op: 'added', text: '1200' },
      { op: 'equal', text: '亿' },
      { op: 'added', text: '元' },
    ])
    expect(d.summary).toMatchObject({ metadataChanged: 1, paragraphsUnchanged: 4, charsAdded: 0 })
  })

  it('finds an added paragraph and counts its characters', () => {
    const d = diffVersions(base, withParagraphs([P1, P2, P5, P3, P4]))
    expect(d.paragraphs.map((p) => p.op)).toEqual(['equal', 'equal', 'added', 'equal', 'equal'])
    const added = d.paragraphs[2]
    expect(added).toMatchObject({ op: 'added', oldIndex: null, newIndex: 2, after: P(P5) })
    expect(d.summary).toMatchObject({ paragraphsAdded: 1, charsAdded: Array.from(P5).length, charsRemoved: 0 })
  })

  it('finds a removed paragraph at the place it used to be', () => {
    const d = diffVersions(base, withParagraphs([P1, P3, P4]))
    expect(d.paragraphs.map((p) => p.op)).toEqual(['equal', 'removed', 'equal', 'equal'])
    expect(d.paragraphs[1]).toMatchObject({ oldIndex: 1, newIndex: null, before: P(P2) })
    expect(d.summary.charsRemoved).toBe(Array.from(P2).length)
  })

  it('diffs a corrected figure word by word: 36个 -> 38个', () => {
    const d = diffVersions(base, withParagraphs([P1, P2.replace('36个', '38个'), P3, P4]))
    const changed = d.paragraphs[1]
    expect(changed?.op).toBe('changed')
    expect(changed?.oldIndex).toBe(1)
    expect(changed?.similarity).toBeGreaterThan(0.9)
    const words = changed?.words ?? []
    expect(words.filter((w) => w.op === 'removed').map((w) => w.text)).toEqual(['36'])
    expect(words.filter((w) => w.op === 'added').map((w) => w.text)).toEqual(['38'])
    // The word diff rebuilds both texts exactly.
    expect(
      words
        .filter((w) => w.op !== 'added')
        .map((w) => w.text)
        .join(''),
    ).toBe(P2)
    expect(
      words
        .filter((w) => w.op !== 'removed')
        .map((w) => w.text)
        .join(''),
    ).toBe(P2.replace('36个', '38个'))
    expect(d.summary).toMatchObject({ paragraphsChanged: 1, charsAdded: 2, charsRemoved: 2 })
  })

  it('segments Chinese into words, not characters or whole sentences', () => {
    const words = diffWords('园区集聚生物医药企业', '园区集聚纳米技术企业')
    expect(words).toEqual([
      { op: 'equal', text: '园区集聚' },
      { op: 'removed', text: '生物医药' },
      { op: 'added', text: '纳米技术' },
      { op: 'equal', text: '企业' },
    ])
  })

  it('reports a moved paragraph once, as moved, with both indexes', () => {
    const d = diffVersions(base, withParagraphs([P1, P4, P2, P3]))
    const moved = d.paragraphs.filter((p) => p.op === 'moved')
    expect(moved).toHaveLength(1)
    expect(moved[0]?.words).toBeNull()
    expect(d.paragraphs.filter((p) => p.op === 'added' || p.op === 'removed')).toEqual([])
    expect(d.summary).toMatchObject({ paragraphsMoved: 1, paragraphsUnchanged: 3, charsAdded: 0, charsRemoved: 0 })
    // Every paragraph of the new version appears once, in reading order.
    expect(d.paragraphs.map((p) => p.newIndex)).toEqual([0, 1, 2, 3])
  })

  it('reports a paragraph that was moved and edited as moved with its word changes', () => {
    const edited = P4.replace('较快增长', '高速增长')
    const d = diffVersions(base, withParagraphs([edited, P1, P2, P3]))
    const moved = d.paragraphs.find((p) => p.op === 'moved')
    expect(moved).toMatchObject({ oldIndex: 3, newIndex: 0 })
    expect(moved?.words?.filter((w) => w.op !== 'equal')).toEqual([
      { op: 'removed', text: '较快' },
      { op: 'added', text: '高速' },
    ])
  })

  it('sees a full-width to half-width punctuation change only without the ignore option', () => {
    const halfWidth = P2.replaceAll('，', ',').replaceAll('。', '.')
    const strict = diffVersions(base, withParagraphs([P1, halfWidth, P3, P4]))
    expect(strict.identical).toBe(false)
    expect(strict.paragraphs[1]?.op).toBe('changed')
    expect(strict.summary.charsAdded).toBeGreaterThan(0)

    const loose = diffVersions(base, withParagraphs([P1, halfWidth, P3, P4]), { ignoreWhitespaceAndPunctuation: true })
    expect(loose.identical).toBe(true)
    expect(loose.summary).toMatchObject({ charsAdded: 0, charsRemoved: 0, paragraphsUnchanged: 4 })
  })

  it('still reports a real edit next to ignored punctuation changes', () => {
    const next = P2.replaceAll('，', ', ').replace('36个', '38个')
    const d = diffVersions(base, withParagraphs([P1, next, P3, P4]), { ignoreWhitespaceAndPunctuation: true })
    const changed = d.paragraphs[1]
    expect(changed?.op).toBe('changed')
    expect(changed?.words?.filter((w) => w.op !== 'equal')).toEqual([
      { op: 'removed', text: '36' },
      { op: 'added', text: '38' },
    ])
  })

  it('treats a whitespace-only title change as no change with the option', () => {
    const next = { ...base, title: `${base.title} ` }
    expect(diffVersions(base, next).metadata.map((m) => m.field)).toEqual(['title'])
    expect(diffVersions(base, next, { ignoreWhitespaceAndPunctuation: true }).identical).toBe(true)
  })

  it('lists byline, date and industry changes separately from the body', () => {
    const next: DiffableVersion = {
      ...base,
      byline: ['张三', '王五'],
      publishedAt: '2025-10-03T10:30:00+08:00',
      modifiedAt: '2025-10-04T08:00:00+08:00',
      industries: [
        { industry: 'biomedicine', score: 20, evidence: [] },
        { industry: 'nanotech', score: 3, evidence: [] },
      ],
    }
    const d = diffVersions(base, next)
    expect(d.metadata.map((m) => m.field)).toEqual(['byline', 'publishedAt', 'modifiedAt', 'industries'])
    expect(d.metadata[0]).toMatchObject({ before: ['张三'], after: ['张三', '王五'] })
    expect(d.metadata[2]).toMatchObject({ before: null, after: '2025-10-04T08:00:00+08:00' })
    expect(d.metadata[3]).toMatchObject({ before: ['biomedicine'], after: ['biomedicine', 'nanotech'] })
    expect(d.paragraphs.every((p) => p.op === 'equal')).toBe(true)
  })

  it('ignores an industry score change (scores move with every text edit)', () => {
    const next = { ...base, industries: [{ industry: 'biomedicine' as const, score: 99, evidence: [] }] }
    expect(diffVersions(base, next).identical).toBe(true)
  })

  it('reports a paragraph turned into a heading as changed', () => {
    const next: DiffableVersion = {
      ...base,
      paragraphs: [P1, P2, P3, P4].map((t, i) => (i === 2 ? { kind: 'heading', text: t, level: 2 } : P(t))),
    }
    const d = diffVersions(base, next)
    expect(d.paragraphs[2]).toMatchObject({ op: 'changed', words: null, similarity: 1 })
    expect(d.paragraphs[2]?.after?.kind).toBe('heading')
  })

  it('keeps unrelated rewrites as one removal and one addition', () => {
    const d = diffVersions(base, withParagraphs([P1, P2, P5, P4]))
    expect(d.paragraphs.map((p) => p.op)).toEqual(['equal', 'equal', 'removed', 'added', 'equal'])
  })

  it('produces JSON that survives a round trip unchanged', () => {
    const d = diffVersions(base, withParagraphs([P5, P1, P2.replace('36个', '38个'), P4], { title: '新标题' }))
    expect(JSON.parse(JSON.stringify(d))).toEqual(d)
  })

  it('diffs English by words', () => {
    const words = diffWords('The park hosts 36 biotech firms.', 'The park hosts 38 biotech firms.')
    expect(words.filter((w) => w.op !== 'equal')).toEqual([
      { op: 'removed', text: '36' },
      { op: 'added', text: '38' },
    ])
  })

  it('rejects a similarity threshold outside [0, 1]', () => {
    expect(() => diffVersions(base, base, { similarityThreshold: 2 })).toThrow(TypeError)
  })

  it('normalises full-width forms and drops punctuation in loose mode', () => {
    expect(normaliseLoose('企业３６个，（同比）增长。')).toBe(normaliseLoose('企业36个, (同比)增长.'))
  })
})

describe('similarity', () => {
  // The definition: Dice coefficient over the multiset of code-point bigrams.
  const reference = (a: string, b: string): number => {
    const grams = (t: string): string[] => {
      const cps = [...t]
      return cps.length === 1 ? cps : cps.slice(1).map((c, i) => `${cps[i]}${c}`)
    }
    const x = grams(a)
    const y = grams(b)
    if (x.length === 0 && y.length === 0) return 1
    const left = new Map<string, number>()
    for (const g of x) left.set(g, (left.get(g) ?? 0) + 1)
    let shared = 0
    for (const g of y) {
      const n = left.get(g) ?? 0
      if (n > 0) {
        shared++
        left.set(g, n - 1)
      }
    }
    return (2 * shared) / (x.length + y.length)
  }

  it('is the Dice coefficient over code-point bigrams, for plain, astral and mixed texts', () => {
    const texts = [
      '',
      '园',
      '𠀋',
      P1,
      P2,
      `${P1}𠀋𠀋`,
      `𠀋${P1.slice(0, 20)}`,
      '😀园区😀园区',
      '园区园区',
      'ab\uD800cd',
      'abab',
    ]
    for (const a of texts) {
      for (const b of texts) {
        expect(similarity(bigrams(a), bigrams(b)), `${a} / ${b}`).toBeCloseTo(reference(a, b), 12)
      }
    }
  })
})
