/**
 * @file `createArchive`: the archive API over any `ArchiveBackend`. It validates captures (typed errors,
 * nothing stored on bad input), normalises the page URL, stores the body in the blob store, computes the
 * content hash, and hands the backend one record to store in one transaction. `verifyArchive` checks it all.
 */
import type { Article, NotArticle } from '@parkwatch/extractor'
import { type BlobItem, canPutMany, isGzipOf } from './blobs.js'
import { BodyTooLargeError, InvalidCaptureError, InvalidHeaderError, InvalidUrlError, NotFoundError } from './errors.js'
import { contentHash, rawContentKey, searchTerms, searchTextOf, sha256Hex } from './hash.js'
import type {
  ArchiveBackend,
  ArchiveStats,
  Capture,
  CaptureInput,
  CaptureRecord,
  CaptureTiming,
  ConditionalHeaders,
  HeaderValue,
  IngestRecord,
  IngestResult,
  Page,
  PageFacets,
  PageQuery,
  PageRecord,
  SearchHit,
  SearchQuery,
  Timeline,
  VerifyIssue,
  Version,
} from './types.js'
import { checkUrl, hostOf, type NormalizeUrlOptions, normalizeUrl } from './url.js'

/** Largest body accepted unless configured: 20 MiB, well above any article page. */
export const DEFAULT_MAX_BODY_BYTES: number = 20 * 1024 * 1024

/** Options of `createArchive`. */
export interface ArchiveOptions {
  /** Where everything is stored, e.g. `sqliteBackend({ dir: './data' })`. */
  backend: ArchiveBackend
  /** Bodies larger than this are rejected with `BodyTooLargeError`. @default DEFAULT_MAX_BODY_BYTES */
  maxBodyBytes?: number
  /** How page URLs are normalised. @default {} (the `normalizeUrl` defaults) */
  url?: NormalizeUrlOptions
}

/** Result of `verifyArchive`. */
export interface VerifyReport {
  /** True when there is no issue of severity `error`. */
  ok: boolean
  issues: VerifyIssue[]
  /** Referenced blobs read back and hashed. */
  blobsChecked: number
  /**
   * Stored blobs no capture references: left by a writer killed between blob and commit or by a refused
   * batch, or stored by a batch that has not committed yet.
   */
  blobsUnreferenced: number
}

/** The archive API. URL arguments are normalised, so any form of a page's URL finds it. */
export interface Archive {
  readonly backend: ArchiveBackend
  /**
   * Store one capture and, when `article` is an article whose content hash differs from the page's newest
   * version, a new version. 304s, failed fetches and non-articles (`null` or a `NotArticle`) become
   * captures pointing at the newest version. Atomic: on any error nothing is stored.
   */
  ingest(capture: CaptureInput, article: Article | NotArticle | null): Promise<IngestResult>
  /**
   * Store several captures in one transaction where the backend supports it (SQLite, Postgres and memory
   * do): every item is validated before anything is written, and either all are stored or none. Same rules
   * as `ingest`; the fast way to load many captures (one commit, a few statements on Postgres).
   *
   * The batch's new bodies are stored first, off the main thread where the store can (the SQLite pack,
   * folder and table stores use a worker thread). Calls may overlap: a call made before the previous one has settled
   * stores its bodies meanwhile, and the calls reach the backend in call order (SQLite and memory commit
   * them in that order). A refused batch rejects alone; later ones still commit.
   */
  ingestMany(
    items: ReadonlyArray<{ capture: CaptureInput; article: Article | NotArticle | null }>,
  ): Promise<IngestResult[]>
  getPage(url: string): Promise<Page | null>
  /** A page by its numeric id (`Page.id`), or null. */
  getPageById(id: number): Promise<Page | null>
  /**
   * Pages matching every filter, newest change first: the recent-changes list. Each page carries
   * `lastChange`, how much its newest version changed.
   */
  listPages(query?: PageQuery): Promise<Page[]>
  countPages(query?: PageQuery): Promise<number>
  /** Pages, versions and captures per host, source and industry over the matching pages, in one query. */
  facets(query?: PageQuery): Promise<PageFacets>
  timeline(url: string): Promise<Timeline | null>
  getVersion(url: string, number: number): Promise<Version | null>
  getVersionById(id: number): Promise<Version | null>
  getCapture(id: number): Promise<Capture | null>
  /** The raw body of a capture (null when it had none); `NotFoundError` for an unknown capture or lost blob. */
  getBody(captureId: number): Promise<Uint8Array | null>
  /** ETag / Last-Modified to send on the next fetch of the page, or null. */
  conditionalHeaders(url: string): Promise<ConditionalHeaders | null>
  /** Full-text search; simplified and traditional script find the same versions. */
  search(query: SearchQuery): Promise<SearchHit[]>
  stats(): Promise<ArchiveStats>
  /** Same as `verifyArchive(archive)`. */
  verify(): Promise<VerifyReport>
  close(): Promise<void>
}

