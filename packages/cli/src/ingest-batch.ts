/**
 * Batched archive writes. On SQLite every `archive.ingest` is a transaction of its own, and its commit is a
 * fixed cost per capture; `archive.ingestMany` stores several captures in one transaction. The batcher
 * gives each visit the same one-capture `ingest` call, collects the captures that arrive within
 * `maxWaitMs` of the first (or until `maxBatch` of them, or until every visit in progress is waiting on its
 * write), and writes them with one `ingestMany`. A visit's promise still settles only when its own capture
 * is stored, so the runner completes a frontier row only after its capture is safe, exactly as with single
 * writes. When a batch is refused (one bad capture fails the whole transaction, and nothing of it is
 * stored), its captures are written again one by one, so only the bad one fails.
 */
import type { Archive, CaptureInput, IngestResult } from '@parkwatch/archive'
import type { Article, NotArticle } from '@parkwatch/extractor'

/** Captures written at once unless configured. */
export const DEFAULT_INGEST_BATCH = 64
/**
 * How long the first capture of a batch waits for others unless configured, in ms. A commit costs the
 * archive's thread far more than the wait costs a visit (which only completes later): with 5 ms the scraper
 * benchmark (2 cores, ~100 pages/s) wrote batches of 2-4 captures whenever the event loop kept up, and spent
 * 1-1.5 ms more main-thread CPU per page than with 200 ms. A batch no visit could still join is written at
 * once (see `IngestWriter.enter`).
 */
export const DEFAULT_INGEST_WAIT_MS = 200

/** Options of `createIngestBatcher`. */
export interface IngestBatcherOptions {
  /** Most captures per transaction; 1 writes each capture on its own. @default DEFAULT_INGEST_BATCH */
  maxBatch?: number
  /** Longest wait for a batch to fill, in ms. @default DEFAULT_INGEST_WAIT_MS */
  maxWaitMs?: number
}

/** The one-capture write a visit makes. */
export interface IngestWriter {
  /** Same contract as `Archive.ingest`. */
  ingest(capture: CaptureInput, article: Article | NotArticle | null): Promise<IngestResult>
  /** Write what is waiting now. */
  flush(): Promise<void>
  /**
   * Count a visit that may write through this writer, from its start; call the returned function when it
   * ends. Once every counted visit is waiting on its write, the batch is written at once: nothing else can
   * join it, so waiting out `maxWaitMs` would only hold the visits up.
   */
  enter?(): () => void
}

/**
 * Batch the writes made to `archive`.
 *
 * @throws {TypeError} when `maxBatch` or `maxWaitMs` is out of range.
 * @example
 * ```ts
 * const writer = createIngestBatcher(archive)
 * const result = await writer.ingest(capture, article) // stored, with up to 63 others, in one transaction
 * ```
 */
export function createIngestBatcher(archive: Archive, options: IngestBatcherOptions = {}): IngestWriter {
  const maxBatch = options.maxBatch ?? DEFAULT_INGEST_BATCH
  if (!Number.isInteger(maxBatch) || maxBatch < 1) {
    throw new TypeError(`Expected \`maxBatch\` to be an integer >= 1, got \`${maxBatch}\``)
  }
  const maxWaitMs = options.maxWaitMs ?? DEFAULT_INGEST_WAIT_MS
  if (!Number.isFinite(maxWaitMs) || maxWaitMs < 0) {
    throw new TypeError(`Expected \`maxWaitMs\` to be a number >= 0, got \`${maxWaitMs}\``)
  }
  let pending: Pending[] = []
  let timer: NodeJS.Timeout | null = null
  // Visits counted by `enter` that have not ended yet.
  let active = 0
  // One batch at a time, although `archive.ingestMany` accepts calls in flight: a refused batch is written
  // again capture by capture before the next batch goes, so captures are stored in the order they came. The
  // archive stores a batch's bodies off the main thread anyway; a second batch in flight would only overlap
  // that with a commit of a few dozen captures.
  let writing: Promise<void> = Promise.resolve()

  const flush = (): Promise<void> => {
    if (timer) clearTimeout(timer)
    timer = null
    const batch = pending
    pending = []
    if (batch.length === 0) return writing
    writing = writing.then(() => write(archive, batch))
    return writing
  }
  const allWaiting = (): boolean => active > 0 && pending.length >= active

  return {
    ingest(capture, article) {
      if (maxBatch === 1) return archive.ingest(capture, article)
      return new Promise<IngestResult>((resolve, reject) => {
        pending.push({ item: { capture, article }, resolve, reject })
        if (pending.length >= maxBatch || allWaiting()) void flush()
        else timer ??= setTimeout(flush, maxWaitMs)
      })
    },
    flush,
    enter() {
      active++
      let left = false
      return () => {
        if (left) return
        left = true
        active--
        if (pending.length > 0 && allWaiting()) void flush()
      }
    },
  }
}

// --- Internal helpers ---

interface Pending {
  item: { capture: CaptureInput; article: Article | NotArticle | null }
  resolve: (result: IngestResult) => void
  reject: (error: unknown) => void
}

/** Write one batch and settle every promise in it; never rejects. */
async function write(archive: Archive, batch: Pending[]): Promise<void> {
  if (batch.length > 1) {
    try {
      const results = await archive.ingestMany(batch.map((p) => p.item))
      batch.forEach((p, i) => {
        p.resolve(results[i] as IngestResult)
      })
      return
    } catch {
      // Nothing of the batch was stored: write each capture alone so only the bad one fails.
    }
  }
  for (const p of batch) {
    try {
      p.resolve(await archive.ingest(p.item.capture, p.item.article))
    } catch (error) {
      p.reject(error)
    }
  }
}
