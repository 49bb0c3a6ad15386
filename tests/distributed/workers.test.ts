/**
 * Scaling out, for real: `parkwatch worker` processes on BullMQ (Redis) writing into one PostgreSQL
 * archive, against the demo portal. Every planned visit is made exactly once across workers, edits become
 * versions, request spacing per host holds across processes, and a worker killed with SIGKILL loses
 * nothing (its jobs move to the others once their lock runs out).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type Cluster,
  completedVisits,
  drained,
  extraHits,
  pageHits,
  READY,
  startCluster,
  until,
  type WorkerProcess,
} from './harness.js'

/**
 * Revisit every 8 s, stop at 20 s of age: every article gets at least 2 visits (the Crawl-delay host's last
 * first visit can come 12 s after discovery), all within the test.
 */
/**
 * Delay between the gate's grant and the portal noting the request, on a loaded 2-core machine (the portal
 * runs in this process, beside other test files). 50 ms was once exceeded by 2 ms in CI (a 148 ms gap at a
 * 200 ms interval); a burst still fails, and so does a sustained rate above the limit, whose pairs drift
 * further below their count of intervals with every request.
 */
const JITTER_MS = 100

const SHORT_REVISITS = (yaml: string): string =>
  yaml.replace(/revisit:[\s\S]*?maxAge: 30d/, 'revisit:\n    steps:\n      - { until: 1d, every: 8s }\n    maxAge: 20s')

describe.skipIf(!READY)('three worker processes against the demo portal', () => {
  let cluster: Cluster
  const workers: WorkerProcess[] = []
  let visits: Map<string, string[]>

  beforeAll(async () => {
    cluster = await startCluster({ sources: SHORT_REVISITS })
    await cluster.schedule()
    for (let i = 0; i < 3; i++) workers.push(await cluster.worker())
    // First visits done (every on-topic article has a capture), then the portal's editors strike.
    await until(
      async () => {
        for (const a of cluster.onTopic()) if (!(await cluster.archive.getPage(a.url))) return false
        return true
      },
      60_000,
      () => `first visits not done:\n${workers.map((w) => w.stderr.slice(-2000)).join('\n')}`,
    )
    cluster.portal.advance()
    // Every planned revisit made: nothing waiting, running or delayed any more.
    await until(
      () => drained(cluster, Number.POSITIVE_INFINITY),
      90_000,
      () => 'queue never drained',
    )
    visits = await completedVisits(cluster.queue)
    for (const w of workers) w.child.kill('SIGTERM')
    await Promise.all(workers.map((w) => w.exited))
  }, 200_000)

  afterAll(() => cluster?.close())

  it('captures every article exactly once per visit, and each visit has its own job', async () => {
    for (const a of cluster.onTopic()) {
      const timeline = await cluster.archive.timeline(a.url)
      const jobs = visits.get(a.url) ?? []
      expect(jobs.length, a.id).toBeGreaterThanOrEqual(2)
      expect(new Set(jobs).size, a.id).toBe(jobs.length)
      const fetched = timeline?.captures.map((c) => c.fetchedAt)
      const why = JSON.stringify({ jobs, fetched, hits: pageHits(cluster.portal, a) })
      expect(timeline?.captures.length, `${a.id} ${why}`).toBe(jobs.length)
      // No fetch without its capture, no fetch twice: the portal saw one request per visit.
      expect(pageHits(cluster.portal, a).length, a.id).toBe(jobs.length + extraHits(cluster.portal, a))
    }
  })

  it('spreads the work over the three processes, which all exit cleanly on SIGTERM', async () => {
    for (const w of workers) {
      expect(await w.exited).toBe(0)
      const visitsLine = /visits\s+(\d+)/.exec(w.stdout)
      expect(Number(visitsLine?.[1] ?? 0), w.stderr.slice(-500)).toBeGreaterThan(0)
    }
  })

  it('records the edits made between visits as new versions', async () => {
    for (const a of cluster.onTopic()) {
      const timeline = await cluster.archive.timeline(a.url)
      const versions = timeline?.versions ?? []
      expect(versions[0]?.title, a.id).toBe(a.titles[0])
      if (a.changesAt.includes(1)) {
        expect(versions.length, a.id).toBe(2)
        expect(versions[1]?.title, a.id).toBe(a.titles[1])
      } else {
        expect(versions.length, a.id).toBe(1)
      }
    }
  })

  it('holds each host’s spacing across processes: rate, and the robots.txt Crawl-delay', () => {
    const byHost = new Map<string, number[]>()
    const hops = new Map(
      cluster.portal.expected.redirects.map((r) => [new URL(r.from).pathname, new URL(r.to).pathname]),
    )
    const previous = new Map<string, string>()
    for (const r of cluster.portal.requests) {
      // robots.txt is read once per worker per host, outside the per-host queue (as in one-machine mode);
      // a redirect is followed inside the request that got it.
      const followed = hops.get(previous.get(r.portal) ?? '') === r.path
      previous.set(r.portal, r.path)
      if (r.path === '/robots.txt' || followed) continue
      byHost.set(r.portal, [...(byHost.get(r.portal) ?? []), r.at])
    }
    const interval: Record<string, number> = { netease: 1000, twmirror: 500 } // Crawl-delay: 1; rate: 2
    for (const [host, times] of byHost) {
      times.sort((a, b) => a - b)
      const gaps = times.slice(1).map((t, i) => t - (times[i] as number))
      const want = interval[host] ?? 200
      // The gate spaces the starts on Redis's clock; what the portal logs is that plus two event-loop delays
      // (the worker sending, this loaded process noting the arrival). So no pair of requests is closer than
      // their count of intervals, give or take that jitter: one late request may make the next look early,
      // but a burst over the rate never passes.
      for (let i = 0; i < times.length; i++) {
        for (let j = i + 1; j < times.length; j++) {
          const span = (times[j] as number) - (times[i] as number)
          expect(span, `${host} ${gaps.join(' ')}`).toBeGreaterThanOrEqual((j - i) * want - JITTER_MS)
        }
      }
      gaps.sort((a, b) => a - b)
      expect(gaps[Math.floor(gaps.length / 2)], host).toBeGreaterThanOrEqual(want)
    }
  })
})

