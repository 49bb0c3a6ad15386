/**
 * @file Blobs in the SQLite archive file itself (the `blobs` table), for `sqliteBackend({ blobs: 'database' })`:
 * a body is written by the same transaction as its capture, so the two land together or not at all, and a
 * new body costs a row instead of a file (creating a file and its fan-out folder costs 0.3-1 ms on the
 * ext4 disks measured, several times the rest of an ingest). Compressed like `folderBlobStore`.
 */
import { existsSync } from 'node:fs'
import type Database from 'better-sqlite3'
import { type BlobWorker, blobWorker } from '../blob-worker.js'
import { type BatchBlobStore, canPutMany, compressBlob, decompressBlob, folderBlobStore } from '../blobs.js'
import { isSha256Hex } from '../hash.js'
import type { BlobStore } from '../types.js'

/** A compressed body waiting for its ingest transaction. */
export interface StagedBlob {
  hash: string
  size: number
  data: Uint8Array
}

/** The table store, plus what the SQLite backend needs to write bodies inside its own transactions. */
export interface SqliteTableBlobs extends BlobStore {
  /**
   * Outside the transaction: compress a body unless the table is known to hold it already. Returns what
   * `write` stores, or null when there is nothing to write.
   */
  stage(hash: string, bytes: Uint8Array | null): StagedBlob | null
  /**
   * `stage` for a batch, compressing on a worker thread: what `write` stores for each body (null for none),
   * in order. A hash that appears twice is compressed once and staged at its first place.
   */
  stageMany(
    bodies: ReadonlyArray<{ hash: string; bytes: Uint8Array | null } | null | undefined>,
  ): Promise<Array<StagedBlob | null>>
  /** Inside the ingest transaction: store a staged body (a no-op when another writer stored it first). */
  write(blob: StagedBlob): void
  /** After the commit: remember that the table holds `hash`. */
  learn(hash: string, storedSize: number): void
}

/**
 * The `blobs` table of an open archive database as a `BlobStore`. Reads fall back to `fallback` (the folder
 * an archive used before it was switched to `blobs: 'database'`), and `list` / `clear` cover both.
 */
export function sqliteTableBlobs(db: Database.Database, quality: number, fallback: BlobStore | null): SqliteTableBlobs {
  const q = {
    insert: db.prepare(
      'INSERT INTO blobs (hash, size, stored_size, data) VALUES (?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING',
    ),
    get: db.prepare('SELECT data FROM blobs WHERE hash = ?').pluck(true),
    size: db.prepare('SELECT stored_size FROM blobs WHERE hash = ?').pluck(true),
    page: db.prepare('SELECT hash, stored_size FROM blobs WHERE hash > ? ORDER BY hash LIMIT 1000').raw(true),
  }
  // Hashes this process wrote or found stored (blobs are only ever deleted by `clear`), so an unchanged
  // re-capture costs no blob work at all.
  const known = new Map<string, number>()
  const learn = (hash: string, size: number): void => {
    if (known.size >= KNOWN_HASHES) known.delete(known.keys().next().value as string)
    known.set(hash, size)
  }
  const storedSize = (hash: string): number | undefined => {
    const hit = known.get(hash)
    if (hit !== undefined) return hit
    const size = q.size.get(hash) as number | undefined
    if (size !== undefined) learn(hash, size)
    return size
  }
  let worker: BlobWorker | null = null

  return {
    stage(hash, bytes) {
      if (bytes === null || storedSize(hash) !== undefined) return null
      return { hash, size: bytes.byteLength, data: compressBlob(bytes, quality) }
    },
    async stageMany(bodies) {
      const out: Array<StagedBlob | null> = bodies.map(() => null)
      const places: number[] = []
      const raws: Uint8Array[] = []
      const seen = new Set<string>()
      for (const [i, body] of bodies.entries()) {
        if (!body || body.bytes === null || seen.has(body.hash) || storedSize(body.hash) !== undefined) continue
        seen.add(body.hash)
        places.push(i)
        raws.push(body.bytes)
      }
      if (raws.length === 0) return out
      worker ??= blobWorker()
      const data = await worker.compress(raws, quality)
      for (const [k, i] of places.entries()) {
        const body = bodies[i] as { hash: string; bytes: Uint8Array }
        out[i] = { hash: body.hash, size: body.bytes.byteLength, data: data[k] as Uint8Array }
      }
      return out
    },
    write(blob) {
      q.insert.run(blob.hash, blob.size, blob.data.byteLength, blob.data)
    },
    learn,

    async put(hash, raw) {
      checkHash(hash)
      const size = storedSize(hash)
      if (size !== undefined) return { created: false, storedSize: size }
      const data = compressBlob(raw, quality)
      const created = q.insert.run(hash, raw.byteLength, data.byteLength, data).changes === 1
      learn(hash, data.byteLength)
      return { created, storedSize: data.byteLength }
    },

    knows: (hash) => known.has(hash),

    async get(hash) {
      checkHash(hash)
      const data = q.get.get(hash) as Buffer | undefined
      if (data !== undefined) return decompressBlob(hash, data)
      return fallback ? fallback.get(hash) : null
    },

    async has(hash) {
      checkHash(hash)
      return storedSize(hash) !== undefined || (fallback !== null && (await fallback.has(hash)))
    },

    async *list() {
      const seen = new Set<string>()
      // In pages by hash: the caller awaits between items, and better-sqlite3 refuses other statements on
      // the connection while a cursor is open.
      for (let after = ''; ; ) {
        const rows = q.page.all(after) as Array<[string, number]>
        const last = rows[rows.length - 1]
        if (last === undefined) break
        for (const [hash, size] of rows) {
          if (fallback) seen.add(hash)
          yield { hash, storedSize: size }
        }
        after = last[0]
      }
      if (fallback) for await (const b of fallback.list()) if (!seen.has(b.hash)) yield b
    },

    async clear() {
      db.exec('DELETE FROM blobs')
      known.clear()
      await fallback?.clear()
    },

    async close() {
      await worker?.close()
      worker = null
      await fallback?.close()
    },
  }
}

