/**
 * @file The PostgreSQL backend, for many writers and large archives: pages, captures and versions in
 * tables of one schema, bodies in a content-addressed `bytea` table (or any `BlobStore`), full-text
 * search with pg_trgm over text folded to simplified script, and for 1-2 character terms a vocabulary of
 * the index (`postgres-search.ts`). `pg` is an optional peer dependency, imported on first use.
 *
 * An ingest is one SQL statement (so one implicit transaction and one round trip): an upsert of the page
 * row that decides, on the locked row, whether the content hash differs from the newest version's, and
 * the capture, version and search-gram inserts that follow from it. The row lock serialises concurrent
 * writers of a page in any process, and each sees the previous writer's commit: one change, one version.
 * The unique (page_id, number) constraint backs this up. Ids are reserved in blocks so the statement needs
 * no second round trip to learn them.
 */
import type { Pool, PoolClient } from 'pg'
import { ArchiveError, StorageError } from '../errors.js'
import { sha256Hex } from '../hash.js'
import {
  checkPostgresReferences,
  migratePostgres,
  POSTGRES_SCHEMA_VERSION,
  quoteIdent,
} from '../migrations/postgres.js'
import type { ArchiveBackend, BlobStore, Capture, Page, PageQuery, Version } from '../types.js'
import { facetsFromRows } from './facets.js'
import { type BatchContext, ingestBatch } from './postgres-batch.js'
import { postgresBlobStore } from './postgres-blobs.js'
import { postgresIngest, remember } from './postgres-ingest.js'
import { gramCache, postgresSearch } from './postgres-search.js'
import {
  type CaptureRow,
  type Int8,
  type PageRow,
  statements,
  type TimelineCaptureRow,
  toCapture,
  toPage,
  toTimelineCapture,
  toVersion,
  type VersionRow,
} from './postgres-sql.js'
import { cacheFrozen } from './record-cache.js'

/** Schema version written by this backend (row of `<schema>.archive_schema`). */
export const POSTGRES_BACKEND_SCHEMA_VERSION: number = POSTGRES_SCHEMA_VERSION

/** The optional peer dependency `pg` is not installed. */
export class MissingDependencyError extends ArchiveError {
  override readonly code: 'ARCHIVE_MISSING_DEPENDENCY' = 'ARCHIVE_MISSING_DEPENDENCY'
  constructor(
    readonly dependency: string,
    options?: ErrorOptions,
  ) {
    super(`the postgres backend needs \`${dependency}\`: run \`pnpm add ${dependency}\``, options)
    this.name = 'MissingDependencyError'
  }
}

/** Options of `postgresBackend`. */
export interface PostgresBackendOptions {
  /** Connection string, e.g. `postgres://user@127.0.0.1:5432/db`. @default process.env.ARCHIVE_PG_URL */
  connectionString?: string
  /** Schema holding the archive's tables (created and migrated when missing). @default 'parkwatch' */
  schema?: string
  /** Maximum connections in the pool. @default 10 */
  poolSize?: number
  /** Where bodies go. @default a `bytea` table in the same schema (`postgresBlobStore`) */
  blobs?: BlobStore
  /**
   * The session's `synchronous_commit`. `off` is safe against a killed process and never corrupts: only
   * a crash of the database server itself can lose the last commits (well under a second), as with the
   * SQLite backend's default `synchronous = normal`; it saves a WAL flush per capture. `on` also survives
   * a server crash, at several times the cost per ingest.
   * @default 'off'
   */
  synchronousCommit?: 'on' | 'off'
}

/**
 * The PostgreSQL backend. Connects and migrates on first use.
 *
 * @example
 * const archive = createArchive({
 *   backend: postgresBackend({ connectionString: 'postgres://postgres@127.0.0.1/test', schema: 'parkwatch' }),
 * })
 */
