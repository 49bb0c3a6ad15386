#!/usr/bin/env node
/**
 * @file The `parkwatch` command: argument parsing (`node:util` parseArgs) and dispatch to `commands.ts`.
 * Exit codes: 0 done, 1 the job failed (verify found issues, every fetch failed, a crash), 2 usage error or
 * bad sources file (the message names the file, the field and what was expected).
 */
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { SourcesFileError } from '@parkwatch/scraper'
import { type CommandIo, commandDemo, commandRun, commandSchedule, commandVerify, commandView } from './commands.js'
import { commandBackup, commandExport, commandImport } from './commands-archive.js'
import { commandDiscover } from './commands-discover.js'
import { commandStatus } from './commands-status.js'
import { ParkwatchError, UsageError } from './errors.js'

/** Help text per command (`null` key: the top level). */
export const USAGE: Readonly<Record<string, string>> = {
  '': `parkwatch: polite, resumable snapshots of news about Suzhou Industrial Park

Usage: parkwatch <command> [options]

Commands:
  run --sources FILE        one pass: discover, fetch what is due, extract, archive
  schedule --sources FILE   daemon: each site's pass on its cron \`schedule:\`
  discover --sources FILE   list the article URLs the entry points give; fetches nothing else
  status                    the archive's figures and the frontier's plan, per site
  archive verify            check every reference and blob of the archive
  archive export|import     the archive as WARC (or JSON Lines); WARC files into the archive
  archive backup --out DIR  a consistent copy of the embedded archive, taken while runs write
  demo                      scrape the local demo portal over several edited revisions
  view                      browse the archive in a web browser (read-only viewer)

Scaling out (BullMQ on Redis, archive in PostgreSQL):
  schedule --redis URL      store the sources and their cron schedules in Redis
  worker --redis URL        take fetch jobs, archive them; run as many as you like
  queue [retry]             jobs by state, schedulers, dead letters; retry dead letters

Run \`parkwatch <command> --help\` for its options.
`,
  run: `Usage: parkwatch run --sources FILE [options]

One pass: discover entry points, fetch every due visit, extract, archive, plan the next visits.

Options:
  --sources FILE      sources YAML (required)
  --data DIR          archive and frontier folder (default ./data)
  --archive URL       postgres://… to keep the archive, and the frontier with it, in PostgreSQL
                      (schema $PARKWATCH_PG_SCHEMA or parkwatch; nothing is written to DIR)
  --site ID           only this site (repeatable)
  --concurrency N     requests in flight across hosts (default 8)
  --user-agent UA     User-Agent header (robots.txt rules are matched against it)
  --timeout-ms N      total time limit of one fetch (default 60000)
  --attempts N        tries of a fetch that fails with a network error, 5xx or 429 (default 4; 1 = no retry)
  --max-body-bytes N  largest response body; a larger one is recorded as a too-large failure (default 10 MiB)
  --no-browser        never start chromium (JavaScript-only pages are recorded as errors)
  -h, --help          this help
`,
  schedule: `Usage: parkwatch schedule --sources FILE [options]
       parkwatch schedule --redis URL --sources FILE [--now] [--site ID] [--prefix P]

Without --redis: a daemon that runs each site's pass on its \`schedule:\` cron expression. SIGINT/SIGTERM
stop it gracefully: ingests in flight finish, fetches in flight go back to the frontier.
Options: the same as \`parkwatch run\`.

With --redis: stores the sources file in Redis and makes one BullMQ job scheduler per site with a
\`schedule:\` (removing those of sites no longer scheduled), then exits; \`parkwatch worker\` processes run
the discoveries and visits.
  --redis URL     redis://… (default $PARKWATCH_REDIS_URL)
  --now           also discover now: every site, or the --site ones
  --site ID       with --now: only this site (repeatable)
  --prefix P      queue key prefix (default $PARKWATCH_QUEUE_PREFIX or parkwatch)
`,
  worker: `Usage: parkwatch worker --redis URL [--archive postgres://… | --data DIR] [options]

Takes visit and discovery jobs from the queue, fetches (robots.txt, per-host limits held across all
workers in Redis, retries), extracts and archives; plans each URL's next visit as a delayed job. Runs
until SIGINT/SIGTERM: the first lets jobs in flight finish, a second aborts them (back to the queue).

Options:
  --redis URL         redis://… (default $PARKWATCH_REDIS_URL)
  --archive URL       postgres://… archive (default $PARKWATCH_ARCHIVE_URL, else the SQLite one in --data)
  --pg-schema NAME    PostgreSQL schema of the archive (default $PARKWATCH_PG_SCHEMA or parkwatch)
  --data DIR          SQLite archive folder, for workers on one machine (default ./data)
  --sources FILE      use this file instead of the one stored by \`schedule --redis\`
  --jobs N            jobs in flight in this worker (default 8)
  --lock-ms N         job lock; a dead worker's jobs move to others after about this long (default 30000)
  --prefix P          queue key prefix (default $PARKWATCH_QUEUE_PREFIX or parkwatch)
  --user-agent UA     User-Agent header
  --timeout-ms N      total time limit of one fetch (default 60000)
  --attempts N        tries of a fetch that fails with a network error, 5xx or 429 (default 4)
  --max-body-bytes N  largest response body (default 10 MiB)
  --no-host-limits    no per-host rate limits (benchmarks against your own servers only)
  --no-browser        never start chromium
  -h, --help          this help
`,
  queue: `Usage: parkwatch queue [--redis URL] [--prefix P] [--limit N] [--json]
       parkwatch queue retry [JOB_ID…] [--redis URL] [--prefix P]

Shows jobs by state, the job schedulers and the dead letters (jobs that failed every attempt, with the
reason). \`queue retry\` moves the given dead letters (or all of them) back to the queue.
`,
  archive: `Usage: parkwatch archive verify [--data DIR | --archive URL]
       parkwatch archive export --out FILE [--format warc|jsonl] [filters] [--data DIR | --archive URL]
       parkwatch archive import FILE… [--source ID] [--data DIR | --archive URL]
       parkwatch archive backup --out DIR [--data DIR | --archive URL] [--no-verify]

verify  reads every blob back and checks every reference; prints the report, exits 1 on errors.
export  writes every capture of the matching pages as WARC 1.1 (gzipped record by record unless FILE
        ends in .warc), or with --format jsonl every version and its article as one JSON line (gzipped
        when FILE ends in .gz). FILE appears only once complete.
          --host HOST             only pages of this host
          --source ID             only pages of this source (a site id of the sources file)
          --changed-since DATE    only pages with a new version since DATE (ISO 8601)
          --captured-since DATE   WARC: only the captures fetched since DATE (a daily file)
import  archives one capture per response of each WARC file (.warc or .warc.gz, from any crawler),
        extracting the HTML pages; captures the archive already has are left out. A broken file stops
        the import with exit 1; what was archived before it stays.
          --source ID             source of the imported captures (default: each page's host)
backup  copies the embedded archive (database, frontier, bodies) to a new folder while runs go on
        writing, then verifies the copy (exit 1 if it does not verify). The copy is an archive: use it
        with --data DIR. With --archive postgres://…: pg_dump of the archive's schema to
        DIR/archive.pgdump, checked with pg_restore --list (restore: pg_restore --dbname URL FILE).
`,
  discover: `Usage: parkwatch discover --sources FILE [--site ID] [--limit N] [--json]

Reads each site's entry points (feeds, sitemaps, list pages) as \`parkwatch run\` would, with robots.txt,
politeness and retries, and prints the article URLs they list, newest first, and the entry points that
failed. Fetches no article and writes nothing: the way to check a sources file against a real portal.
Exits 1 when a site found nothing because its entry points failed.

Options:
  --sources FILE      sources YAML (required)
  --site ID           only this site (repeatable)
  --limit N           URLs listed per site (default 20; the count is always complete)
  --json              every site's URLs, titles, dates and errors as JSON
  --user-agent UA, --timeout-ms N, --attempts N, --max-body-bytes N: as for \`parkwatch run\`
  -h, --help          this help
`,
  status: `Usage: parkwatch status [--data DIR | --archive URL] [--json]

What the archive holds (pages, captures, versions, bodies) and what the frontier has planned: URLs known,
visits due now and later, in progress, done by outcome; per site, when the next visit is due, when the
last one ended and how many ended in an error. Reads only; exits 2 when --data holds no archive.

Options:
  --json          one JSON object instead of tables
  -h, --help      this help
`,
  demo: `Usage: parkwatch demo [--data DIR] [--passes N]

Starts the local demo portal, scrapes it, edits its articles (advance), scrapes again… and prints what
changed. Nothing leaves 127.0.0.1.

Options:
  --data DIR      archive folder (default ./data)
  --passes N      passes, with one portal revision between them (default 3)
  --slow-ms MS    delay of the demo's slow host (default 50)
  --no-browser    skip chromium (the JavaScript-only article is then recorded as an error)
  -h, --help      this help
`,
  view: `Usage: parkwatch view [--data DIR | --archive URL] [options]

Serves the read-only viewer (recent changes, search, timelines, diffs, raw captures) and its JSON API.

Options:
  --data DIR      archive folder (default ./data)
  --archive URL   postgres://… archive instead of DIR
  --host HOST     address to listen on (default 127.0.0.1; any other address needs --token)
  --port N        port (default 8080; 0 picks a free one)
  --token T       access token (at least 8 characters), required from every request
  -h, --help      this help
`,
}

