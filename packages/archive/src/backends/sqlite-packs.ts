/**
 * @file Bodies in pack files indexed by the archive database, for `sqliteBackend({ blobs: 'packs' })` (the
 * default). Each writer appends compressed bodies to a pack file of its own (`<dir>/packs/*.pack`, one per
 * process and thread, so nobody locks anything); the `packed_blobs` row saying where a body is goes in the
 * capture's own transaction. A body is thus a record appended to an open file instead of a new file and
 * folder (creating those costs 0.3-1 ms on the ext4 disks measured, which made the folder store's worker
 * the bound of `ingestMany`), and the database stays small (bodies are not in its pages or its WAL).
 *
 * A process killed between the append and the commit leaves bytes no row points at: harmless, as with the
 * folder store's unreferenced files. Each record starts with a header naming its hash (see
 * `PACK_HEADER_BYTES`), which every read checks.
 */
import { randomBytes } from 'node:crypto'
import { closeSync, openSync, readSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type Database from 'better-sqlite3'
import {
  appendPackRecords,
  BLOB_MODULES,
  type BlobWorker,
  blobWorker,
  PACK_HEADER_BYTES,
  type PackItem,
  type PackLocation,
  type PackWriter,
  packRecordBody,
} from '../blob-worker.js'
import { checkHash, decompressBlob, readdirSafe } from '../blobs.js'
import { BlobCorruptError, StorageError } from '../errors.js'
import type { BlobStore } from '../types.js'
import { listIndexed, type SqliteTableBlobs, type StagedBlob, storedSizes } from './sqlite-blobs.js'

/** Options of `sqlitePackBlobs`. */
export interface PackBlobsOptions {
  /** The pack folder. */
  dir: string
  /** Brotli quality 0-11. */
  quality: number
  /** fdatasync each append before its index row can commit (for `synchronous: 'full'`). */
  fsync: boolean
  /** Where bodies stored before the archive used packs are read from (folder, table), or null. */
  fallback: BlobStore | null
  /** A pack is closed and the next one started past this size. @default DEFAULT_MAX_PACK_BYTES */
  maxPackBytes?: number
}

/** Size at which a writer starts a new pack file: 1 GiB, as WARC files are usually cut. */
export const DEFAULT_MAX_PACK_BYTES: number = 1024 * 1024 * 1024

/**
 * The pack store of an open archive database. It has the table store's shape (`SqliteTableBlobs`): the
 * backend stages bodies before its transaction (compress and append, on a worker thread for a batch) and
 * writes their index rows inside it.
 */
export function sqlitePackBlobs(db: Database.Database, options: PackBlobsOptions): SqliteTableBlobs {
  const { dir, quality, fsync, fallback } = options
  const maxBytes = options.maxPackBytes ?? DEFAULT_MAX_PACK_BYTES
  const q = {
    insert: db.prepare(
      `INSERT INTO packed_blobs (hash, size, stored_size, pack, offset) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (hash) DO NOTHING`,
    ),
    where: db.prepare('SELECT stored_size, pack, offset FROM packed_blobs WHERE hash = ?'),
    size: db.prepare('SELECT stored_size FROM packed_blobs WHERE hash = ?').pluck(true),
    page: db.prepare('SELECT hash, stored_size FROM packed_blobs WHERE hash > ? ORDER BY hash LIMIT 1000').raw(true),
  }
  // pid + random: the prefix of this store's pack names, unique across processes and restarts. The main
  // thread (single `ingest`) and the worker (batches) each append to packs of their own.
  const prefix = `${process.pid}-${randomBytes(4).toString('hex')}`
  const writer = (): PackWriter => ({ dir, prefix: `${prefix}-m`, seq: 0, fd: null, name: '', size: 0, maxBytes })
  let mainWriter = writer()
  let worker: BlobWorker | null = null

  // Hashes whose index row has committed (this process wrote or read it).
  const { known, learn, storedSize } = storedSizes(q.size)
  // Bodies this process appended whose rows may not have committed (a batch in flight or refused): a body
  // seen again points at the same record instead of being appended twice. `appending`: still on the worker.
  const appended = new Map<string, StagedBlob>()
  const remember = (staged: StagedBlob): void => {
    if (appended.size >= APPENDED) appended.delete(appended.keys().next().value as string)
    appended.set(staged.hash, staged)
  }
  const appending = new Map<string, Promise<StagedBlob>>()
  const toStaged = (hash: string, size: number, at: PackLocation): StagedBlob => ({
    hash,
    size,
    storedSize: at.storedSize,
    pack: at.pack,
    offset: at.offset,
  })

  // Read descriptors by pack name, the least recently used closed first.
  const readers = new Map<string, number>()
  const reader = (pack: string): number | null => {
    const hit = readers.get(pack)
    if (hit !== undefined) {
      readers.delete(pack)
      readers.set(pack, hit)
      return hit
    }
    let fd: number
    try {
      fd = openSync(join(dir, pack), 'r')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw new StorageError(`cannot open pack ${pack}`, { cause: error })
    }
    if (readers.size >= OPEN_READERS) {
      const [oldest, oldFd] = readers.entries().next().value as [string, number]
      readers.delete(oldest)
      closeSync(oldFd)
    }
    readers.set(pack, fd)
    return fd
  }
  const closeFiles = (): void => {
    for (const fd of readers.values()) closeSync(fd)
    readers.clear()
    if (mainWriter.fd !== null) closeSync(mainWriter.fd)
    mainWriter = writer()
  }

  const store: SqliteTableBlobs = {
    stage({ hash, bytes, gzip }) {
      if (bytes === null || storedSize(hash) !== undefined) return null
      const again = appended.get(hash)
      if (again) return again
      const [at] = appendPackRecords(BLOB_MODULES, mainWriter, [packItem(hash, bytes, gzip)], quality, fsync)
      const staged = toStaged(hash, bytes.byteLength, at as PackLocation)
      remember(staged)
      return staged
    },

    async stageMany(bodies) {
      const out: Array<StagedBlob | null> = bodies.map(() => null)
      const places: number[] = []
      const jobs: PackItem[] = []
      const waits: Array<Promise<void>> = []
      const seen = new Set<string>()
      for (const [i, body] of bodies.entries()) {
        if (!body || body.bytes === null || seen.has(body.hash)) continue
        seen.add(body.hash)
        if (storedSize(body.hash) !== undefined) continue
        const again = appended.get(body.hash)
        if (again) out[i] = again
        else {
          const pending = appending.get(body.hash)
          if (pending)
            waits.push(
              pending.then((staged) => {
                out[i] = staged
              }),
            )
          else {
            places.push(i)
            jobs.push(packItem(body.hash, body.bytes, body.gzip))
          }
        }
      }
      if (jobs.length > 0) {
        worker ??= blobWorker()
        const batch = worker.append({ dir, prefix: `${prefix}-w`, maxBytes }, jobs, quality, fsync).then((at) =>
          jobs.map((job, k) => {
            const staged = toStaged(job.hash, job.size, at[k] as PackLocation)
            remember(staged)
            return staged
          }),
        )
        for (const [k, job] of jobs.entries()) {
          const one = batch.then((staged) => staged[k] as StagedBlob)
          // A failure reaches this call's caller through `batch`; a later batch waiting on it gets it too.
          one.catch(() => {})
          appending.set(job.hash, one)
        }
        try {
          const staged = await batch
          for (const [k, i] of places.entries()) out[i] = staged[k] as StagedBlob
        } finally {
          for (const job of jobs) appending.delete(job.hash)
        }
      }
      await Promise.all(waits)
      return out
    },

    write(blob) {
      q.insert.run(blob.hash, blob.size, blob.storedSize, blob.pack as string, blob.offset as number)
    },

    learn,

    async put(hash, raw, gzip) {
      checkHash(hash)
      const size = storedSize(hash)
      if (size !== undefined) return { created: false, storedSize: size }
      const staged = store.stage({ hash, bytes: raw, gzip: gzip ?? null }) as StagedBlob
      const created = q.insert.run(hash, raw.byteLength, staged.storedSize, staged.pack, staged.offset).changes === 1
      learn(hash, staged.storedSize)
      return { created, storedSize: staged.storedSize }
    },

    knows: (hash) => known.has(hash),

    async get(hash) {
      checkHash(hash)
      const row = q.where.get(hash) as { stored_size: number; pack: string; offset: number } | undefined
      if (row === undefined) return fallback ? fallback.get(hash) : null
      const fd = reader(row.pack)
      if (fd === null) return null
      const length = PACK_HEADER_BYTES + row.stored_size
      const buf = Buffer.allocUnsafe(length)
      let got = 0
      try {
        while (got < length) {
          const n = readSync(fd, buf, got, length - got, row.offset + got)
          if (n === 0) break
          got += n
        }
      } catch (cause) {
        throw new StorageError(`cannot read blob ${hash} from pack ${row.pack}`, { cause })
      }
      if (got < length) throw new BlobCorruptError(hash, `its record in pack ${row.pack} is truncated`)
      const record = packRecordBody(buf, hash, row.stored_size)
      if (record === null)
        throw new BlobCorruptError(hash, `pack ${row.pack} holds another record at offset ${row.offset}`)
      return decompressBlob(hash, record.body, record.coding)
    },

    async has(hash) {
      checkHash(hash)
      return storedSize(hash) !== undefined || (fallback !== null && (await fallback.has(hash)))
    },

    list: () => listIndexed(q.page, fallback),

    async clear() {
      await Promise.allSettled(appending.values())
      await worker?.release()
      closeFiles()
      db.exec('DELETE FROM packed_blobs')
      for (const name of readdirSafe(dir)) rmSync(join(dir, name), { force: true })
      known.clear()
      appended.clear()
      await fallback?.clear()
    },

    async close() {
      await worker?.close()
      worker = null
      closeFiles()
      await fallback?.close()
    },
  }
  return store
}

// --- Internal helpers ---

/** A body as `appendPackRecords` takes it. */
function packItem(hash: string, raw: Uint8Array, gzip: Uint8Array | null | undefined): PackItem {
  return { hash, raw, size: raw.byteLength, gzip: gzip ?? null }
}

/** Bodies remembered as appended (~150 bytes each). */
const APPENDED = 100_000
/** Pack files kept open for reading. */
const OPEN_READERS = 16
