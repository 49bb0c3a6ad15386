/**
 * The `parkwatch` subcommands as functions (the argument parsing lives in `cli.ts`): `run` one pass,
 * `schedule` as a cron daemon, `archive verify`, and `demo` against the local demo portal. Each returns an
 * exit code instead of exiting, so tests can call them in-process.
 */
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { type Archive, createArchive, postgresBackend, sqliteBackend, type VerifyIssue } from '@parkwatch/archive'
import { startDemoPortal } from '@parkwatch/demo-portal'
import { loadSources, type SourcesConfig } from '@parkwatch/scraper'
import { Cron } from 'croner'
import { ParkwatchError, UsageError } from './errors.js'
import type { FetchStackOptions } from './fetch-stack.js'
import { createFetchStack } from './fetch-stack.js'
import type { Frontier } from './frontier.js'
import { openPostgresFrontier } from './frontier-postgres.js'
import { openFrontier } from './frontier-sqlite.js'
import { createReporter, formatSummary, type ReportStream, table } from './report.js'
import { type RunSummary, runOnce } from './runner.js'

/** Where commands write: the summary to `out`, progress and logs to `err`. */
export interface CommandIo {
  out: ReportStream
  err: ReportStream
}

/** Schema of a PostgreSQL archive (and its frontier) when neither `pgSchema` nor PARKWATCH_PG_SCHEMA names one. */
export const DEFAULT_PG_SCHEMA = 'parkwatch'

/**
 * The archive of `--archive postgres://…` (in `pgSchema`, else PARKWATCH_PG_SCHEMA, else `parkwatch`) or the
 * SQLite one in `--data`: what every command opens.
 *
 * @throws {UsageError} when `archive` is not a postgres:// URL.
 */
export function openArchive(options: StoreOptions, command?: string): Archive {
  const pg = checkArchiveUrl(options, command)
  const backend = pg
    ? postgresBackend({ connectionString: pg, schema: pgSchema(options) })
    : sqliteBackend({ dir: resolve(options.data ?? './data') })
  return createArchive({ backend })
}

/**
 * `openArchive` for commands that read an archive: with SQLite, a folder that holds none is a usage error
 * rather than a new, empty archive.
 * @throws {UsageError} when there is no `archive.sqlite` in `data`, or `archive` is not a postgres:// URL.
 */
export function openExistingArchive(options: StoreOptions, command: string): Archive {
  requireArchive(options, command)
  return openArchive(options, command)
}

/** @throws {UsageError} when `options` name an SQLite archive folder without an `archive.sqlite`. */
export function requireArchive(options: StoreOptions, command: string): void {
  const dir = resolve(options.data ?? './data')
  if (!options.archive && !existsSync(join(dir, 'archive.sqlite'))) {
    throw new UsageError(`no archive in ${dir} (expected ${join(dir, 'archive.sqlite')})`, command)
  }
}

/** One line of a verify report: `  error blob-missing [<hash>]: …`. */
export function issueLine(issue: VerifyIssue): string {
  return `  ${issue.severity} ${issue.kind}${issue.ref !== undefined ? ` [${issue.ref}]` : ''}: ${issue.message}\n`
}

/** Storage options shared by the commands. */
export interface StoreOptions {
  /** Folder of the embedded archive, whose SQLite file holds the frontier too. @default './data' */
  data?: string
  /**
   * `postgres://…` to keep the archive in PostgreSQL; the frontier then lives in the same database and
   * schema (nothing is written to `data`). @default undefined
   */
  archive?: string
  /** PostgreSQL schema of the archive and its frontier. @default PARKWATCH_PG_SCHEMA, else 'parkwatch' */
  pgSchema?: string
}

/** An open archive and frontier. */
export interface Stores {
  archive: Archive
  frontier: Frontier
  close(): Promise<void>
}

