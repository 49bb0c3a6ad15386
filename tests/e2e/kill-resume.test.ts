/**
 * kill -9 in the middle of a run, then resume, end to end: `parkwatch run` against three demo portal hosts
 * (list pages with a Crawl-delay and a 301, a slow RSS host, a feed plus a sitemap index) is killed with
 * SIGKILL once a few captures are stored; a second run finishes the job. Every request the portal served
 * is counted from inside this process (the portal runs here, the crawler in a child process), so the test
 * sees that nothing stored before the kill is fetched again, and that nothing is lost.
 *
 * Run twice: with the SQLite archive in `--data` (the frontier in the same file), and with
 * `--archive postgres://…` (`ARCHIVE_PG_URL`; CI must set it), where the frontier lives in the archive's
 * schema and nothing at all is written to `--data`.
 */
import { existsSync, readdirSync } from 'node:fs'
import { type Archive, createArchive, postgresBackend, sqliteBackend } from '@parkwatch/archive'
import { type Frontier, openFrontier, openPostgresFrontier } from '@parkwatch/cli'
import { type DemoPortal, startDemoPortal } from '@parkwatch/demo-portal'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureBuilt, startCli, summaryFigure, type TempDir, tempDir } from '../helpers/parkwatch.js'
import { type RequestLog, recordRequests } from '../helpers/request-log.js'

const PORTALS = ['netease', 'twmirror', 'blog'] as const
const SITES = PORTALS.map((p) => `demo-${p}`)
const PG_URL = process.env.ARCHIVE_PG_URL
if (!PG_URL && process.env.CI) throw new Error('CI must set ARCHIVE_PG_URL')

/** Where a run keeps its archive and frontier, and how the test reads them back. */
interface Store {
  name: string
  skip: boolean
  /** Extra `parkwatch` arguments and environment. */
  args: string[]
  env: NodeJS.ProcessEnv
  /** Resolves once the command has created the archive (a reader must not be the one to create a SQLite file). */
  created(data: string): Promise<void>
  reader(data: string): Archive
  frontier(data: string): Promise<Frontier>
  /** Frontier rows by state, read straight from the store, right after the kill. */
  rowsAtKill(data: string): Promise<Record<string, number>>
  cleanup(): Promise<void>
}

const schema = `pw_e2e_kill_${process.pid}_${Date.now().toString(36)}`
const STORES: Store[] = [
  {
    name: 'sqlite archive in --data',
    skip: false,
    args: [],
    env: {},
    async created(data) {
      for (let i = 0; i < 600 && !existsSync(`${data}/archive.sqlite`); i++) await sleep(50)
    },
    reader: (data) => createArchive({ backend: sqliteBackend({ dir: data }) }),
    frontier: async (data) => openFrontier({ file: `${data}/archive.sqlite` }),
    async rowsAtKill(data) {
      const frontier = openFrontier({ file: `${data}/archive.sqlite` })
      try {
        const { due, later, claimed, done } = await frontier.counts(Date.now())
        return { due: due + later, claimed, done }
      } finally {
        await frontier.close()
      }
    },
    cleanup: async () => {},
  },
  {
    name: 'postgres archive (--archive postgres://…)',
    skip: !PG_URL,
    args: ['--archive', PG_URL ?? ''],
    env: { PARKWATCH_PG_SCHEMA: schema },
    created: async () => {},
    reader: () => createArchive({ backend: postgresBackend({ connectionString: PG_URL, schema }) }),
    frontier: () => openPostgresFrontier({ connectionString: PG_URL, schema }),
    async rowsAtKill() {
      // Straight from the table, not through the frontier code under test.
      const rows = await pgQuery<{ state: string; n: number }>(
        `SELECT state, count(*)::int AS n FROM "${schema}".parkwatch_frontier GROUP BY state`,
      )
      return Object.fromEntries(rows.map((r) => [r.state, r.n]))
    },
    async cleanup() {
      if (PG_URL) await pgQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    },
  },
]

describe.each(STORES)('kill -9 in the middle of `parkwatch run`, then resume: $name', (store) => {
  let portal: DemoPortal
  let log: RequestLog
  let work: TempDir

  beforeAll(async () => {
    if (store.skip) return
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
    await store.cleanup()
  })

  it.skipIf(store.skip)(
    'loses nothing and fetches nothing twice',
    async () => {
      // Long revisit intervals: the resumed run has exactly the unfinished work to do.
      const sources = work.write('sources.yaml', portal.sourcesYaml().replace(/every: 10s/, 'every: 1d'))
      const data = work.path('data')
      const siteArgs = SITES.flatMap((id) => ['--site', id])
      const args = ['--sources', sources, '--data', data, ...store.args, ...siteArgs]
      const expected = portal.expected.articles.filter((a) => (PORTALS as readonly string[]).includes(a.portal))
      const wanted = expected.filter((a) => a.topic !== 'off-topic' && !a.disallowed)
      // Every page the crawl visits: the articles, the old URL of the moved one, the dead link.
      const visited = [
        ...expected.filter((a) => !a.disallowed).map((a) => a.url),
        ...portal.expected.redirects.map((r) => r.from),
        ...portal.expected.notFound,
      ]

      const first = startCli(['run', ...args], store.env)
      await store.created(data)
      const reader = store.reader(data)
      try {
        for (let i = 0; i < 600; i++) {
          if ((await reader.stats()).captures >= 3) break
          await sleep(50)
        }
        first.child.kill('SIGKILL')
        const killed = await first.done
        expect(killed.signal).toBe('SIGKILL')
        const requestsAtKill = log.requests.length
        const storedAtKill = new Set<string>()
        for (const url of visited) if (await reader.getPage(url)) storedAtKill.add(url)
        expect(storedAtKill.size).toBeGreaterThanOrEqual(3)
        expect(storedAtKill.size, 'the run was killed after it finished').toBeLessThan(visited.length)
        // The killed run's frontier is in the store: finished visits, and visits it had claimed or not reached.
        const atKill = await store.rowsAtKill(data)
        expect(atKill.done ?? 0, JSON.stringify(atKill)).toBeGreaterThan(0)
        expect((atKill.claimed ?? 0) + (atKill.due ?? 0), JSON.stringify(atKill)).toBeGreaterThan(0)

        const second = await startCli(['run', ...args], store.env).done
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
        const verify = await startCli(['archive', 'verify', '--data', data, ...store.args], store.env).done
        expect(verify.code, verify.stdout).toBe(0)
        expect(summaryFigure(verify.stdout, 'versions')).toBe(wanted.length)

        // The frontier holds no orphaned claim, and every visit ended with an outcome.
        const frontier = await store.frontier(data)
        try {
          const counts = await frontier.counts(Date.now())
          expect(counts.claimed).toBe(0)
          expect(counts.due).toBe(0)
        } finally {
          await frontier.close()
        }
      } finally {
        first.child.kill('SIGKILL')
        await reader.close()
      }
      // With PostgreSQL, `--data` is not used at all: no frontier.sqlite (nor anything else) is created there.
      if (store.args.length > 0) {
        expect(existsSync(`${data}/frontier.sqlite`)).toBe(false)
        expect(existsSync(data) ? readdirSync(data) : []).toEqual([])
      }
    },
    120_000,
  )
})

// --- Internal helpers ---

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

async function pgQuery<R extends pg.QueryResultRow>(text: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: PG_URL })
  await client.connect()
  try {
    return (await client.query<R>(text)).rows
  } finally {
    await client.end()
  }
}
