/**
 * @file The content-addressed blob store: raw bodies keyed by their SHA-256, brotli-compressed, each stored
 * once. `folderBlobStore` keeps them as files; `compressBlob` / `decompressBlob` are exported so a backend
 * that keeps blobs in a table (Postgres) stores the same bytes.
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { brotliDecompressSync, crc32, gunzipSync } from 'node:zlib'
import {
  BLOB_MODULES,
  type BlobCoding,
  type BlobFileJob,
  type BlobWorker,
  blobWorker,
  compressBody,
  writeBlobFile,
} from './blob-worker.js'
import { ArchiveError, BlobCorruptError } from './errors.js'
import { isSha256Hex } from './hash.js'
import type { BlobStore } from './types.js'

/**
 * Brotli quality used unless configured. Bodies are compressed on the ingest path, so speed counts: on the
 * scraper benchmark's 50-150 kB portal pages, quality 2 compresses 3.9x in 0.6 ms per page, quality 4 4.1x
 * in 1.3 ms, gzip -6 3.8x in 1.5 ms; 5% more disk for half the CPU.
 */
export const DEFAULT_BROTLI_QUALITY = 2

/** Compress a raw body for storage (brotli). */
export function compressBlob(raw: Uint8Array, quality: number = DEFAULT_BROTLI_QUALITY): Buffer {
  return compressBody(BLOB_MODULES, raw, quality)
}

/** A body for `BatchBlobStore.putMany`. */
export interface BlobItem {
  hash: string
  raw: Uint8Array
  /** See `BlobStore.put`. */
  gzip?: Uint8Array | null
}

/**
 * A blob store that can also store a batch of bodies off the main thread (the folder store, also as the
 * SQLite backend's `blobs: 'folder'`). `archive.ingestMany` uses it when the backend's blobs have it.
 */
export interface BatchBlobStore extends BlobStore {
  /**
   * Store every body, each with the guarantees of `put`, compressing and writing them on a worker thread.
   * Resolves once all are in place; rejects (a `StorageError`) when one cannot be stored.
   */
  putMany(items: readonly BlobItem[]): Promise<void>
}

/** Whether `store` has `putMany` (see `BatchBlobStore`). */
export function canPutMany(store: BlobStore): store is BatchBlobStore {
  return typeof (store as Partial<BatchBlobStore>).putMany === 'function'
}

/**
 * Decompress a stored blob (brotli unless `coding` says gzip); throws `BlobCorruptError` when the bytes are
 * not valid in that coding.
 */
export function decompressBlob(hash: string, stored: Uint8Array, coding: BlobCoding = 'br'): Uint8Array {
  try {
    return new Uint8Array(coding === 'gzip' ? gunzipSync(stored) : brotliDecompressSync(stored))
  } catch (cause) {
    throw new BlobCorruptError(hash, 'cannot be decompressed', { cause })
  }
}

/**
 * Whether `gzip` is a gzip member of `raw` by its header and trailer (RFC 1952: the CRC-32 and the size of
 * the decoded bytes), which costs a CRC of `raw` instead of inflating it. Only the trailer is checked: the
 * caller vouches that the deflate data decodes (the scraper has just decoded it), and `verifyArchive`
 * decodes every stored body and checks its hash.
 */
export function isGzipOf(gzip: Uint8Array, raw: Uint8Array): boolean {
  const end = gzip.byteLength
  if (end < 18 || gzip[0] !== 0x1f || gzip[1] !== 0x8b || gzip[2] !== 8) return false
  const view = new DataView(gzip.buffer, gzip.byteOffset, end)
  return view.getUint32(end - 4, true) === raw.byteLength >>> 0 && view.getUint32(end - 8, true) === crc32(raw)
}

/** Options of `folderBlobStore`. */
export interface FolderBlobStoreOptions {
  /** Folder that holds the blobs (created when missing). */
  dir: string
  /** Brotli quality 0-11. @default DEFAULT_BROTLI_QUALITY */
  quality?: number
  /**
   * fsync each blob (and its folder entry) before it is renamed into place. Not needed to survive a killed
   * process (the rename is atomic and the page cache outlives the process), only to survive power loss.
   * @default false
   */
  fsync?: boolean
}

