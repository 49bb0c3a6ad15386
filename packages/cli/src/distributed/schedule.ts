/**
 * `parkwatch schedule --redis`: turns a sources file into BullMQ job schedulers. Each site with a
 * `schedule:` cron expression gets the scheduler `discover-<site id>`, which makes a `discover` job at
 * every tick; a worker reads the site's entry points and queues the first visit of each new URL, and from
 * then on every visit queues the next one as a delayed job (the revisit policy). Schedulers of sites no
 * longer in the file are removed. The file itself is stored in Redis, so workers need only the URL.
 *
 * The schedules live in Redis, not in this process: the command configures them and exits.
 */
import { parseSources, type SourcesConfig } from '@parkwatch/scraper'
import type { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import { UsageError } from '../errors.js'
import { keys } from './queue.js'

/** What `scheduleSources` changed. */
export interface ScheduleResult {
  /** Scheduler ids created or updated, with their cron expressions. */
  schedulers: Array<{ id: string; pattern: string }>
  /** Scheduler ids removed (their site left the file or lost its `schedule:`). */
  removed: string[]
  /** Sites whose discovery was queued to run now. */
  queuedNow: string[]
}

/** Options of `scheduleSources`. */
export interface ScheduleSourcesOptions {
  queue: Queue
  redis: Redis
  prefix: string
  /** The sources file's text and name (stored for the workers, parsed here to check it). */
  text: string
  file: string
  /** Queue a discovery of these site ids now, besides their schedules (`--now`). @default [] */
  now?: readonly string[]
}

/**
 * Store the sources and make the job schedulers match them.
 *
 * @throws {SourcesFileError} when the file is invalid (nothing in Redis is changed then).
 * @example
 * ```ts
 * const r = await scheduleSources({ queue, redis, prefix: 'parkwatch', text, file: 'sources.yaml' })
 * console.log(r.schedulers)
 * ```
 */
export async function scheduleSources(options: ScheduleSourcesOptions): Promise<ScheduleResult> {
  const { queue, redis, prefix } = options
  const sources = parseSources(options.text, options.file)
  const unknown = (options.now ?? []).filter((id) => !sources.sites.some((s) => s.id === id))
  if (unknown.length > 0) throw new UsageError(`no site \`${unknown.join('`, `')}\` in ${options.file}`, 'schedule')
  await redis.set(keys(prefix).sources, JSON.stringify({ file: options.file, text: options.text }))

  const schedulers: ScheduleResult['schedulers'] = []
  for (const site of sources.sites) {
    if (!site.schedule) continue
    const id = `discover-${site.id}`
    await queue.upsertJobScheduler(
      id,
      { pattern: site.schedule },
      {
        name: 'discover',
        data: { site: site.id },
        opts: { attempts: 2, backoff: { type: 'exponential', delay: 5_000 }, removeOnComplete: 100 },
      },
    )
    schedulers.push({ id, pattern: site.schedule })
  }
  const keep = new Set(schedulers.map((s) => s.id))
  const removed: string[] = []
  for (const existing of await queue.getJobSchedulers(0, -1)) {
    const id = existing.key
    if (id.startsWith('discover-') && !keep.has(id)) {
      await queue.removeJobScheduler(id)
      removed.push(id)
    }
  }
  const stamp = Date.now()
  for (const id of options.now ?? []) {
    await queue.add('discover', { site: id }, { jobId: `discover-${id}-${stamp}`, attempts: 2, removeOnComplete: 100 })
  }
  return { schedulers, removed, queuedNow: [...(options.now ?? [])] }
}

/**
 * The sources file stored by the last `parkwatch schedule --redis`.
 *
 * @throws {UsageError} when none is stored yet.
 */
export async function loadQueuedSources(redis: Redis, prefix: string): Promise<SourcesConfig> {
  const raw = await redis.get(keys(prefix).sources)
  if (!raw) {
    throw new UsageError(
      `no sources in Redis under \`${prefix}\`: run \`parkwatch schedule --redis URL --sources FILE\` first, or pass --sources`,
      'worker',
    )
  }
  const { file, text } = JSON.parse(raw) as { file: string; text: string }
  return parseSources(text, file)
}
