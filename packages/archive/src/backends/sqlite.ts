/**
 * @file The embedded default backend: one SQLite file (better-sqlite3, WAL) plus a folder of blobs.
 * Each ingest is one `BEGIN IMMEDIATE` transaction, so several processes can write to one file: they queue
 * on the write lock (up to `busyTimeoutMs`) and each sees the newest version before deciding on its own.
 */
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import Database from 'better-sqlite3'
import { folderBlobStore } from '../blobs.js'
import { StorageError } from '../errors.js'
import { makeSnippet } from '../hash.js'
import { checkSqliteReferences, migrateSqlite, SQLITE_SCHEMA_VERSION } from '../migrations/sqlite.js'
import type {
  ArchiveBackend,
  BlobStore,
  Capture,
  IngestRecord,
  IngestResult,
  Page,
  PageQuery,
  Version,
} from '../types.js'
import { cacheFrozen } from './record-cache.js'
import {
  type CaptureRow,
  type CaptureTuple,
  EMPTY_PAGE_ROW,
  ms,
  PAGE_SELECT,
  type PageRow,
  prepare,
  type SearchRow,
  toCapture,
  toPage,
  toVersion,
  type VersionRow,
} from './sqlite-sql.js'

/** Schema version written by this backend (`PRAGMA user_version`). */
export const SCHEMA_VERSION: number = SQLITE_SCHEMA_VERSION

/** Options of `sqliteBackend`. */
export interface SqliteBackendOptions {
  /** Folder for the database file and the blob folder. @default './data' */
  dir?: string
  /** Database file. @default `${dir}/archive.sqlite` */
  file?: string
  /** Where bodies go. @default folderBlobStore({ dir: `${dir}/blobs` }) */
  blobs?: BlobStore
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
  mkdirSync(dirname(file), { recursive: true })
  let db: Database.Database
  try {
    db = new Database(file, { timeout: busyTimeoutMs })
    db.pragma('journal_mode = WAL')
    db.pragma(`synchronous = ${synchronous}`)
    db.pragma('foreign_keys = ON')
    db.pragma('cache_size = -32000')
    migrateSqlite(db)
  } catch (cause) {
    throw cause instanceof StorageError ? cause : new StorageError(`cannot open ${file}`, { cause })
  }
  const blobs = options.blobs ?? folderBlobStore({ dir: join(dir, 'blobs') })
  const q = prepare(db)
  // Versions never change once written, so a cache is always right; it saves parsing the article JSON of
  // the newest version on every unchanged re-capture, which is most of them.
  const versionCache = new Map<number, Version>()
  // Captures never change once committed either: a timeline asked for again reads only the capture ids of
  // the page and builds (parses headers, formats dates) just the captures it has not seen.
  const captureCache = new Map<number, Capture>()
  const pendingVersions: number[] = []
  let closed = false

  const versionById = (id: number): Version | null => {
    const hit = versionCache.get(id)
    if (hit) return hit
    const row = q.versionById.get(id) as VersionRow | undefined
    return row ? cacheVersion(versionCache, toVersion(row)) : null
  }
  const pageByUrl = (url: string): Page | null => {
    const row = q.pageByUrl.get(url) as PageRow | undefined
    return row ? toPage(row) : null
  }