/**
 * Open an archive over a backend.
 *
 * @example
 * const archive = createArchive({ backend: sqliteBackend({ dir: './data' }) })
 * const res = await fetcher.fetch(url)
 * const { version, isNewVersion } = await archive.ingest(res, extract(res.body, { url }))
 */
export function createArchive(options: ArchiveOptions): Archive {
  const { backend } = options
  if (!backend || typeof backend.ingest !== 'function') {
    throw new TypeError(`Expected \`backend\` to be an ArchiveBackend, got \`${backend}\``)
  }
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 0) {
    throw new TypeError(`Expected \`maxBodyBytes\` to be an integer >= 0, got \`${maxBodyBytes}\``)
  }
  const urlOptions = options.url ?? {}
  const transactionalBodies = backend.flags.transactionalBodies === true
  // Scrapers re-capture the same URLs over and over; normalising is pure, so remember recent answers.
  const urlCache = new Map<string, string>()
  const norm = (url: string): string => {
    const hit = urlCache.get(url)
    if (hit !== undefined) return hit
    const out = normalizeUrl(url, urlOptions)
    if (urlCache.size >= URL_CACHE_SIZE) urlCache.delete(urlCache.keys().next().value as string)
    urlCache.set(url, out)
    return out
  }

  /** Validate and hash one item; nothing is written. */
  const prepare = (input: CaptureInput, article: Article | NotArticle | null): Prepared => {
    const { page, capture, body } = validateCapture(input, { maxBodyBytes, normalize: norm })
    if (article !== null && article !== undefined && article.type !== 'article' && article.type !== 'not-article') {
      throw new InvalidCaptureError('article', 'expected an Article, a NotArticle or null')
    }
    const art = article?.type === 'article' ? article : null
    let hash: string | undefined
    let rawKey: string | undefined
    let bytes: Uint8Array | null = null
    let gzip: Uint8Array | null = null
    if (body !== null) {
      // A string body is encoded once into a reused buffer, hashed there, and copied out only when the blob
      // store does not already hold it: an unchanged re-capture allocates nothing for its body.
      const view = typeof body === 'string' ? utf8View(body) : body
      const hash = sha256Hex(view)
      capture.bodyHash = hash
      capture.bodySize = view.byteLength
      if (view.byteLength > maxBodyBytes) throw new BodyTooLargeError(view.byteLength, maxBodyBytes)
      if (!backend.blobs.knows?.(hash)) {
        bytes = view === body ? view : view.slice()
        if (input.bodyGzip && view === body && isGzipOf(input.bodyGzip, view)) gzip = input.bodyGzip
      }
    }
    const record: IngestRecord = {
      page,
      capture,
      version: art && {
        // Computed on first use: a backend that finds the content identical to the newest version's
        // (`sameContent`, the usual unchanged re-capture) never needs it.
        get contentHash(): string {
          hash ??= contentHash(art)
          return hash
        },
        get rawKey(): string {
          rawKey ??= rawContentKey(art)
          return rawKey
        },
        title: art.title,
        article: art,
        searchText: () => searchTextOf(art),
        industries: [...new Set(art.industries.map((m) => m.industry))],
        publishedAt: art.publishedAt,
      },
    }
    if (transactionalBodies && capture.bodyHash !== null) record.body = { hash: capture.bodyHash, bytes, gzip }
    return { record, bytes, gzip }
  }

  // Unless the backend stores bodies in its own transaction, the blob goes first: if the process dies before
  // the metadata commits, an unreferenced blob is left (verify reports it as a warning), never a capture
  // pointing at a missing blob.
  const putBody = async ({ record, bytes, gzip }: Prepared): Promise<void> => {
    const hash = record.capture.bodyHash
    if (transactionalBodies || bytes === null || hash === null) return
    await backend.blobs.put(hash, bytes, gzip)
  }

  // The body phase of `ingestMany`: the batch's new bodies, stored before its records are handed to the
  // backend (off the main thread when the store has `putMany`). Undefined when there is nothing to store.
  const storeBodies = (prepared: readonly Prepared[]): Promise<void> | undefined => {
    if (transactionalBodies) return undefined
    const { blobs } = backend
    if (!canPutMany(blobs)) {
      return (async () => {
        for (const item of prepared) await putBody(item)
      })()
    }
    const bodies: BlobItem[] = []
    for (const { record, bytes, gzip } of prepared) {
      const hash = record.capture.bodyHash
      if (bytes !== null && hash !== null) bodies.push({ hash, raw: bytes, gzip })
    }
    return bodies.length === 0 ? undefined : blobs.putMany(bodies)
  }
  // Settles once the latest `ingestMany` call has handed its records to the backend (or failed): each call
  // waits for the one before, so calls reach the backend, and commit, in call order.
  let handedOver: Promise<void> = Promise.resolve()

  const archive: Archive = {
    backend,

    async ingest(input, article) {
      // Everything that can reject bad input runs before the first write.
      const item = prepare(input, article)
      await putBody(item)
      return backend.ingest(item.record)
    },

    async ingestMany(items) {
      const prepared = items.map((i) => prepare(i.capture, i.article))
      const records = prepared.map((p) => p.record)
      // Pipelined: this batch's bodies are stored while earlier batches are still on their way (their bodies
      // or their transaction); its records go to the backend once its bodies are in place and the earlier
      // batch's records went. No transaction is open meanwhile: a batch is one synchronous transaction on
      // SQLite. A refused batch stores no record, at most unreferenced blobs (see `verifyArchive`).
      const bodies = storeBodies(prepared)
      bodies?.catch(() => {})
      const before = handedOver
      let handOver!: () => void
      handedOver = new Promise((resolve) => {
        handOver = resolve
      })
      try {
        await before
        await bodies
        if (backend.ingestMany) return backend.ingestMany(records)
        const out: IngestResult[] = []
        for (const record of records) out.push(await backend.ingest(record))
        return out
      } finally {
        handOver()
      }
    },

    // async everywhere: a bad URL or query must reject the promise, not throw at the call site.
    getPage: async (url) => backend.getPage(norm(url)),
    getPageById: async (id) => backend.getPageById(checkId(id)),
    listPages: async (query = {}) => backend.listPages(checkQuery(query)),
    countPages: async (query = {}) => backend.countPages(checkQuery(query)),
    facets: async (query = {}) => backend.facets(checkQuery(query)),
    timeline: async (url) => backend.timeline(norm(url)),
    getVersion: async (url, number) => backend.getVersion(norm(url), number),
    getVersionById: async (id) => backend.getVersionById(checkId(id)),
    getCapture: async (id) => backend.getCapture(checkId(id)),

    async getBody(captureId) {
      const capture = await backend.getCapture(captureId)
      if (!capture) throw new NotFoundError('capture', captureId)
      if (capture.bodyHash === null) return null
      const body = await backend.blobs.get(capture.bodyHash)
      if (!body) throw new NotFoundError('blob', capture.bodyHash)
      return body
    },

    conditionalHeaders: async (url) => backend.conditionalHeaders(norm(url)),

    async search(query) {
      const terms = searchTerms(query.text ?? '')
      if (terms.length === 0) return []
      const limit = query.limit ?? 20
      if (!Number.isInteger(limit) || limit < 1)
        throw new TypeError(`Expected \`limit\` to be an integer >= 1, got \`${limit}\``)
      return backend.search({ ...query, text: terms.join(' '), limit })
    },

    stats: () => backend.stats(),
    verify: () => verifyArchive(archive),
    async close() {
      // Batches still storing their bodies reach the backend first; it writes them before it closes.
      await handedOver
      return backend.close()
    },
  }
  return archive
}

