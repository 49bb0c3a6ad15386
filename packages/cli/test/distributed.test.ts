/**
 * The distributed mode in-process, against the real Redis and PostgreSQL of this machine (REDIS_URL,
 * ARCHIVE_PG_URL; CI sets both): two workers on one queue scrape the demo portal into one Postgres archive,
 * and the Redis host gate holds spacing across independent connections. Separate worker processes, kill -9
 * and a Redis restart are tested in tests/distributed.
 */
import { randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Archive, createArchive, memoryBackend, postgresBackend } from '@parkwatch/archive'
import { type DemoPortal, startDemoPortal } from '@parkwatch/demo-portal'
import { parseSources } from '@parkwatch/scraper'
import type { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../src/cli.js'
import { createHostGate } from '../src/distributed/host-gate.js'
import { queueIdle, queueStatus, retryDeadLetters } from '../src/distributed/inspect.js'
import { openQueue, visitJobId, visitJobOptions } from '../src/distributed/queue.js'
import { scheduleSources } from '../src/distributed/schedule.js'
import { type DistributedWorker, startWorker } from '../src/distributed/worker.js'

const REDIS_URL = process.env.REDIS_URL
const PG_URL = process.env.ARCHIVE_PG_URL
const ready = Boolean(REDIS_URL && PG_URL)
if (!ready && process.env.CI) throw new Error('CI must set REDIS_URL and ARCHIVE_PG_URL')

/** Delete every key under a test's prefix (BullMQ's obliterate leaves parkwatch's own keys). */
async function purge(redis: Redis, prefix: string): Promise<void> {
  for await (const batch of redis.scanStream({ match: `${prefix}:*`, count: 500 })) {
    if ((batch as string[]).length > 0) await redis.del(...(batch as string[]))
  }
}

/** Resolve when nothing is waiting or active and every delayed job is due after `horizonMs` from now. */
async function drained(queue: Queue, redis: Redis, horizonMs: number, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await queueIdle(queue, redis, horizonMs))) {
    if (Date.now() > deadline) {
      const c = await queue.getJobCounts('waiting', 'active', 'prioritized', 'delayed')
      throw new Error(`queue not drained: ${JSON.stringify(c)}`)
    }
    await new Promise((r) => setTimeout(r, 200))
  }
}

