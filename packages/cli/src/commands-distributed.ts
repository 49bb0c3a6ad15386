/**
 * The distributed subcommands: `parkwatch worker` (take jobs from Redis, archive into PostgreSQL or a
 * shared SQLite folder), `parkwatch schedule --redis` (sources file -> BullMQ job schedulers) and
 * `parkwatch queue` (counts, schedulers, dead letters; `queue retry`). Settings come from flags, or from
 * the environment for deployments: PARKWATCH_REDIS_URL, PARKWATCH_ARCHIVE_URL, PARKWATCH_PG_SCHEMA,
 * PARKWATCH_QUEUE_PREFIX.
 */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Archive } from '@parkwatch/archive'
import { loadSources } from '@parkwatch/scraper'
import { type CommandIo, openArchive } from './commands.js'
import { queueStatus, retryDeadLetters } from './distributed/inspect.js'
import { connectRedis, DEFAULT_PREFIX, openQueue } from './distributed/queue.js'
import { scheduleSources } from './distributed/schedule.js'
import { startWorker } from './distributed/worker.js'
import { UsageError } from './errors.js'
import type { FetchStackOptions } from './fetch-stack.js'
import { createReporter, table } from './report.js'

/** Where the queue is. */
export interface QueueOptions {
  /** `redis://…`. @default $PARKWATCH_REDIS_URL */
  redis?: string
  /** Key prefix shared by the scheduler and the workers. @default $PARKWATCH_QUEUE_PREFIX or 'parkwatch' */
  prefix?: string
}

/** Options of `commandWorker`. */
export interface WorkerCommandOptions extends QueueOptions, FetchStackOptions {
  /** `postgres://…` archive. @default $PARKWATCH_ARCHIVE_URL, else the SQLite archive in `data` */
  archive?: string
  /** PostgreSQL schema of the archive. @default $PARKWATCH_PG_SCHEMA or 'parkwatch' */
  pgSchema?: string
  /** SQLite archive folder, for workers on one machine. @default './data' */
  data?: string
  /** A sources file to use instead of the one stored in Redis by `schedule --redis`. @default undefined */
  sources?: string
  /** Jobs in flight. @default 8 */
  jobs?: number
  /** Job lock in ms (a dead worker's jobs move to others after about this long). @default 30_000 */
  lockMs?: number
  /** Stops the worker when aborted (tests); otherwise SIGINT / SIGTERM do. @default undefined */
  signal?: AbortSignal
}

/**
 * `parkwatch worker`: run until SIGINT/SIGTERM. The first signal stops taking jobs and lets the ones in
 * flight finish; a second one aborts their fetches (the visits go back to the queue).
 */
export async function commandWorker(options: WorkerCommandOptions, io: CommandIo): Promise<number> {
  const redisUrl = need(options.redis ?? process.env.PARKWATCH_REDIS_URL, '--redis URL', 'worker')
  const sources = options.sources ? await loadSources(options.sources) : undefined
  const archive = openWorkerArchive(options)
  const reporter = createReporter(io.err)
  try {
    const { sources: _file, signal: _signal, archive: _url, data: _dir, ...rest } = options
    const worker = await startWorker({
      ...rest,
      redis: redisUrl,
      archive,
      prefix: prefixOf(options),
      ...(sources ? { sources } : {}),
      onEvent: reporter.onEvent,
      onWaiting: (message) => reporter.info(`waiting: ${message.replace(/^\[parkwatch\] /, '')}`),
      onDeadLetter: (d) => reporter.info(`dead letter ${d.id}: ${d.reason}`, { job: d.id, url: d.url }),
    })
    reporter.info(`worker ready: queue ${prefixOf(options)} on ${redactUrl(redisUrl)}`, { pid: process.pid })
    worker.onConnection((state) => reporter.info(`redis ${state}`))
    let signals = 0
    let onInt = (): void => {}
    let onTerm = (): void => {}
    await new Promise<void>((done) => {
      const stop = (signal: string): void => {
        signals++
        reporter.info(signals === 1 ? `${signal}: finishing jobs in flight` : `${signal}: aborting fetches in flight`)
        void worker.close({ abort: signals > 1 }).then(done, done)
      }
      onInt = () => stop('SIGINT')
      onTerm = () => stop('SIGTERM')
      process.on('SIGINT', onInt)
      process.on('SIGTERM', onTerm)
      options.signal?.addEventListener('abort', () => stop('abort'), { once: true })
    })
    process.off('SIGINT', onInt)
    process.off('SIGTERM', onTerm)
    reporter.done()
    const s = worker.summary
    io.out.write(
      table('parkwatch worker', [
        ['visits', String(s.visits)],
        ['new versions', String(s.newVersions)],
        ['unchanged', String(s.unchanged + s.notModified)],
        ['recovered', String(s.recovered)],
        ['skipped', String(s.skipped)],
        ['errors', String(Object.values(s.errors).reduce((a, b) => a + b, 0))],
      ]),
    )
    return 0
  } finally {
    await archive.close()
  }
}