/**
 * The blob store of `sqliteBackend` for its `blobs` option: the folder store (reading the table too), the
 * table (reading an existing folder too; `table` is then set: bodies go in the ingest transactions), or the
 * given store as it is.
 */
export function sqliteBlobs(
  db: Database.Database,
  dir: string,
  mode: 'folder' | 'database' | BlobStore,
  quality: number,
): { blobs: BlobStore; table: SqliteTableBlobs | null } {
  if (mode === 'database') {
    const table = sqliteTableBlobs(db, quality, existsSync(dir) ? folderBlobStore({ dir, quality }) : null)
    return { blobs: table, table }
  }
  if (mode === 'folder') {
    return { blobs: layeredBlobs(folderBlobStore({ dir, quality }), sqliteTableBlobs(db, quality, null)), table: null }
  }
  return { blobs: mode, table: null }
}

/**
 * A store that writes to `primary` and reads from `primary`, then `secondary`: the folder store of an
 * archive that once kept its bodies in the database (or the other way round) still finds every body.
 * `list` and `clear` cover both.
 */
export function layeredBlobs(primary: BlobStore, secondary: BlobStore): BlobStore {
  const store: BlobStore | BatchBlobStore = {
    put: (hash, raw) => primary.put(hash, raw),
    ...(canPutMany(primary) ? { putMany: (items) => primary.putMany(items) } : {}),
    knows: (hash) => primary.knows?.(hash) ?? false,
    async get(hash) {
      return (await primary.get(hash)) ?? secondary.get(hash)
    },
    async has(hash) {
      return (await primary.has(hash)) || secondary.has(hash)
    },
    async *list() {
      const seen = new Set<string>()
      for await (const b of primary.list()) {
        seen.add(b.hash)
        yield b
      }
      for await (const b of secondary.list()) if (!seen.has(b.hash)) yield b
    },
    async clear() {
      await primary.clear()
      await secondary.clear()
    },
    async close() {
      await primary.close()
      await secondary.close()
    },
  }
  return store
}

// --- Internal helpers ---

/** Hashes the table store remembers as stored (~100 bytes each). */
const KNOWN_HASHES = 100_000

function checkHash(hash: string): void {
  if (!isSha256Hex(hash)) throw new TypeError(`Expected a lower-case SHA-256 hex digest, got \`${hash}\``)
}