/**
 * Open the archive and the frontier, always in the same database: with SQLite both live in
 * `<data>/archive.sqlite` (the frontier in its own tables); with PostgreSQL both live in the archive's
 * schema (`pgSchema`, else PARKWATCH_PG_SCHEMA, else `parkwatch`), and nothing is written to `<data>`.
 *
 * @throws {UsageError} when `archive` is not a postgres:// URL; {FrontierError} when the frontier cannot
 *   be opened.
 */
export async function openStores(options: StoreOptions, command?: string): Promise<Stores> {
  const archive = openArchive(options, command)
  let frontier: Frontier
  try {
    frontier = options.archive
      ? await openPostgresFrontier({ connectionString: options.archive, schema: pgSchema(options) })
      : openFrontier({ file: join(resolve(options.data ?? './data'), 'archive.sqlite') })
  } catch (error) {
    await archive.close()
    throw error
  }
  return {
    archive,
    frontier,
    async close() {
      try {
        await frontier.close()
      } finally {
        await archive.close()
      }
    },
  }
}

/** Options of `commandRun`. */
export interface RunCommandOptions extends StoreOptions, FetchStackOptions {
  sources: string
  /** Only these site ids. @default every site */
  sites?: string[]
}

/** `parkwatch run`: one pass; exit 0, or 1 when every visit failed. */
export async function commandRun(options: RunCommandOptions, io: CommandIo): Promise<number> {
  const sources = await loadSources(options.sources)
  checkSiteIds(sources, options.sites, 'run')
  const stores = await openStores(options, 'run')
  const reporter = createReporter(io.err)
  const controller = new AbortController()
  const stop = (): void => controller.abort()
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  try {
    const summary = await runOnce({
      ...options,
      sources,
      archive: stores.archive,
      frontier: stores.frontier,
      signal: controller.signal,
      onEvent: reporter.onEvent,
    })
    reporter.done()
    io.out.write(formatSummary(summary))
    const failed = Object.values(summary.errors).reduce((a, b) => a + b, 0)
    return summary.fetched > 0 && failed >= summary.fetched ? 1 : 0
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
    await stores.close()
  }
}

/**
 * `parkwatch schedule`: a daemon running each site's pass on its cron expression (sites without
 * `schedule:` are not run). SIGINT/SIGTERM stop the timers, abort fetches in flight (their visits go back
 * to the frontier), let ingests finish, and resolve with 0.
 */
export async function commandSchedule(options: RunCommandOptions, io: CommandIo): Promise<number> {
  const sources = await loadSources(options.sources)
  checkSiteIds(sources, options.sites, 'schedule')
  const scheduled = sources.sites.filter((s) => s.schedule && (!options.sites || options.sites.includes(s.id)))
  if (scheduled.length === 0) {
    throw new UsageError(`no site in ${options.sources} has a \`schedule:\` cron expression`, 'schedule')
  }
  const stores = await openStores(options, 'schedule')
  const stack = createFetchStack(sources.sites, options)
  const reporter = createReporter(io.err)
  const controller = new AbortController()
  const running = new Set<Promise<unknown>>()
  const jobs = scheduled.map(
    (site) =>
      // protect: a pass that outlives its interval is not started a second time on top of itself.
      new Cron(site.schedule as string, { name: site.id, protect: true }, async () => {
        reporter.info(`pass started: ${site.id}`, { site: site.id })
        const pass = runOnce({
          ...options,
          sources,
          sites: [site.id],
          archive: stores.archive,
          frontier: stores.frontier,
          stack,
          signal: controller.signal,
          onEvent: reporter.onEvent,
        })
        running.add(pass)
        try {
          const summary = await pass
          reporter.done()
          io.out.write(formatSummary(summary, `pass ${site.id}`))
        } catch (error) {
          reporter.info(`pass failed: ${site.id}: ${error instanceof Error ? error.message : String(error)}`)
        } finally {
          running.delete(pass)
        }
      }),
  )
  for (const job of jobs) reporter.info(`scheduled ${job.name}: next ${job.nextRun()?.toISOString() ?? 'never'}`)
  await new Promise<void>((done) => {
    const stop = (signal: string): void => {
      reporter.info(`${signal}: stopping; fetches in flight go back to the frontier`)
      process.off('SIGINT', onInt)
      process.off('SIGTERM', onTerm)
      done()
    }
    const onInt = (): void => stop('SIGINT')
    const onTerm = (): void => stop('SIGTERM')
    process.on('SIGINT', onInt)
    process.on('SIGTERM', onTerm)
  })
  for (const job of jobs) job.stop()
  controller.abort()
  await Promise.allSettled([...running])
  await stack.close()
  await stores.close()
  return 0
}

