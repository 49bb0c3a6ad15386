/**
 * robots.txt, end to end through `parkwatch run`: a disallowed path is never requested (the server's own
 * log proves it), not even as the target of a redirect, and the host's Crawl-delay spaces the requests.
 */
import { createArchive, sqliteBackend } from '@parkwatch/archive'
import { openFrontier } from '@parkwatch/cli'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FixtureServer, html, redirect, send, startFixtureServer } from '../helpers/fixture-server.js'
import {
  articleHtml,
  ensureBuilt,
  gaps,
  logRecords,
  parkwatch,
  rssFeed,
  sourcesYaml,
  spacingProblems,
  type TempDir,
  tempDir,
} from '../helpers/parkwatch.js'

const ALLOWED = ['/news/1.html', '/news/2.html', '/news/3.html']

describe('robots.txt through `parkwatch run`', () => {
  let server: FixtureServer
  let work: TempDir

  beforeAll(async () => {
    ensureBuilt()
    work = tempDir('pw-e2e-robots-')
    const routes: Parameters<typeof startFixtureServer>[0] = {
      '/robots.txt': send('User-agent: *\nDisallow: /private/\nCrawl-delay: 1\n', 'text/plain'),
      '/feed.xml': send(rssFeed([...ALLOWED, '/private/secret.html', '/old.html']), 'application/rss+xml'),
      '/private/secret.html': html(articleHtml('园区内部资料')),
      '/private/moved.html': html(articleHtml('园区内部资料（搬迁）')),
      // An allowed URL redirecting into the disallowed part: the hop must not be followed.
      '/old.html': redirect('/private/moved.html', 301),
    }
    for (const [i, path] of ALLOWED.entries()) routes[path] = html(articleHtml(`苏州工业园区新闻第${i + 1}篇`))
    server = await startFixtureServer(routes)
  }, 120_000)
  afterAll(async () => {
    await server?.close()
    work?.cleanup()
  })

  it('never requests a disallowed path and spaces requests by the Crawl-delay', async () => {
    // The site asks for 50 requests per second; the Crawl-delay of 1 s must win.
    const sources = work.write(
      'sources.yaml',
      sourcesYaml([
        { id: 'robots', rate: 50, concurrency: 4, entries: [{ type: 'feed', url: `${server.url}/feed.xml` }] },
      ]),
    )
    const data = work.path('data')
    const run = await parkwatch('run', '--sources', sources, '--data', data)
    expect(run.code, run.stderr).toBe(0)

    const paths = server.requests.map((r) => r.path)
    expect(paths.filter((p) => p.startsWith('/private/'))).toEqual([])
    expect(paths.filter((p) => p === '/robots.txt')).toHaveLength(1)
    expect(paths[0]).toBe('/robots.txt')
    for (const path of [...ALLOWED, '/old.html', '/feed.xml']) expect(paths, path).toContain(path)

    // Feed, three articles and the redirecting URL, one at a time, a second apart (measured at the server;
    // see `spacingProblems` for the tolerance).
    const polite = server.requests.filter((r) => r.path !== '/robots.txt').map((r) => r.at)
    expect(polite).toHaveLength(5)
    expect(spacingProblems(polite, 1_000), `gaps ${gaps(polite).map(Math.round)}`).toEqual([])

    const visits = logRecords(run.stderr).filter((r) => r.type === 'visit')
    const outcome = (path: string) => visits.find((v) => v.url === `${server.url}${path}`)
    expect(outcome('/private/secret.html')).toMatchObject({ outcome: 'skipped', detail: 'robots' })
    expect(outcome('/old.html')).toMatchObject({ outcome: 'skipped', detail: 'robots' })

    const archive = createArchive({ backend: sqliteBackend({ dir: data }) })
    const frontier = openFrontier({ file: `${data}/archive.sqlite` })
    try {
      for (const path of ALLOWED) expect((await archive.getPage(`${server.url}${path}`))?.versionCount).toBe(1)
      for (const path of ['/private/secret.html', '/private/moved.html', '/old.html']) {
        expect(await archive.getPage(`${server.url}${path}`), path).toBeNull()
      }
      // A robots skip is final: no later visit is planned for it.
      expect((await frontier.visits(`${server.url}/private/secret.html`)).map((v) => v.outcome)).toEqual([
        'skipped:robots',
      ])
    } finally {
      await frontier.close()
      await archive.close()
    }
  }, 60_000)
})
