import { type Article, extract } from '@parkwatch/extractor'
import { parseSources } from '@parkwatch/scraper'
import { describe, expect, it } from 'vitest'
import { DEFAULT_REVISIT, isRelevant, nextVisitAt, visitPlan } from '../src/index.js'

const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR
const T0 = Date.parse('2026-01-01T00:00:00Z')

describe('revisit policy', () => {
  it('decays: 15 min under 3 h, hourly under a day, daily under a week, weekly up to 30 days, then stops', () => {
    const at = (age: number) => {
      const next = nextVisitAt(DEFAULT_REVISIT, { firstSeenAt: T0 }, T0 + age)
      return next === null ? null : next - (T0 + age)
    }
    expect(at(0)).toBe(15 * MIN)
    expect(at(3 * HOUR - 1)).toBe(15 * MIN)
    expect(at(3 * HOUR)).toBe(HOUR)
    expect(at(DAY)).toBe(DAY)
    expect(at(7 * DAY)).toBe(7 * DAY)
    expect(at(30 * DAY)).toBeNull()
    // Never planned past the age limit: the last weekly visit lands on the limit itself.
    expect(nextVisitAt(DEFAULT_REVISIT, { firstSeenAt: T0 }, T0 + 28 * DAY)).toBe(T0 + 30 * DAY)
  })

  it('plans a bounded number of visits over an article’s life', () => {
    const plan = visitPlan(DEFAULT_REVISIT)
    // 12 quarter-hourly (from 0), 21 hourly, 6 daily, 4 weekly, and a last one at 30 days.
    expect(plan.slice(0, 3)).toEqual([0, 15 * MIN, 30 * MIN])
    expect(plan.filter((t) => t < 3 * HOUR)).toHaveLength(12)
    expect(plan.at(-1)).toBe(30 * DAY)
    expect(plan).toHaveLength(44)
  })

  it('reads per-source policies from the sources file', () => {
    const { sites } = parseSources(`
sites:
  - id: quick
    entries: [{ type: feed, url: 'http://127.0.0.1/feed' }]
    revisit: { steps: [{ until: 1h, every: 5m }], maxAge: 2h }
`)
    const policy = sites[0]?.revisit ?? DEFAULT_REVISIT
    expect(nextVisitAt(policy, { firstSeenAt: T0 }, T0)).toBe(T0 + 5 * MIN)
    // Past the last step but before maxAge: no step applies, so the URL is left alone.
    expect(nextVisitAt(policy, { firstSeenAt: T0 }, T0 + 90 * MIN)).toBeNull()
  })

  it('counts age from the publication date on request, never from a future one', () => {
    const old = { firstSeenAt: T0, publishedAt: T0 - 40 * DAY }
    expect(nextVisitAt(DEFAULT_REVISIT, old, T0)).toBe(T0 + 15 * MIN)
    expect(nextVisitAt(DEFAULT_REVISIT, old, T0, { ageFrom: 'published' })).toBeNull()
    const future = { firstSeenAt: T0, publishedAt: T0 + DAY }
    expect(nextVisitAt(DEFAULT_REVISIT, future, T0, { ageFrom: 'published' })).toBe(T0 + 15 * MIN)
  })
})

describe('relevance filter', () => {
  const page = (title: string, text: string): Article => {
    const html = `<html><head><title>${title}</title></head><body><article><h1>${title}</h1>${text
      .split('\n')
      .map((p) => `<p>${p}</p>`)
      .join('')}</article></body></html>`
    const result = extract(html, { url: 'http://127.0.0.1/a.html' })
    if (result.type !== 'article') throw new Error(`fixture is not an article: ${result.message}`)
    return result
  }
  const park = page(
    '苏州工业园区新闻',
    '苏州工业园区今天举行发布会，介绍了园区近期的发展情况，多家企业参加了会议并交流了经验。\n会议还讨论了下一步的工作安排和重点项目推进情况，与会人员表示将继续努力。',
  )
  const food = page(
    '美食节开幕',
    '本周末的美食节在湖边广场开幕，来自各地的小吃摊位吸引了大批市民前来品尝，现场十分热闹。\n主办方表示活动将持续三天，每天上午十点开始，晚上九点结束，欢迎大家前来参加。',
  )

  it('keeps everything without a filter, and applies any/all over the configured kinds', () => {
    expect(isRelevant(null, food)).toBe(true)
    const parks = { keywords: [], parks: ['苏州工业园区'], industries: [], match: 'any' as const }
    expect(isRelevant(parks, park)).toBe(true)
    expect(isRelevant(parks, food)).toBe(false)
    const both = { ...parks, keywords: ['美食'], match: 'all' as const }
    expect(isRelevant(both, park)).toBe(false)
    expect(isRelevant({ ...both, match: 'any' }, food)).toBe(true)
  })
})
