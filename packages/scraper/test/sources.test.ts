import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_REVISIT, loadSources, parseDuration, parseSources, SourcesFileError } from '../src/index.js'

const EXAMPLE = fileURLToPath(new URL('../sources.example.yaml', import.meta.url))

const errorOf = (fn: () => unknown): SourcesFileError => {
  try {
    fn()
  } catch (error) {
    if (error instanceof SourcesFileError) return error
    throw error
  }
  throw new Error('expected a SourcesFileError')
}

describe('sources file', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parkwatch-sources-'))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('loads the shipped example with defaults resolved', async () => {
    const config = await loadSources(EXAMPLE)
    expect(config.file).toBe(EXAMPLE)
    expect(config.sites.map((s) => s.id)).toEqual([
      'netease-jiangsu',
      'tw-mirror',
      'industry-blog',
      'xjnnet',
      'sipac-wechat-mirror',
      'sipac-official',
    ])
    const netease = config.sites[0]
    expect(netease).toMatchObject({
      render: 'auto',
      rate: 0.5,
      concurrency: 1,
      charset: null,
      schedule: '*/30 * * * *',
    })
    expect(netease?.entries[0]).toMatchObject({ type: 'list', depth: 1 })
    expect(netease?.revisit).toEqual(DEFAULT_REVISIT)
    expect(netease?.relevance?.industries).toEqual(['biomedicine', 'nanotech', 'ai', 'semiconductors'])
    const blog = config.sites.find((s) => s.id === 'industry-blog')
    expect(blog?.entries).toEqual([
      { type: 'feed', url: 'https://industry-news.example/feed/' },
      { type: 'sitemap', url: 'https://industry-news.example/sitemap.xml', maxSitemaps: 10 },
    ])
    const xjn = config.sites.find((s) => s.id === 'xjnnet')
    expect(xjn).toMatchObject({ charset: 'gbk', relevance: { match: 'all', industries: [] } })
    expect(config.sites.find((s) => s.id === 'sipac-wechat-mirror')).toMatchObject({
      render: 'browser',
      schedule: '0 * * * *',
    })
  })

  it('applies built-in defaults to a minimal file', () => {
    const config = parseSources(
      'sites:\n  - id: demo\n    entries:\n      - { type: feed, url: "http://127.0.0.1:1/rss" }\n',
    )
    expect(config).toEqual({
      file: '<inline>',
      sites: [
        {
          id: 'demo',
          name: 'demo',
          entries: [{ type: 'feed', url: 'http://127.0.0.1:1/rss' }],
          render: 'http',
          rate: 1,
          concurrency: 1,
          charset: null,
          relevance: null,
          revisit: DEFAULT_REVISIT,
          schedule: null,
        },
      ],
    })
  })

  it('lists every problem at once with its path, line and what was expected', async () => {
    const file = join(dir, 'bad.yaml')
    await writeFile(
      file,
      [
        'defaults:',
        '  rate: -2', // line 2
        'sites:',
        '  - id: Bad_Id', // line 4
        '    render: sometimes', // line 5
        '    charset: klingon', // line 6
        '    schedule: "every day"', // line 7
        '    colour: blue', // line 8
        '    entries:',
        '      - type: list', // line 10
        '        url: ftp://example.com/',
        '        pattern: "([unclosed"',
        '      - type: podcast', // line 13
        '        url: http://x.test/',
        '    revisit:',
        '      steps:',
        '        - { until: 1d, every: 1h }',
        '        - { until: 3h, every: fortnightly }', // line 18
        '  - id: dup',
        '    entries: []', // line 20
        '  - id: dup', // line 21
        '    entries: [{ type: feed, url: "https://ok.test/rss" }]',
      ].join('\n'),
    )
    const error = await loadSources(file).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SourcesFileError)
    const { issues, message, code, file: named } = error as SourcesFileError
    expect(code).toBe('SCRAPER_BAD_SOURCES')
    expect(named).toBe(file)
    expect(message).toContain(file)
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i]))
    expect(Object.keys(byPath).sort()).toEqual(
      [
        'defaults.rate',
        'sites[0].id',
        'sites[0].render',
        'sites[0].charset',
        'sites[0].schedule',
        'sites[0].colour',
        'sites[0].entries[0].url',
        'sites[0].entries[0].pattern',
        'sites[0].entries[1].type',
        'sites[0].revisit.steps[1].every',
        'sites[0].revisit.steps[1].until',
        'sites[1].entries',
        'sites[2].id',
      ].sort(),
    )
    expect(byPath['defaults.rate']?.line).toBe(2)
    expect(byPath['sites[0].charset']).toMatchObject({ line: 6, message: expect.stringContaining('charset label') })
    expect(byPath['sites[0].schedule']?.message).toContain('cron expression')
    expect(byPath['sites[0].colour']).toMatchObject({ line: 8, message: 'unknown field' })
    expect(byPath['sites[0].entries[0].url']?.message).toBe('expected an absolute http(s) URL')
    expect(byPath['sites[0].entries[0].pattern']?.message).toBe('expected a valid regular expression')
    expect(byPath['sites[0].revisit.steps[1].until']?.message).toContain('ascending')
    expect(byPath['sites[2].id']).toMatchObject({ line: 21, message: 'duplicate id, already used by sites[1]' })
    expect(message).toContain('sites[0].colour (line 8): unknown field')
  })

  it('reports YAML syntax errors and unreadable files', async () => {
    const syntax = errorOf(() => parseSources('sites:\n  - id: x\n   bad: [unclosed\n', 'broken.yaml'))
    expect(syntax.file).toBe('broken.yaml')
    expect(syntax.issues[0]?.message).toMatch(/^YAML syntax/)
    expect(syntax.issues[0]?.line).toBeGreaterThan(0)
    const missing = await loadSources(join(dir, 'nope.yaml')).catch((e: unknown) => e)
    expect(missing).toMatchObject({
      code: 'SCRAPER_BAD_SOURCES',
      issues: [{ path: '', message: 'cannot read the file (ENOENT)' }],
    })
    expect(errorOf(() => parseSources('sites: []')).issues).toEqual([
      { path: 'sites', message: 'expected at least one site', line: 1 },
    ])
  })

  it('parses durations', () => {
    expect(parseDuration('15m')).toBe(900_000)
    expect(parseDuration('1.5h')).toBe(5_400_000)
    expect(parseDuration('30d')).toBe(2_592_000_000)
    expect(parseDuration('250')).toBe(250)
    expect(parseDuration(42)).toBe(42)
    expect(() => parseDuration('soon')).toThrow(RangeError)
  })
})