  const ingestTx = db.transaction((record: Parameters<ArchiveBackend['ingest']>[0]): IngestResult => {
    const { page: p, capture: c, version: v } = record
    const at = Date.parse(c.fetchedAt)
    let page = q.pageByUrl.get(p.url) as PageRow | undefined
    if (!page) {
      const id = Number(q.insertPage.run(p.url, p.host, p.source, at, at).lastInsertRowid)
      page = {
        ...EMPTY_PAGE_ROW,
        id,
        url: p.url,
        host: p.host,
        source: p.source,
        first_captured_at: at,
        last_captured_at: at,
      }
    }
    let latest = page.latest_version_id === null ? null : versionById(page.latest_version_id)
    const isNew = v !== null && (latest === null || latest.contentHash !== v.contentHash)
    const captureId = Number(
      q.insertCapture.run(
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
        isNew ? null : (latest?.id ?? null),
      ).lastInsertRowid,
    )
    if (isNew && v) {
      const number = (latest?.number ?? 0) + 1
      const json = JSON.stringify(v.article)
      const id = Number(
        q.insertVersion.run(page.id, number, v.contentHash, captureId, at, v.title, JSON.stringify(v.industries), json)
          .lastInsertRowid,
      )
      q.setCaptureVersion.run(id, captureId)
      q.insertFts.run(id, v.searchText())
      q.clearIndustries.run(page.id)
      for (const industry of v.industries) q.insertIndustry.run(page.id, industry)
      const publishedMs = v.publishedAt === null ? null : Date.parse(v.publishedAt)
      const industries = v.industries.join(',')
      q.pageNewVersion.run(
        at,
        id,
        v.title,
        v.publishedAt,
        Number.isNaN(publishedMs) ? null : publishedMs,
        industries,
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
      }
      pendingVersions.push(id)
      latest = cacheVersion(versionCache, {
        id,
        pageId: page.id,
        url: p.url,
        number,
        contentHash: v.contentHash,
        captureId,
        createdAt: c.fetchedAt,
        title: v.title,
        article: JSON.parse(json),
      })
    }
    q.pageCaptured.run(at, at, page.id)
    // The page as it now is, computed rather than read back: saves a query on every ingest.
    const stored = toPage({
      ...page,
      capture_count: page.capture_count + 1,
      first_captured_at: Math.min(page.first_captured_at, at),
      last_captured_at: Math.max(page.last_captured_at, at),
    })
    const capture: Capture = {
      id: captureId,
      pageId: page.id,
      url: p.url,
      ...c,
      versionId: latest?.id ?? null,
      versionNumber: latest?.number ?? null,
    }
    return { page: stored, capture, version: latest, isNewVersion: isNew }
  })

  const ingestManyTx = db.transaction((records: readonly IngestRecord[]) => records.map((r) => ingestTx(r)))
  /** Run a write; if it rolls back, forget the versions it cached (their ids may be reused). */
  const write = <T>(fn: () => T): T => {
    pendingVersions.length = 0
    try {
      return fn()
    } catch (error) {
      for (const id of pendingVersions) versionCache.delete(id)
      throw error
    } finally {
      pendingVersions.length = 0
    }
  }

  const where = (query: PageQuery): { sql: string; args: unknown[] } => {
    const parts: string[] = []
    const args: unknown[] = []
    const add = (sql: string, arg: unknown): void => {
      parts.push(sql)
      args.push(arg)
    }
    if (query.host !== undefined) add('p.host = ?', query.host)
    if (query.source !== undefined) add('p.source = ?', query.source)
    if (query.industry !== undefined)
      add('p.id IN (SELECT page_id FROM page_industries WHERE industry = ?)', query.industry)
    if (query.publishedFrom !== undefined) add('p.published_ms >= ?', ms(query.publishedFrom))
    if (query.publishedTo !== undefined) add('p.published_ms < ?', ms(query.publishedTo))
    if (query.changedSince !== undefined) add('p.last_changed_at >= ?', ms(query.changedSince))
    return { sql: parts.length > 0 ? `WHERE ${parts.join(' AND ')}` : '', args }
  }

  const open = (): void => {
    if (closed) throw new StorageError('the sqlite backend is closed')
  }