/**
 * Run the command line `argv` (without `node` and the script) and resolve with the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await main(['run', '--sources', 'sources.yaml'])
 * ```
 */
export async function main(argv: readonly string[], io: CommandIo = defaultIo()): Promise<number> {
  const [command, ...rest] = argv
  try {
    if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
      io.out.write(USAGE[''] as string)
      return command === undefined ? 2 : 0
    }
    switch (command) {
      case 'run':
      case 'schedule': {
        const v = parse(command, rest, command === 'schedule' ? SCHEDULE_OPTIONS : RUN_OPTIONS)
        if (v === 'help') return help(io, command)
        if (typeof v.sources !== 'string') throw new UsageError('missing --sources FILE', command)
        if (command === 'schedule' && (typeof v.redis === 'string' || v.now === true)) {
          const { commandScheduleQueue } = await distributed()
          return await commandScheduleQueue(
            {
              sources: v.sources,
              ...queueOpts(v),
              ...(v.now ? { now: Array.isArray(v.site) ? (v.site as string[]) : [] } : {}),
            },
            io,
          )
        }
        if (v.now !== undefined || v.prefix !== undefined) {
          throw new UsageError('--now and --prefix need --redis', command)
        }
        const opts = {
          sources: v.sources,
          ...common(v, command),
          ...(Array.isArray(v.site) ? { sites: v.site as string[] } : {}),
          ...fetchOpts(v, command),
          ...(v.concurrency !== undefined ? { concurrency: int(v.concurrency, '--concurrency', command) } : {}),
        }
        return command === 'run' ? await commandRun(opts, io) : await commandSchedule(opts, io)
      }
      case 'archive': {
        const [sub, ...more] = rest
        if (sub === '-h' || sub === '--help' || sub === undefined) {
          if (sub === undefined)
            throw new UsageError('missing subcommand: archive verify|export|import|backup', 'archive')
          return help(io, 'archive')
        }
        if (sub === 'export') {
          const v = parse('archive', more, EXPORT_OPTIONS)
          if (v === 'help') return help(io, 'archive')
          if (typeof v.out !== 'string' || v.out === '') throw new UsageError('missing --out FILE', 'archive')
          const format = v.format ?? 'warc'
          if (format !== 'warc' && format !== 'jsonl') {
            throw new UsageError(`Expected \`--format\` to be warc or jsonl, got \`${String(format)}\``, 'archive')
          }
          if (format === 'jsonl' && typeof v['captured-since'] === 'string') {
            throw new UsageError('--captured-since selects captures: it goes with --format warc', 'archive')
          }
          return await commandExport(
            {
              ...common(v, 'archive'),
              out: v.out,
              format,
              ...(typeof v.host === 'string' ? { host: v.host } : {}),
              ...(typeof v.source === 'string' ? { source: v.source } : {}),
              ...(typeof v['changed-since'] === 'string' ? { changedSince: v['changed-since'] } : {}),
              ...(typeof v['captured-since'] === 'string' ? { capturedSince: v['captured-since'] } : {}),
            },
            io,
          )
        }
        if (sub === 'backup') {
          const v = parse('archive', more, BACKUP_OPTIONS)
          if (v === 'help') return help(io, 'archive')
          if (typeof v.out !== 'string' || v.out === '') throw new UsageError('missing --out DIR', 'archive')
          return await commandBackup(
            { ...common(v, 'archive'), out: v.out, ...(v['no-verify'] ? { verify: false } : {}) },
            io,
          )
        }
        if (sub === 'import') {
          const v = parse('archive', more, IMPORT_OPTIONS, true)
          if (v === 'help') return help(io, 'archive')
          return await commandImport(
            {
              ...common(v, 'archive'),
              files: positionals(v),
              ...(typeof v.source === 'string' ? { source: v.source } : {}),
            },
            io,
          )
        }
        if (sub !== 'verify') throw new UsageError(`unknown subcommand \`archive ${sub}\``, 'archive')
        const v = parse('archive', more, STORE_OPTIONS)
        if (v === 'help') return help(io, 'archive')
        return await commandVerify(common(v, 'archive'), io)
      }
      case 'discover': {
        const v = parse('discover', rest, DISCOVER_OPTIONS)
        if (v === 'help') return help(io, 'discover')
        if (typeof v.sources !== 'string') throw new UsageError('missing --sources FILE', 'discover')
        return await commandDiscover(
          {
            ...fetchOpts(v, 'discover'),
            sources: v.sources,
            ...(Array.isArray(v.site) ? { sites: v.site as string[] } : {}),
            ...(v.limit !== undefined ? { limit: int(v.limit, '--limit', 'discover', 0) } : {}),
            ...(v.json ? { json: true } : {}),
          },
          io,
        )
      }
      case 'status': {
        const v = parse('status', rest, STATUS_OPTIONS)
        if (v === 'help') return help(io, 'status')
        return await commandStatus({ ...common(v, 'status'), ...(v.json ? { json: true } : {}) }, io)
      }
      case 'demo': {
        const v = parse('demo', rest, DEMO_OPTIONS)
        if (v === 'help') return help(io, 'demo')
        return await commandDemo(
          {
            ...common(v, 'demo'),
            ...(v.passes !== undefined ? { passes: int(v.passes, '--passes', 'demo') } : {}),
            ...(v['slow-ms'] !== undefined ? { slowMs: int(v['slow-ms'], '--slow-ms', 'demo', 0) } : {}),
          },
          io,
        )
      }
      case 'view': {
        const v = parse('view', rest, VIEW_OPTIONS)
        if (v === 'help') return help(io, 'view')
        return await commandView(
          {
            ...common(v, 'view'),
            ...(typeof v.host === 'string' ? { host: v.host } : {}),
            ...(v.port !== undefined ? { port: int(v.port, '--port', 'view', 0) } : {}),
            ...(typeof v.token === 'string' ? { token: v.token } : {}),
          },
          io,
        )
      }
      case 'worker': {
        const v = parse('worker', rest, WORKER_OPTIONS)
        if (v === 'help') return help(io, 'worker')
        const { commandWorker } = await distributed()
        return await commandWorker(
          {
            ...queueOpts(v),
            ...common(v, 'worker'),
            ...(typeof v['pg-schema'] === 'string' ? { pgSchema: v['pg-schema'] } : {}),
            ...(typeof v.sources === 'string' ? { sources: v.sources } : {}),
            ...fetchOpts(v, 'worker'),
            ...(v.jobs !== undefined ? { jobs: int(v.jobs, '--jobs', 'worker') } : {}),
            ...(v['lock-ms'] !== undefined ? { lockMs: int(v['lock-ms'], '--lock-ms', 'worker', 1000) } : {}),
            ...(v['no-host-limits'] ? { politeness: false } : {}),
          },
          io,
        )
      }
      case 'queue': {
        const retry = rest[0] === 'retry'
        const v = parse('queue', retry ? rest.slice(1) : rest, QUEUE_OPTIONS, retry)
        if (v === 'help') return help(io, 'queue')
        const { commandQueue } = await distributed()
        return await commandQueue(
          {
            ...queueOpts(v),
            action: retry ? 'retry' : 'status',
            ids: positionals(v),
            ...(v.limit !== undefined ? { limit: int(v.limit, '--limit', 'queue', 0) } : {}),
            ...(v.json ? { json: true } : {}),
          },
          io,
        )
      }
      default:
        throw new UsageError(`unknown command \`${command}\``)
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof SourcesFileError) {
      io.err.write(`parkwatch: ${error.message.replace(/^\[parkwatch\] /, '')}\n`)
      if (error instanceof UsageError) io.err.write(`\n${USAGE[error.command ?? ''] ?? USAGE['']}`)
      return 2
    }
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error)
    io.err.write(`parkwatch: ${error instanceof ParkwatchError ? error.message : text}\n`)
    return 1
  }
}