describe.skipIf(!READY)('a worker killed with SIGKILL mid-run', () => {
  let cluster: Cluster
  const workers: WorkerProcess[] = []

  beforeAll(async () => {
    cluster = await startCluster({ sources: (y) => y.replace(/every: 10s/g, 'every: 1h') })
    await cluster.schedule()
    for (let i = 0; i < 3; i++) workers.push(await cluster.worker())
    const victim = workers[0] as WorkerProcess
    // Kill it while it works: after its first visit, with more of its jobs in flight.
    await until(
      () => victim.stderr.includes('"type":"visit"'),
      60_000,
      () => victim.stderr,
    )
    victim.child.kill('SIGKILL')
    let counts = {}
    await until(
      async () => {
        counts = await cluster.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed')
        return drained(cluster, 30 * 60_000)
      },
      90_000,
      () => `queue never drained: ${JSON.stringify(counts)}\n${workers.map((w) => w.stderr.slice(-1500)).join('\n')}`,
    )
  }, 200_000)

  afterAll(() => cluster?.close())

  it('loses nothing: every article is archived once, and nothing is dead-lettered', async () => {
    expect(await workers[0]?.exited).toBe('SIGKILL')
    for (const a of cluster.onTopic()) {
      const timeline = await cluster.archive.timeline(a.url)
      expect(timeline?.captures.length, a.id).toBe(1)
      expect(timeline?.versions[0]?.title, a.id).toBe(a.titles[0])
    }
    expect(await cluster.queue.getFailedCount()).toBe(0)
    const report = await cluster.archive.verify()
    expect(report.ok, JSON.stringify(report.issues)).toBe(true)
  })

  it('the survivors took over the killed worker’s jobs', async () => {
    for (const w of workers.slice(1)) w.child.kill('SIGTERM')
    const done = await Promise.all(workers.slice(1).map((w) => w.exited))
    expect(done).toEqual([0, 0])
    const visited = workers.slice(1).map((w) => Number(/visits\s+(\d+)/.exec(w.stdout)?.[1] ?? 0))
    const killedVisits = (workers[0]?.stderr.match(/"type":"visit"/g) ?? []).length
    // Every first visit of an on-topic article was made by someone; the survivors made the rest.
    expect((visited[0] ?? 0) + (visited[1] ?? 0) + killedVisits).toBeGreaterThanOrEqual(cluster.onTopic().length)
  })
})