/**
 * Check an archive: every referenced blob is read back, decompressed and hashed against its name and the
 * size its capture recorded; every reference between pages, captures and versions is checked by the
 * backend. It reports and never repairs. Unreferenced blobs (left by a writer killed after writing the blob
 * and before committing the capture, or by a refused `ingestMany` batch, or stored by a batch still in
 * flight) are warnings: harmless, and reused if the same body comes again.
 * This is what `parkwatch archive verify` runs.
 *
 * @example
 * const report = await verifyArchive(archive)
 * if (!report.ok) for (const i of report.issues) console.error(i.kind, i.message)
 */
export async function verifyArchive(target: Archive | ArchiveBackend): Promise<VerifyReport> {
  const backend = 'backend' in target ? target.backend : target
  const issues: VerifyIssue[] = [...(await backend.checkReferences())]
  const referenced = new Set<string>()
  let blobsChecked = 0
  for await (const { hash, size } of backend.blobRefs()) {
    referenced.add(hash)
    blobsChecked++
    let raw: Uint8Array | null
    try {
      raw = await backend.blobs.get(hash)
    } catch (error) {
      issues.push({ severity: 'error', kind: 'blob-corrupt', message: String(error), ref: hash })
      continue
    }
    if (raw === null) {
      issues.push({
        severity: 'error',
        kind: 'blob-missing',
        message: `blob ${hash} is referenced but missing`,
        ref: hash,
      })
    } else if (sha256Hex(raw) !== hash) {
      issues.push({
        severity: 'error',
        kind: 'blob-corrupt',
        message: `blob ${hash} does not match its hash`,
        ref: hash,
      })
    } else if (raw.byteLength !== size) {
      issues.push({
        severity: 'error',
        kind: 'blob-corrupt',
        message: `blob ${hash} has ${raw.byteLength} bytes, its capture recorded ${size}`,
        ref: hash,
      })
    }
  }
  let blobsUnreferenced = 0
  for await (const { hash } of backend.blobs.list()) {
    if (referenced.has(hash)) continue
    blobsUnreferenced++
    issues.push({
      severity: 'warning',
      kind: 'blob-unreferenced',
      message: `blob ${hash} is not referenced`,
      ref: hash,
    })
  }
  return { ok: !issues.some((i) => i.severity === 'error'), issues, blobsChecked, blobsUnreferenced }
}

