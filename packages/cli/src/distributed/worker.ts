/**
 * A distributed worker: takes `visit` and `discover` jobs from the BullMQ queue and runs them with the same
 * code as the one-machine runner (`visitPage`: robots, retries, render modes, extraction, archiving;
 * `discoverSite` for entry points). Only the queue differs: the next visit of a URL becomes a delayed job,
 * and per-host politeness is held across every worker by the Redis host gate.
 *
 * Crash safety: a worker killed mid-job loses its lock; BullMQ's stalled-job check hands the job to another
 * worker. Each visit writes when its attempt started (`pw:attempt:<job id>`); the worker that takes a job
 * over sees that earlier attempt and, if the capture was stored after it, completes the visit without
 * fetching again (`recovered`). The next visit it plans is the one the first attempt planned (kept in the
 * same record), so the plan is not doubled either.
 */
import type { Archive } from '@parkwatch/archive'
import type { SiteConfig, SourcesConfig } from '@parkwatch/scraper'
import { DelayedError, type Job, type Queue, UnrecoverableError, Worker } from 'bullmq'
import type { Redis } from 'ioredis'
import { discoverSite } from '../discover.js'
import { UsageError } from '../errors.js'
import { createFetchStack, type FetchStack, type FetchStackOptions, hostLimits } from '../fetch-stack.js'
import { MAX_UPDATE_SKEW_MS } from '../frontier.js'
import { nextVisitAt, type RevisitAgeFrom } from '../revisit.js'
import { emptySummary, type RunEvent, type RunSummary, tallyVisit } from '../runner.js'
import { visitPage } from '../visit.js'
import { createHostGate, type HostGate } from './host-gate.js'
import {
  connectRedis,
  DEFAULT_PREFIX,
  type DiscoverJobData,
  keys,
  notePendingVisit,
  openQueue,
  pullForwardVisit,
  QUEUE_NAME,
  queueFirstVisits,
  type RetryPolicy,
  type VisitJobData,
  visitJobOptions,
} from './queue.js'
import { loadQueuedSources } from './schedule.js'

/** Options of `startWorker`. */
export interface WorkerOptions extends FetchStackOptions {
  /** `redis://…` URL or an open connection (not closed by the worker). */
  redis: string | Redis
  archive: Archive
  /** Key prefix shared by the scheduler and all workers. @default 'parkwatch' */
  prefix?: string
  /** The sources; by default the file `parkwatch schedule --redis` stored in Redis. @default undefined */
  sources?: SourcesConfig
  /** Jobs in flight in this worker. @default 8 */
  jobs?: number
  /** A job's lock; a dead worker's jobs go to others after about this long. @default 30_000 */
  lockMs?: number
  /** How often this worker looks for stalled jobs. @default lockMs */
  stalledIntervalMs?: number
  /** Job-level retries (infrastructure failures: the archive down...); then the dead-letter list. @default 4 attempts, 2 s */
  jobRetry?: RetryPolicy
  /**
   * A job whose host's next free start (its ticket) is further off than this goes back to the queue until
   * then instead of waiting in a slot. @default 100
   */
  delayAboveMs?: number
  /** What revisit ages count from. @default 'first-seen' */
  ageFrom?: RevisitAgeFrom
  /** Called for every event. @default undefined */
  onEvent?: (event: RunEvent) => void
  /** Called once when no sources are stored in Redis yet (the worker waits for `schedule --redis`). @default undefined */
  onWaiting?: (message: string) => void
  /** Called when a job fails for good (dead-lettered). @default undefined */
  onDeadLetter?: (job: { id: string; url: string | null; reason: string }) => void
}

/** A running worker. */
export interface DistributedWorker {
  /** Totals since start (visits this worker made). */
  readonly summary: RunSummary
  /** Be told when the Redis connection drops (`reconnecting`) and comes back (`ready`). */
  onConnection(listener: (state: 'reconnecting' | 'ready') => void): void
  /**
   * Stop taking jobs and close connections (not a passed-in Redis or the archive). Jobs in flight finish;
   * with `abort`, their fetches are aborted and the visits go back to the queue instead.
   */
  close(options?: { abort?: boolean }): Promise<void>
}

/**
 * Start a worker.
 *
 * @example
 * ```ts
 * const archive = createArchive({ backend: postgresBackend({ connectionString: process.env.ARCHIVE_PG_URL }) })
 * const worker = await startWorker({ redis: 'redis://127.0.0.1:6379', archive })
 * process.once('SIGTERM', () => worker.close())
 * ```
 */