/** Options of `commandScheduleQueue`. */
export interface ScheduleQueueOptions extends QueueOptions {
  sources: string
  /** Queue a discovery of these sites now (empty: every site). @default undefined (none) */
  now?: string[]
}

/** `parkwatch schedule --redis`: store the sources, make the job schedulers match, optionally discover now. */
export async function commandScheduleQueue(options: ScheduleQueueOptions, io: CommandIo): Promise<number> {
  const redisUrl = need(options.redis ?? process.env.PARKWATCH_REDIS_URL, '--redis URL', 'schedule')
  const file = resolve(options.sources)
  // loadSources reports a missing or invalid file (naming the file, field and line); then the text is stored.
  const sources = await loadSources(file)
  const text = await readFile(file, 'utf8')
  const redis = connectRedis(redisUrl)
  const prefix = prefixOf(options)
  const queue = openQueue(redis, prefix)
  try {
    const now = options.now ? (options.now.length > 0 ? options.now : sources.sites.map((s) => s.id)) : []
    const r = await scheduleSources({ queue, redis, prefix, text, file, now })
    io.out.write(
      table('parkwatch schedule (redis)', [
        ['queue', `${prefix} on ${redactUrl(redisUrl)}`],
        ['sites', String(sources.sites.length)],
        ...r.schedulers.map((s): [string, string] => [s.id, s.pattern]),
        ...r.removed.map((id): [string, string] => [id, 'removed']),
        ['discover now', r.queuedNow.length > 0 ? r.queuedNow.join(', ') : '-'],
      ]),
    )
    if (r.schedulers.length === 0 && r.queuedNow.length === 0) {
      io.err.write('parkwatch: no site has a `schedule:` cron expression; nothing will run until `--now`\n')
    }
    return 0
  } finally {
    await queue.close()
    await redis.quit()
  }
}

/** Options of `commandQueue`. */
export interface QueueCommandOptions extends QueueOptions {
  /** `status` (default) or `retry`. */
  action?: 'status' | 'retry'
  /** Job ids to retry (none: every dead letter). @default [] */
  ids?: string[]
  /** Dead letters to list. @default 20 */
  limit?: number
  json?: boolean
}

/** `parkwatch queue [retry]`: counts, schedulers and dead letters; or move dead letters back to the queue. */
export async function commandQueue(options: QueueCommandOptions, io: CommandIo): Promise<number> {
  const redisUrl = need(options.redis ?? process.env.PARKWATCH_REDIS_URL, '--redis URL', 'queue')
  const redis = connectRedis(redisUrl)
  const queue = openQueue(redis, prefixOf(options))
  try {
    if (options.action === 'retry') {
      const retried = await retryDeadLetters(queue, options.ids ?? [])
      if (options.json) io.out.write(`${JSON.stringify({ retried })}\n`)
      else io.out.write(`retried ${retried.length} job(s)${retried.length > 0 ? `: ${retried.join(', ')}` : ''}\n`)
      return options.ids && options.ids.length > retried.length ? 1 : 0
    }
    const status = await queueStatus(queue, { limit: options.limit ?? 20 })
    if (options.json) {
      io.out.write(`${JSON.stringify(status, null, 2)}\n`)
      return 0
    }
    const c = status.counts
    io.out.write(
      table(`parkwatch queue (${prefixOf(options)})`, [
        ['waiting', String(c.waiting)],
        ['delayed', String(c.delayed)],
        ['active', String(c.active)],
        ['completed', String(c.completed)],
        ['dead letters', String(c.failed)],
        ...status.schedulers.map((s): [string, string] => [s.id, `${s.pattern ?? ''} next ${s.next ?? '-'}`]),
      ]),
    )
    for (const d of status.deadLetters) {
      io.out.write(`  ${d.id} ${d.name} ${d.url ?? d.site ?? ''} (${d.attempts} attempts): ${d.reason}\n`)
    }
    return 0
  } finally {
    await queue.close()
    await redis.quit()
  }
}

// --- Internal helpers ---

function prefixOf(options: QueueOptions): string {
  const prefix = options.prefix ?? process.env.PARKWATCH_QUEUE_PREFIX ?? DEFAULT_PREFIX
  if (!/^[A-Za-z0-9_.-]+$/.test(prefix)) {
    throw new UsageError(`Expected \`--prefix\` to be letters, digits, _ . -, got \`${prefix}\``)
  }
  return prefix
}

function need(value: string | undefined, what: string, command: string): string {
  if (!value) throw new UsageError(`missing ${what}`, command)
  return value
}

function openWorkerArchive(options: WorkerCommandOptions): Archive {
  // PARKWATCH_ARCHIVE_URL picks PostgreSQL unless --data or --archive says otherwise (as in cli.ts).
  const env = options.data === undefined ? process.env.PARKWATCH_ARCHIVE_URL || undefined : undefined
  const archive = options.archive ?? env
  return openArchive({ ...options, ...(archive ? { archive } : {}) }, 'worker')
}

/** A URL for logs: the password replaced. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return url
  }
}