// --- Internal helpers ---

function checkId(id: number): number {
  if (!Number.isSafeInteger(id)) throw new TypeError(`Expected an integer id, got \`${String(id)}\``)
  return id
}

function checkQuery(query: PageQuery): PageQuery {
  for (const key of ['limit', 'offset', 'minVersions'] as const) {
    const v = query[key]
    if (v !== undefined && (!Number.isInteger(v) || v < 0)) {
      throw new TypeError(`Expected \`${key}\` to be an integer >= 0, got \`${v}\``)
    }
  }
  for (const key of ['publishedFrom', 'publishedTo', 'changedSince'] as const) {
    const v = query[key]
    if (v !== undefined && Number.isNaN(new Date(v).getTime())) {
      throw new TypeError(`Expected \`${key}\` to be a date, got \`${String(v)}\``)
    }
  }
  return query
}

const URL_CACHE_SIZE = 10_000

interface Prepared {
  record: IngestRecord
  /** The raw body to store, or null when there is none or the blob store already holds it. */
  bytes: Uint8Array | null
  /** `CaptureInput.bodyGzip` when its trailer matches `bytes` (see `isGzipOf`), else null. */
  gzip: Uint8Array | null
}

const encoder = new TextEncoder()
/** Reused for encoding string bodies (grown as needed, up to `SCRATCH_MAX`). */
let scratch = new Uint8Array(64 * 1024)
const SCRATCH_MAX = 8 * 1024 * 1024

