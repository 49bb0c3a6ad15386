/**
 * The distributed frontier on BullMQ: one queue holds `visit` jobs (one per planned visit of a URL, delayed
 * until it is due) and `discover` jobs (read a site's entry points; fired by BullMQ job schedulers on each
 * site's cron expression). A visit's job id is derived from (URL, due time), so the same visit is never
 * queued twice while the next visit of the URL gets a job of its own. Besides BullMQ's keys, parkwatch keeps
 * under the same prefix: the URLs ever seen (`pw:seen`), per-visit attempt records (`pw:attempt:<job id>`)
 * that make a visit taken over from a killed worker safe, the sources file (`pw:sources`), and the host gate.
 */
import { createHash } from 'node:crypto'
import { normalizeUrl } from '@parkwatch/archive'
import { type JobsOptions, Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { UsageError } from '../errors.js'

/** The queue's name under the prefix. */
export const QUEUE_NAME = 'visits'

/** Default key prefix (BullMQ's `prefix`; parkwatch's own keys live under `<prefix>:pw:`). */
export const DEFAULT_PREFIX = 'parkwatch'

/** A planned visit. */
export interface VisitJobData {
  url: string
  site: string
  /** When parkwatch first saw the URL (epoch ms); revisit ages count from here. */
  firstSeenAt: number
  publishedAt: number | null
  /** When the visit is due (epoch ms); part of the job id. */
  dueAt: number
  /** 1 for the first visit of the URL, 2 for the first revisit, ...; 0 for a visit pulled forward by an update. */
  visit: number
}

/** A discovery pass over one site's entry points. */
export interface DiscoverJobData {
  site: string
}

/** Job options every visit gets: retries with backoff for infrastructure failures, failed jobs kept. */
export interface RetryPolicy {
  /** Attempts of a job before it goes to the dead-letter list. @default 4 */
  attempts?: number
  /** First backoff delay in ms (doubling, with jitter). @default 2_000 */
  backoffMs?: number
}

/** Open a Redis connection the way BullMQ workers need it (no per-command retry limit, no offline queue limit). */
export function connectRedis(url: string): Redis {
  if (!/^rediss?:\/\//.test(url)) throw new UsageError(`Expected \`--redis\` to be a redis:// URL, got \`${url}\``)
  const redis = new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false })
  // ioredis reconnects by itself (commands wait meanwhile); without a listener it would print every refusal.
  redis.on('error', () => {})
  return redis
}

/** Open the queue (producer side). */
export function openQueue(connection: Redis, prefix: string = DEFAULT_PREFIX): Queue {
  return new Queue(QUEUE_NAME, { connection, prefix })
}

/**
 * The job id of a visit: a hash of the normalised URL and the due time. BullMQ forbids `:` in custom ids.
 *
 * @example
 * ```ts
 * visitJobId('https://news.example.com/a.html?utm_source=x', 1700000000000) // 'v-3f…-1700000000000'
 * ```
 */
export function visitJobId(url: string, dueAt: number): string {
  const key = createHash('sha256').update(normalizeUrl(url)).digest('hex').slice(0, 24)
  return `v-${key}-${Math.round(dueAt)}`
}

/** BullMQ options of a visit job. */
export function visitJobOptions(data: VisitJobData, now: number, retry: RetryPolicy = {}): JobsOptions {
  return {
    jobId: visitJobId(data.url, data.dueAt),
    delay: Math.max(0, data.dueAt - now),
    attempts: retry.attempts ?? 4,
    backoff: { type: 'exponential', delay: retry.backoffMs ?? 2_000, jitter: 0.5 },
    // History for `parkwatch queue`; the archive is the record, so completed jobs need not live long.
    removeOnComplete: { age: 24 * 3600, count: 50_000 },
    // Failed jobs are the dead-letter list: kept until retried or removed by hand.
    removeOnFail: false,
  }
}

/** parkwatch's own keys under the prefix. */
export function keys(prefix: string): {
  seen: string
  next: string
  sources: string
  gate: string
  attempt: (id: string) => string
} {
  return {
    seen: `${prefix}:pw:seen`,
    next: `${prefix}:pw:next`,
    sources: `${prefix}:pw:sources`,
    gate: `${prefix}:pw`,
    attempt: (id) => `${prefix}:pw:attempt:${id}`,
  }
}

