/**
 * Retries and Retry-After, end to end through `runOnce` (in-process, so the backoff base can be shrunk
 * instead of slept through): a 503 then 200 is archived, a 429 with `Retry-After: 1` is retried after the
 * second it asked for, a 404 is asked once, and every failure is a capture carrying its error.
 */
import { createArchive, sqliteBackend } from '@parkwatch/archive'
import { type Frontier, openFrontier, type RunEvent, runOnce } from '@parkwatch/cli'
import { parseSources } from '@parkwatch/scraper'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FixtureServer, html, send, sequence, startFixtureServer, status } from '../helpers/fixture-server.js'
import { articleHtml, gaps, rssFeed, sourcesYaml, type TempDir, tempDir } from '../helpers/parkwatch.js'

const PAGES = ['/flaky.html', '/limited.html', '/gone.html', '/down.html', '/reset.html'] as const

describe('retries through `runOnce`', () => {
  let server: FixtureServer
  let work: TempDir

  beforeAll(async () => {
    work = tempDir('pw-e2e-retries-')
    server = await startFixtureServer({
      '/feed.xml': send(rssFeed([...PAGES]), 'application/rss+xml'),
      '/flaky.html': sequence([status(503, 'busy'), html(articleHtml('园区生物医药企业新品获批上市'))]),
      '/limited.html': sequence([
        status(429, 'slow down', { 'retry-after': '1' }),
        html(articleHtml('园区半导体项目集中开工')),
      ]),
      '/gone.html': status(404, 'not here'),
      '/down.html': status(503, 'down for maintenance'),
      '/reset.html': (req) => {
        req.socket.destroy()
      },
    })
  })
  afterAll(async () => {
    await server?.close()
    work?.cleanup()
  })

  it('retries what may heal, honours Retry-After, and records each failure with its kind', async () => {
    const sources = parseSources(
      sourcesYaml([
        { id: 'retries', rate: 100, concurrency: 4, entries: [{ type: 'feed', url: `${server.url}/feed.xml` }] },
      ]),
    )
    const archive = createArchive({ backend: sqliteBackend({ dir: work.root }) })
    const frontier: Frontier = openFrontier({ file: work.path('archive.sqlite') })
    const events: RunEvent[] = []
    try {
      const summary = await runOnce({
        sources,
        archive,
        frontier,
        browser: false,
        // Three attempts with a tiny backoff: the test measures behaviour, not the default waits.
        retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 40 },
        onEvent: (e) => events.push(e),
      })
      const visit = (path: string) =>
        events.find((e): e is Extract<RunEvent, { type: 'visit' }> => e.type === 'visit' && e.url.endsWith(path))

      // 503 then 200: retried once, archived.
      expect(server.hits('/flaky.html')).toBe(2)
      expect(visit('/flaky.html')).toMatchObject({ outcome: 'new-version', version: 1 })

      // 429 + Retry-After: 1 — the retry came a second later, not after the 20 ms backoff.
      const limited = server.requests.filter((r) => r.path === '/limited.html').map((r) => r.at)
      expect(limited).toHaveLength(2)
      expect(gaps(limited)[0]).toBeGreaterThanOrEqual(950)
      expect(visit('/limited.html')).toMatchObject({ outcome: 'new-version' })

      // 404: final at once, never retried, never planned again.
      expect(server.hits('/gone.html')).toBe(1)
      expect(visit('/gone.html')).toMatchObject({ outcome: 'error', detail: 'http-4xx' })
      expect(await frontier.visits(`${server.url}/gone.html`)).toHaveLength(1)

      // Always 503, and a connection reset: every attempt used, then a failed capture, planned again.
      expect(server.hits('/down.html')).toBe(3)
      expect(server.hits('/reset.html')).toBe(3)
      expect(visit('/down.html')).toMatchObject({ outcome: 'error', detail: 'http-5xx' })
      expect(visit('/reset.html')).toMatchObject({ outcome: 'error', detail: 'network' })
      expect(await frontier.visits(`${server.url}/down.html`)).toHaveLength(2)

      expect(summary).toMatchObject({ newVersions: 2, errors: { 'http-4xx': 1, 'http-5xx': 1, network: 1 } })

      const capture = async (path: string) => (await archive.timeline(`${server.url}${path}`))?.captures
      expect(await capture('/gone.html')).toMatchObject([
        { outcome: 'failed', status: 404, error: expect.stringMatching(/^SCRAPER_HTTP_STATUS: .*HTTP 404/) },
      ])
      expect(await capture('/down.html')).toMatchObject([
        { outcome: 'failed', status: 503, error: expect.stringMatching(/^SCRAPER_HTTP_5XX: /) },
      ])
      expect(await capture('/reset.html')).toMatchObject([
        { outcome: 'failed', status: null, error: expect.stringMatching(/^SCRAPER_NETWORK: /) },
      ])
      // A success after retries is one ordinary capture: the failed attempts are not archived as pages.
      expect(await capture('/flaky.html')).toMatchObject([{ outcome: 'ok', status: 200 }])
      expect((await archive.verify()).ok).toBe(true)
    } finally {
      await frontier.close()
      await archive.close()
    }
  }, 30_000)
})