/** A string as UTF-8 bytes: a view of the shared scratch buffer (valid until the next call), or a new array. */
function utf8View(text: string): Uint8Array {
  // UTF-8 needs at most 3 bytes per UTF-16 unit.
  const need = text.length * 3
  if (need > SCRATCH_MAX) return encoder.encode(text)
  if (need > scratch.byteLength) scratch = new Uint8Array(Math.max(need, scratch.byteLength * 2))
  const { written } = encoder.encodeInto(text, scratch)
  return scratch.subarray(0, written)
}

/** Total size of all header names and values accepted for one capture. */
const MAX_HEADER_BYTES = 256 * 1024
const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
// CR, LF and NUL would let a stored header forge others when it is replayed (WARC export, conditional GET).
const BAD_VALUE_CHAR_RE = /[\r\n\0]/
const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

interface ValidatedCapture {
  page: PageRecord
  capture: CaptureRecord
  /** The body as given; a string's UTF-8 size is checked against the limit only when it could exceed it. */
  body: Uint8Array | string | null
}

/** Check every field of a capture and turn it into records; throws a typed error on the first bad field. */
function validateCapture(
  input: CaptureInput,
  opts: { maxBodyBytes: number; normalize: (url: string) => string },
): ValidatedCapture {
  if (typeof input !== 'object' || input === null) throw new InvalidCaptureError('capture', 'expected an object')
  if (typeof input.url !== 'string') throw new InvalidUrlError(String(input.url), 'not a string')
  const url = opts.normalize(input.url)
  const host = hostOf(url)
  const source = input.source ?? host
  if (typeof source !== 'string' || source === '')
    throw new InvalidCaptureError('source', 'expected a non-empty string')

  const fetchedMs = input.fetchedAt instanceof Date ? input.fetchedAt.getTime() : new Date(input.fetchedAt).getTime()
  if (!Number.isFinite(fetchedMs)) throw new InvalidCaptureError('fetchedAt', `not a date: ${String(input.fetchedAt)}`)
  const status = input.status ?? null
  if (status !== null && (!Number.isInteger(status) || status < 100 || status > 599)) {
    throw new InvalidCaptureError('status', `expected an integer 100-599 or null, got ${status}`)
  }
  const method = input.method ?? 'http'
  if (method !== 'http' && method !== 'browser') throw new InvalidCaptureError('method', `expected http or browser`)

  const headers = checkHeaders(input.headers ?? {})
  const finalUrl = input.finalUrl == null ? null : checkUrl(input.finalUrl, 'finalUrl')
  const redirects = (input.redirects ?? []).map((u) => checkUrl(u, 'redirects'))

  let body: Uint8Array | string | null = null
  if (input.body != null) {
    if (typeof input.body === 'string') {
      // Measured, not encoded, when it might be too big: a huge string must not be copied just to find out.
      // Up to a third of the limit in UTF-16 units it cannot be (3 bytes per unit at most).
      if (input.body.length * 3 > opts.maxBodyBytes) {
        const size = Buffer.byteLength(input.body, 'utf8')
        if (size > opts.maxBodyBytes) throw new BodyTooLargeError(size, opts.maxBodyBytes)
      }
      body = input.body
    } else if (input.body instanceof Uint8Array) {
      if (input.body.byteLength > opts.maxBodyBytes)
        throw new BodyTooLargeError(input.body.byteLength, opts.maxBodyBytes)
      body = input.body
    } else {
      throw new InvalidCaptureError('body', 'expected a Uint8Array, a string or null')
    }
  }
  if (input.bodyGzip != null && !(input.bodyGzip instanceof Uint8Array))
    throw new InvalidCaptureError('bodyGzip', 'expected a Uint8Array or null')

  const error = checkError(input.error)
  const outcome = status === 304 ? 'not-modified' : error !== null || status === null ? 'failed' : 'ok'
  const find = (name: string): string | null => headers.find(([n]) => n === name)?.[1] ?? null
  return {
    page: { url, host, source },
    capture: {
      requestedUrl: input.url,
      finalUrl,
      redirects,
      method,
      outcome,
      status,
      headers,
      etag: find('etag'),
      lastModified: find('last-modified'),
      fetchedAt: new Date(fetchedMs).toISOString(),
      timing: checkTiming(input.timing ?? null),
      error,
      bodyHash: null,
      bodySize: null,
    },
    body,
  }
}