/**
 * Queue the first visit of every URL never seen before, exactly once across workers and crashes.
 *
 * A URL's entry in `pw:seen` holds its first-seen time, with a `q` suffix once its first visit is queued.
 * Two discoverers racing on the same URL agree on the first-seen time (HSETNX), so they queue the same job
 * id and BullMQ keeps one; a crash between queueing and marking only means the next pass queues the same
 * job id again. Returns how many first visits were queued.
 */
export async function queueFirstVisits(
  queue: Queue,
  redis: Redis,
  prefix: string,
  items: ReadonlyArray<{ url: string; site: string; publishedAt: number | null }>,
  now: number,
  retry: RetryPolicy = {},
): Promise<number> {
  if (items.length === 0) return 0
  const { seen } = keys(prefix)
  const unique = [...new Map(items.map((i) => [normalizeUrl(i.url), i])).entries()]
  const tx = redis.multi()
  for (const [norm] of unique) tx.hsetnx(seen, norm, String(now))
  await tx.exec()
  const values = await redis.hmget(seen, ...unique.map(([norm]) => norm))
  const jobs: Array<{ name: string; data: VisitJobData; opts: JobsOptions }> = []
  const marks: Array<[string, string]> = []
  unique.forEach(([norm, item], i) => {
    const value = values[i]
    if (!value || value.endsWith('q')) return
    const firstSeenAt = Number(value)
    const data: VisitJobData = {
      url: item.url,
      site: item.site,
      firstSeenAt,
      publishedAt: item.publishedAt,
      dueAt: firstSeenAt,
      visit: 1,
    }
    jobs.push({ name: 'visit', data, opts: visitJobOptions(data, now, retry) })
    marks.push([norm, `${firstSeenAt}q`])
  })
  if (jobs.length === 0) return 0
  await queue.addBulk(jobs)
  const mark = redis.multi()
  for (const [norm, value] of marks) mark.hset(seen, norm, value)
  for (const job of jobs) mark.hset(keys(prefix).next, normalizeUrl(job.data.url), job.opts.jobId as string)
  await mark.exec()
  return jobs.length
}

/** Record the job id of a URL's pending visit (the one an update found by discovery may replace). */
export async function notePendingVisit(redis: Redis, prefix: string, url: string, jobId: string): Promise<void> {
  await redis.hset(keys(prefix).next, normalizeUrl(url), jobId)
}

/**
 * A known URL whose feed or sitemap shows an update after its last capture: queue a visit now, with the job
 * id (URL, update time) so every discovery pass that sees the same update queues the same job, and drop the
 * URL's pending later visit so it keeps one chain of visits. Left alone: a URL whose pending visit is
 * already due. Returns true when a visit was pulled forward.
 */
export async function pullForwardVisit(
  queue: Queue,
  redis: Redis,
  prefix: string,
  item: { url: string; site: string; publishedAt: number | null; updatedAt: number },
  now: number,
  retry: RetryPolicy = {},
): Promise<boolean> {
  const norm = normalizeUrl(item.url)
  const k = keys(prefix)
  const [seenValue, pendingId] = await Promise.all([redis.hget(k.seen, norm), redis.hget(k.next, norm)])
  if (!seenValue) return false
  const jobId = visitJobId(item.url, item.updatedAt)
  if (pendingId === jobId) return false
  if (pendingId) {
    const pending = await queue.getJob(pendingId)
    if (pending) {
      const state = await pending.getState()
      const dueAt = pending.timestamp + (pending.delay ?? 0)
      if (state === 'active' || state === 'waiting' || dueAt <= now) return false
      // A visit planned for later gives way to the early one, which plans the next visit as usual.
      if (state === 'delayed') await pending.remove().catch(() => {})
    }
  }
  const data: VisitJobData = {
    url: item.url,
    site: item.site,
    firstSeenAt: Number.parseInt(seenValue, 10),
    publishedAt: item.publishedAt,
    dueAt: item.updatedAt,
    visit: 0,
  }
  await queue.add('visit', data, { ...visitJobOptions(data, now, retry), delay: 0 })
  await redis.hset(k.next, norm, jobId)
  return true
}
