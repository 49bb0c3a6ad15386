/**
 * @file `parkwatch archive export` and `parkwatch archive import`: the archive as WARC (or JSON Lines of its
 * versions) for other tools, and WARC files from other crawlers (wget, Heritrix, browsertrix, another
 * parkwatch) into the archive, each HTML response extracted on the way in.
 */
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  openSync,
  readdirSync,
  readSync,
  statSync,
} from 'node:fs'
import { rename, rm } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { constants, createGzip, gunzipSync } from 'node:zlib'
import {
  type Archive,
  type ArchiveError,
  BodyTooLargeError,
  backupSqliteArchive,
  exportJsonl,
  exportWarc,
  type ImportedCapture,
  type IngestResult,
  InvalidCaptureError,
  InvalidHeaderError,
  InvalidUrlError,
  importWarc,
  type PageQuery,
  sha256Hex,
  type WarcExportItem,
  type WarcExportSummary,
} from '@parkwatch/archive'
import type { Article, NotArticle } from '@parkwatch/extractor'
import { type CommandIo, openArchive, openExistingArchive, requireArchive, type StoreOptions } from './commands.js'
import { UsageError } from './errors.js'
import { createExtractPool, type ExtractPool } from './extract-pool.js'
import { table } from './report.js'

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

/** Errors of a capture the archive will not take; the import skips that capture and goes on. */
const REFUSALS = [InvalidUrlError, InvalidHeaderError, InvalidCaptureError, BodyTooLargeError] as const

/** Summary rows of the WARC records `importWarc` skips, by reason. */
const SKIP_LABELS: Readonly<Record<string, string>> = {
  'not-a-capture': 'other records (requests, metadata)',
  'not-http': 'records of no HTTP response',
  'revisit-unresolved': 'revisits of a body not in the file',
}

/** Pages read from the archive per `listPages` call while collecting what to export. */
const LIST_CHUNK = 500
/** Captures extracted ahead of the one being archived during an import. */
const IMPORT_WINDOW = 16
/** Captures archived in one transaction during an import. */
const IMPORT_BATCH = 64
/** Batches of an import waiting to be written before reading the file waits for them. */
const IMPORT_WRITES_AHEAD = 2