/**
 * A blob store in a folder: `<dir>/ab/cd/<sha256>.br`, or `.gz` for a body stored as a response's own gzip
 * bytes (see `BlobStore.put`). Two levels of fan-out keep folders small
 * (65,536 leaves). A blob is written to `<dir>/.tmp/` and renamed into place, so a reader (or a process
 * killed mid-write) never leaves a partial blob under its final name; writing the same hash from several
 * processes at once is harmless because every writer renames identical bytes.
 *
 * @example
 * const blobs = folderBlobStore({ dir: './data/blobs' })
 * await blobs.put(sha256Hex(body), body)
 */
export function folderBlobStore(options: FolderBlobStoreOptions): BlobStore {
  const { dir } = options
  if (typeof dir !== 'string' || dir === '')
    throw new TypeError(`Expected \`dir\` to be a non-empty string, got \`${dir}\``)
  const quality = options.quality ?? DEFAULT_BROTLI_QUALITY
  if (!Number.isInteger(quality) || quality < 0 || quality > 11) {
    throw new TypeError(`Expected \`quality\` to be an integer from 0 to 11, got \`${quality}\``)
  }
  const tmpDir = join(dir, TMP_DIR)
  mkdirSync(tmpDir, { recursive: true })
  // Fan-out folders already created by this process; saves a mkdir syscall per put.
  const made = new Set<string>()
  // Hashes this process wrote or found stored, with their stored size. Blobs are never deleted except by
  // `clear()`, so a remembered hash needs no stat: an unchanged re-capture touches no file at all.
  const known = new Map<string, number>()
  const learn = (hash: string, size: number): void => {
    if (known.size >= KNOWN_HASHES) known.delete(known.keys().next().value as string)
    known.set(hash, size)
  }
  let counter = 0

  const pathOf = (hash: string, ext: string): string => join(dir, hash.slice(0, 2), hash.slice(2, 4), `${hash}${ext}`)
  // pid + counter + random: a temporary name unique across processes and across restarts that reuse a pid.
  const job = (hash: string, raw: Uint8Array, gzip: Uint8Array | null | undefined): BlobFileJob => ({
    dir,
    hash,
    raw,
    gzip: gzip ?? null,
    tmp: join(tmpDir, `${hash}.${process.pid}.${counter++}.${randomBytes(4).toString('hex')}`),
    quality,
    fsync: options.fsync === true,
  })
  // Bodies `putMany` has sent to the worker and not yet seen stored, so a batch does not send them again.
  const storing = new Map<string, Promise<void>>()
  let worker: BlobWorker | null = null

  const store: BatchBlobStore = {
    async put(hash, raw, gzip) {
      checkHash(hash)
      const size = known.get(hash)
      if (size !== undefined) return { created: false, storedSize: size }
      const out = writeBlobFile(BLOB_MODULES, job(hash, raw, gzip), made)
      learn(hash, out.storedSize)
      return out
    },

    async putMany(items) {
      const jobs: BlobFileJob[] = []
      const waits: Array<Promise<void>> = []
      const seen = new Set<string>()
      for (const { hash, raw, gzip } of items) {
        checkHash(hash)
        if (known.has(hash) || seen.has(hash)) continue
        seen.add(hash)
        const already = storing.get(hash)
        if (already) waits.push(already)
        else jobs.push(job(hash, raw, gzip))
      }
      if (jobs.length > 0) {
        worker ??= blobWorker()
        const written = worker.write(jobs).then((sizes) => {
          for (const [i, j] of jobs.entries()) learn(j.hash, sizes[i] as number)
        })
        const done = written.finally(() => {
          for (const j of jobs) if (storing.get(j.hash) === done) storing.delete(j.hash)
        })
        // Rejections reach the caller through `waits`; the map's copy must not count as unhandled.
        done.catch(() => {})
        for (const j of jobs) storing.set(j.hash, done)
        waits.push(done)
      }
      await Promise.all(waits)
    },

    knows: (hash) => known.has(hash),

    async get(hash) {
      checkHash(hash)
      for (const [ext, coding] of CODINGS) {
        let stored: Buffer
        try {
          stored = readFileSync(pathOf(hash, ext))
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue
          throw new ArchiveError(`cannot read blob ${hash}`, { cause: error })
        }
        return decompressBlob(hash, stored, coding)
      }
      return null
    },

    async has(hash) {
      checkHash(hash)
      return CODINGS.some(([ext]) => statSync(pathOf(hash, ext), { throwIfNoEntry: false }) !== undefined)
    },

    async *list() {
      for (const a of readdirSafe(dir)) {
        if (!FAN_RE.test(a)) continue
        for (const b of readdirSafe(join(dir, a))) {
          if (!FAN_RE.test(b)) continue
          // Two writers may have stored one body in both codings: listed once.
          const listed = new Set<string>()
          for (const name of readdirSafe(join(dir, a, b))) {
            const ext = CODINGS.find(([e]) => name.endsWith(e))?.[0]
            const hash = ext === undefined ? '' : name.slice(0, -ext.length)
            if (listed.has(hash) || !isSha256Hex(hash)) continue
            const st = statSync(join(dir, a, b, name), { throwIfNoEntry: false })
            if (!st) continue
            listed.add(hash)
            yield { hash, storedSize: st.size }
          }
        }
      }
    },

    async clear() {
      await Promise.allSettled(storing.values())
      for (const name of readdirSafe(dir)) rmSync(join(dir, name), { recursive: true, force: true })
      made.clear()
      known.clear()
      mkdirSync(tmpDir, { recursive: true })
    },

    async close() {
      // Bodies sent to the worker are stored before it stops.
      await worker?.close()
      worker = null
    },
  }
  return store
}