describe.skipIf(!ready)('distributed workers (BullMQ on Redis, Postgres archive)', () => {
  const prefix = `pwtest-${randomUUID().slice(0, 8)}`
  const schema = `pw_dist_${randomUUID().slice(0, 8)}`
  let portal: DemoPortal
  let redis: Redis
  let queue: Queue
  let archive: Archive
  const workers: DistributedWorker[] = []
  const deadLetters: string[] = []
  let text = ''

  beforeAll(async () => {
    portal = await startDemoPortal({ slowMs: 50 })
    redis = new Redis(REDIS_URL as string, { maxRetriesPerRequest: null })
    queue = openQueue(redis, prefix)
    archive = createArchive({ backend: postgresBackend({ connectionString: PG_URL as string, schema }) })
    // Revisits an hour away: this test is about first visits happening exactly once.
    text = portal
      .sourcesYaml()
      .replace(/every: 10s/g, 'every: 1h')
      .replace(/schedule: .*\n/g, '')
    const sources = parseSources(text, 'demo.yaml')
    await scheduleSources({ queue, redis, prefix, text, file: 'demo.yaml', now: sources.sites.map((s) => s.id) })
    for (let i = 0; i < 2; i++) {
      workers.push(
        await startWorker({
          redis: REDIS_URL as string,
          archive,
          prefix,
          jobs: 4,
          browser: false,
          retry: { maxAttempts: 3, baseDelayMs: 50 },
          onDeadLetter: (d) => deadLetters.push(d.reason),
        }),
      )
    }
    await drained(queue, redis, 30 * 60_000)
  }, 120_000)

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.close()))
    await queue?.close()
    await purge(redis, prefix)
    await redis?.quit()
    await archive?.close()
    const client = new pg.Client({ connectionString: PG_URL })
    await client.connect()
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
    await client.end()
    await portal?.close()
  })

  const onTopic = () =>
    portal.expected.articles.filter((a) => a.topic !== 'off-topic' && !a.disallowed && !a.jsRendered)

  it('archives every on-topic article once, with the right title, shared between the workers', async () => {
    for (const article of onTopic()) {
      const timeline = await archive.timeline(article.url)
      expect(timeline?.captures.length, article.id).toBe(1)
      expect(timeline?.versions[0]?.title, article.id).toBe(article.titles[0])
    }
    const visits = workers.map((w) => w.summary.visits)
    expect(visits.every((n) => n > 0)).toBe(true)
    expect(workers.reduce((n, w) => n + w.summary.newVersions, 0)).toBe(onTopic().length)
  })

  it('fetches each article page once (plus the 429 refusal, plus the hop of a redirect to it)', () => {
    for (const article of onTopic()) {
      const path = new URL(article.url).pathname
      const hits = portal.requests.filter((r) => r.path === path && r.portal === article.portal).length
      const refusals = article.url.startsWith(portal.expected.rateLimitedHost) ? 1 : 0
      const hops = portal.expected.redirects.filter((r) => r.to === article.url).length
      expect(hits, article.id).toBe(1 + refusals + hops)
    }
  })

  it('queues the next visit of each article as a delayed job keyed by (URL, due time)', async () => {
    const delayed = await queue.getDelayed(0, -1)
    const article = onTopic()[0]
    if (!article) throw new Error('no article')
    const next = delayed.filter((j) => j.data.url === article.url)
    expect(next).toHaveLength(1)
    const job = next[0]
    expect(job?.data.visit).toBe(2)
    expect(job?.id).toBe(visitJobId(article.url, job?.data.dueAt))
    expect(job?.data.dueAt).toBeGreaterThan(Date.now() + 50 * 60_000)
  })

  it('reports the queue and has nothing dead-lettered; a second discovery queues nothing new', async () => {
    const status = await queueStatus(queue)
    expect(status.counts.failed).toBe(0)
    expect(status.deadLetters).toEqual([])
    expect(deadLetters).toEqual([])
    const before = (await queue.getDelayed(0, -1)).length
    const added = workers.reduce((n, w) => n + w.summary.added, 0)
    await queue.add('discover', { site: 'demo-blog' }, { jobId: `discover-demo-blog-again-${Date.now()}` })
    await drained(queue, redis, 30 * 60_000)
    expect(workers.reduce((n, w) => n + w.summary.added, 0)).toBe(added)
    expect((await queue.getDelayed(0, -1)).length).toBe(before)
  })

  it('completes a visit taken over after a crash without fetching again, and re-plans the same next visit', async () => {
    const article = onTopic()[1]
    if (!article) throw new Error('no article')
    const [planned] = (await queue.getDelayed(0, -1)).filter((j) => j.data.url === article.url)
    if (!planned) throw new Error('no planned visit')
    const page = await archive.getPage(article.url)
    // A worker started this visit, stored its capture, planned the next visit and died before finishing.
    const dueAt = Date.now() - 1_000
    const id = visitJobId(article.url, dueAt)
    await redis.hset(`${prefix}:pw:attempt:${id}`, {
      startedAt: String(Date.parse(page?.lastCapturedAt ?? '') - 1),
      next: String(planned.data.dueAt),
    })
    const hits = portal.requests.length
    const job = await queue.add('visit', { ...planned.data, dueAt, visit: 1 }, { jobId: id })
    await drained(queue, redis, 30 * 60_000)
    expect((await queue.getJob(id))?.returnvalue).toMatchObject({ outcome: 'recovered' })
    expect(portal.requests.length).toBe(hits)
    expect((await archive.timeline(article.url))?.captures.length).toBe(1)
    // The next visit it queued is the one the dead attempt planned: same job id, so still one.
    expect((await queue.getDelayed(0, -1)).filter((j) => j.data.url === article.url)).toHaveLength(1)
    expect(job.id).toBe(id)
  })

  it('retries a visit whose archive write failed, with backoff, then archives it', async () => {
    const article = onTopic()[2]
    if (!article) throw new Error('no article')
    const retryPrefix = `${prefix}-retry`
    const retryQueue = openQueue(redis, retryPrefix)
    await scheduleSources({ queue: retryQueue, redis, prefix: retryPrefix, text, file: 'demo.yaml' })
    let failures = 0
    // The archive refuses this article's first write (a database that went away for a moment). Only this
    // article's: the worker also makes the first visits the retry prefix's own discovery queues.
    const flaky = new Proxy(archive, {
      get(target, key, receiver) {
        if (key !== 'ingest') return Reflect.get(target, key, receiver)
        return (...args: Parameters<Archive['ingest']>) => {
          if (args[0].url === article.url && failures++ === 0)
            return Promise.reject(Object.assign(new Error('connection reset'), { code: 'ECONNRESET' }))
          return target.ingest(...args)
        }
      },
    })
    const worker = await startWorker({
      redis: REDIS_URL as string,
      archive: flaky,
      prefix: retryPrefix,
      browser: false,
      jobRetry: { attempts: 3, backoffMs: 300 },
    })
    try {
      const before = (await archive.timeline(article.url))?.captures.length ?? 0
      const dueAt = Date.now()
      const data = {
        url: article.url,
        site: `demo-${article.portal}`,
        firstSeenAt: dueAt,
        publishedAt: null,
        dueAt,
        visit: 1,
      }
      const job = await retryQueue.add('visit', data, visitJobOptions(data, dueAt, { attempts: 3, backoffMs: 300 }))
      await drained(retryQueue, redis, 30 * 60_000)
      const done = await retryQueue.getJob(job.id ?? '')
      const why = JSON.stringify({
        state: await done?.getState(),
        value: done?.returnvalue,
        failures,
        stack: done?.stacktrace,
        d: done?.delay,
        ts: done?.timestamp,
        now: Date.now(),
      })
      expect(done?.attemptsMade, why).toBe(2)
      expect(done?.returnvalue).toMatchObject({ outcome: expect.stringMatching(/unchanged|not-modified/) })
      expect((done?.finishedOn ?? 0) - (done?.timestamp ?? 0)).toBeGreaterThanOrEqual(300 * 0.5)
      expect((await archive.timeline(article.url))?.captures.length).toBe(before + 1)
    } finally {
      await worker.close()
      await retryQueue.close()
      await purge(redis, retryPrefix)
    }
  })

  it('dead-letters a job that keeps failing, with its reason, and retries it on demand', async () => {
    await queue.add(
      'visit',
      { url: 'http://127.0.0.1:9/x', site: 'no-such-site', firstSeenAt: 0, publishedAt: null, dueAt: 0, visit: 1 },
      { jobId: 'v-bad-0', attempts: 2 },
    )
    await drained(queue, redis, 30 * 60_000)
    const status = await queueStatus(queue)
    expect(status.deadLetters).toHaveLength(1)
    expect(status.deadLetters[0]).toMatchObject({ id: 'v-bad-0', site: 'no-such-site' })
    expect(status.deadLetters[0]?.reason).toMatch(/unknown site `no-such-site`/)
    expect(deadLetters.some((r) => r.includes('no-such-site'))).toBe(true)
    expect(await retryDeadLetters(queue, ['v-bad-0'])).toEqual(['v-bad-0'])
    await drained(queue, redis, 30 * 60_000)
    expect((await queueStatus(queue)).counts.failed).toBe(1)
  })

  it('visits an article again at once when its feed shows an update since its capture', async () => {
    portal.advance()
    const edited = portal.expected.articles.filter(
      (a) => a.portal === 'wechat' && a.changesAt.includes(1) && !a.disallowed,
    )
    const untouched = portal.expected.articles.filter(
      (a) => a.portal === 'wechat' && !a.changesAt.includes(1) && !a.disallowed,
    )
    expect(edited.length).toBeGreaterThan(0)
    await queue.add('discover', { site: 'demo-wechat' }, { jobId: `discover-demo-wechat-update-${Date.now()}` })
    await drained(queue, redis, 30 * 60_000)
    for (const a of edited) {
      const timeline = await archive.timeline(a.url)
      expect(timeline?.versions.length, a.id).toBe(2)
      expect(timeline?.versions[1]?.title, a.id).toBe(a.titles[1])
      // Still one chain of visits: the hour-later visit gave way to the early one, which planned its own.
      expect(
        (await queue.getDelayed(0, -1)).filter((j) => j.data.url === a.url),
        a.id,
      ).toHaveLength(1)
    }
    for (const a of untouched) {
      if (a.topic === 'off-topic') continue
      expect((await archive.timeline(a.url))?.captures.length, a.id).toBe(1)
    }
    expect(workers.reduce((n, w) => n + w.summary.updated, 0)).toBe(edited.length)
  })
})

