/**
 * A host that never answers (it accepts the TCP connection and stays silent), end to end through `runOnce`
 * with shortened timeouts: its robots.txt times out, so its entry point and its articles end as timeout
 * errors (recorded, and planned again: a host that is down is not a host that said no), a page that hangs on
 * a healthy host times out too, and the rest of the pass finishes with every other article archived.
 */
import { createServer, type Server, type Socket } from 'node:net'
import { createArchive, sqliteBackend } from '@parkwatch/archive'
import { openFrontier, type RunEvent, runOnce } from '@parkwatch/cli'
import { parseSources } from '@parkwatch/scraper'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FixtureServer, html, never, send, startFixtureServer } from '../helpers/fixture-server.js'
import { articleHtml, rssFeed, sourcesYaml, type TempDir, tempDir } from '../helpers/parkwatch.js'

interface SilentHost {
  url: string
  /** Connections accepted so far. */
  connections: number
  close(): Promise<void>
}

/** A TCP server that accepts every connection and never writes a byte. */
async function startSilentHost(): Promise<SilentHost> {
  const sockets = new Set<Socket>()
  let connections = 0
  const server: Server = createServer((socket) => {
    connections++
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return connections
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

describe('a host that never answers, through `runOnce`', () => {
  let healthy: FixtureServer
  let silent: SilentHost
  let work: TempDir
  const paths = ['/1.html', '/2.html', '/3.html']

  beforeAll(async () => {
    work = tempDir('pw-e2e-silent-')
    silent = await startSilentHost()
    healthy = await startFixtureServer({
      // The healthy feed also links an article on the silent host.
      '/feed.xml': send(rssFeed([...paths, '/hang.html', `${silent.url}/stuck.html`]), 'application/rss+xml'),
      // Connected, headers never sent.
      '/hang.html': never(),
      ...Object.fromEntries(paths.map((p, i) => [p, html(articleHtml(`苏州工业园区新闻第${i + 1}篇`))])),
    })
  })
  afterAll(async () => {
    await healthy?.close()
    await silent?.close()
    work?.cleanup()
  })

  it('records timeouts for the silent host and finishes the pass for the others', async () => {
    const sources = parseSources(
      sourcesYaml([
        { id: 'healthy', entries: [{ type: 'feed', url: `${healthy.url}/feed.xml` }] },
        { id: 'silent', entries: [{ type: 'feed', url: `${silent.url}/feed.xml` }] },
      ]),
    )
    const archive = createArchive({ backend: sqliteBackend({ dir: work.root }) })
    const frontier = openFrontier({ file: work.path('archive.sqlite') })
    const events: RunEvent[] = []
    try {
      const summary = await runOnce({
        sources,
        archive,
        frontier,
        browser: false,
        // One second per fetch instead of a minute, two attempts: enough to tell a hang from a slow page.
        totalTimeoutMs: 1_000,
        retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 },
        onEvent: (e) => events.push(e),
      })
      expect(silent.connections).toBeGreaterThan(0)

      for (const p of paths) expect((await archive.getPage(`${healthy.url}${p}`))?.versionCount, p).toBe(1)
      expect(summary.newVersions).toBe(paths.length)

      // The silent host's feed: a discovery error of kind timeout.
      expect(events).toContainEqual(
        expect.objectContaining({
          type: 'discovery-error',
          site: 'silent',
          url: `${silent.url}/feed.xml`,
          kind: 'timeout',
        }),
      )
      // Its article: never requested (no robots.txt, no permission), yet recorded as a timeout failure and
      // planned again rather than dropped as if robots.txt had said no.
      const stuck = `${silent.url}/stuck.html`
      expect(events).toContainEqual(
        expect.objectContaining({ type: 'visit', url: stuck, outcome: 'error', detail: 'timeout' }),
      )
      expect((await archive.timeline(stuck))?.captures).toMatchObject([
        {
          outcome: 'failed',
          status: null,
          error: expect.stringMatching(/robots\.txt unreachable: .*timeout after 1000 ms/),
        },
      ])
      expect((await frontier.visits(stuck)).map((v) => v.state)).toEqual(['done', 'due'])

      // A page that hangs on a healthy host: both attempts time out, a failed capture, planned again.
      const hang = `${healthy.url}/hang.html`
      expect(healthy.hits('/hang.html')).toBe(2)
      expect(events).toContainEqual(
        expect.objectContaining({ type: 'visit', url: hang, outcome: 'error', detail: 'timeout' }),
      )
      expect((await archive.timeline(hang))?.captures).toMatchObject([
        {
          outcome: 'failed',
          status: null,
          error: expect.stringMatching(/^SCRAPER_TIMEOUT: .*total timeout after 1000 ms/),
        },
      ])
      expect((await frontier.visits(hang)).map((v) => v.state)).toEqual(['done', 'due'])
      expect(summary.errors.timeout).toBe(3)
    } finally {
      await frontier.close()
      await archive.close()
    }
  }, 30_000)
})
