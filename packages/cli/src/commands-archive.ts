/**
 * @file `parkwatch archive export`, `import` and `backup`: the archive as WARC (or JSON Lines of its versions)
 * for other tools; WARC files from other crawlers (wget, Heritrix, browsertrix, another parkwatch) into the
 * archive, each HTML response extracted on the way in (`warc-import.ts`); a consistent copy of the embedded
 * archive.
 */
import { execFile } from 'node:child_process'
import { createWriteStream, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import { rename, rm } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import {
  type Archive,
  type ArchiveError,
  BlobCorruptError,
  backupSqliteArchive,
  exportJsonl,
  exportWarc,
  NotFoundError,
  type PageQuery,
  type WarcExportItem,
  type WarcExportSummary,
} from '@parkwatch/archive'
import {
  type CommandIo,
  checkArchiveUrl,
  issueLine,
  openArchive,
  openExistingArchive,
  pgSchema,
  requireArchive,
  type StoreOptions,
} from './commands.js'
import { ParkwatchError, UsageError } from './errors.js'
import { createExtractPool } from './extract-pool.js'
import { table } from './report.js'
import { emptyImportSummary, type ImportSummary, importWarcFile, SKIP_LABELS, startsLikeWarc } from './warc-import.js'

/** Options of `commandExport`. */
export interface ExportCommandOptions extends StoreOptions {
  /**
   * File to write. A WARC file is gzipped record by record unless its name ends in `.warc`; a JSON Lines
   * file is gzipped when its name ends in `.gz`. Written as `<out>.part`, renamed once complete.
   */
  out: string
  /** `warc`: every capture with its body; `jsonl`: every version with its article. @default 'warc' */
  format?: 'warc' | 'jsonl'
  /** Only the pages of this host. */
  host?: string
  /** Only the pages of this source (the sources file's site id). */
  source?: string
  /** Only the pages with a new version at or after this moment (ISO 8601). */
  changedSince?: string
  /**
   * Only the captures fetched at or after this moment (ISO 8601): a daily WARC of what was captured that
   * day. Each file stands alone: the first capture of a body in it is a response.
   */
  capturedSince?: string
}

/** Options of `commandBackup`. */
export interface BackupCommandOptions extends StoreOptions {
  /** Folder of the copy: created when missing, and must be empty. */
  out: string
  /** Check the copy with `verify` (reads every body back). @default true */
  verify?: boolean
}

/** Options of `commandImport`. */
export interface ImportCommandOptions extends StoreOptions {
  /** WARC files (`.warc` or `.warc.gz`), imported in this order. */
  files: string[]
  /** `source` of every imported capture. @default the page's host */
  source?: string
  /** Extraction threads. @default one per core */
  threads?: number
}

/** Pages read from the archive per `listPages` call while collecting what to export. */
const LIST_CHUNK = 500

/**
 * `parkwatch archive export`: write every capture of the matching pages as WARC 1.1 (a `response` and its
 * `request` for the first capture of each body, `revisit` records for the rest and for 304 answers), or
 * every version as one JSON line. The pages are listed first, so pages added while the export runs are
 * left for the next one. A capture whose body the archive has lost is left out and named. Prints a summary
 * on stderr; exits 0, or 1 when bodies were lost.
 */
export async function commandExport(options: ExportCommandOptions, io: CommandIo): Promise<number> {
  const format = options.format ?? 'warc'
  const out = resolve(options.out)
  if (existsSync(out) && statSync(out).isDirectory()) {
    throw new UsageError(`--out ${options.out} is a folder`, 'archive')
  }
  if (!existsSync(dirname(out))) throw new UsageError(`no folder ${dirname(out)} for --out`, 'archive')
  const query = pageQuery(options)
  const archive = openExistingArchive(options, 'archive')
  const part = `${out}.part`
  try {
    const urls = await matchingUrls(archive, query)
    // Filled by the generators' return values once everything is written.
    const done: { warc?: WarcExportSummary; lines?: number } = {}
    const lost: Array<{ capture: number; url: string; error: ArchiveError }> = []
    const sink = createWriteStream(part)
    if (format === 'warc') {
      const gzip = !out.endsWith('.warc')
      const since = options.capturedSince === undefined ? null : Date.parse(options.capturedSince)
      const items = captures(archive, urls, since, lost)
      const warc = exportWarc(items, { gzip, filename: basename(out), software: 'parkwatch' })
      await pipeline(
        Readable.from(
          (async function* () {
            done.warc = yield* warc
          })(),
        ),
        sink,
      )
    } else {
      const jsonl = exportJsonl(versions(archive, urls))
      const lines = Readable.from(
        (async function* () {
          done.lines = yield* jsonl
        })(),
      )
      if (out.endsWith('.gz')) await pipeline(lines, createGzip(), sink)
      else await pipeline(lines, sink)
    }
    await rename(part, out)
    const rows: Array<[string, string]> = [['pages', String(urls.length)]]
    if (done.warc) {
      rows.push(
        ['records', String(done.warc.records)],
        ['responses', String(done.warc.responses)],
        ['revisits', String(done.warc.revisits)],
        ['failed fetches left out', String(done.warc.skippedCaptures)],
      )
      if (lost.length > 0) rows.push(['captures left out: body lost', String(lost.length)])
    } else rows.push(['versions', String(done.lines ?? 0)])
    rows.push(['bytes', String(statSync(out).size)], ['file', out])
    io.err.write(table(`archive export (${format})`, rows))
    for (const { capture, url, error } of lost) {
      io.err.write(`  error capture #${capture} of ${url}: ${error.message} (${error.code}); run archive verify\n`)
    }
    return lost.length > 0 ? 1 : 0
  } catch (error) {
    await rm(part, { force: true })
    throw error
  } finally {
    await archive.close()
  }
}

/**
 * `parkwatch archive backup --out DIR`: a consistent copy of the embedded archive (database, frontier and
 * bodies) taken while runs go on writing (`backupSqliteArchive`), then checked with `verify`. Exits 0, or 1
 * when the copy does not verify.
 */
export async function commandBackup(options: BackupCommandOptions, io: CommandIo): Promise<number> {
  const out = resolve(options.out)
  if (existsSync(out) && (!statSync(out).isDirectory() || readdirSync(out).length > 0)) {
    throw new UsageError(`--out ${options.out} must be a new or empty folder`, 'archive')
  }
  const pg = checkArchiveUrl(options, 'archive')
  if (pg) return backupPostgres(pg, pgSchema(options), out, io)
  requireArchive(options, 'archive')
  const dir = resolve(options.data ?? './data')
  const started = performance.now()
  const copied = backupSqliteArchive({ dir, out })
  const rows: Array<[string, string]> = [
    ['database bytes', String(copied.databaseBytes)],
    ['body files', String(copied.bodyFiles)],
    ['body bytes', String(copied.bodyBytes)],
  ]
  let ok = true
  if (options.verify ?? true) {
    const copy = openArchive({ data: out }, 'archive')
    try {
      const report = await copy.verify()
      const stats = await copy.stats()
      ok = report.ok
      rows.push(
        ['pages', String(stats.pages)],
        ['captures', String(stats.captures)],
        ['versions', String(stats.versions)],
        ['verify', report.ok ? 'ok' : 'FAILED'],
      )
      for (const issue of report.issues) if (issue.severity === 'error') io.err.write(issueLine(issue))
    } finally {
      await copy.close()
    }
  }
  rows.push(['seconds', ((performance.now() - started) / 1000).toFixed(1)], ['folder', out])
  io.out.write(table('archive backup', rows))
  return ok ? 0 : 1
}

/**
 * `parkwatch archive import FILE…`: read each WARC file and archive one capture per response (revisits get
 * the body they refer to), extracting the HTML ones on worker threads. Captures of a URL are archived in
 * file order, so a version is made exactly as if the pages had been fetched then. A capture the archive
 * already has is not archived again. A broken file stops the import with exit 1; what was archived before
 * stays.
 */
export async function commandImport(options: ImportCommandOptions, io: CommandIo): Promise<number> {
  if (options.files.length === 0) throw new UsageError('missing WARC file(s)', 'archive')
  for (const file of options.files) {
    if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`no file ${file}`, 'archive')
    if (!startsLikeWarc(file)) {
      throw new UsageError(`${file} is not a WARC file (it does not start with a WARC/1.x record)`, 'archive')
    }
  }
  const archive = openArchive(options, 'archive')
  const pool = createExtractPool(options.threads !== undefined ? { threads: options.threads } : {})
  const summary = emptyImportSummary()
  const known = new Map<string, Set<string>>()
  let failed: { file: string; error: unknown } | null = null
  // On a terminal, one line redrawn in place while the files are read.
  let current = ''
  const progress = io.err.isTTY
    ? setInterval(() => io.err.write(`\r\x1b[K${importProgress(summary, current)}`), PROGRESS_MS)
    : null
  try {
    for (const [i, file] of options.files.entries()) {
      current = `${basename(file)} (${i + 1}/${options.files.length})`
      try {
        await importWarcFile(file, { archive, pool, source: options.source ?? null, known }, summary)
        summary.files++
      } catch (error) {
        failed = { file, error }
        break
      }
    }
  } finally {
    if (progress) {
      clearInterval(progress)
      io.err.write('\r\x1b[K')
    }
    await pool.close()
    await archive.close()
  }
  const rows: Array<[string, string]> = [
    ['files', `${summary.files}/${options.files.length}`],
    ['captures read', String(summary.captures)],
    ['imported', String(summary.imported)],
    ['already in the archive', String(summary.alreadyThere)],
    ['new versions', String(summary.newVersions)],
    ['not articles', String(summary.notArticles)],
    ['no page to extract', String(summary.notPages)],
    ['extraction errors', String(summary.extractErrors)],
  ]
  for (const [code, n] of Object.entries(summary.refused)) rows.push([`refused by the archive: ${code}`, String(n)])
  for (const [reason, n] of Object.entries(summary.skippedRecords))
    rows.push([SKIP_LABELS[reason] ?? reason, String(n)])
  io.out.write(table('archive import', rows))
  if (failed) {
    const { file, error } = failed
    const code = (error as Partial<ArchiveError> | null)?.code
    const message = error instanceof Error ? error.message : String(error)
    io.err.write(`parkwatch: archive import: ${file}: ${message}${code ? ` (${code})` : ''}\n`)
    return 1
  }
  return 0
}

