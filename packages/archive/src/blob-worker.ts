/**
 * @file Body storage off the main thread. `writeBlobFile` stores one body in a folder store (compress, write
 * to a temporary name, rename into place); `blobWorker` runs it, or plain compression for the database
 * store, for a whole batch on a worker thread, so `archive.ingestMany` can compress and write a batch's
 * bodies while the main thread prepares or commits other batches.
 *
 * `writeBlobFile` and `compressBody` use nothing but their arguments (the modules they need) and each other: the
 * worker's code is their source text, so the worker and the main thread store bodies with the very same
 * functions, and the worker needs no file of its own (which would not exist when the archive runs from its
 * TypeScript sources, as in the tests).
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
  /** The blob folder (the file goes to `<dir>/ab/cd/<hash>.br`). */
  dir: string
  hash: string
  raw: Uint8Array
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
 * Store one body unless its file exists: brotli, written under `job.tmp`, renamed into place (a reader, or a
 * process killed mid-write, never sees a partial blob under its final name). `made` remembers the fan-out
 * folders already created (a `mkdir` per body costs as much as writing it on some file systems); one that
 * has gone since is made again. Returns whether it wrote the file and the stored size. Synchronous, and uses
 * nothing but its arguments and `compressBody` (see the file comment).
 */
export function writeBlobFile(
  m: BlobModules,
  job: BlobFileJob,
  made: Set<string> | null,
): { created: boolean; storedSize: number } {
  const folder = m.path.join(job.dir, job.hash.slice(0, 2), job.hash.slice(2, 4))
  const target = m.path.join(folder, `${job.hash}.br`)
  const existing = m.fs.statSync(target, { throwIfNoEntry: false })
  if (existing) return { created: false, storedSize: existing.size }
  const data = compressBody(m, job.raw, job.quality)
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
  if (job.fsync) {
    const dirFd = m.fs.openSync(folder, 'r')
    try {
      m.fs.fsyncSync(dirFd)
    } finally {
      m.fs.closeSync(dirFd)
    }
  }
  return { created: true, storedSize: data.byteLength }
}

/** A worker thread that stores or compresses batches of bodies. */
export interface BlobWorker {
  /** Store every job (in order) with `writeBlobFile`; resolves with each one's stored size, or rejects. */
  write(jobs: readonly BlobFileJob[]): Promise<number[]>
  /** Compress every body with `compressBody`; resolves with the compressed bytes, in order. */
  compress(raws: readonly Uint8Array[], quality: number): Promise<Uint8Array[]>
  /** Stop the thread once the batches sent to it are done. */
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
    write: (jobs) => send({ op: 'write', jobs: jobs.map((j) => ({ ...j, raw: exact(j.raw) })) }),
    compress: (raws, quality) => send({ op: 'compress', raws: raws.map(exact), quality }),
    async close() {
      // Let the batches in flight finish; `terminate` would fail them.
      await Promise.all([...inflight])
      const w = worker
      worker = null
      await w?.terminate()
    },
  }
}

// --- Internal helpers ---

interface Request {
  id: number
  op: 'write' | 'compress'
  jobs?: BlobFileJob[]
  raws?: Uint8Array[]
  quality?: number
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

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const m = { fs: require('node:fs'), path: require('node:path'), zlib: require('node:zlib') }
const writeBlobFile = ${writeBlobFile.toString()}
const compressBody = ${compressBody.toString()}
const made = new Set()
parentPort.on('message', (msg) => {
  try {
    if (msg.op === 'write') {
      parentPort.postMessage({ id: msg.id, value: msg.jobs.map((job) => writeBlobFile(m, job, made).storedSize) })
    } else {
      const out = msg.raws.map((raw) => new Uint8Array(compressBody(m, raw, msg.quality)))
      parentPort.postMessage({ id: msg.id, value: out }, out.map((u) => u.buffer))
    }
  } catch (error) {
    parentPort.postMessage({ id: msg.id, error: { message: String(error && error.message), code: error && error.code } })
  }
})
`