describe.skipIf(!ready)('the Redis host gate', () => {
  const prefix = `pwtest-gate-${randomUUID().slice(0, 8)}`
  const clients: Redis[] = []
  afterAll(async () => {
    if (clients[0]) await purge(clients[0], prefix)
    await Promise.all(clients.map((c) => c.quit()))
  })

  it('spaces request starts to one host across independent connections and caps concurrency', async () => {
    const gates = [0, 1, 2].map(() => {
      const redis = new Redis(REDIS_URL as string)
      clients.push(redis)
      return createHostGate({ redis, prefix, hosts: { 'a.test': { rate: 10, concurrency: 2 } } })
    })
    const starts: number[] = []
    let running = 0
    let peak = 0
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        gates[i % 3]?.schedule('http://a.test/p', async () => {
          starts.push(Date.now())
          running++
          peak = Math.max(peak, running)
          await new Promise((r) => setTimeout(r, 150))
          running--
        }),
      ),
    )
    starts.sort((a, b) => a - b)
    // The 100 ms interval is held on Redis's clock; each start is noted here a few ms after its grant (event
    // loop, round trip). Any two starts are at least their count of intervals apart, give or take that.
    for (let i = 0; i < starts.length; i++) {
      for (let j = i + 1; j < starts.length; j++) {
        const span = (starts[j] as number) - (starts[i] as number)
        expect(span, starts.join(' ')).toBeGreaterThanOrEqual((j - i) * 100 - 20)
      }
    }
    expect(peak).toBeLessThanOrEqual(2)
  })

  it('uses the Crawl-delay when it is longer than the rate allows, one request at a time', async () => {
    const redis = new Redis(REDIS_URL as string)
    clients.push(redis)
    const gate = createHostGate({ redis, prefix, perHost: { rate: 100, concurrency: 4 }, crawlDelay: () => 300 })
    expect(await gate.rule('http://b.test/')).toEqual({ intervalMs: 300, concurrency: 1 })
    await gate.schedule('http://b.test/1', async () => {})
    const wait = await gate.wait('http://b.test/2')
    expect(wait).toBeGreaterThan(200)
    expect(wait).toBeLessThanOrEqual(300)
  })

  it('frees the slot of a holder that died when its lease runs out', async () => {
    const redis = new Redis(REDIS_URL as string)
    const holderRedis = new Redis(REDIS_URL as string)
    holderRedis.on('error', () => {})
    clients.push(redis)
    const limits = { hosts: { 'c.test': { rate: 0, concurrency: 1 } }, leaseMs: 300 }
    const holder = createHostGate({ redis: holderRedis, prefix, ...limits })
    const gate = createHostGate({ redis, prefix, ...limits })
    // A holder that never releases nor renews: its process is gone (connection dropped mid-request).
    void holder.schedule('http://c.test/1', () => new Promise<void>(() => {}))
    await new Promise((r) => setTimeout(r, 50))
    holderRedis.disconnect()
    expect(await gate.wait('http://c.test/2')).toBeGreaterThan(0)
    const t0 = Date.now()
    await gate.schedule('http://c.test/2', async () => {})
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200)
  })

  it('keeps the slot of a live holder whose request outlasts the lease', async () => {
    const redis = new Redis(REDIS_URL as string)
    clients.push(redis)
    const gate = createHostGate({ redis, prefix, hosts: { 'd.test': { rate: 0, concurrency: 1 } }, leaseMs: 300 })
    let holding = true
    const held = gate.schedule('http://d.test/1', async () => {
      await new Promise((r) => setTimeout(r, 1_000))
      holding = false
    })
    await new Promise((r) => setTimeout(r, 50))
    // Three leases later the slot is still taken: the second request starts only after the first ended.
    await gate.schedule('http://d.test/2', async () => {
      expect(holding).toBe(false)
    })
    await held
  })
  it('hands out tickets one interval apart, and keeps a sent-back job’s ticket for its return', async () => {
    const redis = new Redis(REDIS_URL as string)
    clients.push(redis)
    const gate = createHostGate({ redis, prefix, hosts: { 'e.test': { rate: 4, concurrency: 1 } } })
    const url = 'http://e.test/p'
    expect(await gate.reserve(url, 'a', 50)).toBe(0)
    const b = await gate.reserve(url, 'b', 50)
    const c = await gate.reserve(url, 'c', 50)
    expect(b).toBeGreaterThan(200)
    expect(b).toBeLessThanOrEqual(250)
    expect(c - b).toBeGreaterThanOrEqual(240)
    expect(c - b).toBeLessThanOrEqual(260)
    // Back too early, `b` is told the rest of its own wait, not given a new place at the end of the line.
    const again = await gate.reserve(url, 'b', 50)
    expect(again).toBeLessThanOrEqual(b)
    expect(again).toBeGreaterThan(b - 50)
    // Back on time, it goes; its ticket is used up, so a later return would queue it anew.
    await new Promise((r) => setTimeout(r, again))
    expect(await gate.reserve(url, 'b', 50)).toBeLessThanOrEqual(50)
    expect(await gate.reserve(url, 'b', 50)).toBeGreaterThan(c - b)
  })
})