export function postgresBackend(options: PostgresBackendOptions = {}): ArchiveBackend {
  const connectionString = options.connectionString ?? process.env.ARCHIVE_PG_URL
  if (typeof connectionString !== 'string' || connectionString === '') {
    throw new TypeError('Expected `connectionString` (or ARCHIVE_PG_URL) to be a postgres:// URL, got `undefined`')
  }
  const schema = options.schema ?? 'parkwatch'
  if (!IDENT_RE.test(schema)) {
    throw new TypeError(`Expected \`schema\` to match ${IDENT_RE}, got \`${schema}\``)
  }
  const poolSize = options.poolSize ?? 10
  if (!Number.isInteger(poolSize) || poolSize < 1) {
    throw new TypeError(`Expected \`poolSize\` to be an integer >= 1, got \`${poolSize}\``)
  }
  const synchronousCommit = options.synchronousCommit ?? 'off'
  if (synchronousCommit !== 'on' && synchronousCommit !== 'off') {
    throw new TypeError(`Expected \`synchronousCommit\` to be 'on' or 'off', got \`${synchronousCommit}\``)
  }
  const S = quoteIdent(schema)
  const sql = statements(S)
  let opening: Promise<Pool> | null = null
  let closed = false

  const pool = (): Promise<Pool> => {
    if (closed) return Promise.reject(new StorageError('the postgres backend is closed'))
    opening ??= open(connectionString, schema, poolSize, synchronousCommit).catch((error: unknown) => {
      // A failed open (server down, bad URL) may succeed on the next call.
      opening = null
      throw error
    })
    return opening
  }
  const ownBlobs = options.blobs === undefined
  const blobs = options.blobs ?? postgresBlobStore({ pool, schema: S })
  // Versions never change once written, so a cache is always right: it saves a query and a JSON parse on
  // every unchanged re-capture, which is most of them.
  const versionCache = new Map<number, Version>()
  // Captures never change once committed either: a timeline asked for again reads only the capture ids of
  // the page and fetches and builds just the captures it has not seen.
  const captureCache = new Map<number, Capture>()
  // The newest version this process saw per page: a hint only (see `ingest`), never trusted blindly.
  const newestVersion = new Map<string, number>()
  // The search grams this process knows are stored, so that writers send only the others.
  const grams = gramCache()

  // The fixed statements are prepared once per connection (named), not parsed and planned on every call:
  // the ingest statement is long, and an unchanged re-capture is otherwise little more than that.
  const names = new Map(
    Object.entries(sql).map(([key, text]) => [text, `pw_${key}_${sha256Hex(text).slice(0, 12)}`] as const),
  )
  const query = async <R extends object>(
    text: string,
    args: unknown[] = [],
    client?: PoolClient,
    name: string | undefined = names.get(text),
  ): Promise<R[]> => {
    const runner = client ?? (await pool())
    try {
      return (await runner.query<R>({ name, text, values: args })).rows
    } catch (cause) {
      throw new StorageError(`query failed: ${(cause as Error).message}`, { cause })
    }
  }
  const versionById = async (id: number, client?: PoolClient): Promise<Version | null> => {
    const hit = versionCache.get(id)
    if (hit) return hit
    const [row] = await query<VersionRow>(sql.versionById, [id], client)
    return row ? cacheVersion(versionCache, toVersion(row)) : null
  }
  const batchContext: BatchContext = {
    S,
    query: (text, args, client) => query(text, args, client),
    reserve: async (n, client) => {
      const rows = await query<{ cid: string; vid: string }>(sql.reserveIds, [n], client)
      return rows.map((r) => [Number(r.cid), Number(r.vid)] as const)
    },
    versions: async (wanted, client) => {
      const out = new Map<number, Version>()
      const missing: number[] = []
      for (const id of wanted) {
        const hit = versionCache.get(id)
        if (hit) out.set(id, hit)
        else missing.push(id)
      }
      if (missing.length > 0) {
        for (const row of await query<VersionRow>(sql.versionsByIds, [missing], client)) {
          const v = cacheVersion(versionCache, toVersion(row))
          out.set(v.id, v)
        }
      }
      return out
    },
    cache: (v) => cacheVersion(versionCache, v),
    grams,
    insertGrams: sql.insertGrams,
  }
  const pageByUrl = async (url: string): Promise<Page | null> => {
    const [row] = await query<PageRow>(sql.pageByUrl, [url])
    return row ? toPage(row) : null
  }
  const where = (q: PageQuery): { sql: string; args: unknown[] } => {
    const parts: string[] = []
    const args: unknown[] = []
    const add = (fragment: (n: string) => string, arg: unknown): void => {
      args.push(arg)
      parts.push(fragment(`$${args.length}`))
    }
    if (q.host !== undefined) add((n) => `p.host = ${n}`, q.host)
    if (q.source !== undefined) add((n) => `p.source = ${n}`, q.source)
    if (q.industry !== undefined) add((n) => `p.industries @> ARRAY[${n}::text]`, q.industry)
    if (q.publishedFrom !== undefined) add((n) => `p.published_ts >= ${n}`, new Date(q.publishedFrom))
    if (q.publishedTo !== undefined) add((n) => `p.published_ts < ${n}`, new Date(q.publishedTo))
    if (q.changedSince !== undefined) add((n) => `p.last_changed_at >= ${n}`, new Date(q.changedSince))
    if (q.minVersions !== undefined) add((n) => `p.version_count >= ${n}`, q.minVersions)
    return { sql: parts.length > 0 ? `WHERE ${parts.join(' AND ')}` : '', args }
  }

  return {
    name: 'postgres',
    flags: { fullText: true, multiProcess: true },
    blobs,

    ingest: postgresIngest({
      sql,
      query,
      connect: async () => (await pool()).connect(),
      versionById,
      cached: (id) => versionCache.get(id),
      cache: (v) => cacheVersion(versionCache, v),
      hints: newestVersion,
      grams,
    }),

    async ingestMany(records) {
      const client = await (await pool()).connect()
      try {
        const out = await ingestBatch(client, records, batchContext)
        for (const r of out) if (r.version) remember(newestVersion, r.page.url, r.version.id)
        return out
      } finally {
        client.release()
      }
    },

    getPage: pageByUrl,

    async getPageById(id) {
      const [row] = await query<PageRow>(sql.pageById, [id])
      return row ? toPage(row) : null
    },

    async listPages(q) {
      const { sql: w, args } = where(q)
      const rows = await query<PageRow>(
        `${sql.pageSelect} ${w} ORDER BY p.last_changed_at DESC NULLS LAST, p.last_captured_at DESC, p.id DESC
         LIMIT $${args.length + 1} OFFSET $${args.length + 2}`,
        [...args, q.limit ?? 100, q.offset ?? 0],
      )
      return rows.map(toPage)
    },

    async countPages(q) {
      const { sql: w, args } = where(q)
      const [row] = await query<{ n: number }>(`SELECT count(*)::int AS n FROM ${S}.pages p ${w}`, args)
      return row?.n ?? 0
    },

    async facets(q) {
      const { sql: w, args } = where(q)
      // One statement: the matching pages once, then grouped three ways and totalled.
      const rows = await query<{ kind: number; value: string | null; pages: number; versions: Int8; captures: Int8 }>(
        `WITH m AS MATERIALIZED (
           SELECT p.id, p.host, p.source, p.industries, p.version_count, p.capture_count FROM ${S}.pages p ${w})
         SELECT 0 AS kind, NULL AS value, count(*)::int AS pages, coalesce(sum(version_count), 0) AS versions,
           coalesce(sum(capture_count), 0) AS captures FROM m
         UNION ALL SELECT 1, host, count(*)::int, sum(version_count), sum(capture_count) FROM m GROUP BY host
         UNION ALL SELECT 2, source, count(*)::int, sum(version_count), sum(capture_count) FROM m GROUP BY source
         UNION ALL SELECT 3, i, count(*)::int, sum(version_count), sum(capture_count)
           FROM m CROSS JOIN LATERAL unnest(m.industries) AS i GROUP BY i`,
        args,
      )
      return facetsFromRows(rows.map((r) => [r.kind, r.value, r.pages, r.versions, r.captures] as const))
    },

    async timeline(url) {
      const page = await pageByUrl(url)
      if (!page) return null
      // Capture ids and version ids on two connections at once; then what is not cached, one query each.
      const [captureIds, ids] = await Promise.all([
        query<{ id: string }>(sql.captureIdsOfPage, [page.id]),
        query<{ id: string }>(sql.versionIdsOfPage, [page.id]),
      ])
      const missing = ids.map(({ id }) => Number(id)).filter((id) => !versionCache.has(id))
      const fetched = new Map<number, Version>()
      if (missing.length > 0) {
        for (const row of await query<VersionRow>(sql.versionsByIds, [missing])) {
          const v = toVersion(row)
          fetched.set(v.id, cacheVersion(versionCache, v))
        }
      }
      const versions = ids.map(({ id }) => (versionCache.get(Number(id)) ?? fetched.get(Number(id))) as Version)
      const numbers = new Map(versions.map((v) => [v.id, v.number]))
      const order = captureIds.map(({ id }) => Number(id))
      const absent = order.filter((id) => !captureCache.has(id))
      if (absent.length > 0) {
        const rows =
          absent.length === order.length
            ? await query<TimelineCaptureRow>(sql.capturesOfPage, [page.id])
            : await query<TimelineCaptureRow>(sql.capturesByIds, [absent])
        for (const row of rows) {
          const capture = toTimelineCapture(row, page, numbers)
          cacheFrozen(captureCache, CAPTURE_CACHE_SIZE, capture.id, capture)
        }
      }
      const captures = order.map((id) => captureCache.get(id)).filter((c) => c !== undefined)
      return { page, captures, versions }
    },

    async getVersion(url, number) {
      const [row] = await query<{ id: string }>(sql.versionIdByNumber, [url, number])
      return row ? versionById(Number(row.id)) : null
    },

    getVersionById: (id) => versionById(id),

    async getCapture(id) {
      const [row] = await query<CaptureRow>(sql.captureById, [id])
      return row ? toCapture(row) : null
    },

    async conditionalHeaders(url) {
      const [row] = await query<{ id: string; etag: string | null; last_modified: string | null; fetched_at: Date }>(
        sql.validators,
        [url],
      )
      if (!row) return null
      return {
        etag: row.etag,
        lastModified: row.last_modified,
        captureId: Number(row.id),
        fetchedAt: row.fetched_at.toISOString(),
      }
    },

    search: postgresSearch({
      S,
      query: (text, args) => query(text, args),
      prepared: (text, args) => query(text, args, undefined, `pw_search_${sha256Hex(text).slice(0, 12)}`),
    }),

    async stats() {
      const [row] = await query<{ pages: number; captures: number; versions: number; raw: string }>(sql.stats)
      let count = 0
      let stored = 0
      if (ownBlobs) {
        const [b] = await query<{ n: number; bytes: string }>(sql.blobStats)
        count = b?.n ?? 0
        stored = Number(b?.bytes ?? 0)
      } else {
        for await (const b of blobs.list()) {
          count++
          stored += b.storedSize
        }
      }
      return {
        pages: row?.pages ?? 0,
        captures: row?.captures ?? 0,
        versions: row?.versions ?? 0,
        blobs: count,
        rawBytes: Number(row?.raw ?? 0),
        storedBlobBytes: stored,
      }
    },

    async *blobRefs() {
      for (const row of await query<{ body_hash: string; body_size: number }>(sql.blobRefs)) {
        yield { hash: row.body_hash, size: row.body_size }
      }
    },

    async checkReferences() {
      const client = await (await pool()).connect()
      try {
        // The checks name tables unqualified; a read-only transaction scopes the search_path change.
        await client.query('BEGIN READ ONLY')
        await client.query(`SET LOCAL search_path TO ${S}, public`)
        return await checkPostgresReferences(client, schema)
      } finally {
        await client.query('ROLLBACK').catch(() => {})
        client.release()
      }
    },

    async clear() {
      await query(`TRUNCATE ${S}.captures, ${S}.versions, ${S}.pages, ${S}.search_grams`)
      grams.forget()
      versionCache.clear()
      captureCache.clear()
      newestVersion.clear()
      // Through the store, so it also forgets the hashes it remembers as stored.
      await blobs.clear()
    },

    async close() {
      if (closed) return
      closed = true
      const opened = opening
      opening = null
      await blobs.close()
      if (opened) await (await opened.catch(() => null))?.end()
    },
  }
}