function checkHeaders(raw: NonNullable<CaptureInput['headers']>): Array<[string, string]> {
  const pairs: Array<[string, string | Uint8Array]> = []
  if (Array.isArray(raw)) {
    for (const pair of raw as ReadonlyArray<readonly [string, string | Uint8Array]>) pairs.push([pair[0], pair[1]])
  } else if (typeof raw === 'object' && raw !== null) {
    for (const [name, value] of Object.entries(raw as Readonly<Record<string, HeaderValue>>)) {
      if (Array.isArray(value)) for (const v of value as ReadonlyArray<string | Uint8Array>) pairs.push([name, v])
      else pairs.push([name, value as string | Uint8Array])
    }
  } else {
    throw new InvalidHeaderError('(headers)', 'expected an object or an array of [name, value] pairs')
  }
  let total = 0
  return pairs.map(([name, value]) => {
    if (typeof name !== 'string' || !TOKEN_RE.test(name))
      throw new InvalidHeaderError(String(name), 'name is not an HTTP token')
    let text: string
    if (typeof value === 'string') {
      text = value
    } else if (value instanceof Uint8Array) {
      try {
        text = utf8.decode(value)
      } catch (cause) {
        throw new InvalidHeaderError(name, 'value is not valid UTF-8', { cause })
      }
    } else {
      throw new InvalidHeaderError(name, 'value must be a string or bytes')
    }
    if (LONE_SURROGATE_RE.test(text)) throw new InvalidHeaderError(name, 'value is not valid UTF-16 (lone surrogate)')
    if (BAD_VALUE_CHAR_RE.test(text)) throw new InvalidHeaderError(name, 'value contains CR, LF or NUL')
    total += name.length + text.length
    if (total > MAX_HEADER_BYTES) throw new InvalidHeaderError(name, `headers exceed ${MAX_HEADER_BYTES} characters`)
    return [name.toLowerCase(), text.trim()]
  })
}

function checkTiming(timing: CaptureTiming | null): CaptureTiming | null {
  if (timing === null) return null
  if (typeof timing !== 'object') throw new InvalidCaptureError('timing', 'expected an object or null')
  const out: CaptureTiming = {}
  for (const key of ['totalMs', 'ttfbMs', 'dnsMs', 'connectMs'] as const) {
    const v = timing[key]
    if (v === undefined) continue
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new InvalidCaptureError(`timing.${key}`, `expected a finite number >= 0, got ${String(v)}`)
    }
    out[key] = v
  }
  return out
}

function checkError(error: CaptureInput['error']): string | null {
  if (error == null) return null
  if (typeof error === 'string') return error
  if (typeof error === 'object' && typeof error.message === 'string') {
    return error.code ? `${error.code}: ${error.message}` : error.message
  }
  throw new InvalidCaptureError('error', 'expected a string, { code?, message } or null')
}
