/**
 * @file WARC files into the archive: `importWarcFile` reads a file with the archive's `importWarc`, extracts
 * each HTML response on the extraction pool while it reads on, and archives the captures in file order, in
 * batches, leaving out those the archive already has. `parkwatch archive import` runs it.
 */
import { closeSync, createReadStream, openSync, readSync } from 'node:fs'
import { constants, gunzipSync } from 'node:zlib'
import {
  type Archive,
  type ArchiveError,
  BodyTooLargeError,
  type ImportedCapture,
  type IngestResult,
  InvalidCaptureError,
  InvalidHeaderError,
  InvalidUrlError,
  importWarc,
  sha256Hex,
} from '@parkwatch/archive'
import type { Article, NotArticle } from '@parkwatch/extractor'
import type { ExtractPool } from './extract-pool.js'
import { createIngestBatcher } from './ingest-batch.js'

/** What an import did, file after file (`importWarcFile` adds to it). */
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

/** An `ImportSummary` of nothing yet. */
export function emptyImportSummary(): ImportSummary {
  return {
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
}

/** What `importWarcFile` works with. */
export interface ImportDeps {
  archive: Archive
  pool: ExtractPool
  /** `source` of every capture, or null for the page's host. */
  source: string | null
  /** Captures already in the archive, by URL (`captureKey`s); shared by the files of one import. */
  known: Map<string, Set<string>>
}

/** Errors of a capture the archive will not take; the import skips that capture and goes on. */
const REFUSALS = [InvalidUrlError, InvalidHeaderError, InvalidCaptureError, BodyTooLargeError] as const

/** Summary rows of the WARC records `importWarc` skips, by reason. */
export const SKIP_LABELS: Readonly<Record<string, string>> = {
  'not-a-capture': 'other records (requests, metadata)',
  'not-http': 'records of no HTTP response',
  'revisit-unresolved': 'revisits of a body not in the file',
}

/** Captures extracted ahead of the one being archived during an import. */
const IMPORT_WINDOW = 16
/** Captures archived in one transaction during an import. */
const IMPORT_BATCH = 64
/** Batches of an import waiting to be written before reading the file waits for them. */
const IMPORT_WRITES_AHEAD = 2
/**
 * Import one WARC file: one capture per response (revisits get the body they refer to, from the file or
 * from the archive), the HTML ones
 * extracted on `deps.pool`, archived in file order so a version is made as if the pages had been fetched
 * then. A capture the archive already has is left out; one it refuses is counted and skipped. When the
 * file breaks off (truncated, a bad digest), what was read before is archived, then the error is thrown.
 */
export async function importWarcFile(file: string, deps: ImportDeps, summary: ImportSummary): Promise<void> {
  const { archive, pool, source, known } = deps
  const records = importWarc(createReadStream(file, { highWaterMark: 1024 * 1024 }), {
    source,
    onSkip: (record) => {
      summary.skippedRecords[record.reason] = (summary.skippedRecords[record.reason] ?? 0) + 1
    },
    // A revisit whose original is not in this file (an earlier file of the crawl, a deduplicating crawler):
    // the archive keeps bodies by their sha256, which is the payload digest of a decoded body.
    resolveDigest: (digest) => (digest.startsWith('sha256:') ? archive.backend.blobs.get(digest.slice(7)) : null),
  })
  // Extraction runs ahead on the pool; captures are archived strictly in file order through the run's
  // batcher (`IMPORT_BATCH` to a transaction; a refused batch written again capture by capture, so only the
  // bad one fails), while the file is read on, with at most `IMPORT_WRITES_AHEAD` batches waiting.
  const ahead: Array<Promise<Prepared>> = []
  const writer = createIngestBatcher(archive, { maxBatch: IMPORT_BATCH })
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
  const write = async (prepared: Prepared): Promise<void> => {
    const done = writer.ingest(prepared.capture, prepared.article).then(
      (result) => stored(prepared, result),
      (error: unknown) => {
        if (!refused(error)) throw error
        known.get(prepared.capture.url)?.delete(prepared.key)
      },
    )
    done.catch(() => {}) // awaited below or by `drain`; never an unhandled rejection meanwhile
    writes.push(done)
    while (writes.length > IMPORT_BATCH * IMPORT_WRITES_AHEAD) await writes.shift()
  }
  const drain = async (): Promise<void> => {
    await writer.flush()
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
    await write(prepared)
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

/**
 * Whether `file` starts with a WARC record, plain or gzipped (the first KB is inflated as far as it goes): a
 * check made before the archive is opened, so a wrong file changes nothing.
 */
export function startsLikeWarc(file: string): boolean {
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

// --- Internal helpers ---

interface Prepared {
  capture: ImportedCapture
  key: string
  article: Article | NotArticle | null
  /** `none`: nothing to extract; `error`: the extractor failed. */
  outcome: 'none' | 'extracted' | 'error'
}

/** Extract `capture` when it is an HTML page; never rejects. */
async function prepare(read: ImportedCapture, pool: ExtractPool): Promise<Prepared> {
  // An empty body is no body: a failed fetch's 404 exported by parkwatch comes back with an empty payload,
  // and must meet the capture it came from (which has none).
  const capture = read.body !== null && read.body.length === 0 ? { ...read, body: null } : read
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