/**
 * `parkwatch archive export`: write every capture of the matching pages as WARC 1.1 (a `response` and its
 * `request` for the first capture of each body, `revisit` records for the rest and for 304 answers), or
 * every version as one JSON line. The pages are listed first, so pages added while the export runs are
 * left for the next one. Prints a summary on stderr; exits 0.
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
    const sink = createWriteStream(part)
    if (format === 'warc') {
      const gzip = !out.endsWith('.warc')
      const warc = exportWarc(captures(archive, urls), { gzip, filename: basename(out), software: 'parkwatch' })
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
    } else rows.push(['versions', String(done.lines ?? 0)])
    rows.push(['bytes', String(statSync(out).size)], ['file', out])
    io.err.write(table(`archive export (${format})`, rows))
    return 0
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
  if (options.archive) {
    throw new UsageError('backup copies the embedded archive; back up a PostgreSQL archive with pg_dump', 'archive')
  }
  requireArchive(options, 'archive')
  const dir = resolve(options.data ?? './data')
  const out = resolve(options.out)
  if (existsSync(out) && (!statSync(out).isDirectory() || readdirSync(out).length > 0)) {
    throw new UsageError(`--out ${options.out} must be a new or empty folder`, 'archive')
  }
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
      for (const issue of report.issues.filter((i) => i.severity === 'error')) {
        io.err.write(`  error ${issue.kind}${issue.ref !== undefined ? ` [${issue.ref}]` : ''}: ${issue.message}\n`)
      }
    } finally {
      await copy.close()
    }
  }
  rows.push(['seconds', ((performance.now() - started) / 1000).toFixed(1)], ['folder', out])
  io.out.write(table('archive backup', rows))
  return ok ? 0 : 1
}

/** What `commandImport` did, also printed as a table. */
export interface ImportSummary {
  files: number
  /** Captures read from the files (responses, revisits, resources). */
  captures: number
  /** Captures archived. */
  imported: number
  /** Captures the archive already had (same URL, time, status and body): importing a file twice adds nothing. */
  alreadyThere: number
  newVersions: number
  /** Archived captures of an HTML page the extractor did not take for an article. */
  notArticles: number
  /** Archived captures with nothing to extract: no body (304s, redirects), not a 2xx, not HTML. */
  notPages: number
  /** Archived captures whose extraction failed; archived without an article. */
  extractErrors: number
  /** Captures the archive refused (an unparsable URL, a header it will not store...), by error code. */
  refused: Record<string, number>
  /** WARC records that are no capture (requests, metadata, unresolved revisits), by reason. */
  skippedRecords: Record<string, number>
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
  const summary: ImportSummary = {
    files: 0,
    captures: 0,
    imported: 0,
    alreadyThere: 0,
    newVersions: 0,
    notArticles: 0,
    notPages: 0,
    extractErrors: 0,
    refused: {},
    skippedRecords: {},
  }
  const known = new Map<string, Set<string>>()
  let failed: { file: string; error: unknown } | null = null
  try {
    for (const file of options.files) {
      try {
        await importFile(file, archive, pool, options.source ?? null, known, summary)
        summary.files++
      } catch (error) {
        failed = { file, error }
        break
      }
    }
  } finally {
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

// --- Internal helpers ---

function pageQuery(options: ExportCommandOptions): PageQuery {
  if (options.changedSince !== undefined && Number.isNaN(Date.parse(options.changedSince))) {
    throw new UsageError(`Expected \`--changed-since\` to be a date, got \`${options.changedSince}\``, 'archive')
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

/** Every capture of each page, oldest first, with its body. */
async function* captures(archive: Archive, urls: readonly string[]): AsyncGenerator<WarcExportItem> {
  for (const url of urls) {
    const timeline = await archive.timeline(url)
    for (const capture of timeline?.captures ?? []) {
      yield { capture, body: capture.bodyHash ? await archive.getBody(capture.id) : null }
    }
  }
}

/** Every version of each page, oldest first. */
async function* versions(archive: Archive, urls: readonly string[]) {
  for (const url of urls) yield* (await archive.timeline(url))?.versions ?? []
}

async function importFile(
  file: string,
  archive: Archive,
  pool: ExtractPool,
  source: string | null,
  known: Map<string, Set<string>>,
  summary: ImportSummary,
): Promise<void> {
  const records = importWarc(createReadStream(file, { highWaterMark: 1024 * 1024 }), {
    source,
    onSkip: (record) => {
      summary.skippedRecords[record.reason] = (summary.skippedRecords[record.reason] ?? 0) + 1
    },
  })
  // Extraction runs ahead on the pool; captures are archived strictly in file order, `IMPORT_BATCH` to a
  // transaction (one commit, and the bodies compressed off the main thread). Batches are written one after
  // the other while the file is read on, with at most `IMPORT_WRITES_AHEAD` waiting.
  const ahead: Array<Promise<Prepared>> = []
  let batch: Prepared[] = []
  let tail: Promise<void> = Promise.resolve()
  const writes: Array<Promise<void>> = []
  const refused = (error: unknown): boolean => {
    if (!REFUSALS.some((type) => error instanceof type)) return false
    const code = (error as ArchiveError).code
    summary.refused[code] = (summary.refused[code] ?? 0) + 1
    return true
  }
  const stored = (prepared: Prepared, result: IngestResult): void => {
    summary.imported++
    if (result.isNewVersion) summary.newVersions++
    if (prepared.outcome === 'error') summary.extractErrors++
    else if (prepared.outcome === 'none') summary.notPages++
    else if (prepared.article?.type !== 'article') summary.notArticles++
  }
  const writeBatch = async (items: Prepared[]): Promise<void> => {
    try {
      const results = await archive.ingestMany(items.map(({ capture, article }) => ({ capture, article })))
      for (const [i, prepared] of items.entries()) stored(prepared, results[i] as IngestResult)
      return
    } catch (error) {
      if (!REFUSALS.some((type) => error instanceof type)) throw error
    }
    // One capture refused the whole batch, and nothing of it was stored: again one by one, so only it fails.
    for (const prepared of items) {
      try {
        stored(prepared, await archive.ingest(prepared.capture, prepared.article))
      } catch (error) {
        if (!refused(error)) throw error
        known.get(prepared.capture.url)?.delete(prepared.key)
      }
    }
  }
  const write = async (): Promise<void> => {
    const items = batch
    batch = []
    if (items.length > 0) {
      // After a failed write the chain stays rejected: no later batch is written.
      tail = tail.then(() => writeBatch(items))
      tail.catch(() => {}) // awaited below or by `drain`; never an unhandled rejection meanwhile
      writes.push(tail)
    }
    while (writes.length > IMPORT_WRITES_AHEAD) await writes.shift()
  }
  const drain = async (): Promise<void> => {
    await write()
    while (writes.length > 0) await writes.shift()
  }
  const takeNext = async (): Promise<void> => {
    const prepared = await (ahead.shift() as Promise<Prepared>)
    let seen: Set<string>
    try {
      seen = await knownCaptures(archive, prepared.capture.url, known)
    } catch (error) {
      if (refused(error)) return
      throw error
    }
    if (seen.has(prepared.key)) {
      summary.alreadyThere++
      return
    }
    seen.add(prepared.key)
    batch.push(prepared)
    if (batch.length >= IMPORT_BATCH) await write()
  }
  let broken: unknown = null
  try {
    for await (const capture of records) {
      summary.captures++
      ahead.push(prepare(capture, pool))
      if (ahead.length >= IMPORT_WINDOW) await takeNext()
    }
  } catch (error) {
    // The file breaks off (truncated, a bad digest): every capture read before the break is whole and is
    // archived, then the import stops.
    broken = error
  }
  while (ahead.length > 0) await takeNext()
  await drain()
  if (broken) throw broken
}

interface Prepared {
  capture: ImportedCapture
  key: string
  article: Article | NotArticle | null
  /** `none`: nothing to extract; `error`: the extractor failed. */
  outcome: 'none' | 'extracted' | 'error'
}

/** Extract `capture` when it is an HTML page; never rejects. */
async function prepare(capture: ImportedCapture, pool: ExtractPool): Promise<Prepared> {
  const key = captureKey(capture.fetchedAt, capture.status, capture.body ? sha256Hex(capture.body) : null)
  const contentType = header(capture.headers, 'content-type')
  if (!capture.body || capture.status < 200 || capture.status > 299 || !isHtml(contentType)) {
    return { capture, key, article: null, outcome: 'none' }
  }
  try {
    const article = await pool.extract(capture.body, { url: capture.url, contentType })
    return { capture, key, article, outcome: 'extracted' }
  } catch {
    return { capture, key, article: null, outcome: 'error' }
  }
}

/** The captures the archive has of `url`, as `captureKey`s, read once per URL. */
async function knownCaptures(archive: Archive, url: string, known: Map<string, Set<string>>): Promise<Set<string>> {
  let keys = known.get(url)
  if (!keys) {
    const timeline = await archive.timeline(url)
    keys = new Set((timeline?.captures ?? []).map((c) => captureKey(c.fetchedAt, c.status, c.bodyHash)))
    known.set(url, keys)
  }
  return keys
}

/**
 * Whether `file` starts with a WARC record, plain or gzipped (the first KB is inflated as far as it goes): a
 * check made before the archive is opened, so a wrong file changes nothing.
 */
function startsLikeWarc(file: string): boolean {
  const head = Buffer.alloc(1024)
  const fd = openSync(file, 'r')
  let n: number
  try {
    n = readSync(fd, head, 0, head.length, 0)
  } finally {
    closeSync(fd)
  }
  let start = head.subarray(0, n)
  if (start[0] === 0x1f && start[1] === 0x8b) {
    try {
      start = gunzipSync(start, { finishFlush: constants.Z_SYNC_FLUSH })
    } catch {
      return false
    }
  }
  return /^WARC\/1\.\d\r?\n/.test(start.subarray(0, 16).toString('latin1'))
}

function captureKey(fetchedAt: string, status: number | null, bodyHash: string | null): string {
  return `${Date.parse(fetchedAt)} ${status ?? '-'} ${bodyHash ?? '-'}`
}

function header(headers: ReadonlyArray<readonly [string, string]>, name: string): string | null {
  for (const [k, v] of headers) if (k.toLowerCase() === name) return v
  return null
}

/** HTML, or no type at all (the extractor sniffs); not images, PDFs, feeds or scripts. */
function isHtml(contentType: string | null): boolean {
  if (!contentType) return true
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? ''
  return type === 'text/html' || type === 'application/xhtml+xml' || type === ''
}
