/**
 * @file Body storage off the main thread. `writeBlobFile` stores one body in a folder store (compress, write
 * to a temporary name, rename into place); `appendPackRecords` appends bodies to a pack file (the SQLite
 * backend's default store); `blobWorker` runs either, or plain compression for the database store, for a
 * whole batch on a worker thread, so `archive.ingestMany` can compress and write a batch's bodies while the
 * main thread prepares or commits other batches.
 *
 * `writeBlobFile`, `appendPackRecords` and `compressBody` use nothing but their arguments (the modules they
 * need) and each other: the worker's code is their source text, so the worker and the main thread store
 * bodies with the very same functions, and the worker needs no file of its own (which would not exist when
 * the archive runs from its TypeScript sources, as in the tests).
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { Worker } from 'node:worker_threads'
import * as zlib from 'node:zlib'
import { StorageError } from './errors.js'

/** What `writeBlobFile` and `compressBody` need from Node. */
export interface BlobModules {
  fs: typeof fs
  path: typeof path
  zlib: typeof zlib
}

/** The modules of this thread. */
export const BLOB_MODULES: BlobModules = { fs, path, zlib }

/** One body to store in a folder store. */
export interface BlobFileJob {
  /** The blob folder (the file goes to `<dir>/ab/cd/<hash>.br`, or `.gz` for `gzip` bytes). */
  dir: string
  hash: string
  raw: Uint8Array
  /** A gzip member that decodes to `raw`, stored as it is (`<hash>.gz`) instead of compressing `raw`. */
  gzip?: Uint8Array | null
  /** A fresh name for the partial file (in `<dir>/.tmp`). */
  tmp: string
  quality: number
  fsync: boolean
}

