/**
 * Update dates in feeds and sitemaps bring revisits forward, end to end through `parkwatch run`: with a
 * week between scheduled revisits, an article whose Atom `<updated>` (or sitemap `<lastmod>`) moves past
 * its last visit is fetched again on the next run and its edit archived; the others are left alone.
 */
import { createArchive, sqliteBackend } from '@parkwatch/archive'
import { openFrontier } from '@parkwatch/cli'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FixtureServer, html, type RouteHandler, send, startFixtureServer } from '../helpers/fixture-server.js'
import {
  articleHtml,
  ensureBuilt,
  PARAGRAPHS,
  parkwatch,
  sourcesYaml,
  summaryFigure,
  type TempDir,
  tempDir,
} from '../helpers/parkwatch.js'

const PUBLISHED = new Date('2026-01-05T08:00:00Z')

describe('feed and sitemap update dates through `parkwatch run`', () => {
  let server: FixtureServer
  let work: TempDir
  // What the portal says and serves; the test edits it between runs.
  const updated: Record<string, Date> = { a: PUBLISHED, b: PUBLISHED, c: PUBLISHED }
  const extra: Record<string, string[]> = { a: [], b: [], c: [] }

  const page =
    (id: string): RouteHandler =>
    (req, res) =>
      html(articleHtml(`苏州工业园区新闻${id}`, [...PARAGRAPHS, ...(extra[id] ?? [])]))(req, res)

  beforeAll(async () => {
    ensureBuilt()
    work = tempDir('pw-e2e-updates-')
    server = await startFixtureServer({
      '/feed.atom': (req, res) =>
        send(
          `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>园区</title>${[
            'a',
            'b',
          ]
            .map(
              (id) =>
                `<entry><title>${id}</title><link href="/${id}.html"/><published>${PUBLISHED.toISOString()}</published>` +
                `<updated>${updated[id]?.toISOString()}</updated></entry>`,
            )
            .join('')}</feed>`,
          'application/atom+xml',
        )(req, res),
      '/sitemap.xml': (req, res) =>
        send(
          `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">` +
            `<url><loc>${server.url}/c.html</loc><lastmod>${updated.c?.toISOString()}</lastmod></url></urlset>`,
          'application/xml',
        )(req, res),
      '/a.html': page('a'),
      '/b.html': page('b'),
      '/c.html': page('c'),
    })
  }, 120_000)
  afterAll(async () => {
    await server?.close()
    work?.cleanup()
  })

  it('revisits an updated article at once and leaves the rest to their schedule', async () => {
    const sources = work.write(
      'sources.yaml',
      sourcesYaml([
        {
          id: 'updates',
          every: '7d',
          entries: [
            { type: 'feed', url: `${server.url}/feed.atom` },
            { type: 'sitemap', url: `${server.url}/sitemap.xml` },
          ],
        },
      ]),
    )
    const data = work.path('data')
    const run = () => parkwatch('run', '--sources', sources, '--data', data)
    const hits = () => ({ a: server.hits('/a.html'), b: server.hits('/b.html'), c: server.hits('/c.html') })

    const first = await run()
    expect(first.code, first.stderr).toBe(0)
    expect(hits()).toEqual({ a: 1, b: 1, c: 1 })

    // The portal edits a (its feed entry's <updated> moves) and c (its sitemap <lastmod> moves).
    extra.a = ['更新：园区相关负责人表示，首批项目已全部开工建设。']
    extra.c = ['更新：文中数据已根据最新统计口径核对。']
    updated.a = new Date()
    updated.c = new Date()
    const second = await run()
    expect(second.code, second.stderr).toBe(0)
    expect(hits()).toEqual({ a: 2, b: 1, c: 2 })
    expect(second.stdout).toMatch(/discovered\s+3 \(0 new, 2 updated\)/)
    expect(summaryFigure(second.stdout, 'new versions')).toBe(2)

    // Seen again unchanged on the next run: the update is already captured, no third visit.
    const third = await run()
    expect(third.code, third.stderr).toBe(0)
    expect(hits()).toEqual({ a: 2, b: 1, c: 2 })

    const archive = createArchive({ backend: sqliteBackend({ dir: data }) })
    const frontier = openFrontier({ file: `${data}/archive.sqlite` })
    try {
      for (const id of ['a', 'c']) {
        const versions = (await archive.timeline(`${server.url}/${id}.html`))?.versions ?? []
        expect(versions).toHaveLength(2)
        expect(versions[1]?.article.paragraphs.at(-1)?.text).toBe(extra[id]?.[0])
      }
      // a: visit 1, the pulled-forward visit 2 (done), visit 3 planned a week on; the week-later visit the
      // update replaced is kept as `superseded`. b: untouched, one visit planned.
      const a = await frontier.visits(`${server.url}/a.html`)
      expect(a.map((v) => [v.state, v.outcome])).toEqual([
        ['done', 'new-version'],
        ['done', 'new-version'],
        ['done', 'superseded'],
        ['due', null],
      ])
      expect((await frontier.visits(`${server.url}/b.html`)).map((v) => v.state)).toEqual(['done', 'due'])
    } finally {
      await frontier.close()
      await archive.close()
    }
  }, 60_000)
})
