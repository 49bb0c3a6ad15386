/**
 * `parkwatch queue`: what the distributed queue holds (jobs by state, schedulers) and its dead-letter list
 * (jobs that failed every attempt, kept with their reason), and retrying those jobs.
 */
import type { Queue } from 'bullmq'
import type { Redis } from 'ioredis'

/** Jobs by state, schedulers and the newest dead letters. */
export interface QueueStatus {
  counts: { waiting: number; delayed: number; active: number; completed: number; failed: number }
  schedulers: Array<{ id: string; pattern: string | null; next: string | null }>
  /** Newest first, up to the limit asked for. */
  deadLetters: DeadLetter[]
}

/** A job that failed for good. */
export interface DeadLetter {
  id: string
  /** `visit` or `discover`. */
  name: string
  url: string | null
  site: string | null
  attempts: number
  reason: string
  failedAt: string | null
}

/**
 * Read the queue's state.
 *
 * @example
 * ```ts
 * const { counts, deadLetters } = await queueStatus(queue, { limit: 20 })
 * ```
 */
export async function queueStatus(queue: Queue, options: { limit?: number } = {}): Promise<QueueStatus> {
  const raw = await queue.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed', 'prioritized')
  const counts = {
    waiting: (raw.waiting ?? 0) + (raw.prioritized ?? 0),
    delayed: raw.delayed ?? 0,
    active: raw.active ?? 0,
    completed: raw.completed ?? 0,
    failed: raw.failed ?? 0,
  }
  const schedulers = (await queue.getJobSchedulers(0, -1)).map((s) => ({
    id: s.key,
    pattern: s.pattern ?? null,
    next: typeof s.next === 'number' ? new Date(s.next).toISOString() : null,
  }))
  const limit = options.limit ?? 20
  const failed = limit > 0 ? await queue.getFailed(0, limit - 1) : []
  const deadLetters = failed.map(
    (job): DeadLetter => ({
      id: job.id ?? '',
      name: job.name,
      url: typeof job.data?.url === 'string' ? job.data.url : null,
      site: typeof job.data?.site === 'string' ? job.data.site : null,
      attempts: job.attemptsMade,
      reason: job.failedReason ?? '',
      failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
    }),
  )
  return { counts, schedulers, deadLetters }
}

/**
 * Move dead-lettered jobs back to the queue: the given ids, or every failed job when `ids` is empty.
 * Returns the ids retried; ids that are not failed jobs are left out.
 */
export async function retryDeadLetters(queue: Queue, ids: readonly string[] = []): Promise<string[]> {
  const jobs = ids.length > 0 ? await Promise.all(ids.map((id) => queue.getJob(id))) : await queue.getFailed(0, -1)
  const retried: string[] = []
  for (const job of jobs) {
    if (!job || !(await job.isFailed())) continue
    await job.retry('failed')
    retried.push(job.id ?? '')
  }
  return retried
}

/**
 * Redis script: jobs waiting, running or paused, plus delayed jobs due by ARGV[1] (BullMQ scores a delayed
 * job `due ms * 0x1000 + a counter`), counted in one step.
 */
const PENDING = `
local n = redis.call('LLEN', KEYS[1]) + redis.call('LLEN', KEYS[2]) + redis.call('ZCARD', KEYS[3]) + redis.call('LLEN', KEYS[4])
return n + redis.call('ZCOUNT', KEYS[5], '-inf', ARGV[1])
`

/**
 * True when nothing is waiting or running and no delayed job is due within `horizonMs`: the queue has
 * done all it had to do for now. The states are read in one step, so a job moving between them (a delayed
 * job promoted and taken, a failed attempt sent back to wait for its retry) is never missed.
 *
 * @example
 * ```ts
 * while (!(await queueIdle(queue, redis, 60_000))) await new Promise((r) => setTimeout(r, 500))
 * ```
 *
 * @param redis - A connection to the queue's Redis (the one the queue was opened on will do).
 */
export async function queueIdle(queue: Queue, redis: Redis, horizonMs: number): Promise<boolean> {
  const dueBy = Number.isFinite(horizonMs) ? String((Date.now() + horizonMs) * 0x1000 + 0xfff) : '+inf'
  const pending = await redis.eval(
    PENDING,
    5,
    ...['wait', 'active', 'prioritized', 'paused', 'delayed'].map((state) => queue.toKey(state)),
    dueBy,
  )
  return Number(pending) === 0
}