/** Requests two local hosts got, in arrival order. */
type Arrival = { host: string; path: string; at: number }

/** A local host that answers every page at once and notes each page request in `log`. */
async function noteHost(name: string, log: Arrival[]): Promise<{ origin: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.url === '/robots.txt') {
      res.writeHead(404).end()
      return
    }
    log.push({ host: name, path: req.url ?? '', at: Date.now() })
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end(`<html><head><title>${name} ${req.url}</title></head><body><p>苏州工业园区</p></body></html>`)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

describe.skipIf(!ready)('a worker with hosts at their limits', () => {
  it('sends a busy host’s jobs back until their tickets instead of letting them hold its slots', async () => {
    const prefix = `pwtest-tickets-${randomUUID().slice(0, 8)}`
    const log: Arrival[] = []
    const hosts = { busy: await noteHost('busy', log), other: await noteHost('other', log) }
    const text = `version: 1
defaults:
  rate: 2
  concurrency: 1
sites:
  - id: busy
    entries: [{ type: feed, url: '${hosts.busy.origin}/feed.xml' }]
  - id: other
    entries: [{ type: feed, url: '${hosts.other.origin}/feed.xml' }]
`
    const redis = new Redis(REDIS_URL as string, { maxRetriesPerRequest: null })
    const queue = openQueue(redis, prefix)
    const archive = createArchive({ backend: memoryBackend() })
    // All of the busy host's jobs are queued before any of the other's: taken in queue order, both of the
    // worker's slots would wait on the busy host (2 requests/s) while the other host's jobs sat behind them.
    const now = Date.now()
    for (const site of ['busy', 'other'] as const) {
      for (let i = 1; i <= 4; i++) {
        const url = `${hosts[site].origin}/a${i}.html`
        const data = { url, site, firstSeenAt: now, publishedAt: null, dueAt: now, visit: 1 }
        await queue.add('visit', data, visitJobOptions(data, now))
      }
    }
    const worker = await startWorker({
      redis: REDIS_URL as string,
      archive,
      prefix,
      sources: parseSources(text, 'two-hosts.yaml'),
      browser: false,
      jobs: 2,
      extractThreads: 0,
    })
    try {
      await drained(queue, redis, 30 * 60_000, 30_000)
      const of = (host: string) => log.filter((a) => a.host === host)
      expect(of('busy')).toHaveLength(4)
      expect(of('other')).toHaveLength(4)
      // The other host's first page went out while the busy host's second was still waiting for its time.
      const busy = of('busy')
      expect((of('other')[0] as Arrival).at, JSON.stringify(log)).toBeLessThan((busy[1] as Arrival).at)
      // And each host kept its own spacing (500 ms, give or take this process's event loop).
      for (const host of ['busy', 'other']) {
        const at = of(host).map((a) => a.at)
        for (let i = 1; i < at.length; i++)
          expect((at[i] as number) - (at[i - 1] as number)).toBeGreaterThanOrEqual(480)
      }
    } finally {
      await worker.close()
      await queue.close()
      await purge(redis, prefix)
      await redis.quit()
      await archive.close()
      await Promise.all([hosts.busy.close(), hosts.other.close()])
    }
  })
})