/**
 * A PostgreSQL archive's backup: `pg_dump` of its schema (archive, bodies and frontier, one consistent
 * snapshot) to `<out>/archive.pgdump` in the custom format, then `pg_restore --list` to check it reads.
 * Restore with `pg_restore --dbname URL <out>/archive.pgdump` into a database without that schema.
 */
async function backupPostgres(url: string, schema: string, out: string, io: CommandIo): Promise<number> {
  const started = performance.now()
  mkdirSync(out, { recursive: true })
  const file = join(out, 'archive.pgdump')
  const dump = await run('pg_dump', ['--format=custom', `--schema=${schema}`, `--file=${file}`, `--dbname=${url}`])
  if (dump.code !== 0) {
    rmSync(file, { force: true })
    throw new ParkwatchError(`pg_dump failed (exit ${dump.code}): ${dump.stderr.trim()}`)
  }
  const list = await run('pg_restore', ['--list', file])
  const tables = list.stdout.split('\n').filter((l) => / TABLE DATA /.test(l)).length
  io.out.write(
    table('archive backup (PostgreSQL)', [
      ['schema', schema],
      ['dump bytes', String(statSync(file).size)],
      ['tables', String(tables)],
      ['readable', list.code === 0 ? 'ok' : 'FAILED'],
      ['seconds', ((performance.now() - started) / 1000).toFixed(1)],
      ['file', file],
    ]),
  )
  return list.code === 0 && tables > 0 ? 0 : 1
}

