/**
 * Edits over time, end to end: the demo portal's articles are edited between `parkwatch run`s
 * (`portal.advance()`), and the archive ends up with one version per edit whose diffs (`diffVersions`) show
 * exactly those edits: a new title, a corrected sentence, a moved paragraph, an appended update. The
 * portal's blog (RSS + sitemap index) and its GBK aggregator (list pages, 429 before every first answer)
 * are crawled; unchanged articles are revalidated with 304s.
 */
import { createArchive, diffVersions, sqliteBackend, type Version } from '@parkwatch/archive'
import { type DemoPortal, type ExpectedArticle, startDemoPortal } from '@parkwatch/demo-portal'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureBuilt, parkwatch, summaryFigure, type TempDir, tempDir } from '../helpers/parkwatch.js'

const SITES = ['demo-blog', 'demo-xjnnet']

describe('edits over time: the demo portal between `parkwatch run`s', () => {
  let portal: DemoPortal
  let work: TempDir
  const versions = new Map<string, Version[]>()
  const runs: Array<{ revision: number; stdout: string }> = []
  let articles: ExpectedArticle[] = []

  beforeAll(async () => {
    ensureBuilt()
    work = tempDir('pw-e2e-edits-')
    portal = await startDemoPortal({ slowMs: 0 })
    // The demo revisits every 10 s; `1ms` makes every known article due on the next run instead.
    const sources = work.write('sources.yaml', portal.sourcesYaml().replace(/every: 10s/, 'every: 1ms'))
    const data = work.path('data')
    const siteArgs = SITES.flatMap((id) => ['--site', id])
    for (let revision = 0; revision <= portal.expected.maxRevision; revision++) {
      if (revision > 0) expect(portal.advance()).toBe(revision)
      const run = await parkwatch('run', '--sources', sources, '--data', data, ...siteArgs)
      expect(run.code, run.stderr).toBe(0)
      runs.push({ revision, stdout: run.stdout })
    }

    articles = portal.expected.articles.filter(
      (a) => (a.portal === 'blog' || a.portal === 'xjnnet') && a.topic !== 'off-topic' && !a.disallowed,
    )
    const archive = createArchive({ backend: sqliteBackend({ dir: data }) })
    try {
      for (const a of articles) versions.set(a.id, (await archive.timeline(a.url))?.versions ?? [])
      expect((await archive.verify()).ok).toBe(true)
    } finally {
      await archive.close()
    }
  }, 120_000)
  afterAll(async () => {
    await portal?.close()
    work?.cleanup()
  })

  const byId = (id: string): ExpectedArticle => {
    const found = articles.find((a) => a.id === id)
    if (!found) throw new Error(`no article ${id}`)
    return found
  }
  const pair = (id: string, from: number) => {
    const list = versions.get(id) ?? []
    const [a, b] = [list[from - 1], list[from]]
    if (!a || !b) throw new Error(`${id}: no versions ${from} and ${from + 1}`)
    return diffVersions(a.article, b.article)
  }

  it('keeps one version per revision that changed the article, with the title of that revision', () => {
    expect(articles.some((a) => a.edited)).toBe(true)
    for (const a of articles) {
      const list = versions.get(a.id) ?? []
      expect(list.length, a.id).toBe(1 + a.changesAt.length)
      // Version n+1 holds the title of the revision that made it.
      const revisions = [0, ...a.changesAt]
      expect(
        list.map((v) => v.title),
        a.id,
      ).toEqual(revisions.map((r) => a.titles[r]))
    }
    // Each run reports the edits of its revision as new versions; the rest were revalidated (304).
    for (const { revision, stdout } of runs.slice(1)) {
      const edited = articles.filter((a) => a.changesAt.includes(revision)).length
      expect(summaryFigure(stdout, 'new versions'), `revision ${revision}`).toBe(edited)
      expect(summaryFigure(stdout, 'not modified (304)'), `revision ${revision}`).toBe(articles.length - edited)
    }
  })

  it('diffs a retitle as a title change with an unchanged body', () => {
    const seed = byId('blog-seed')
    const d = pair('blog-seed', 1)
    expect(d.metadata.find((m) => m.field === 'title')).toMatchObject({ before: seed.titles[0], after: seed.titles[1] })
    expect(d.summary).toMatchObject({ paragraphsChanged: 0, paragraphsAdded: 0, paragraphsRemoved: 0 })
  })

  it('diffs a corrected sentence as one changed paragraph, word by word', () => {
    const d = pair('blog-seed', 2)
    const changed = d.paragraphs.filter((p) => p.op === 'changed')
    expect(changed).toHaveLength(1)
    expect(changed[0]?.before?.text).toContain('第三代半导体产业创新集群发展成效亦有目共睹。')
    expect(changed[0]?.after?.text).toContain('第三代半导体产业创新集群同样交出了亮眼答卷。')
    const words = changed[0]?.words ?? []
    expect(
      words
        .filter((w) => w.op === 'added')
        .map((w) => w.text)
        .join(''),
    ).toContain('亮眼答卷')
    expect(
      words
        .filter((w) => w.op === 'removed')
        .map((w) => w.text)
        .join(''),
    ).toContain('有目共睹')
    expect(d.metadata).toEqual([])
  })

  it('diffs a moved paragraph as moved, and an appended update as added (GBK pages)', () => {
    const moved = pair('xjnnet-seed', 1)
    expect(moved.paragraphs.filter((p) => p.op === 'moved').map((p) => p.after?.text)).toEqual([
      expect.stringMatching(/^立足高新区主阵地.*疾步前行/),
    ])
    expect(moved.summary).toMatchObject({ paragraphsAdded: 0, paragraphsRemoved: 0, charsAdded: 0, charsRemoved: 0 })

    const appended = pair('xjnnet-seed', 2)
    const added = appended.paragraphs.filter((p) => p.op === 'added')
    expect(added).toHaveLength(1)
    expect(added[0]?.after?.text).toContain('更新')
    expect(added[0]?.after?.text).toContain('统计口径核对')
    expect(appended.summary.paragraphsRemoved).toBe(0)
  })
})