describe.skipIf(!ready)('the distributed commands (parkwatch worker | schedule --redis | queue)', () => {
  const prefix = `pwtest-cli-${randomUUID().slice(0, 8)}`
  const dir = mkdtempSync(join(tmpdir(), 'pw-dist-cli-'))
  let redis: Redis
  beforeAll(() => {
    redis = new Redis(REDIS_URL as string)
  })
  afterAll(async () => {
    await purge(redis, prefix)
    await redis.quit()
    rmSync(dir, { recursive: true, force: true })
  })

  /** Run `parkwatch …` in-process; collect what it wrote. */
  async function parkwatch(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = ''
    let err = ''
    const io = {
      out: {
        write(s: string) {
          out += s
          return true
        },
      },
      err: {
        write(s: string) {
          err += s
          return true
        },
      },
    }
    const code = await main(argv, io)
    return { code, out, err }
  }

  it('refuses to start a worker or read the queue without a Redis URL, with the usage', async () => {
    const saved = process.env.PARKWATCH_REDIS_URL
    delete process.env.PARKWATCH_REDIS_URL
    try {
      const worker = await parkwatch('worker', '--archive', PG_URL as string)
      expect(worker.code).toBe(2)
      expect(worker.err).toContain('missing --redis URL')
      expect(worker.err).toContain('Usage: parkwatch worker')
      expect((await parkwatch('queue')).code).toBe(2)
      expect((await parkwatch('queue', '--redis', 'http://nope')).err).toContain('redis:// URL')
    } finally {
      if (saved !== undefined) process.env.PARKWATCH_REDIS_URL = saved
    }
  })

  it('schedule --redis stores the sources and a scheduler per scheduled site; queue shows them', async () => {
    const file = join(dir, 'sources.yaml')
    writeFileSync(
      file,
      `version: 1
sites:
  - id: hourly
    name: Hourly
    schedule: '0 * * * *'
    entries: [{ type: feed, url: 'http://127.0.0.1:9/rss.xml' }]
  - id: manual
    name: Manual
    entries: [{ type: feed, url: 'http://127.0.0.1:9/other.xml' }]
`,
    )
    const scheduled = await parkwatch('schedule', '--redis', REDIS_URL as string, '--prefix', prefix, '--sources', file)
    expect(scheduled.code, scheduled.err).toBe(0)
    expect(scheduled.out).toContain('discover-hourly')
    expect(scheduled.out).not.toContain('discover-manual')
    const status = await parkwatch('queue', '--redis', REDIS_URL as string, '--prefix', prefix, '--json')
    expect(status.code).toBe(0)
    const json = JSON.parse(status.out) as { schedulers: Array<{ id: string; pattern: string }>; counts: object }
    expect(json.schedulers).toEqual([expect.objectContaining({ id: 'discover-hourly', pattern: '0 * * * *' })])
    expect(json.counts).toMatchObject({ failed: 0 })
    // The site loses its schedule: its scheduler goes.
    writeFileSync(file, readFileSync(file, 'utf8').replace("    schedule: '0 * * * *'\n", ''))
    const again = await parkwatch('schedule', '--redis', REDIS_URL as string, '--prefix', prefix, '--sources', file)
    expect(again.out).toMatch(/discover-hourly\s+removed/)
  })

  it('schedule --redis names the file and field of a bad sources file and stores nothing', async () => {
    const file = join(dir, 'bad.yaml')
    writeFileSync(file, 'version: 1\nsites:\n  - id: x\n    name: X\n    entries: [{ type: feed, url: nope }]\n')
    const r = await parkwatch(
      'schedule',
      '--redis',
      REDIS_URL as string,
      '--prefix',
      `${prefix}-bad`,
      '--sources',
      file,
    )
    expect(r.code).toBe(2)
    expect(r.err).toContain(file)
    expect(r.err).toContain('url')
    expect(await redis.exists(`${prefix}-bad:pw:sources`)).toBe(0)
  })

  it('queue retry says which ids it retried and fails for ids that are not dead letters', async () => {
    const r = await parkwatch('queue', 'retry', 'no-such-job', '--redis', REDIS_URL as string, '--prefix', prefix)
    expect(r.code).toBe(1)
    expect(r.out).toContain('retried 0 job(s)')
  })
})