export async function startWorker(options: WorkerOptions): Promise<DistributedWorker> {
  const prefix = options.prefix ?? DEFAULT_PREFIX
  const ownRedis = typeof options.redis === 'string'
  const redis = typeof options.redis === 'string' ? connectRedis(options.redis) : options.redis
  const emit = options.onEvent ?? (() => {})
  const summary = emptySummary()
  const lockMs = options.lockMs ?? 30_000
  const delayAboveMs = options.delayAboveMs ?? 100
  const abort = new AbortController()

  let sites = siteMap(options.sources ?? (await waitForSources(redis, prefix, options.onWaiting)))
  let gate: HostGate | null = null
  const stack: FetchStack = createFetchStack([...sites.values()], {
    ...options,
    politeness:
      options.politeness === false
        ? false
        : (robots) => {
            gate = createHostGate({
              redis,
              prefix: keys(prefix).gate,
              hosts: hostLimits([...sites.values()]),
              // A dead worker's host slots free when its jobs' locks run out, not later.
              leaseMs: lockMs,
              ...(robots ? { crawlDelay: (url: string) => robots.crawlDelay(url) } : {}),
            })
            return gate
          },
  })
  const queue: Queue = openQueue(redis, prefix)

  async function site(id: string): Promise<SiteConfig> {
    let found = sites.get(id)
    if (!found && !options.sources) {
      // The scheduler may have stored a newer sources file since this worker started.
      sites = siteMap(await loadQueuedSources(redis, prefix))
      const g = gate as HostGate | null
      for (const [host, limits] of Object.entries(hostLimits([...sites.values()]))) g?.setHostLimits(host, limits)
      found = sites.get(id)
    }
    if (!found) throw new UnrecoverableError(`unknown site \`${id}\` (not in the sources file)`)
    return found
  }

  async function discover(data: DiscoverJobData): Promise<Record<string, number>> {
    const s = await site(data.site)
    const d = await discoverSite(s, stack.loader, { signal: abort.signal })
    const items = d.found.map((f) => ({ url: f.url, site: s.id, publishedAt: f.publishedAt }))
    const now = Date.now()
    const added = await queueFirstVisits(queue, redis, prefix, items, now, options.jobRetry)
    // Known articles the feed or sitemap says changed since their last capture: visit them now.
    let updated = 0
    for (const f of d.found) {
      if (f.updatedAt === null || f.updatedAt > now + MAX_UPDATE_SKEW_MS) continue
      const page = await options.archive.getPage(f.url)
      if (!page || page.versionCount === 0 || Date.parse(page.lastCapturedAt) >= f.updatedAt) continue
      const item = { url: f.url, site: s.id, publishedAt: f.publishedAt, updatedAt: f.updatedAt }
      if (await pullForwardVisit(queue, redis, prefix, item, now, options.jobRetry)) updated++
    }
    summary.discovered += d.found.length
    summary.added += added
    summary.updated += updated
    for (const e of d.errors) {
      summary.errors[e.kind] = (summary.errors[e.kind] ?? 0) + 1
      emit({ type: 'discovery-error', site: s.id, ...e })
    }
    emit({ type: 'discovered', site: s.id, found: d.found.length, added, errors: d.errors.length })
    return { found: d.found.length, added, updated, errors: d.errors.length }
  }

  async function visit(job: Job<VisitJobData>, token: string | undefined): Promise<Record<string, unknown>> {
    const data = job.data
    const s = await site(data.site)
    const g = gate as HostGate | null
    if (g) {
      // The host's next free start is this job's ticket; if it is a while off, the job goes back to the
      // queue until then and this slot takes a job of another host (no slot waits on a busy host).
      const wait = await g.reserve(data.url, job.id ?? data.url, delayAboveMs)
      if (wait > delayAboveMs) {
        await job.moveToDelayed(Date.now() + wait, token)
        throw new DelayedError()
      }
    }
    const attemptKey = keys(prefix).attempt(job.id ?? '')
    const started = await redis
      .multi()
      .hget(attemptKey, 'startedAt')
      .hset(attemptKey, 'startedAt', String(Date.now()))
      .pexpire(attemptKey, ATTEMPT_TTL_MS)
      .exec()
    const previous = started?.[0]?.[1]
    summary.visits++
    const result = await visitPage(
      { archive: options.archive, loader: stack.loader, extractor: stack.extractor, signal: abort.signal },
      { url: data.url, site: s, previousAttemptAt: typeof previous === 'string' ? Number(previous) : null },
    )
    if (result.outcome === 'released') {
      // Shutting down mid-fetch: the visit goes back to the queue as it was.
      await redis.del(attemptKey)
      tallyVisit(summary, data.url, result)
      await job.moveToDelayed(Date.now(), token)
      throw new DelayedError()
    }
    if (result.outcome === 'error' && result.detail === 'internal') {
      // The archive refused or failed: BullMQ retries with backoff, then dead-letters with this reason.
      await redis.del(attemptKey)
      tallyVisit(summary, data.url, result)
      emit({ type: 'visit', site: s.id, url: data.url, outcome: 'error', detail: 'internal', version: null })
      throw new Error(`${result.errorKey ?? 'internal'}: ${result.message ?? 'visit failed'}`)
    }
    tallyVisit(summary, data.url, result)
    emit({
      type: 'visit',
      site: s.id,
      url: data.url,
      outcome: result.outcome,
      detail: result.detail,
      version: result.version,
    })
    const now = Date.now()
    if (result.follow) {
      await queueFirstVisits(
        queue,
        redis,
        prefix,
        [{ url: result.follow, site: s.id, publishedAt: data.publishedAt }],
        now,
        options.jobRetry,
      )
    }
    if (result.revisit) {
      const subject = { firstSeenAt: data.firstSeenAt, publishedAt: data.publishedAt }
      const planned = nextVisitAt(s.revisit, subject, now, options.ageFrom ? { ageFrom: options.ageFrom } : {})
      if (planned !== null) {
        // The first attempt's plan wins, so a visit redone after a crash queues the same next job id.
        const kept = await redis.multi().hsetnx(attemptKey, 'next', String(planned)).hget(attemptKey, 'next').exec()
        const dueAt = Number(kept?.[1]?.[1] ?? planned)
        const next: VisitJobData = { ...data, dueAt, visit: data.visit + 1 }
        const opts = visitJobOptions(next, now, options.jobRetry)
        await queue.add('visit', next, opts)
        await notePendingVisit(redis, prefix, data.url, opts.jobId as string)
      }
    }
    // The attempt record stays until it expires: a worker killed between here and BullMQ marking the job
    // completed must not make the next taker fetch again.
    return { outcome: result.outcome, detail: result.detail, version: result.version }
  }

  const worker = new Worker(
    QUEUE_NAME,
    async (job: Job, token?: string) =>
      job.name === 'discover' ? discover(job.data as DiscoverJobData) : visit(job as Job<VisitJobData>, token),
    {
      connection: redis,
      prefix,
      concurrency: options.jobs ?? 8,
      lockDuration: lockMs,
      stalledInterval: options.stalledIntervalMs ?? lockMs,
      maxStalledCount: 3,
      autorun: true,
    },
  )
  worker.on('failed', (job, error) => {
    if (!job || error instanceof DelayedError) return
    if (job.attemptsMade >= (job.opts.attempts ?? 1) || error instanceof UnrecoverableError) {
      const url = typeof job.data?.url === 'string' ? (job.data.url as string) : null
      options.onDeadLetter?.({ id: job.id ?? '', url, reason: error.message })
    }
  })
  // A lost Redis connection is retried by ioredis; BullMQ reports it here rather than crashing the process.
  worker.on('error', () => {})
  await worker.waitUntilReady()

  let closing: Promise<void> | null = null
  return {
    summary,
    onConnection(listener) {
      redis.on('reconnecting', () => listener('reconnecting'))
      redis.on('ready', () => listener('ready'))
    },
    close(closeOptions = {}) {
      if (closeOptions.abort) abort.abort()
      closing ??= (async () => {
        await worker.close()
        await queue.close()
        await stack.close()
        if (ownRedis) await redis.quit().catch(() => redis.disconnect())
      })()
      return closing
    },
  }
}

/** How long a visit's attempt record is kept (a stalled job is taken over well within it). */
export const ATTEMPT_TTL_MS: number = 24 * 3600 * 1000

// --- Internal helpers ---

/** The stored sources; until `schedule --redis` stores some, ask again every second. */
async function waitForSources(
  redis: Redis,
  prefix: string,
  onWaiting: ((message: string) => void) | undefined,
): Promise<SourcesConfig> {
  for (let told = false; ; told = true) {
    try {
      return await loadQueuedSources(redis, prefix)
    } catch (error) {
      if (!(error instanceof UsageError)) throw error
      if (!told) onWaiting?.(error.message)
      await new Promise((r) => setTimeout(r, 1_000))
    }
  }
}

function siteMap(sources: SourcesConfig): Map<string, SiteConfig> {
  return new Map(sources.sites.map((s) => [s.id, s]))
}
