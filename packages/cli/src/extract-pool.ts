/**
 * Extraction on worker threads. `extract` is pure and CPU-bound (about 4-8 ms for a 100 KB portal page),
 * while the rest of a visit is I/O plus the archive's synchronous SQLite writes, so on a machine with more
 * than one core the runner sends each page's bytes to a small piscina pool and gets the article back,
 * leaving the main thread free to fetch and archive. A worker that dies on a page (out of memory on a
 * pathological page, a native crash) fails only that page's extraction; piscina starts a replacement.
 */
import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import type { Article, NotArticle } from '@parkwatch/extractor'
import { extract } from '@parkwatch/extractor'
import { Piscina } from 'piscina'
import { ParkwatchError } from './errors.js'
import type { ExtractReply, ExtractTask } from './extract-worker.js'

/** Heap cap of each worker unless configured: far above any real page, low enough to stop a runaway one. */
export const DEFAULT_EXTRACT_WORKER_HEAP_MB = 1024

/** Options of `createExtractPool`. */
export interface ExtractPoolOptions {
  /** Worker threads (started on the first page). @default defaultExtractThreads() */
  threads?: number
  /** Old-generation heap cap of each worker, in MB: a page that blows it kills only its worker. @default DEFAULT_EXTRACT_WORKER_HEAP_MB */
  maxHeapMb?: number
}

/** Per-page options of `ExtractPool.extract`. */
export interface PoolExtractOptions {
  url: string
  /** The Content-Type to decode with (a charset override already applied), or null. */
  contentType: string | null
  /** @default the extractor's park names */
  parkNames?: readonly string[]
}

/** A pool of extraction threads. */
export interface ExtractPool {
  /**
   * Extract one page on a worker; the same answer as `extract(bytes, options)` in this thread.
   * @throws {ExtractWorkerError} when the worker died on the page, or with the extractor's own error code
   *   when `extract` threw.
   */
  extract(bytes: Uint8Array, options: PoolExtractOptions): Promise<Article | NotArticle>
  /** Worker threads; 0 when extraction runs in this thread (no built worker script: running from sources). */
  readonly threads: number
  /** Stop the workers (pages in flight are failed). */
  close(): Promise<void>
}

/** Extraction failed on a worker thread. `code` is the extractor's when it threw, else `PARKWATCH_EXTRACT_WORKER`. */
export class ExtractWorkerError extends ParkwatchError {
  override readonly code: string
  constructor(
    /** The page being extracted. */
    readonly url: string,
    message: string,
    code = 'PARKWATCH_EXTRACT_WORKER',
    options?: ErrorOptions,
  ) {
    super(`extracting ${url}: ${message}`, options)
    this.name = 'ExtractWorkerError'
    this.code = code
  }
}

/**
 * Worker threads worth running here: one per core when there are at least two, else none (a single core
 * gains nothing from a second thread and pays for copying every page to it).
 */
export function defaultExtractThreads(): number {
  const cores = availableParallelism()
  return cores >= 2 ? cores : 0
}

/**
 * Create a pool. Workers start with the first page and stay until `close()`.
 *
 * @throws {TypeError} when `threads` or `maxHeapMb` is not a positive integer.
 * @example
 * ```ts
 * const pool = createExtractPool({ threads: 2 })
 * const article = await pool.extract(result.body, { url: result.finalUrl, contentType: result.contentType })
 * await pool.close()
 * ```
 */
export function createExtractPool(options: ExtractPoolOptions = {}): ExtractPool {
  const threads = options.threads ?? defaultExtractThreads()
  if (!Number.isInteger(threads) || threads < 1) {
    throw new TypeError(`Expected \`threads\` to be an integer >= 1, got \`${threads}\``)
  }
  const maxHeapMb = options.maxHeapMb ?? DEFAULT_EXTRACT_WORKER_HEAP_MB
  if (!Number.isInteger(maxHeapMb) || maxHeapMb < 1) {
    throw new TypeError(`Expected \`maxHeapMb\` to be an integer >= 1, got \`${maxHeapMb}\``)
  }
  const filename = workerScript()
  if (!filename) return inThreadPool()
  let pool: Piscina<ExtractTask, ExtractReply> | null = null
  let closed = false
  const start = (): Piscina<ExtractTask, ExtractReply> => {
    const p = new Piscina<ExtractTask, ExtractReply>({
      filename,
      minThreads: threads,
      maxThreads: threads,
      resourceLimits: { maxOldGenerationSizeMb: maxHeapMb },
    })
    // A worker that dies between tasks is replaced by piscina; the event must still have a listener, or
    // Node would treat it as an unhandled error and end the process.
    p.on('error', () => {})
    return p
  }
  return {
    threads,
    async extract(bytes, opts) {
      if (closed) throw new ExtractWorkerError(opts.url, 'the extraction pool is closed')
      pool ??= start()
      const task: ExtractTask = {
        bytes,
        url: opts.url,
        contentType: opts.contentType,
        ...(opts.parkNames ? { parkNames: opts.parkNames } : {}),
      }
      let reply: ExtractReply
      try {
        reply = await pool.run(task)
      } catch (cause) {
        const message = cause instanceof Error ? cause.message : String(cause)
        throw new ExtractWorkerError(opts.url, `the worker died (${message})`, undefined, { cause })
      }
      if (!reply.ok) throw new ExtractWorkerError(opts.url, reply.error.message, reply.error.code ?? undefined)
      return reply.result
    },
    async close() {
      closed = true
      const p = pool
      pool = null
      await p?.destroy()
    },
  }
}

// --- Internal helpers ---

/**
 * The compiled worker entry (CommonJS, see `extract-worker-entry.cts`), next to this module in `dist`; from
 * `src` (tests), the built one if there is one.
 */
function workerScript(): string | null {
  const here = import.meta.url
  const name = 'extract-worker-entry.cjs'
  const url = here.endsWith('.ts') ? new URL(`../dist/${name}`, here) : new URL(`./${name}`, here)
  const path = fileURLToPath(url)
  return existsSync(path) ? path : null
}

/** The pool's interface over in-thread extraction, for a checkout that was never built. */
function inThreadPool(): ExtractPool {
  return {
    threads: 0,
    async extract(bytes, opts) {
      return extract(bytes, {
        url: opts.url,
        contentType: opts.contentType,
        ...(opts.parkNames ? { parkNames: opts.parkNames } : {}),
      })
    },
    async close() {},
  }
}