/**
 * A blob store in process memory (compressed like the folder store, so sizes compare). For tests and the
 * memory backend.
 */
export function memoryBlobStore(options: { quality?: number } = {}): BlobStore {
  const quality = options.quality ?? DEFAULT_BROTLI_QUALITY
  const map = new Map<string, Buffer>()
  return {
    async put(hash, raw) {
      checkHash(hash)
      const existing = map.get(hash)
      if (existing) return { created: false, storedSize: existing.byteLength }
      const data = compressBlob(raw, quality)
      map.set(hash, data)
      return { created: true, storedSize: data.byteLength }
    },
    async get(hash) {
      checkHash(hash)
      const stored = map.get(hash)
      return stored ? decompressBlob(hash, stored) : null
    },
    async has(hash) {
      checkHash(hash)
      return map.has(hash)
    },
    knows: (hash) => map.has(hash),
    async *list() {
      for (const [hash, data] of [...map]) yield { hash, storedSize: data.byteLength }
    },
    async clear() {
      map.clear()
    },
    async close() {},
  }
}

/** Throws a `TypeError` unless `hash` is a lower-case SHA-256 hex digest. */
export function checkHash(hash: string): void {
  if (!isSha256Hex(hash)) throw new TypeError(`Expected a lower-case SHA-256 hex digest, got \`${hash}\``)
}

/** The names in `dir`; none when it is missing or not a folder. */
export function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch (error) {
    // Missing, or a stray file where a fan-out folder would be: nothing listed there.
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return []
    throw error
  }
}

// --- Internal helpers ---

/** File name endings of a folder store by coding, the one it writes by default first. */
const CODINGS: ReadonlyArray<readonly [string, BlobCoding]> = [
  ['.br', 'br'],
  ['.gz', 'gzip'],
]
/** Hashes a folder store remembers as stored (~100 bytes each). */
const KNOWN_HASHES = 100_000
const TMP_DIR = '.tmp'
const FAN_RE = /^[0-9a-f]{2}$/
