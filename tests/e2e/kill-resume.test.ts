/**
 * kill -9 in the middle of a run, then resume, end to end: `parkwatch run` against three demo portal hosts
 * (list pages with a Crawl-delay and a 301, a slow RSS host, a feed plus a sitemap index) is killed with
 * SIGKILL once a few captures are stored; a second run finishes the job. Every request the portal served
 * is counted from inside this process (the portal runs here, the crawler in a child process), so the test
 * sees that nothing stored before the kill is fetched again, and that nothing is lost.
 */
import { existsSync } from 'node:fs'
import { createArchive, sqliteBackend } from '@parkwatch/archive'
import { openFrontier } from '@parkwatch/cli'
import { type DemoPortal, startDemoPortal } from '@parkwatch/demo-portal'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureBuilt, parkwatch, startCli, summaryFigure, type TempDir, tempDir } from '../helpers/parkwatch.js'
import { type RequestLog, recordRequests } from '../helpers/request-log.js'

const PORTALS = ['netease', 'twmirror', 'blog'] as const
const SITES = PORTALS.map((p) => `demo-${p}`)

describe('kill -9 in the middle of `parkwatch run`, then resume', () => {
  let portal: DemoPortal
  let log: RequestLog
  let work: TempDir

  beforeAll(async () => {
    ensureBuilt()
    work = tempDir('pw-e2e-kill-')
    log = recordRequests()
    // A slow host keeps the run busy long enough to be killed in the middle.
    portal = await startDemoPortal({ slowMs: 300 })
  }, 120_000)
  afterAll(async () => {
    log?.stop()
    await portal?.close()
    work?.cleanup()
  })

  it('loses nothing and fetches nothing twice', async () => {
    // Long revisit intervals: the resumed run has exactly the unfinished work to do.
    const sources = work.write('sources.yaml', portal.sourcesYaml().replace(/every: 10s/, 'every: 1d'))
    const data = work.path('data')
    const siteArgs = SITES.flatMap((id) => ['--site', id])
    const expected = portal.expected.articles.filter((a) => (PORTALS as readonly string[]).includes(a.portal))
    const wanted = expected.filter((a) => a.topic !== 'off-topic' && !a.disallowed)
    // Every page the crawl visits: the articles, the old URL of the moved one, the dead link.
    const visited = [
      ...expected.filter((a) => !a.disallowed).map((a) => a.url),
      ...portal.expected.redirects.map((r) => r.from),
      ...portal.expected.notFound,
    ]

    const first = startCli(['run', '--sources', sources, '--data', data, ...siteArgs])
    // Opened once the command has created the archive: a reader must not be the one to create it.
    for (let i = 0; i < 600 && !existsSync(`${data}/archive.sqlite`); i++) await new Promise((r) => setTimeout(r, 50))
    const reader = createArchive({ backend: sqliteBackend({ dir: data }) })
    try {
      for (let i = 0; i < 600; i++) {
        if ((await reader.stats()).captures >= 3) break
        await new Promise((r) => setTimeout(r, 50))
      }
      first.child.kill('SIGKILL')
      const killed = await first.done
      expect(killed.signal).toBe('SIGKILL')
      const requestsAtKill = log.requests.length
      const storedAtKill = new Set<string>()
      for (const url of visited) if (await reader.getPage(url)) storedAtKill.add(url)
      expect(storedAtKill.size).toBeGreaterThanOrEqual(3)
      expect(storedAtKill.size, 'the run was killed after it finished').toBeLessThan(visited.length)

      const second = await parkwatch('run', '--sources', sources, '--data', data, ...siteArgs)
      expect(second.code, second.stderr).toBe(0)
      const after = log.requests.slice(requestsAtKill)

      // Nothing fetched twice: what the killed run stored is never requested again, and no page got more
      // than one 200 (one more request is allowed for a visit in flight at the kill).
      for (const url of storedAtKill)
        expect(
          after.filter((r) => r.url === url),
          url,
        ).toEqual([])
      for (const url of visited) {
        const answers = log.to(url)
        const okAnswers = answers.filter((r) => r.status === 200).length
        const inFlightAtKill = !storedAtKill.has(url) && answers.some((r) => log.requests.indexOf(r) < requestsAtKill)
        // A redirect target is fetched through the hop and then visited under its own URL.
        const viaRedirect = portal.expected.redirects.some((r) => r.to === url) ? 1 : 0
        expect(okAnswers, url).toBeLessThanOrEqual(1 + viaRedirect + (inFlightAtKill ? 1 : 0))
      }
      // robots.txt disallows one article: requested by neither run.
      for (const url of portal.expected.disallowed) expect(log.to(url), url).toEqual([])

      // Nothing lost: every wanted article has exactly one capture and one version, and the archive verifies.
      for (const a of wanted) {
        const t = await reader.timeline(a.url)
        expect(t?.captures.length, a.id).toBe(1)
        expect(
          t?.versions.map((v) => v.title),
          a.id,
        ).toEqual([a.titles[0]])
      }
      for (const url of portal.expected.notFound) {
        expect(
          (await reader.timeline(url))?.captures.map((c) => c.status),
          url,
        ).toEqual([404])
      }
      const verify = await parkwatch('archive', 'verify', '--data', data)
      expect(verify.code, verify.stdout).toBe(0)
      expect(summaryFigure(verify.stdout, 'versions')).toBe(wanted.length)

      // The frontier holds no orphaned claim, and every visit ended with an outcome.
      const frontier = openFrontier({ file: `${data}/archive.sqlite` })
      try {
        const counts = frontier.counts(Date.now())
        expect(counts.claimed).toBe(0)
        expect(counts.due).toBe(0)
      } finally {
        frontier.close()
      }
    } finally {
      first.child.kill('SIGKILL')
      await reader.close()
    }
  }, 120_000)
})