  return {
    name: 'sqlite',
    flags: { fullText: true, multiProcess: true },
    blobs,

    async ingest(record) {
      open()
      // IMMEDIATE takes the write lock before the first read, so the "newest version" read inside is still
      // newest at commit; DEFERRED would let two processes both read v1 and both write v2.
      return write(() => ingestTx.immediate(record))
    },

    async ingestMany(records) {
      open()
      return write(() => ingestManyTx.immediate(records))
    },

    async getPage(url) {
      open()
      return pageByUrl(url)
    },

    async listPages(query) {
      open()
      const { sql, args } = where(query)
      const rows = db
        .prepare(`${PAGE_SELECT} ${sql} ORDER BY p.last_changed_at DESC, p.id DESC LIMIT ? OFFSET ?`)
        .all(...args, query.limit ?? 100, query.offset ?? 0) as PageRow[]
      return rows.map(toPage)
    },

    async countPages(query) {
      open()
      const { sql, args } = where(query)
      return (db.prepare(`SELECT count(*) AS n FROM pages p ${sql}`).get(...args) as { n: number }).n
    },

    async timeline(url) {
      open()
      const page = pageByUrl(url)
      if (!page) return null
      const versions = (q.versionIdsOfPage.all(page.id) as Array<{ id: number }>).map(
        ({ id }) => versionById(id) as Version,
      )
      // URL and version numbers are filled in from what is already at hand instead of joining pages and
      // versions for each of possibly thousands of captures.
      const numberOf = new Map(versions.map((v) => [v.id, v.number]))
      const build = (t: CaptureTuple): Capture =>
        cacheFrozen(
          captureCache,
          CAPTURE_CACHE_SIZE,
          t[0],
          toCapture({
            id: t[0],
            page_id: t[1],
            url: page.url,
            requested_url: t[2],
            final_url: t[3],
            redirects: t[4],
            method: t[5],
            outcome: t[6],
            status: t[7],
            headers: t[8],
            etag: t[9],
            last_modified: t[10],
            fetched_at: t[11],
            timing: t[12],
            error: t[13],
            body_hash: t[14],
            body_size: t[15],
            version_id: t[16],
            version_number: t[16] === null ? null : (numberOf.get(t[16]) ?? null),
          }),
        )
      const ids = q.captureIdsOfPage.all(page.id) as number[]
      const missing = ids.filter((id) => !captureCache.has(id))
      let captures: Capture[]
      if (missing.length > MISSING_ONE_BY_ONE) {
        // Raw rows (arrays) cost about half as much as row objects; a timeline can be thousands of rows.
        captures = (q.capturesOfPage.all(page.id) as CaptureTuple[]).map(build)
      } else {
        for (const id of missing) {
          const t = q.captureTupleById.get(id) as CaptureTuple | undefined
          if (t) build(t)
        }
        captures = ids.map((id) => captureCache.get(id)).filter((c) => c !== undefined)
      }
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
      const terms = query.text.split(' ').filter(Boolean)
      if (terms.length === 0) return []
      // Trigram MATCH needs terms of 3+ characters; shorter ones (most Chinese words are 2) fall back to
      // LIKE on the same table, which scans but stays correct.
      const long = terms.filter((t) => [...t].length >= 3)
      const short = terms.filter((t) => [...t].length < 3)
      const parts: string[] = []
      const args: unknown[] = []
      if (long.length > 0) {
        parts.push('f.body MATCH ?')
        args.push(long.map((t) => `"${t.replaceAll('"', '""')}"`).join(' AND '))
      }
      for (const t of short) {
        parts.push(`f.body LIKE ? ESCAPE '\\'`)
        args.push(`%${t.replace(/[\\%_]/g, '\\$&')}%`)
      }
      if (query.host !== undefined) {
        parts.push('p.host = ?')
        args.push(query.host)
      }
      if (query.latestOnly) parts.push('p.latest_version_id = v.id')
      const rows = db
        .prepare(
          `SELECT f.rowid AS id, f.body, v.page_id, p.url, v.number, v.title, v.created_at
           FROM versions_fts f JOIN versions v ON v.id = f.rowid JOIN pages p ON p.id = v.page_id
           WHERE ${parts.join(' AND ')} ORDER BY f.rowid DESC LIMIT ?`,
        )
        .all(...args, query.limit ?? 20) as SearchRow[]
      return rows.map((r) => ({
        versionId: r.id,
        pageId: r.page_id,
        url: r.url,
        versionNumber: r.number,
        title: r.title,
        snippet: makeSnippet(r.body, terms),
        createdAt: new Date(r.created_at).toISOString(),
      }))
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
      // In pages by hash, not one open cursor: the caller awaits between items, and better-sqlite3 refuses
      // any other statement on this connection while a cursor is open.
      let after: [string, number] = ['', -1]
      for (;;) {
        const rows = q.blobRefs.all(...after) as Array<{ body_hash: string; body_size: number }>
        const last = rows[rows.length - 1]
        if (!last) return
        for (const row of rows) yield { hash: row.body_hash, size: row.body_size }
        after = [last.body_hash, last.body_size]
      }
    },

    async checkReferences() {
      open()
      return checkSqliteReferences(db)
    },

    async clear() {
      open()
      db.transaction(() => {
        db.exec(`DELETE FROM page_industries; DELETE FROM versions_fts; UPDATE pages SET latest_version_id = NULL;
          DELETE FROM captures; DELETE FROM versions; DELETE FROM pages;`)
      }).immediate()
      versionCache.clear()
      captureCache.clear()
      await blobs.clear()
    },

    async close() {
      if (closed) return
      closed = true
      db.close()
      await blobs.close()
    },
  }
}

// --- Internal helpers ---

const VERSION_CACHE_SIZE = 2048
/** Captures kept for timelines (a few hundred bytes each). */
const CAPTURE_CACHE_SIZE = 20_000
/** A timeline missing more cached captures than this reads all of the page's captures in one query. */
const MISSING_ONE_BY_ONE = 32

/** Remember a version (oldest entries go first once the cache is full) and return it, frozen. */
function cacheVersion(cache: Map<number, Version>, v: Version): Version {
  return cacheFrozen(cache, VERSION_CACHE_SIZE, v.id, v)
}