/** Run a program to its end; a missing program is a clear error, not a stack trace. */
function run(program: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    execFile(program, args, { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = (error as { code?: unknown } | null)?.code
      if (code === 'ENOENT') {
        fail(new ParkwatchError(`${program} is not installed (Debian: apt-get install postgresql-client)`))
      } else done({ code: error ? (typeof code === 'number' ? code : 1) : 0, stdout, stderr })
    })
  })
}

/** The progress line of `archive import` on a terminal. */
export function importProgress(summary: ImportSummary, file: string): string {
  return `captures ${summary.captures} · imported ${summary.imported} · new versions ${summary.newVersions} · already there ${summary.alreadyThere}  ${file}`
}

// --- Internal helpers ---

/** How often the progress line is redrawn. */
const PROGRESS_MS = 250

function pageQuery(options: ExportCommandOptions): PageQuery {
  for (const [flag, value] of [
    ['--changed-since', options.changedSince],
    ['--captured-since', options.capturedSince],
  ] as const) {
    if (value !== undefined && Number.isNaN(Date.parse(value))) {
      throw new UsageError(`Expected \`${flag}\` to be a date, got \`${value}\``, 'archive')
    }
  }
  return {
    ...(options.host ? { host: options.host.toLowerCase() } : {}),
    ...(options.source ? { source: options.source } : {}),
    ...(options.changedSince ? { changedSince: options.changedSince } : {}),
  }
}

async function matchingUrls(archive: Archive, query: PageQuery): Promise<string[]> {
  const urls: string[] = []
  for (let offset = 0; ; offset += LIST_CHUNK) {
    const pages = await archive.listPages({ ...query, limit: LIST_CHUNK, offset })
    for (const page of pages) urls.push(page.url)
    if (pages.length < LIST_CHUNK) return urls
  }
}

/**
 * Every capture of each page (fetched at or after `since`, when given), oldest first, with its body. A capture whose body the archive has lost (a
 * deleted pack, a corrupt file) is left out and added to `lost`: the rest of the archive is still exported.
 */
async function* captures(
  archive: Archive,
  urls: readonly string[],
  since: number | null,
  lost: Array<{ capture: number; url: string; error: ArchiveError }>,
): AsyncGenerator<WarcExportItem> {
  for (const url of urls) {
    const timeline = await archive.timeline(url)
    for (const capture of timeline?.captures ?? []) {
      if (since !== null && Date.parse(capture.fetchedAt) < since) continue
      let body: Uint8Array | null = null
      if (capture.bodyHash) {
        try {
          body = await archive.getBody(capture.id)
        } catch (error) {
          if (!(error instanceof NotFoundError || error instanceof BlobCorruptError)) throw error
          lost.push({ capture: capture.id, url: capture.url, error })
          continue
        }
      }
      yield { capture, body }
    }
  }
}

/** Every version of each page, oldest first. */
async function* versions(archive: Archive, urls: readonly string[]) {
  for (const url of urls) yield* (await archive.timeline(url))?.versions ?? []
}