// --- Internal helpers ---

/**
 * The distributed commands, loaded when one runs: BullMQ and ioredis take ~100 ms of CPU to load, which
 * every other command (and `--help`) would otherwise pay.
 */
function distributed(): Promise<typeof import('./commands-distributed.js')> {
  return import('./commands-distributed.js')
}

type OptionSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>
type Values = Record<string, string | boolean | Array<string | boolean> | undefined>

const STORE_OPTIONS: OptionSpec = {
  data: { type: 'string' },
  archive: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
}
const EXPORT_OPTIONS: OptionSpec = {
  ...STORE_OPTIONS,
  out: { type: 'string' },
  format: { type: 'string' },
  host: { type: 'string' },
  source: { type: 'string' },
  'changed-since': { type: 'string' },
  'captured-since': { type: 'string' },
}
const STATUS_OPTIONS: OptionSpec = { ...STORE_OPTIONS, json: { type: 'boolean' } }
const BACKUP_OPTIONS: OptionSpec = { ...STORE_OPTIONS, out: { type: 'string' }, 'no-verify': { type: 'boolean' } }
const IMPORT_OPTIONS: OptionSpec = { ...STORE_OPTIONS, source: { type: 'string' } }
/** How pages are fetched: `run`, `schedule` and `worker` take these. */
const FETCH_OPTIONS: OptionSpec = {
  'user-agent': { type: 'string' },
  'timeout-ms': { type: 'string' },
  attempts: { type: 'string' },
  'max-body-bytes': { type: 'string' },
  'no-browser': { type: 'boolean' },
}
const RUN_OPTIONS: OptionSpec = {
  ...STORE_OPTIONS,
  ...FETCH_OPTIONS,
  sources: { type: 'string' },
  site: { type: 'string', multiple: true },
  concurrency: { type: 'string' },
}
const DISCOVER_OPTIONS: OptionSpec = {
  ...FETCH_OPTIONS,
  sources: { type: 'string' },
  site: { type: 'string', multiple: true },
  limit: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
}
const QUEUE_BASE: OptionSpec = {
  redis: { type: 'string' },
  prefix: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
}
const SCHEDULE_OPTIONS: OptionSpec = { ...RUN_OPTIONS, ...QUEUE_BASE, now: { type: 'boolean' } }
const WORKER_OPTIONS: OptionSpec = {
  ...STORE_OPTIONS,
  ...QUEUE_BASE,
  'pg-schema': { type: 'string' },
  sources: { type: 'string' },
  ...FETCH_OPTIONS,
  jobs: { type: 'string' },
  'lock-ms': { type: 'string' },
  'no-host-limits': { type: 'boolean' },
}
const QUEUE_OPTIONS: OptionSpec = { ...QUEUE_BASE, limit: { type: 'string' }, json: { type: 'boolean' } }

