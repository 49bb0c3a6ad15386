/**
 * @file The embedded default backend: one SQLite file (better-sqlite3, WAL) plus pack files of bodies (or,
 * with `blobs`, a table in the same file or a folder of one file per body), and the full-text index in a
 * file of its own written by a worker thread (`sqlite-fts.ts`). Writes are `BEGIN IMMEDIATE`
 * transactions, so several processes can write to one file: they queue on the write lock (up to
 * `busyTimeoutMs`) and each sees the newest version before deciding on its own.
 *
 * Group commit: `ingest` calls made while the event loop is busy (a crawler with many fetches in flight)
 * are written together, in one transaction with a savepoint per capture, at the end of the current turn of
 * the event loop. Each capture still lands whole or not at all (a failing one rolls back to its savepoint and
 * rejects alone), and no call resolves before the transaction holding its capture has committed.
 */
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import Database from 'better-sqlite3'
import { DEFAULT_BROTLI_QUALITY } from '../blobs.js'
import { versionChange } from '../change.js'
import { StorageError } from '../errors.js'
import { checkSqliteReferences, migrateSqlite, SQLITE_SCHEMA_VERSION } from '../migrations/sqlite.js'
import type { ArchiveBackend, BlobStore, Capture, IngestRecord, IngestResult, Page, Version } from '../types.js'
import { cacheFrozen } from './record-cache.js'
import { type StagedBlob, sqliteBlobs } from './sqlite-blobs.js'
import { openSearchIndex, type SearchIndex } from './sqlite-fts.js'
import { lazyLatest, pageQueries, timelineCaptures } from './sqlite-reads.js'
import { sqliteSearch } from './sqlite-search.js'
import {
  type CaptureRow,
  EMPTY_PAGE_ROW,
  type PageRow,
  prepare,
  toCapture,
  toPage,
  toVersion,
  type VersionRow,
} from './sqlite-sql.js'
import { enableWal } from './sqlite-wal.js'

const BLOB_MODES = new Set(['packs', 'folder', 'database'])

/** Schema version written by this backend (`PRAGMA user_version`). */
export const SCHEMA_VERSION: number = SQLITE_SCHEMA_VERSION

/** Options of `sqliteBackend`. */
export interface SqliteBackendOptions {
  /** Folder for the database file and the blob folder. @default './data' */
  dir?: string
  /** Database file. @default `${dir}/archive.sqlite` */
  file?: string
  /**
   * Where bodies go. `'packs'`: appended to pack files, `<dir>/packs/*.pack` (one per writing process and
   * thread), each located by a `packed_blobs` row written by the capture's own transaction. `'database'`:
   * the `blobs` table of the archive file, also written by the capture's transaction. `'folder'`: one file
   * per body, `<dir>/blobs/ab/cd/<sha256>.br` (a file and often a folder created per new body: the slowest).
   * Each reads from all three places, so an archive can be switched at any time. Or any `BlobStore`.
   * @default 'packs'
   */
  blobs?: 'packs' | 'folder' | 'database' | BlobStore
  /** Brotli quality (0-11) of the built-in blob stores. @default DEFAULT_BROTLI_QUALITY */
  blobQuality?: number
  /** How long a write waits for another process's lock, in ms. @default 10_000 */
  busyTimeoutMs?: number
  /**
   * `PRAGMA synchronous`. `normal` is safe against a killed process in WAL mode (the last commits can be lost
   * on power loss only); `full` also survives power loss, at several times the cost per ingest.
   * @default 'normal'
   */
  synchronous?: 'normal' | 'full'
}

/**
 * The SQLite backend.
 *
 * @example
 * const archive = createArchive({ backend: sqliteBackend({ dir: './data' }) })
 * const fast = createArchive({ backend: sqliteBackend({ dir: './data', blobs: 'database' }) })
 */
