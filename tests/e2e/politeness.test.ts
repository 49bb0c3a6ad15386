/**
 * Per-host politeness, end to end through `parkwatch run`: two hosts with their own rates are crawled at
 * the same time, and each host's requests are spaced by its configured rate (measured at the servers).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FixtureServer, html, send, startFixtureServer } from '../helpers/fixture-server.js'
import {
  articleHtml,
  ensureBuilt,
  gaps,
  parkwatch,
  rssFeed,
  sourcesYaml,
  spacingProblems,
  summaryFigure,
  type TempDir,
  tempDir,
} from '../helpers/parkwatch.js'

const ARTICLES = 5

async function host(name: string): Promise<FixtureServer> {
  const paths = Array.from({ length: ARTICLES }, (_, i) => `/${name}/${i}.html`)
  const routes: Parameters<typeof startFixtureServer>[0] = {
    '/feed.xml': send(rssFeed(paths), 'application/rss+xml'),
  }
  for (const [i, path] of paths.entries()) routes[path] = html(articleHtml(`苏州工业园区${name}新闻第${i + 1}篇`))
  return startFixtureServer(routes)
}

describe('politeness through `parkwatch run`', () => {
  let slow: FixtureServer
  let fast: FixtureServer
  let work: TempDir

  beforeAll(async () => {
    ensureBuilt()
    work = tempDir('pw-e2e-polite-')
    slow = await host('slow')
    fast = await host('fast')
  }, 120_000)
  afterAll(async () => {
    await slow?.close()
    await fast?.close()
    work?.cleanup()
  })

  it('spaces each host’s requests by its rate while both hosts are crawled in parallel', async () => {
    const sources = work.write(
      'sources.yaml',
      sourcesYaml([
        // 4 requests per second: starts at least 250 ms apart.
        { id: 'slow', rate: 4, concurrency: 1, entries: [{ type: 'feed', url: `${slow.url}/feed.xml` }] },
        // 10 per second: 100 ms apart, two in flight allowed.
        { id: 'fast', rate: 10, concurrency: 2, entries: [{ type: 'feed', url: `${fast.url}/feed.xml` }] },
      ]),
    )
    const run = await parkwatch('run', '--sources', sources, '--data', work.path('data'))
    expect(run.code, run.stderr).toBe(0)
    expect(summaryFigure(run.stdout, 'new versions')).toBe(2 * ARTICLES)

    // robots.txt is read outside the host queue (before its first request, for the Crawl-delay).
    const polite = (server: FixtureServer) => server.requests.filter((r) => r.path !== '/robots.txt').map((r) => r.at)
    const slowTimes = polite(slow)
    const fastTimes = polite(fast)
    expect(slowTimes).toHaveLength(ARTICLES + 1)
    expect(fastTimes).toHaveLength(ARTICLES + 1)
    // Measured where it matters, at the servers (see `spacingProblems` for the tolerance).
    expect(spacingProblems(slowTimes, 250), `slow host gaps ${gaps(slowTimes).map(Math.round)}`).toEqual([])
    expect(spacingProblems(fastTimes, 100), `fast host gaps ${gaps(fastTimes).map(Math.round)}`).toEqual([])

    // Parallel, not one host after the other: the fast host's articles are fetched while the slow host's
    // crawl is still going (its first article came before the slow host's last).
    const lastSlow = Math.max(...slowTimes)
    expect(fastTimes.filter((t) => t < lastSlow).length).toBeGreaterThanOrEqual(ARTICLES)
    expect(Math.min(...slowTimes)).toBeLessThan(Math.max(...fastTimes))
  }, 60_000)
})
