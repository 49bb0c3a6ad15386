/**
 * @file Writing blob files for `folderBlobStore`: `writeBlobFile` stores one body (compress, write to a
 * temporary name, rename into place), and `blobWriterThread` runs it for batches on a worker thread, so an
 * ingest transaction goes on while its bodies are compressed and written.
 *
 * `writeBlobFile` is self-contained (the modules it needs come in as arguments): the worker's code is its
 * source text, so the thread and the main thread write blobs with the very same function, and the worker
 * needs no file of its own (which would not exist when the archive runs from its TypeScript sources).
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { Worker } from 'node:worker_threads'
import * as zlib from 'node:zlib'

/** What `writeBlobFile` needs from Node. */
export interface BlobFileModules {
  fs: typeof fs
  path: typeof path
  zlib: typeof zlib
}

/** One body to store. */
export interface BlobFileJob {
  /** The blob folder (`<dir>/ab/cd/<hash>.br`). */
  dir: string
  hash: string
  raw: Uint8Array
  /** A fresh name in `<dir>/.tmp` for the partial file. */
  tmp: string
  quality: number
  fsync: boolean
}

/**
 * Store one body unless its file exists: brotli, written under `job.tmp`, renamed into place (a reader or a
 * process killed mid-write never sees a partial blob under its final name). Returns whether it wrote the
 * file and the stored size. Synchronous, and uses nothing but its arguments (see the file comment).
 */
export function writeBlobFile(m: BlobFileModules, job: BlobFileJob): { created: boolean; storedSize: number } {
  const folder = m.path.join(job.dir, job.hash.slice(0, 2), job.hash.slice(2, 4))
  const target = m.path.join(folder, `${job.hash}.br`)
  const existing = m.fs.statSync(target, { throwIfNoEntry: false })
  if (existing) return { created: false, storedSize: existing.size }
  const data = m.zlib.brotliCompressSync(job.raw, {
    params: {
      [m.zlib.constants.BROTLI_PARAM_QUALITY]: job.quality,
      [m.zlib.constants.BROTLI_PARAM_SIZE_HINT]: job.raw.byteLength,
    },
  })
  m.fs.mkdirSync(folder, { recursive: true })
  const fd = m.fs.openSync(job.tmp, 'wx')
  try {
    let off = 0
    while (off < data.byteLength) off += m.fs.writeSync(fd, data, off)
    if (job.fsync) m.fs.fsyncSync(fd)
  } finally {
    m.fs.closeSync(fd)
  }
  m.fs.renameSync(job.tmp, target)
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

/** The modules of this thread, for `writeBlobFile`. */
export const BLOB_FILE_MODULES: BlobFileModules = { fs, path, zlib }

/** A worker thread that writes batches of blob files. */
export interface BlobWriterThread {
  /** Store every job (in order); resolves with each one's stored size, or rejects with the first failure. */
  write(jobs: readonly BlobFileJob[]): Promise<number[]>
  /** Stop the thread (batches in flight reject). */
  close(): Promise<void>
}

/**
 * Start a blob-writing worker thread. It does not keep the process alive (`unref`) and is restarted by the
 * next batch if it dies.
 */
export function blobWriterThread(): BlobWriterThread {
  let worker: Worker | null = null
  let nextId = 0
  const pending = new Map<number, { resolve: (sizes: number[]) => void; reject: (error: Error) => void }>()
  const fail = (error: Error): void => {
    for (const p of pending.values()) p.reject(error)
    pending.clear()
    worker = null
  }
  const start = (): Worker => {
    const w = new Worker(WORKER_SOURCE, { eval: true })
    w.unref()
    w.on('message', (msg: { id: number; sizes?: number[]; error?: { message: string; code?: string } }) => {
      const p = pending.get(msg.id)
      if (!p) return
      pending.delete(msg.id)
      if (msg.sizes) p.resolve(msg.sizes)
      else p.reject(Object.assign(new Error(msg.error?.message ?? 'blob writer failed'), { code: msg.error?.code }))
    })
    w.on('error', (error) => {
      if (worker === w) fail(error)
    })
    w.on('exit', (code) => {
      if (worker === w) fail(new Error(`the blob writer thread exited (code ${code})`))
    })
    return w
  }
  return {
    write(jobs) {
      return new Promise((resolve, reject) => {
        worker ??= start()
        const id = nextId++
        pending.set(id, { resolve, reject })
        worker.postMessage({ id, jobs })
      })
    },
    async close() {
      const w = worker
      worker = null
      if (w) {
        fail(new Error('the blob writer thread was closed'))
        await w.terminate()
      }
    },
  }
}

// --- Internal helpers ---

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const m = { fs: require('node:fs'), path: require('node:path'), zlib: require('node:zlib') }
const writeBlobFile = ${writeBlobFile.toString()}
parentPort.on('message', ({ id, jobs }) => {
  try {
    parentPort.postMessage({ id, sizes: jobs.map((job) => writeBlobFile(m, job).storedSize) })
  } catch (error) {
    parentPort.postMessage({ id, error: { message: String(error && error.message), code: error && error.code } })
  }
})
`