export function sqliteBackend(options: SqliteBackendOptions = {}): ArchiveBackend {
  const dir = options.dir ?? './data'
  const file = options.file ?? join(dir, 'archive.sqlite')
  const busyTimeoutMs = options.busyTimeoutMs ?? 10_000
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new TypeError(`Expected \`busyTimeoutMs\` to be an integer >= 0, got \`${busyTimeoutMs}\``)
  }
  const synchronous = options.synchronous ?? 'normal'
  if (synchronous !== 'normal' && synchronous !== 'full') {
    throw new TypeError(`Expected \`synchronous\` to be 'normal' or 'full', got \`${synchronous}\``)
  }
  const blobMode = options.blobs ?? 'packs'
  if (!BLOB_MODES.has(blobMode as string) && typeof (blobMode as BlobStore)?.put !== 'function') {
    throw new TypeError(
      `Expected \`blobs\` to be 'packs', 'folder', 'database' or a BlobStore, got \`${String(blobMode)}\``,
    )
  }
  const quality = options.blobQuality ?? DEFAULT_BROTLI_QUALITY
  if (!Number.isInteger(quality) || quality < 0 || quality > 11) {
    throw new TypeError(`Expected \`blobQuality\` to be an integer from 0 to 11, got \`${quality}\``)
  }
  mkdirSync(dirname(file), { recursive: true })
  let db: Database.Database
  try {
    db = new Database(file, { timeout: busyTimeoutMs })
    enableWal(db, busyTimeoutMs)
    db.pragma(`synchronous = ${synchronous}`)
    db.pragma('foreign_keys = ON')
    db.pragma('cache_size = -32000')
    migrateSqlite(db)
  } catch (cause) {
    throw cause instanceof StorageError ? cause : new StorageError(`cannot open ${file}`, { cause })
  }
  const { blobs, table } = sqliteBlobs(db, { dir, mode: blobMode, quality, fsync: synchronous === 'full' })
  const q = prepare(db)
  const pages = pageQueries(db)
  let index: SearchIndex
  try {
    index = openSearchIndex(file, busyTimeoutMs)
  } catch (error) {
    db.close()
    throw error
  }
  let search: ReturnType<typeof sqliteSearch> | null = null
  // Versions never change once written, so a cache is always right; it saves parsing the article JSON of
  // the newest version on every unchanged re-capture, which is most of them.
  const versionCache = new Map<number, Version>()
  // Captures never change once committed either: a timeline asked for again reads only the capture ids of
  // the page and builds (parses headers, formats dates) just the captures it has not seen.
  const captureCache = new Map<number, Capture>()
  // Versions cached by the transaction running now: forgotten again if it rolls back (ids can be reused).
  let cachedInTx: number[] = []
  // Versions written by the transaction running now, with their search text: indexed once it commits.
  let indexInTx: Array<[number, string]> = []
  let closed = false
  // Temporary tables made by `blobRefs`, numbered so that two at once do not meet.
  let refLists = 0

  const versionById = (id: number): Version | null => {
    const hit = versionCache.get(id)
    if (hit) return hit
    const row = q.versionById.get(id) as VersionRow | undefined
    return row ? cacheVersion(versionCache, toVersion(row)) : null
  }
  // Raw-fields keys (`VersionRecord.rawKey`) of articles known to be a version, by version id: small (a
  // 44-character string each), so it covers far more pages in rotation than the version cache.
  const rawKeys = new Map<number, string>()
  const rememberRawKey = (id: number, key: string): void => {
    if (rawKeys.size >= RAW_KEY_CACHE_SIZE) rawKeys.delete(rawKeys.keys().next().value as number)
    rawKeys.set(id, key)
  }
  const latestVersions = lazyLatest(q, versionCache, rawKeys, rememberRawKey)
  const { latestVersion, sameAs } = latestVersions
  const pageRow = (url: string): Page | null => {
    const row = q.pageByUrl.get(url) as PageRow | undefined
    return row ? toPage(row) : null
  }

  // Page rows as this connection last wrote them, so an ingest need not read its page back. They stay right
  // while no other connection commits: each write transaction first reads `PRAGMA data_version` (under the
  // write lock) and starts afresh when it moved; a rollback empties them.
  const pageRows = new Map<string, PageRow>()
  const dataVersion = db.prepare('PRAGMA data_version').pluck(true)
  let seenDataVersion = -1
  const checkPageRows = (): void => {
    const now = dataVersion.get() as number
    if (now !== seenDataVersion) pageRows.clear()
    seenDataVersion = now
  }
  const rememberPage = (row: PageRow): void => {
    if (pageRows.size >= PAGE_CACHE_SIZE) pageRows.delete(pageRows.keys().next().value as string)
    pageRows.set(row.url, row)
  }

  /** One capture; runs inside a write transaction (or a savepoint of one). */
  const ingestOne = (record: IngestRecord, staged: StagedBlob | null): IngestResult => {
    const { page: p, capture: c, version: v } = record
    const at = Date.parse(c.fetchedAt)
    let page = pageRows.get(p.url) ?? (q.pageByUrl.get(p.url) as PageRow | undefined)
    if (!page) {
      const id = Number(q.insertPage.run(p.url, p.host, p.source, at, at).lastInsertRowid)
      page = { ...EMPTY_PAGE_ROW, id, url: p.url, host: p.host, source: p.source }
      page.first_captured_at = at
      page.last_captured_at = at
    }
    if (staged) table?.write(staged)
    let latest = page.latest_version_id === null ? null : latestVersion(page.latest_version_id)
    const isNew = v !== null && (latest === null || !sameAs(latest, v))
    const captureId: number = isNew ? (q.nextCaptureId.get() as number) : 0
    if (isNew && v) {
      const number = (latest?.number ?? 0) + 1
      const json = JSON.stringify(v.article)
      const change = versionChange(latest?.article ?? null, v.article)
      const changeJson = JSON.stringify(change)
      const industries = v.industries.join(',')
      const id = Number(
        q.insertVersion.run(
          page.id,
          number,
          v.contentHash,
          captureId,
          at,
          v.title,
          JSON.stringify(v.industries),
          json,
          changeJson,
        ).lastInsertRowid,
      )
      indexInTx.push([id, v.searchText()])
      if (industries !== page.industries) {
        for (const industry of page.industries ? page.industries.split(',') : [])
          q.deleteIndustry.run(industry, page.id)
        for (const industry of v.industries) q.insertIndustry.run(page.id, industry)
      }
      const publishedMs = v.publishedAt === null ? null : Date.parse(v.publishedAt)
      q.pageNewVersion.run(
        at,
        at,
        at,
        id,
        v.title,
        v.publishedAt,
        Number.isNaN(publishedMs) ? null : publishedMs,
        industries,
        changeJson,
        page.id,
      )
      page = {
        ...page,
        version_count: page.version_count + 1,
        last_changed_at: at,
        latest_version_id: id,
        title: v.title,
        published_at: v.publishedAt,
        industries,
        last_change: changeJson,
      }
      cachedInTx.push(id)
      if (v.rawKey !== undefined) rememberRawKey(id, v.rawKey)
      latest = latestVersions.remember(
        {
          id,
          pageId: page.id,
          url: p.url,
          number,
          contentHash: v.contentHash,
          captureId,
          createdAt: c.fetchedAt,
          title: v.title,
          change,
        },
        latest,
      )
    } else {
      q.pageCaptured.run(at, at, page.id)
    }
    const insertedId = q.insertCapture.run(
      isNew ? captureId : null,
      page.id,
      c.requestedUrl,
      c.finalUrl,
      c.redirects.length > 0 ? JSON.stringify(c.redirects) : null,
      c.method,
      c.outcome,
      c.status,
      JSON.stringify(c.headers),
      c.etag,
      c.lastModified,
      at,
      c.timing ? JSON.stringify(c.timing) : null,
      c.error,
      c.bodyHash,
      c.bodySize,
      latest?.id ?? null,
    ).lastInsertRowid
    // The page as it now is, computed rather than read back, and built into a `Page` only if asked for.
    const row: PageRow = {
      ...page,
      capture_count: page.capture_count + 1,
      first_captured_at: Math.min(page.first_captured_at, at),
      last_captured_at: Math.max(page.last_captured_at, at),
    }
    rememberPage(row)
    let stored: Page | undefined
    const capture: Capture = {
      id: Number(insertedId),
      pageId: page.id,
      url: p.url,
      ...c,
      versionId: latest?.id ?? null,
      versionNumber: latest?.number ?? null,
    }
    return {
      get page(): Page {
        stored ??= toPage(row)
        return stored
      },
      capture,
      version: latest,
      isNewVersion: isNew,
    }
  }

  /** A version id of a rolled-back transaction (SQLite may hand the id out again). */
  const forget = (id: number): void => {
    versionCache.delete(id)
    latestVersions.forget(id)
    rawKeys.delete(id)
  }
  // A capture of a group commit is a savepoint: when it fails, only its own writes are rolled back.
  const savepoint = db.transaction(ingestOne)
  const groupTx = db.transaction((batch: readonly Pending[]): Outcome[] => {
    checkPageRows()
    return batch.map((item) => {
      const mark = cachedInTx.length
      const indexMark = indexInTx.length
      try {
        return { ok: true, value: savepoint(item.record, item.staged) }
      } catch (error) {
        for (const id of cachedInTx.splice(mark)) forget(id)
        indexInTx.length = indexMark
        pageRows.clear()
        return { ok: false, error }
      }
    })
  })
  // A group of one (a caller awaiting each ingest) needs no savepoint: its transaction is its own.
  const oneTx = db.transaction((item: Pending): Outcome[] => {
    checkPageRows()
    return [{ ok: true, value: ingestOne(item.record, item.staged) }]
  })
  const manyTx = db.transaction((records: readonly IngestRecord[], staged: ReadonlyArray<StagedBlob | null>) => {
    checkPageRows()
    return records.map((r, i) => ingestOne(r, staged[i] ?? null))
  })
  /** Run a write transaction; if it rolls back, forget the versions it cached. */
  const write = <T>(fn: () => T): T => {
    cachedInTx = []
    indexInTx = []
    let out: T
    try {
      out = fn()
    } catch (error) {
      for (const id of cachedInTx) forget(id)
      pageRows.clear()
      indexInTx = []
      throw error
    } finally {
      cachedInTx = []
    }
    // Committed: its new versions go to the index worker.
    index.add(indexInTx)
    indexInTx = []
    return out
  }
  /** Compress a new body before the transaction, so the write lock is not held for it. */
  const stage = (record: IngestRecord): StagedBlob | null => (table && record.body ? table.stage(record.body) : null)
  const learn = (staged: StagedBlob | null): void => {
    if (staged) table?.learn(staged.hash, staged.storedSize)
  }
  /** One `ingestMany` batch, its bodies staged: one synchronous transaction. */
  const commitMany = (records: readonly IngestRecord[], staged: ReadonlyArray<StagedBlob | null>): IngestResult[] => {
    open()
    const out = write(() => manyTx.immediate(records, staged))
    for (const s of staged) learn(s)
    return out
  }
  // With bodies in packs or the table, a batch's bodies are staged on a worker thread before its transaction,
  // and the next batch's meanwhile: `ingestMany` calls may overlap, and they commit in call order, each in
  // one synchronous transaction (the write lock is never held across an await: another connection of this
  // process, waiting for the lock synchronously, would wait for ever). `manyTail` settles when the latest
  // call has.
  let manyTail: Promise<unknown> = Promise.resolve()

  const queue: Pending[] = []
  let flushing: NodeJS.Immediate | null = null
  const flush = (): void => {
    flushing = null
    while (queue.length > 0) {
      const batch = queue.splice(0, MAX_GROUP)
      let outcomes: Outcome[]
      try {
        // IMMEDIATE takes the write lock before the first read, so the "newest version" read inside is still
        // newest at commit; DEFERRED would let two processes both read v1 and both write v2.
        outcomes = write(() => (batch.length === 1 ? oneTx.immediate(batch[0] as Pending) : groupTx.immediate(batch)))
      } catch (error) {
        for (const item of batch) item.reject(error)
        continue
      }
      for (const [i, outcome] of outcomes.entries()) {
        const item = batch[i] as Pending
        if (outcome.ok) {
          learn(item.staged)
          item.resolve(outcome.value)
        } else item.reject(outcome.error)
      }
    }
  }

  const open = (): void => {
    if (closed) throw new StorageError('the sqlite backend is closed')
  }

  return {
    name: 'sqlite',
    flags: { fullText: true, multiProcess: true, transactionalBodies: table !== null },
    blobs,

    ingest(record) {
      // A throw inside the executor (closed backend, a body that cannot be staged) rejects the promise.
      return new Promise((resolve, reject) => {
        open()
        queue.push({ record, staged: stage(record), resolve, reject })
        // Everything queued during this turn of the event loop commits together.
        flushing ??= setImmediate(flush)
      })
    },

    async ingestMany(records) {
      open()
      // Bodies in the folder (or a given store) were stored by the archive before this call: commit now.
      if (!table) return commitMany(records, [])
      const staging = table.stageMany(records.map((r) => r.body))
      // Handled below, once the earlier batches are done; until then a failure must not count as unhandled.
      staging.catch(() => {})
      const done = manyTail.then(() => staging).then((staged) => commitMany(records, staged))
      manyTail = done.catch(() => {})
      return done
    },

    async getPage(url) {
      open()
      return pageRow(url)
    },

    async getPageById(id) {
      open()
      const row = q.pageById.get(id) as PageRow | undefined
      return row ? toPage(row) : null
    },

    async listPages(query) {
      open()
      return pages.list(query)
    },

    async countPages(query) {
      open()
      return pages.count(query)
    },

    async facets(query) {
      open()
      return pages.facets(query)
    },

    async timeline(url) {
      open()
      const page = pageRow(url)
      if (!page) return null
      const ids = q.versionIdsOfPage.all(page.id) as number[]
      if (ids.filter((id) => !versionCache.has(id)).length > MISSING_ONE_BY_ONE) {
        // One query for all of them rather than one per version.
        for (const row of q.versionsOfPage.all(page.id) as VersionRow[]) {
          if (!versionCache.has(row.id)) cacheVersion(versionCache, toVersion(row))
        }
      }
      const versions = ids.map((id) => versionById(id) as Version)
      const captures = timelineCaptures(q, page, versions, captureCache, CAPTURE_CACHE_SIZE, MISSING_ONE_BY_ONE)
      return { page, captures, versions }
    },

    async getVersion(url, number) {
      open()
      const row = q.versionIdByNumber.get(url, number) as { id: number } | undefined
      return row ? versionById(row.id) : null
    },

    async getVersionById(id) {
      open()
      return versionById(id)
    },

    async getCapture(id) {
      open()
      const row = q.captureById.get(id) as CaptureRow | undefined
      return row ? toCapture(row) : null
    },

    async conditionalHeaders(url) {
      open()
      const row = q.validators.get(url) as
        | { id: number; etag: string | null; last_modified: string | null; fetched_at: number }
        | undefined
      if (!row) return null
      return {
        etag: row.etag,
        lastModified: row.last_modified,
        captureId: row.id,
        fetchedAt: new Date(row.fetched_at).toISOString(),
      }
    },

    async search(query) {
      open()
      // Every committed version is in the index before the query runs (see `sqlite-fts.ts`).
      await index.catchUp()
      search ??= sqliteSearch(index.reader())
      return search(query)
    },

    async stats() {
      open()
      const row = q.stats.get() as { pages: number; captures: number; versions: number; raw: number | null }
      let count = 0
      let stored = 0
      for await (const b of blobs.list()) {
        count++
        stored += b.storedSize
      }
      return {
        pages: row.pages,
        captures: row.captures,
        versions: row.versions,
        blobs: count,
        rawBytes: row.raw ?? 0,
        storedBlobBytes: stored,
      }
    },

    async *blobRefs() {
      open()
      // Captures are not indexed by body (ingest would pay for it on every capture), so the distinct
      // references are collected once into a temporary table of this connection (one scan), then read in
      // pages by hash, not through one open cursor: the caller awaits between items, and better-sqlite3
      // refuses any other statement on this connection while a cursor is open.
      const table = `temp.blob_refs_${++refLists}`
      db.exec(`CREATE TABLE ${table} (hash TEXT NOT NULL, size INTEGER NOT NULL, PRIMARY KEY (hash, size)) WITHOUT ROWID;
        INSERT OR IGNORE INTO ${table} SELECT body_hash, body_size FROM captures WHERE body_hash IS NOT NULL`)
      try {
        const page = db.prepare(
          `SELECT hash, size FROM ${table} WHERE (hash, size) > (?, ?) ORDER BY hash, size LIMIT 1000`,
        )
        let after: [string, number] = ['', -1]
        for (;;) {
          const rows = page.all(...after) as Array<{ hash: string; size: number }>
          const last = rows[rows.length - 1]
          if (!last) return
          yield* rows
          after = [last.hash, last.size]
        }
      } finally {
        if (!closed) db.exec(`DROP TABLE IF EXISTS ${table}`)
      }
    },

    async checkReferences() {
      open()
      await index.catchUp()
      return [...checkSqliteReferences(db), ...index.check()]
    },

    async clear() {
      open()
      await manyTail
      if (flushing) clearImmediate(flushing)
      flush()
      db.transaction(() => {
        db.exec(`DELETE FROM page_industries; UPDATE pages SET latest_version_id = NULL;
          DELETE FROM captures; DELETE FROM versions; DELETE FROM pages;`)
      }).immediate()
      versionCache.clear()
      latestVersions.clear()
      pageRows.clear()
      rawKeys.clear()
      captureCache.clear()
      await index.clear()
      await blobs.clear()
    },

    async close() {
      if (closed) return
      // Batches and captures already handed to `ingestMany` / `ingest` are written before the file closes.
      await manyTail
      if (closed) return
      if (flushing) clearImmediate(flushing)
      flush()
      closed = true
      db.close()
      await index.close()
      await blobs.close()
    },
  }
}

// --- Internal helpers ---

const VERSION_CACHE_SIZE = 2048
/** Raw-fields keys kept (one per page in rotation is what counts): ~100 bytes each. */
const RAW_KEY_CACHE_SIZE = 100_000
/** Page rows kept for ingest (a few hundred bytes each). */
const PAGE_CACHE_SIZE = 20_000
/** Captures kept for timelines (a few hundred bytes each). */
const CAPTURE_CACHE_SIZE = 20_000
/** A timeline missing more cached rows than this reads all of the page's rows in one query. */
const MISSING_ONE_BY_ONE = 32
/** Most captures one group commit writes (keeps the write lock short for other processes). */
const MAX_GROUP = 1000

interface Pending {
  record: IngestRecord
  staged: StagedBlob | null
  resolve: (result: IngestResult) => void
  reject: (error: unknown) => void
}

type Outcome = { ok: true; value: IngestResult } | { ok: false; error: unknown }

/** Remember a version (oldest entries go first once the cache is full) and return it, frozen. */
function cacheVersion(cache: Map<number, Version>, v: Version): Version {
  return cacheFrozen(cache, VERSION_CACHE_SIZE, v.id, v)
}
