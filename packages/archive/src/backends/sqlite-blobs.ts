/**
 * @file Blobs in the SQLite archive file itself (the `blobs` table), for `sqliteBackend({ blobs: 'database' })`:
 * a body is written by the same transaction as its capture, so the two land together or not at all, and a
 * new body costs a row instead of a file (creating a file and its fan-out folder costs 0.3-1 ms on the
 * ext4 disks measured, several times the rest of an ingest). Compressed like `folderBlobStore`.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type Database from 'better-sqlite3'
import { type BlobWorker, blobWorker } from '../blob-worker.js'
import { type BatchBlobStore, canPutMany, checkHash, compressBlob, decompressBlob, folderBlobStore } from '../blobs.js'
import type { BlobStore, BodyRecord } from '../types.js'
import { sqlitePackBlobs } from './sqlite-packs.js'

/** A compressed body waiting for its ingest transaction: its bytes (table store) or where they are (packs). */
export interface StagedBlob {
  hash: string
  /** Raw size. */
  size: number
  storedSize: number
  /** The compressed bytes, for the `blobs` table. */
  data?: Uint8Array
  /** The pack file and offset of its record, for the pack store. */
  pack?: string
  offset?: number
}

/** The table store, plus what the SQLite backend needs to write bodies inside its own transactions. */
export interface SqliteTableBlobs extends BlobStore {
  /**
   * Outside the transaction: compress a body unless the table is known to hold it already. Returns what
   * `write` stores, or null when there is nothing to write. A store that keeps a coding per body (packs)
   * stores the body's `gzip` bytes, when given, instead of compressing it.
   */
  stage(body: BodyRecord): StagedBlob | null
  /**
   * `stage` for a batch, compressing on a worker thread: what `write` stores for each body (null for none),
   * in order. A hash that appears twice is compressed once and staged at its first place.
   */
  stageMany(bodies: ReadonlyArray<BodyRecord | null | undefined>): Promise<Array<StagedBlob | null>>
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
  const { known, learn, storedSize } = storedSizes(q.size)
  let worker: BlobWorker | null = null

  return {
    stage({ hash, bytes }) {
      if (bytes === null || storedSize(hash) !== undefined) return null
      const data = compressBlob(bytes, quality)
      return { hash, size: bytes.byteLength, storedSize: data.byteLength, data }
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
        const stored = data[k] as Uint8Array
        out[i] = { hash: body.hash, size: body.bytes.byteLength, storedSize: stored.byteLength, data: stored }
      }
      return out
    },
    write(blob) {
      q.insert.run(blob.hash, blob.size, blob.storedSize, blob.data as Uint8Array)
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

    list: () => listIndexed(q.page, fallback),

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
 * The blob store of `sqliteBackend` for its `blobs` option: pack files (`<dir>/packs`), the `blobs` table or
 * the folder (`<dir>/blobs`), each reading the other two too, so an archive can be switched from one to
 * another at any time; or the given store as it is. `table` is set when bodies go in the ingest transactions
 * (packs and table).
 */
export function sqliteBlobs(
  db: Database.Database,
  options: { dir: string; mode: 'packs' | 'folder' | 'database' | BlobStore; quality: number; fsync: boolean },
): { blobs: BlobStore; table: SqliteTableBlobs | null } {
  const { mode, quality, fsync } = options
  const folderDir = join(options.dir, 'blobs')
  const packs = (fallback: BlobStore | null): SqliteTableBlobs =>
    sqlitePackBlobs(db, { dir: join(options.dir, 'packs'), quality, fsync, fallback })
  // An archive that never used the folder has none; the folder store would make one.
  const folder = (): BlobStore | null => (existsSync(folderDir) ? folderBlobStore({ dir: folderDir, quality }) : null)
  if (mode === 'packs') {
    const table = packs(sqliteTableBlobs(db, quality, folder()))
    return { blobs: table, table }
  }
  if (mode === 'database') {
    const table = sqliteTableBlobs(db, quality, packs(folder()))
    return { blobs: table, table }
  }
  if (mode === 'folder') {
    const primary = folderBlobStore({ dir: folderDir, quality })
    return { blobs: layeredBlobs(primary, sqliteTableBlobs(db, quality, packs(null))), table: null }
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
    put: (hash, raw, gzip) => primary.put(hash, raw, gzip),
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

/**
 * The stored sizes of an indexed store (the table or the pack index): the hashes this process wrote or found
 * stored are remembered (blobs are only ever deleted by `clear`), so an unchanged re-capture costs no blob
 * work at all; others are looked up with `size` (a statement taking a hash, plucking the stored size).
 */
export function storedSizes(size: Database.Statement): {
  known: Map<string, number>
  learn: (hash: string, storedSize: number) => void
  storedSize: (hash: string) => number | undefined
} {
  const known = new Map<string, number>()
  const learn = (hash: string, stored: number): void => {
    if (known.size >= KNOWN_HASHES) known.delete(known.keys().next().value as string)
    known.set(hash, stored)
  }
  const storedSize = (hash: string): number | undefined => {
    const hit = known.get(hash)
    if (hit !== undefined) return hit
    const stored = size.get(hash) as number | undefined
    if (stored !== undefined) learn(hash, stored)
    return stored
  }
  return { known, learn, storedSize }
}

/**
 * Every blob of an indexed store, then those of `fallback` it does not hold. `page` takes the last hash seen
 * and returns the next rows as `[hash, storedSize]`: in pages by hash, because the caller awaits between
 * items and better-sqlite3 refuses other statements on the connection while a cursor is open.
 */
export async function* listIndexed(
  page: Database.Statement,
  fallback: BlobStore | null,
): AsyncGenerator<{ hash: string; storedSize: number }> {
  const seen = new Set<string>()
  for (let after = ''; ; ) {
    const rows = page.all(after) as Array<[string, number]>
    const last = rows[rows.length - 1]
    if (last === undefined) break
    for (const [hash, size] of rows) {
      if (fallback) seen.add(hash)
      yield { hash, storedSize: size }
    }
    after = last[0]
  }
  if (fallback) for await (const b of fallback.list()) if (!seen.has(b.hash)) yield b
}

// --- Internal helpers ---

/** Hashes an indexed store remembers as stored (~100 bytes each). */
const KNOWN_HASHES = 100_000
