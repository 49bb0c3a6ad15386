/**
 * Conditional requests, end to end: the second `parkwatch run` sends the validators of the archive's last
 * capture (If-None-Match for an ETag, If-Modified-Since for a Last-Modified), the server answers 304, and
 * the archive records a `not-modified` capture without a new version. An edit later gets a 200 and v2.
 */
import { createArchive, sqliteBackend } from '@parkwatch/archive'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { conditional, type FixtureServer, send, startFixtureServer } from '../helpers/fixture-server.js'
import {
  articleHtml,
  ensureBuilt,
  PARAGRAPHS,
  parkwatch,
  rssFeed,
  sourcesYaml,
  summaryFigure,
  type TempDir,
  tempDir,
} from '../helpers/parkwatch.js'

describe('conditional requests through `parkwatch run`', () => {
  let server: FixtureServer
  let work: TempDir
  let etag = '"v1"'
  let etagTitle = '园区发布人工智能产业新政'
  const lastModified = new Date('2024-05-01T08:00:00Z')

  beforeAll(async () => {
    ensureBuilt()
    work = tempDir('pw-e2e-conditional-')
    server = await startFixtureServer({
      '/feed.xml': send(rssFeed(['/etag.html', '/last-modified.html']), 'application/rss+xml'),
      '/etag.html': conditional(
        () => articleHtml(etagTitle),
        () => ({ etag }),
      ),
      '/last-modified.html': conditional(
        () => articleHtml('园区纳米技术产业集群加快发展', PARAGRAPHS.slice().reverse()),
        () => ({ lastModified }),
      ),
    })
  }, 120_000)
  afterAll(async () => {
    await server?.close()
    work?.cleanup()
  })

  it('revalidates with the last capture’s validators and records a 304 as not-modified', async () => {
    // `every: 1ms`: each known page is due again on the next run.
    const sources = work.write(
      'sources.yaml',
      sourcesYaml([{ id: 'cond', every: '1ms', entries: [{ type: 'feed', url: `${server.url}/feed.xml` }] }]),
    )
    const data = work.path('data')
    const requestsOf = (path: string) => server.requests.filter((r) => r.path === path)

    const first = await parkwatch('run', '--sources', sources, '--data', data)
    expect(first.code, first.stderr).toBe(0)
    expect(summaryFigure(first.stdout, 'new versions')).toBe(2)
    // A first visit has nothing to revalidate.
    expect(requestsOf('/etag.html')[0]?.headers['if-none-match']).toBeUndefined()
    expect(requestsOf('/last-modified.html')[0]?.headers['if-modified-since']).toBeUndefined()

    const second = await parkwatch('run', '--sources', sources, '--data', data)
    expect(second.code, second.stderr).toBe(0)
    expect(summaryFigure(second.stdout, 'not modified (304)')).toBe(2)
    expect(summaryFigure(second.stdout, 'new versions')).toBe(0)
    expect(requestsOf('/etag.html')[1]?.headers['if-none-match']).toBe('"v1"')
    expect(requestsOf('/last-modified.html')[1]?.headers['if-modified-since']).toBe(lastModified.toUTCString())

    // The page changes: a new ETag, a new title. The stale validator gets a 200 and a second version.
    etag = '"v2"'
    etagTitle = '园区发布人工智能产业新政（更新）'
    const third = await parkwatch('run', '--sources', sources, '--data', data)
    expect(third.code, third.stderr).toBe(0)
    expect(requestsOf('/etag.html')[2]?.headers['if-none-match']).toBe('"v1"')
    expect(summaryFigure(third.stdout, 'new versions')).toBe(1)
    expect(summaryFigure(third.stdout, 'not modified (304)')).toBe(1)

    const archive = createArchive({ backend: sqliteBackend({ dir: data }) })
    try {
      const etagPage = await archive.timeline(`${server.url}/etag.html`)
      expect(etagPage?.captures.map((c) => [c.outcome, c.status])).toEqual([
        ['ok', 200],
        ['not-modified', 304],
        ['ok', 200],
      ])
      expect(etagPage?.captures[1]?.bodyHash).toBeNull()
      expect(etagPage?.versions.map((v) => v.title)).toEqual(['园区发布人工智能产业新政', etagTitle])
      const lmPage = await archive.timeline(`${server.url}/last-modified.html`)
      expect(lmPage?.captures.map((c) => c.outcome)).toEqual(['ok', 'not-modified', 'not-modified'])
      expect(lmPage?.versions).toHaveLength(1)
      // A 304 capture still points at the version it confirmed.
      expect(lmPage?.captures[2]?.versionNumber).toBe(1)
      expect((await archive.verify()).ok).toBe(true)
    } finally {
      await archive.close()
    }
  }, 60_000)
})