/** `parkwatch archive verify`: print the report; exit 1 when there is an error-level issue. */
export async function commandVerify(options: StoreOptions, io: CommandIo): Promise<number> {
  // Opening would create an empty archive and report it healthy; a wrong --data deserves an error. The
  // frontier is not needed to check the archive: opening it would create its tables.
  const archive = openExistingArchive(options, 'archive')
  try {
    const report = await archive.verify()
    const stats = await archive.stats()
    const errors = report.issues.filter((i) => i.severity === 'error')
    io.out.write(
      table('archive verify', [
        ['result', report.ok ? 'ok' : 'FAILED'],
        ['pages', String(stats.pages)],
        ['captures', String(stats.captures)],
        ['versions', String(stats.versions)],
        ['blobs checked', String(report.blobsChecked)],
        ['blobs unreferenced', String(report.blobsUnreferenced)],
        ['errors', String(errors.length)],
        ['warnings', String(report.issues.length - errors.length)],
      ]),
    )
    for (const issue of report.issues) io.out.write(issueLine(issue))
    return report.ok ? 0 : 1
  } finally {
    await archive.close()
  }
}

/** Options of `commandDemo`. */
export interface DemoCommandOptions extends StoreOptions, FetchStackOptions {
  /** Passes to run; the portal's articles are edited between passes. @default 3 */
  passes?: number
  /** Delay of the demo's slow host. @default 50 */
  slowMs?: number
}

/**
 * `parkwatch demo`: start the demo portal, write its sources file to `<data>/demo-sources.yaml`, run a
 * pass, `advance()` the portal (articles get edited), run again… then print the summary and the articles
 * that got new versions. The pass clock moves one hour per pass so every article is due for a revisit.
 */
export async function commandDemo(options: DemoCommandOptions, io: CommandIo): Promise<number> {
  const passes = options.passes ?? 3
  const portal = await startDemoPortal({ slowMs: options.slowMs ?? 50 })
  const stores = await openStores(options, 'demo').catch(async (error: unknown) => {
    await portal.close()
    throw error
  })
  const reporter = createReporter(io.err)
  const totals: RunSummary[] = []
  try {
    const file = join(resolve(options.data ?? './data'), 'demo-sources.yaml')
    await writeFile(file, portal.sourcesYaml())
    const sources: SourcesConfig = await loadSources(file)
    reporter.info(`demo portal: ${portal.hosts.map((h) => `${h.id} ${h.url}`).join(', ')}; sources in ${file}`)
    const start = Date.now()
    for (let pass = 1; pass <= passes; pass++) {
      if (pass > 1) reporter.info(`portal advanced to revision ${portal.advance()}`)
      reporter.info(`pass ${pass}/${passes}`)
      const summary = await runOnce({
        ...options,
        sources,
        archive: stores.archive,
        frontier: stores.frontier,
        now: start + (pass - 1) * PASS_STEP_MS,
        onEvent: reporter.onEvent,
      })
      reporter.done()
      totals.push(summary)
      io.out.write(formatSummary(summary, `pass ${pass} (revision ${portal.revision})`))
    }
    const edits = totals.flatMap((s) => s.changed).filter((c) => c.version > 1)
    io.out.write(`\narticles with new versions (${edits.length})\n`)
    for (const c of edits) io.out.write(`  v${c.version}  ${c.title}\n       ${c.url}\n`)
    const stats = await stores.archive.stats()
    io.out.write(
      `\narchive: ${stats.pages} pages, ${stats.captures} captures, ${stats.versions} versions in ${options.archive ?? resolve(options.data ?? './data')}\n`,
    )
    return 0
  } finally {
    await stores.close()
    await portal.close()
  }
}