/** Brotli at `quality`, as every blob store compresses. Uses nothing but its arguments. */
export function compressBody(m: BlobModules, raw: Uint8Array, quality: number): Buffer {
  return m.zlib.brotliCompressSync(raw, {
    params: {
      [m.zlib.constants.BROTLI_PARAM_QUALITY]: quality,
      [m.zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.byteLength,
    },
  })
}

/**
 * The bytes a store keeps for a body: its `gzip` bytes as they are when given (see `BlobFileJob.gzip`), else
 * `raw` compressed with `compressBody`. Uses nothing but its arguments and `compressBody`.
 */
export function storedBody(
  m: BlobModules,
  raw: Uint8Array,
  gzip: Uint8Array | null | undefined,
  quality: number,
): Buffer {
  return gzip ? Buffer.from(gzip.buffer, gzip.byteOffset, gzip.byteLength) : compressBody(m, raw, quality)
}

/**
 * Store one body unless its file exists (`.br` or `.gz`): brotli, or the job's gzip bytes as they are, written
 * under `job.tmp`, renamed into place (a reader, or a process killed mid-write, never sees a partial blob
 * under its final name). `made` remembers the fan-out
 * folders already created (a `mkdir` per body costs as much as writing it on some file systems); one that
 * has gone since is made again. Returns whether it wrote the file and the stored size. Synchronous, and uses
 * nothing but its arguments and `storedBody` (see the file comment).
 */
export function writeBlobFile(
  m: BlobModules,
  job: BlobFileJob,
  made: Set<string> | null,
): { created: boolean; storedSize: number } {
  const folder = m.path.join(job.dir, job.hash.slice(0, 2), job.hash.slice(2, 4))
  const gzip = job.gzip
  const target = m.path.join(folder, `${job.hash}${gzip ? '.gz' : '.br'}`)
  for (const ext of ['.br', '.gz']) {
    const existing = m.fs.statSync(m.path.join(folder, `${job.hash}${ext}`), { throwIfNoEntry: false })
    if (existing) return { created: false, storedSize: existing.size }
  }
  const data = storedBody(m, job.raw, gzip, job.quality)
  if (made === null || !made.has(folder)) {
    m.fs.mkdirSync(folder, { recursive: true })
    made?.add(folder)
  }
  const fd = m.fs.openSync(job.tmp, 'wx')
  try {
    let off = 0
    while (off < data.byteLength) off += m.fs.writeSync(fd, data, off)
    if (job.fsync) m.fs.fsyncSync(fd)
  } finally {
    m.fs.closeSync(fd)
  }
  try {
    m.fs.renameSync(job.tmp, target)
  } catch (error) {
    // A remembered folder removed since (a store's `clear()`): make it again.
    if (made === null || (error as { code?: string }).code !== 'ENOENT') throw error
    m.fs.mkdirSync(folder, { recursive: true })
    m.fs.renameSync(job.tmp, target)
  }
  if (job.fsync) fsyncFolder(m, folder)
  return { created: true, storedSize: data.byteLength }
}

/** fsync a folder, so the names just made in it survive power loss. Uses nothing but its arguments. */
export function fsyncFolder(m: BlobModules, dir: string): void {
  const fd = m.fs.openSync(dir, 'r')
  try {
    m.fs.fsyncSync(fd)
  } finally {
    m.fs.closeSync(fd)
  }
}

/**
 * Bytes before each body in a pack file: a magic naming the body's coding (`PWB1` brotli, `PWG1` gzip), the
 * SHA-256 (32 bytes), the raw size and the stored size (each a little-endian uint64). Readers check the magic
 * and the hash, so an index row pointing at the wrong place reads as corrupt, never as another body; and a
 * pack can be listed without its index.
 */
export const PACK_HEADER_BYTES = 52

/**
 * How a stored body is compressed: `br` (brotli, what the stores compress with) or `gzip` (the response's
 * own `Content-Encoding: gzip` bytes, kept as they came instead of compressing the body again).
 */
export type BlobCoding = 'br' | 'gzip'

/** A body to append to a pack. */
export interface PackItem {
  hash: string
  /** The raw body (unused, and may be empty, when `gzip` is set). */
  raw: Uint8Array
  /** The raw body's size. */
  size: number
  /** A gzip member that decodes to the raw body, stored as it is instead of compressing `raw`. */
  gzip?: Uint8Array | null
}

/** The pack file one writer appends to; each writer (thread) has its own, so offsets need no locking. */
export interface PackWriter {
  /** The pack folder. */
  dir: string
  /** Unique to this writer across processes: pack files are named `<prefix>-<seq>.pack`. */
  prefix: string
  seq: number
  /** Open descriptor of the current pack, or null before the first append (or after a failed write). */
  fd: number | null
  /** File name of the current pack. */
  name: string
  /** Bytes written to the current pack. */
  size: number
  /** A pack is closed and the next one started once it holds this many bytes. */
  maxBytes: number
}

/** Where a body was appended. */
export interface PackLocation {
  pack: string
  /** Offset of the record (its header) in the pack. */
  offset: number
  storedSize: number
}

/**
 * Append bodies to `w`'s pack, all of a batch in one write, starting a new pack first when the batch would
 * take the current one past `maxBytes`. A body with its `gzip` bytes is stored as those bytes (`PWG1`), any
 * other is compressed with `compressBody` (`PWB1`). A failed write closes the pack, so the next batch starts
 * a fresh one (the failed batch leaves at most bytes no index row points at). Synchronous, and uses nothing
 * but its arguments, `storedBody` and `fsyncFolder` (see the file comment), which is also why the header
 * size is spelled out as 52 rather than `PACK_HEADER_BYTES`.
 */
export function appendPackRecords(
  m: BlobModules,
  w: PackWriter,
  items: readonly PackItem[],
  quality: number,
  fsync: boolean,
): PackLocation[] {
  const records: Buffer[] = []
  let bytes = 0
  for (const { hash, raw, size, gzip } of items) {
    const data = storedBody(m, raw, gzip, quality)
    const head = Buffer.alloc(52)
    head.write(gzip ? 'PWG1' : 'PWB1', 0, 'latin1')
    head.write(hash, 4, 'hex')
    head.writeBigUInt64LE(BigInt(size), 36)
    head.writeBigUInt64LE(BigInt(data.byteLength), 44)
    records.push(head, data)
    bytes += 52 + data.byteLength
  }
  if (w.fd !== null && w.size > 0 && w.size + bytes > w.maxBytes) {
    m.fs.closeSync(w.fd)
    w.fd = null
  }
  if (w.fd === null) {
    for (;;) {
      const name = `${w.prefix}-${w.seq++}.pack`
      try {
        // `wx`: never append to a file another writer made, whatever happened to the names.
        w.fd = m.fs.openSync(m.path.join(w.dir, name), 'wx')
      } catch (error) {
        const code = (error as { code?: string }).code
        if (code === 'EEXIST') continue
        if (code !== 'ENOENT') throw error
        // No pack folder yet: make it and try the same name again.
        m.fs.mkdirSync(w.dir, { recursive: true })
        w.seq--
        continue
      }
      w.name = name
      w.size = 0
      if (fsync) fsyncFolder(m, w.dir)
      break
    }
  }
  const fd = w.fd as number
  const out: PackLocation[] = []
  try {
    const all = Buffer.concat(records, bytes)
    for (let off = 0; off < bytes; ) off += m.fs.writeSync(fd, all, off, bytes - off, w.size + off)
    if (fsync) m.fs.fdatasyncSync(fd)
  } catch (error) {
    w.fd = null
    m.fs.closeSync(fd)
    throw error
  }
  for (let i = 0; i < records.length; i += 2) {
    const storedSize = (records[i + 1] as Buffer).byteLength
    out.push({ pack: w.name, offset: w.size, storedSize })
    w.size += 52 + storedSize
  }
  return out
}

/**
 * The stored body of a pack record read from its start (`PACK_HEADER_BYTES` plus `storedSize` bytes) and its
 * coding, or null when the header is not that of `hash` with that stored size: the record
 * `appendPackRecords` wrote.
 */
export function packRecordBody(
  record: Buffer,
  hash: string,
  storedSize: number,
): { body: Buffer; coding: BlobCoding } | null {
  if (record.byteLength !== PACK_HEADER_BYTES + storedSize) return null
  const coding = PACK_CODINGS.get(record.toString('latin1', 0, 4))
  if (coding === undefined || record.toString('hex', 4, 36) !== hash) return null
  if (record.readBigUInt64LE(44) !== BigInt(storedSize)) return null
  return { body: record.subarray(PACK_HEADER_BYTES), coding }
}

const PACK_CODINGS: ReadonlyMap<string, BlobCoding> = new Map([
  ['PWB1', 'br'],
  ['PWG1', 'gzip'],
])

/** A worker thread that stores or compresses batches of bodies. */
export interface BlobWorker {
  /** Store every job (in order) with `writeBlobFile`; resolves with each one's stored size, or rejects. */
  write(jobs: readonly BlobFileJob[]): Promise<number[]>
  /** Compress every body with `compressBody`; resolves with the compressed bytes, in order. */
  compress(raws: readonly Uint8Array[], quality: number): Promise<Uint8Array[]>
  /**
   * Append every body with `appendPackRecords` to the worker's own pack for `writer` (a `PackWriter` made
   * in the worker from `writer`'s folder, prefix and limit on first use); resolves with their locations.
   */
  append(
    writer: Pick<PackWriter, 'dir' | 'prefix' | 'maxBytes'>,
    items: readonly PackItem[],
    quality: number,
    fsync: boolean,
  ): Promise<PackLocation[]>
  /** Close the worker's pack files once the batches sent before are done; the next append starts new ones. */
  release(): Promise<void>
  /** Stop the thread once the batches sent to it are done (its pack files closed). */
  close(): Promise<void>
}

/**
 * A worker thread for batches of bodies, started on first use. It keeps the process alive only while a
 * batch is in flight, and a batch sent after it died starts a new one. A failure rejects that batch alone,
 * with a `StorageError` whose `cause` is the worker's error (its message and `code`).
 */
export function blobWorker(): BlobWorker {
  let worker: Worker | null = null
  let nextId = 0
  const pending = new Map<number, { resolve: (value: never) => void; reject: (error: Error) => void }>()
  const fail = (w: Worker, error: Error): void => {
    if (worker !== w) return
    worker = null
    for (const p of pending.values()) p.reject(new StorageError('the blob worker thread failed', { cause: error }))
    pending.clear()
  }
  const start = (): Worker => {
    const w = new Worker(WORKER_SOURCE, { eval: true })
    w.unref()
    w.on('message', (msg: Reply) => {
      const p = pending.get(msg.id)
      if (!p) return
      pending.delete(msg.id)
      if (pending.size === 0) w.unref()
      if (msg.error) {
        const cause = Object.assign(new Error(msg.error.message), msg.error.code ? { code: msg.error.code } : {})
        p.reject(new StorageError(`cannot store a body: ${msg.error.message}`, { cause }))
      } else p.resolve(msg.value as never)
    })
    w.on('error', (error) => fail(w, error))
    w.on('exit', (code) => fail(w, new Error(`the blob worker thread exited (code ${code})`)))
    return w
  }
  // Batches sent and not yet answered, so `close` can wait for them.
  const inflight = new Set<Promise<unknown>>()
  const send = <T>(message: Omit<Request, 'id'>): Promise<T> => {
    const out = new Promise<T>((resolve, reject) => {
      worker ??= start()
      const id = nextId++
      if (pending.size === 0) worker.ref()
      pending.set(id, { resolve: resolve as (value: never) => void, reject })
      worker.postMessage({ ...message, id })
    })
    const settled: Promise<boolean> = out.then(
      () => inflight.delete(settled),
      () => inflight.delete(settled),
    )
    inflight.add(settled)
    return out
  }
  return {
    write: (jobs) => send({ op: 'write', jobs: jobs.map(posted) }),
    compress: (raws, quality) => send({ op: 'compress', raws: raws.map(exact), quality }),
    append: (writer, items, quality, fsync) =>
      send({
        op: 'append',
        writer: { dir: writer.dir, prefix: writer.prefix, maxBytes: writer.maxBytes },
        jobs: items.map(posted),
        quality,
        fsync,
      }),
    release: async () => {
      if (worker) await send({ op: 'release' })
    },
    async close() {
      // Let the batches in flight finish; `terminate` would fail them. Pack descriptors belong to the
      // process, not the thread: the worker closes them first.
      await Promise.all([...inflight])
      if (worker) await send({ op: 'release' }).catch(() => {})
      const w = worker
      worker = null
      await w?.terminate()
    },
  }
}

// --- Internal helpers ---

interface Request {
  id: number
  op: 'write' | 'compress' | 'append' | 'release'
  jobs?: Array<BlobFileJob | PackItem>
  raws?: Uint8Array[]
  quality?: number
  writer?: Pick<PackWriter, 'dir' | 'prefix' | 'maxBytes'>
  fsync?: boolean
}

interface Reply {
  id: number
  value?: unknown
  error?: { message: string; code?: string }
}

/**
 * The bytes of a view alone: posting a view clones its whole `ArrayBuffer`, which for a slice of a pool or
 * of a large read buffer is far more than the body.
 */
function exact(raw: Uint8Array): Uint8Array {
  if (raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength) return raw
  // `Buffer#slice` is a view; the typed array's `slice` copies.
  return Uint8Array.prototype.slice.call(raw)
}

/** An item as posted to the worker: the bytes it stores alone (see `exact`), only the gzip bytes when given. */
function posted<T extends { raw: Uint8Array; gzip?: Uint8Array | null }>(item: T): T {
  return item.gzip ? { ...item, raw: EMPTY, gzip: exact(item.gzip) } : { ...item, raw: exact(item.raw) }
}

const EMPTY = new Uint8Array(0)

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const m = { fs: require('node:fs'), path: require('node:path'), zlib: require('node:zlib') }
const fsyncFolder = ${fsyncFolder.toString()}
const writeBlobFile = ${writeBlobFile.toString()}
const compressBody = ${compressBody.toString()}
const storedBody = ${storedBody.toString()}
const appendPackRecords = ${appendPackRecords.toString()}
const made = new Set()
const packs = new Map()
parentPort.on('message', (msg) => {
  try {
    if (msg.op === 'write') {
      parentPort.postMessage({ id: msg.id, value: msg.jobs.map((job) => writeBlobFile(m, job, made).storedSize) })
    } else if (msg.op === 'append') {
      const key = msg.writer.dir + '\0' + msg.writer.prefix
      let w = packs.get(key)
      if (!w) packs.set(key, (w = { ...msg.writer, seq: 0, fd: null, name: '', size: 0 }))
      parentPort.postMessage({ id: msg.id, value: appendPackRecords(m, w, msg.jobs, msg.quality, msg.fsync) })
    } else if (msg.op === 'release') {
      for (const w of packs.values()) if (w.fd !== null) m.fs.closeSync(w.fd)
      packs.clear()
      parentPort.postMessage({ id: msg.id, value: null })
    } else {
      const out = msg.raws.map((raw) => new Uint8Array(compressBody(m, raw, msg.quality)))
      parentPort.postMessage({ id: msg.id, value: out }, out.map((u) => u.buffer))
    }
  } catch (error) {
    parentPort.postMessage({ id: msg.id, error: { message: String(error && error.message), code: error && error.code } })
  }
})
`