const DEMO_OPTIONS: OptionSpec = {
  data: { type: 'string' },
  passes: { type: 'string' },
  'slow-ms': { type: 'string' },
  'no-browser': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
}

const VIEW_OPTIONS: OptionSpec = {
  ...STORE_OPTIONS,
  host: { type: 'string' },
  port: { type: 'string' },
  token: { type: 'string' },
}

function parse(command: string, args: string[], options: OptionSpec, allowPositionals = false): Values | 'help' {
  let values: Values
  let rest: string[]
  try {
    ;({ values, positionals: rest } = parseArgs({ args, options, allowPositionals, strict: true }) as {
      values: Values
      positionals: string[]
    })
  } catch (cause) {
    // parseArgs' messages are clear ("Unknown option '--x'"); keep them, add the usage.
    throw new UsageError((cause as Error).message, command, { cause })
  }
  return values.help ? 'help' : { ...values, [POSITIONALS]: rest }
}

/** Where `parse` keeps positional arguments (a key no option can have). */
const POSITIONALS = '\0positionals'

function positionals(v: Values): string[] {
  const p = v[POSITIONALS]
  return Array.isArray(p) ? (p as string[]) : []
}

function queueOpts(v: Values): { redis?: string; prefix?: string } {
  return {
    ...(typeof v.redis === 'string' ? { redis: v.redis } : {}),
    ...(typeof v.prefix === 'string' ? { prefix: v.prefix } : {}),
  }
}