/** Options of `commandView`. */
export interface ViewCommandOptions extends StoreOptions {
  /** Address to listen on; anything but loopback needs `token`. @default '127.0.0.1' */
  host?: string
  /** TCP port (0: any free port). @default 8080 */
  port?: number
  /** Access token required from every request. @default undefined */
  token?: string
  /** Stops the viewer when aborted (tests); otherwise SIGINT / SIGTERM do. @default undefined */
  signal?: AbortSignal
}

/** The part of `@parkwatch/viewer` this command uses, typed here so the CLI does not need its types to build. */
interface ViewerModule {
  startViewer(options: {
    archive: Archive
    host?: string
    port?: number
    token?: string
  }): Promise<{ url: string; close(): Promise<void> }>
}

/** Loaded only by `parkwatch view`: the other commands should not pay for importing the web server. */
const VIEWER_MODULE = '@parkwatch/viewer'

/**
 * `parkwatch view`: serve the read-only viewer over the archive until SIGINT / SIGTERM (or `signal`).
 * Prints the URL on `out`.
 */
export async function commandView(options: ViewCommandOptions, io: CommandIo): Promise<number> {
  const archive = openExistingArchive(options, 'view')
  try {
    const { startViewer } = (await import(VIEWER_MODULE).catch((cause: unknown) => {
      if ((cause as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw cause
      throw new ParkwatchError(`${VIEWER_MODULE} is not installed or not built (run pnpm install && pnpm build)`, {
        cause,
      })
    })) as ViewerModule
    const viewer = await startViewer({
      archive,
      ...(options.host !== undefined ? { host: options.host } : {}),
      port: options.port ?? 8080,
      ...(options.token !== undefined ? { token: options.token } : {}),
    })
    io.out.write(
      `parkwatch viewer: ${viewer.url}/${options.token ? ' (send the token: ?token=… once, or Authorization: Bearer …)' : ''}\n`,
    )
    await new Promise<void>((done) => {
      const stop = (): void => {
        process.off('SIGINT', stop)
        process.off('SIGTERM', stop)
        done()
      }
      if (options.signal?.aborted) return stop()
      options.signal?.addEventListener('abort', stop, { once: true })
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
    })
    await viewer.close()
    return 0
  } catch (error) {
    // A non-loopback --host without --token is a usage mistake, not a crash.
    if ((error as { code?: string }).code === 'VIEWER_INSECURE_BIND') {
      throw new UsageError((error as Error).message.replace(/^\[viewer\] /, ''), 'view', { cause: error })
    }
    throw error
  } finally {
    await archive.close()
  }
}

// --- Internal helpers ---

/** `--archive`, checked: a postgres:// URL or undefined. */
export function checkArchiveUrl(options: StoreOptions, command: string | undefined): string | undefined {
  const pg = options.archive
  if (pg !== undefined && !/^postgres(ql)?:\/\//.test(pg)) {
    throw new UsageError(`Expected \`--archive\` to be a postgres:// URL, got \`${pg}\``, command)
  }
  return pg
}

/** The archive's (and so the frontier's) PostgreSQL schema. */
export function pgSchema(options: StoreOptions): string {
  return options.pgSchema || process.env.PARKWATCH_PG_SCHEMA || DEFAULT_PG_SCHEMA
}

/** A `--site` that names no site of the file is a typo worth stopping for, not an empty pass. */
export function checkSiteIds(sources: SourcesConfig, ids: readonly string[] | undefined, command: string): void {
  const known = new Set(sources.sites.map((s) => s.id))
  const unknown = (ids ?? []).filter((id) => !known.has(id))
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown --site ${unknown.map((id) => `\`${id}\``).join(', ')}; ${sources.file} has ${[...known].join(', ')}`,
      command,
    )
  }
}

/** How far the demo's clock moves between passes: past every revisit interval of the demo sources. */
const PASS_STEP_MS = 3_600_000
