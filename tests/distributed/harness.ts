/**
 * A harness for the distributed tests: the demo portal in this process, `parkwatch worker` processes (the
 * built CLI) on a queue prefix and a PostgreSQL schema of their own, and read-back helpers. Uses the real
 * Redis and PostgreSQL of the machine (REDIS_URL, ARCHIVE_PG_URL; CI sets both).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Archive, createArchive, postgresBackend } from '@parkwatch/archive'
import { queueIdle } from '@parkwatch/cli'
import { type DemoPortal, type ExpectedArticle, startDemoPortal } from '@parkwatch/demo-portal'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import pg from 'pg'

export const REDIS_URL: string | undefined = process.env.REDIS_URL
export const PG_URL: string | undefined = process.env.ARCHIVE_PG_URL
export const READY: boolean = Boolean(REDIS_URL && PG_URL)
if (!READY && process.env.CI) throw new Error('CI must set REDIS_URL and ARCHIVE_PG_URL')

const CLI = fileURLToPath(new URL('../../packages/cli/dist/cli.js', import.meta.url))

/** A `parkwatch worker` child process. */
export interface WorkerProcess {
  child: ChildProcess
  /** Everything it wrote to stderr (JSON log lines) and stdout (its summary at exit). */
  readonly stderr: string
  readonly stdout: string
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>
}

/** One test's world: portal, queue prefix, archive schema, sources file. */
export interface Cluster {
  portal: DemoPortal
  prefix: string
  schema: string
  redisUrl: string
  dir: string
  sourcesFile: string
  redis: Redis
  queue: Queue
  archive: Archive
  /** Start a worker process; resolves once it logged "worker ready". */
  worker(extra?: string[]): Promise<WorkerProcess>
  /** `parkwatch schedule --redis … --now`. */
  schedule(): Promise<void>
  /** On-topic articles a worker without a browser archives (the JavaScript-only one is an error then). */
  onTopic(): ExpectedArticle[]
  close(): Promise<void>
}

/** Options of `startCluster`. */
export interface ClusterOptions {
  /** Rewrites the demo sources file (revisit policy...). */
  sources?: (yaml: string) => string
  /** Redis URL other than REDIS_URL (a private server). */
  redisUrl?: string
  slowMs?: number
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const portal = await startDemoPortal({ slowMs: options.slowMs ?? 50 })
  const id = randomUUID().slice(0, 8)
  const prefix = `pwtest-${id}`
  const schema = `pw_dist_${id}`
  const redisUrl = options.redisUrl ?? (REDIS_URL as string)
  const dir = mkdtempSync(join(tmpdir(), 'pw-dist-'))
  const sourcesFile = join(dir, 'sources.yaml')
  writeFileSync(sourcesFile, (options.sources ?? ((y) => y))(portal.sourcesYaml()))
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null })
  redis.on('error', () => {}) // reconnects by itself (the restart test stops the server)
  const queue = new Queue('visits', { connection: redis, prefix })
  queue.on('error', () => {})
  const archive = createArchive({ backend: postgresBackend({ connectionString: PG_URL as string, schema }) })
  const workers: WorkerProcess[] = []
  const env = { ...process.env, PARKWATCH_REDIS_URL: redisUrl, PARKWATCH_QUEUE_PREFIX: prefix }

  const cli = (args: string[]): ChildProcess => spawn(process.execPath, [CLI, ...args], { env, cwd: dir })

  return {
    portal,
    prefix,
    schema,
    redisUrl,
    dir,
    sourcesFile,
    redis,
    queue,
    archive,
    async worker(extra = []) {
      const child = cli([
        'worker',
        '--archive',
        PG_URL as string,
        '--pg-schema',
        schema,
        '--no-browser',
        // Short enough for a killed worker's jobs to move on within the test, long enough for a loaded CI.
        '--lock-ms',
        '5000',
        '--jobs',
        '4',
        ...extra,
      ])
      let stderr = ''
      let stdout = ''
      child.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString()
      })
      child.stdout?.on('data', (d: Buffer) => {
        stdout += d.toString()
      })
      const exited = new Promise<number | string>((resolve) =>
        child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
      )
      const w: WorkerProcess = {
        child,
        get stderr() {
          return stderr
        },
        get stdout() {
          return stdout
        },
        exited,
      }
      workers.push(w)
      await until(
        () => stderr.includes('worker ready'),
        30_000,
        () => `worker did not start:\n${stderr}`,
      )
      return w
    },
    async schedule() {
      const child = cli(['schedule', '--sources', sourcesFile, '--now'])
      let err = ''
      child.stderr?.on('data', (d: Buffer) => {
        err += d.toString()
      })
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
      if (code !== 0) throw new Error(`schedule exited ${code}: ${err}`)
    },
    onTopic: () => portal.expected.articles.filter((a) => a.topic !== 'off-topic' && !a.disallowed && !a.jsRendered),
    async close() {
      for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL')
      await Promise.all(workers.map((w) => w.exited))
      await queue.close()
      for await (const batch of redis.scanStream({ match: `${prefix}:*`, count: 500 })) {
        if ((batch as string[]).length > 0) await redis.del(...(batch as string[]))
      }
      await redis.quit()
      await archive.close()
      const client = new pg.Client({ connectionString: PG_URL })
      await client.connect()
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
      await client.end()
      await portal.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Poll `check` until it is true. */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  message: () => string = () => 'timed out',
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(message())
    await new Promise((r) => setTimeout(r, 150))
  }
}

/** True when nothing is waiting or running and no delayed job is due within `horizonMs` (one atomic read). */
export function drained(cluster: Cluster, horizonMs: number): Promise<boolean> {
  return queueIdle(cluster.queue, cluster.redis, horizonMs)
}

/** Completed visit jobs per URL (job ids), from BullMQ's completed set. */
export async function completedVisits(queue: Queue): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>()
  for (const job of await queue.getCompleted(0, -1)) {
    if (job.name !== 'visit') continue
    const url = job.data.url as string
    out.set(url, [...(out.get(url) ?? []), job.id ?? ''])
  }
  return out
}

/** GET requests of an article's page at the portal (the page itself, not robots or lists). */
export function pageHits(portal: DemoPortal, article: ExpectedArticle): number[] {
  const path = new URL(article.url).pathname
  return portal.requests.filter((r) => r.portal === article.portal && r.path === path).map((r) => r.at)
}

/** Requests an article's page gets besides one per visit: the 429 host's refusal, the hop of a redirect to it. */
export function extraHits(portal: DemoPortal, article: ExpectedArticle): number {
  const refusal = article.url.startsWith(portal.expected.rateLimitedHost) ? 1 : 0
  return refusal + portal.expected.redirects.filter((r) => r.to === article.url).length
}