function common(v: Values, command: string): { data?: string; archive?: string; browser?: boolean } {
  if (v.data === '' || v.archive === '') throw new UsageError('empty --data or --archive', command)
  // PARKWATCH_ARCHIVE_URL (deployments) picks the PostgreSQL archive unless --data or --archive says otherwise.
  const archive =
    typeof v.archive === 'string' ? v.archive : v.data ? undefined : process.env.PARKWATCH_ARCHIVE_URL || undefined
  return {
    ...(typeof v.data === 'string' ? { data: v.data } : {}),
    ...(archive ? { archive } : {}),
    ...(v['no-browser'] ? { browser: false } : {}),
  }
}

/** The `FETCH_OPTIONS` as `FetchStackOptions` (`--no-browser` is read by `common`). */
function fetchOpts(
  v: Values,
  command: string,
): { userAgent?: string; totalTimeoutMs?: number; retry?: { maxAttempts: number }; maxBodyBytes?: number } {
  return {
    ...(typeof v['user-agent'] === 'string' ? { userAgent: v['user-agent'] } : {}),
    ...(v['timeout-ms'] !== undefined ? { totalTimeoutMs: int(v['timeout-ms'], '--timeout-ms', command, 100) } : {}),
    ...(v.attempts !== undefined ? { retry: { maxAttempts: int(v.attempts, '--attempts', command) } } : {}),
    ...(v['max-body-bytes'] !== undefined
      ? { maxBodyBytes: int(v['max-body-bytes'], '--max-body-bytes', command, 1024) }
      : {}),
  }
}

function int(value: unknown, name: string, command: string, min = 1): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < min) {
    throw new UsageError(`Expected \`${name}\` to be an integer >= ${min}, got \`${String(value)}\``, command)
  }
  return n
}

function help(io: CommandIo, command: string): number {
  io.out.write(USAGE[command] ?? (USAGE[''] as string))
  return 0
}

function defaultIo(): CommandIo {
  return { out: process.stdout, err: process.stderr }
}

/** True when this module is the process's entry point (also through the `bin` symlink). */
function isEntryPoint(): boolean {
  const script = process.argv[1]
  if (!script) return false
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url)
  } catch {
    return false
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (error: unknown) => {
      process.stderr.write(`parkwatch: ${String(error)}\n`)
      process.exitCode = 1
    },
  )
}
