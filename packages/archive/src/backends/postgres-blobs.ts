/**
 * @file Blobs in a PostgreSQL `bytea` table, content-addressed by the SHA-256 of the raw body and
 * compressed the same way as `folderBlobStore` (so a blob moved between stores keeps its bytes). Hashes
 * this process stored are remembered, so most captures of an unchanged page (a body the table already
 * has) cost no query at all; other bodies are one idempotent insert.
 */
import type { Pool } from 'pg'
import { BLOB_MODULES, type BlobCoding, storedBody } from '../blob-worker.js'
import { DEFAULT_BROTLI_QUALITY, decompressBlob } from '../blobs.js'
import { ArchiveError } from '../errors.js'
import { isSha256Hex } from '../hash.js'
import type { BlobStore } from '../types.js'

/** Options of `postgresBlobStore`. */
export interface PostgresBlobStoreOptions {
  /** The pool to use (called on every operation, so the pool may be created lazily). */
  pool: () => Promise<Pool>
  /** Schema that holds the `blobs` table (already quoted or a plain identifier). */
  schema: string
  /** Brotli quality 0-11. @default DEFAULT_BROTLI_QUALITY */
  quality?: number
  /** Rows fetched per round trip by `list()`. @default 1000 */
  pageSize?: number
}

/**
 * A `BlobStore` over the `blobs` table that the PostgreSQL backend's migrations create. Writes are
 * idempotent (`ON CONFLICT DO NOTHING`), so concurrent writers of one body store it once.
 *
 * @example
 * const blobs = postgresBlobStore({ pool: async () => pool, schema: 'parkwatch' })
 */
export function postgresBlobStore(options: PostgresBlobStoreOptions): BlobStore {
  const table = `${options.schema}.blobs`
  const quality = options.quality ?? DEFAULT_BROTLI_QUALITY
  const pageSize = options.pageSize ?? 1000
  // Hashes this process stored or saw stored, with their stored size. Blobs are never deleted except by
  // `clear()`, so a remembered hash needs no round trip: an unchanged re-capture costs no query at all.
  const known = new Map<string, number>()
  const learn = (hash: string, size: number): void => {
    if (known.size >= KNOWN_HASHES) known.delete(known.keys().next().value as string)
    known.set(hash, size)
  }
  const run = async <R extends object>(sql: string, args: unknown[]): Promise<R[]> => {
    const pool = await options.pool()
    try {
      return (await pool.query<R>(sql, args)).rows
    } catch (cause) {
      throw new ArchiveError(`blob store query failed: ${(cause as Error).message}`, { cause })
    }
  }

  return {
    async put(hash, raw, gzip) {
      checkHash(hash)
      const size = known.get(hash)
      if (size !== undefined) return { created: false, storedSize: size }
      // No lookup first: a body this process has not seen is usually new, and compressing one that another
      // writer already stored costs less than the extra round trip every new body would pay. A response's
      // own gzip bytes are stored as they are (see `BlobStore.put`).
      const data = storedBody(BLOB_MODULES, raw, gzip, quality)
      const inserted = await run<{ hash: string }>(
        `INSERT INTO ${table} (hash, stored_size, data, coding) VALUES ($1, $2, $3, $4)
         ON CONFLICT (hash) DO NOTHING RETURNING hash`,
        [hash, data.byteLength, data, gzip ? 'gzip' : 'br'],
      )
      learn(hash, data.byteLength)
      // Another writer may have stored the same body already: then it was not created here.
      return { created: inserted.length === 1, storedSize: data.byteLength }
    },

    async get(hash) {
      checkHash(hash)
      const [row] = await run<{ data: Buffer; coding: BlobCoding }>(
        `SELECT data, coding FROM ${table} WHERE hash = $1`,
        [hash],
      )
      return row ? decompressBlob(hash, row.data, row.coding) : null
    },

    knows: (hash) => known.has(hash),

    async has(hash) {
      checkHash(hash)
      return (await run(`SELECT 1 FROM ${table} WHERE hash = $1`, [hash])).length > 0
    },

    async *list() {
      // Keyset pages: no cursor held open between yields, so a slow consumer does not pin a connection.
      let after = ''
      for (;;) {
        const rows = await run<{ hash: string; stored_size: number }>(
          `SELECT hash, stored_size FROM ${table} WHERE hash > $1 ORDER BY hash LIMIT $2`,
          [after, pageSize],
        )
        for (const row of rows) yield { hash: row.hash, storedSize: row.stored_size }
        const last = rows[rows.length - 1]
        if (last === undefined || rows.length < pageSize) return
        after = last.hash
      }
    },

    async clear() {
      known.clear()
      await run(`TRUNCATE ${table}`, [])
    },

    // The pool belongs to the backend, which ends it.
    async close() {},
  }
}

// --- Internal helpers ---

/** How many stored hashes a store remembers (about 100 bytes each). */
const KNOWN_HASHES = 65_536

function checkHash(hash: string): void {
  if (!isSha256Hex(hash)) throw new TypeError(`Expected a lower-case SHA-256 hex digest, got \`${hash}\``)
}