// --- Internal helpers ---

/** A schema name used unquoted in error messages and quoted in SQL: keep it a plain identifier. */
const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/
const VERSION_CACHE_SIZE = 4096
/** Captures kept for timelines (a few hundred bytes each). */
const CAPTURE_CACHE_SIZE = 20_000

async function open(connectionString: string, schema: string, max: number, synchronousCommit: string): Promise<Pool> {
  let pg: typeof import('pg')
  try {
    const mod = (await import('pg')) as typeof import('pg') & { default?: typeof import('pg') }
    // pg is CommonJS: its API is the default export under ESM.
    pg = mod.default ?? mod
  } catch (cause) {
    throw new MissingDependencyError('pg', { cause })
  }
  const pool = new pg.Pool({ connectionString, max, options: `-c synchronous_commit=${synchronousCommit}` })
  // An idle connection dropped by the server must not crash the process; the next query reconnects.
  pool.on('error', () => {})
  try {
    const client = await pool.connect()
    try {
      await migratePostgres(client, schema)
    } finally {
      client.release()
    }
  } catch (cause) {
    await pool.end().catch(() => {})
    throw cause instanceof StorageError ? cause : new StorageError(`cannot open postgres schema ${schema}`, { cause })
  }
  return pool
}

/** Remember a version (oldest first out once full) and return it, frozen: every caller shares it. */
function cacheVersion(cache: Map<number, Version>, v: Version): Version {
  return cacheFrozen(cache, VERSION_CACHE_SIZE, v.id, v)
}
