/**
 * @file The archive's data model (page, capture, version) and the `ArchiveBackend` / `BlobStore` interfaces
 * that every storage backend implements. `createArchive` does the validation, URL normalisation, hashing
 * and script folding; a backend receives ready-made records and only stores and queries them.
 */
import type { Article, Industry } from '@parkwatch/extractor'
import type { MetadataField } from './diff.js'

/** How a capture was fetched. */
export type FetchMethod = 'http' | 'browser'

/**
 * What a capture's fetch produced: `ok` (a response with a body, any status), `not-modified` (HTTP 304)
 * or `failed` (no usable response: network error, timeout, blocked).
 */
export type CaptureOutcome = 'ok' | 'not-modified' | 'failed'

/** Fetch timing in milliseconds; every field optional because not every fetcher measures all of them. */
export interface CaptureTiming {
  /** Whole fetch, first byte sent to last byte read. */
  totalMs?: number
  /** Time to the response headers. */
  ttfbMs?: number
  /** DNS lookup. */
  dnsMs?: number
  /** TCP + TLS connect. */
  connectMs?: number
}

/** A header value as a fetcher hands it over: text, raw bytes (checked to be UTF-8), or repeated values. */
export type HeaderValue = string | Uint8Array | ReadonlyArray<string | Uint8Array>

/**
 * One fetch of a page, as the scraper hands it to `archive.ingest`. Only `url` and `fetchedAt` are required;
 * a capture without `status` (or with `error`) is a failed fetch, status 304 is "not modified".
 */
export interface CaptureInput {
  /** The URL that was requested; normalised into the page URL. */
  url: string
  /** The source (feed or site id) the page came from. @default the page's host */
  source?: string | null
  /** The URL after redirects. @default null (no redirect) */
  finalUrl?: string | null
  /** Every URL of the redirect chain, in order, not counting `url` itself. @default [] */
  redirects?: readonly string[]
  /** How it was fetched. @default 'http' */
  method?: FetchMethod
  /** HTTP status, or null when no response arrived. @default null */
  status?: number | null
  /** Response headers (names are case-insensitive; arrays are repeated headers). @default {} */
  headers?: Readonly<Record<string, HeaderValue>> | ReadonlyArray<readonly [string, string | Uint8Array]>
  /** The raw response body. Strings are stored as UTF-8. @default null */
  body?: Uint8Array | string | null
  /**
   * The body as it came when the response had `Content-Encoding: gzip`: one gzip member that decodes to
   * `body`. A blob store that keeps a coding per body (the SQLite backend's packs, its default) stores these
   * bytes as they are instead of compressing `body` again, as a WARC record keeps the bytes sent. Used only
   * when `body` is bytes and the member's trailer matches them (CRC-32 and size); ignored otherwise.
   * @default null
   */
  bodyGzip?: Uint8Array | null
  /** When the fetch happened (Date, ISO string or epoch ms). */
  fetchedAt: Date | string | number
  /** Fetch timing. @default null */
  timing?: CaptureTiming | null
  /** Why the fetch failed, when it did. @default null */
  error?: string | { code?: string; message: string } | null
}

/** A page: one canonical URL and what the archive knows about it. */
export interface Page {
  id: number
  /** Canonical URL (see `normalizeUrl`). */
  url: string
  /** Lower-case host, with the port when it is not the default (`URL.host`). */
  host: string
  /** Source id the page was first captured from. */
  source: string
  /** Captured for the first time (ISO-8601 UTC). */
  firstCapturedAt: string
  /** Captured most recently (ISO-8601 UTC). */
  lastCapturedAt: string
  /** When the newest version was first seen, or null when no capture ever yielded an article. */
  lastChangedAt: string | null
  captureCount: number
  versionCount: number
  /** Title of the newest version, or null. */
  title: string | null
  /** `publishedAt` of the newest version, or null. */
  publishedAt: string | null
  /** Industries of the newest version. */
  industries: Industry[]
  /** How much the newest version changed against the one before it (null when the page has no version). */
  lastChange: VersionChange | null
}

/**
 * How much a version changed against the version before it: the `summary` of `diffVersions(previous,
 * version)` with the default options, computed once at ingest and stored with the version. Characters are
 * Unicode code points of the body (paragraph texts); metadata changes are listed by field. Version 1 has no
 * previous version: all of its body counts as added and `metadata` is empty.
 */
export interface VersionChange {
  charsAdded: number
  charsRemoved: number
  paragraphsAdded: number
  paragraphsRemoved: number
  /** Edited in place. */
  paragraphsChanged: number
  /** Moved (and possibly edited). */
  paragraphsMoved: number
  paragraphsUnchanged: number
  /** The metadata fields that differ (`title`, `byline`, `publishedAt`, …). */
  metadata: MetadataField[]
}

/** One stored fetch of a page. */
export interface Capture {
  id: number
  pageId: number
  /** The page's canonical URL. */
  url: string
  /** The URL as requested (before normalisation). */
  requestedUrl: string
  finalUrl: string | null
  redirects: string[]
  method: FetchMethod
  outcome: CaptureOutcome
  status: number | null
  /** Response headers in received order, names lower-cased. */
  headers: Array<[string, string]>
  etag: string | null
  lastModified: string | null
  /** ISO-8601 UTC. */
  fetchedAt: string
  timing: CaptureTiming | null
  /** `code: message` or just the message of a failed fetch. */
  error: string | null
  /** SHA-256 (hex) of the raw body, null when there was no body. */
  bodyHash: string | null
  /** Raw body length in bytes, null when there was no body. */
  bodySize: number | null
  /** The version this capture saw (for 304 and failures: the page's newest version at the time). */
  versionId: number | null
  versionNumber: number | null
}

/** One version of a page: the extracted article as of the capture that first saw it. */
export interface Version {
  id: number
  pageId: number
  url: string
  /** 1, 2, 3 … per page. */
  number: number
  /** SHA-256 (hex) of the normalised content (see `contentHash`). */
  contentHash: string
  /** The capture that first produced this version. */
  captureId: number
  /** `fetchedAt` of that capture (ISO-8601 UTC). */
  createdAt: string
  title: string
  article: Article
  /** How much this version changed against the previous one (see `VersionChange`). */
  change: VersionChange
}

/** A page's history: captures and versions in time order. */
export interface Timeline {
  page: Page
  /** Oldest first. */
  captures: Capture[]
  /** Oldest (v1) first. */
  versions: Version[]
}

/** Result of `archive.ingest`. */
export interface IngestResult {
  page: Page
  capture: Capture
  /** The version the capture points at (null when the page never yielded an article). */
  version: Version | null
  /** True when this capture created `version`. */
  isNewVersion: boolean
}

/** Validators for a conditional GET (If-None-Match / If-Modified-Since) of a page. */
export interface ConditionalHeaders {
  etag: string | null
  lastModified: string | null
  /** The capture they came from. */
  captureId: number
  fetchedAt: string
}

/** Filters for `listPages` / `countPages`; all optional and combined with AND. */
export interface PageQuery {
  /** Exact host (lower-case). */
  host?: string
  source?: string
  /** Newest version tagged with this industry. */
  industry?: Industry
  /** Newest version published at or after (inclusive). */
  publishedFrom?: Date | string
  /** Newest version published before (exclusive). */
  publishedTo?: Date | string
  /** Pages with a new version at or after this moment. */
  changedSince?: Date | string
  /** Pages with at least this many versions (2: pages that were edited at least once). */
  minVersions?: number
  /** @default 100 */
  limit?: number
  /** @default 0 */
  offset?: number
}

/** Counts of one facet value: pages, and the versions and captures of those pages. */
export interface FacetCount {
  /** The host, source or industry. */
  value: string
  pages: number
  versions: number
  captures: number
}

/**
 * Counts per host, per source and per industry over the pages matching a query (`limit` and `offset` are
 * ignored), plus the totals; each list is sorted by pages (most first), then by value.
 */
export interface PageFacets {
  pages: number
  versions: number
  captures: number
  hosts: FacetCount[]
  sources: FacetCount[]
  /** By the industries of each page's newest version; a page may count under several. */
  industries: FacetCount[]
}

/** A full-text search request. */
export interface SearchQuery {
  /** Words to find (every word must occur). Simplified and traditional script find the same versions. */
  text: string
  host?: string
  /** Only the newest version of each page. @default false */
  latestOnly?: boolean
  /** @default 20 */
  limit?: number
}

/** One search result. */
export interface SearchHit {
  versionId: number
  pageId: number
  url: string
  versionNumber: number
  title: string
  /** Excerpt around a match, matches wrapped in `[` `]`, in simplified script. */
  snippet: string
  createdAt: string
}

/** Totals over the whole archive. */
export interface ArchiveStats {
  pages: number
  captures: number
  versions: number
  blobs: number
  /** Sum of raw body sizes over all captures (what storing every body would cost). */
  rawBytes: number
  /** Sum of compressed blob sizes (what is actually stored, each body once). */
  storedBlobBytes: number
}

/** One problem found by `verifyArchive` or `ArchiveBackend.checkReferences`. */
export interface VerifyIssue {
  /** `error` fails verification; `warning` (e.g. an unreferenced blob left by a killed writer) does not. */
  severity: 'error' | 'warning'
  kind:
    | 'blob-missing'
    | 'blob-corrupt'
    | 'blob-unreferenced'
    | 'capture-page'
    | 'capture-version'
    | 'version-page'
    | 'version-numbering'
    | 'version-capture'
    | 'page-counts'
    | 'search-index'
    | 'schema'
  message: string
  /** The blob hash or record id concerned, when there is one. */
  ref?: string | number
}

// --- Backend side ---

/** A content-addressed store of compressed bodies, keyed by the SHA-256 (hex) of the raw bytes. */
export interface BlobStore {
  /**
   * Store `raw` under `hash` (the caller computed `sha256(raw)`), compressed. Must be idempotent and atomic:
   * a reader never sees a partial blob, and storing an existing hash writes nothing.
   * Returns whether bytes were written and the stored (compressed) size. `gzip`, when given, is a gzip
   * member that decodes to `raw` (the archive checked its trailer): a store that keeps a coding per body may
   * store those bytes instead of compressing `raw`; others ignore it.
   */
  put(hash: string, raw: Uint8Array, gzip?: Uint8Array | null): Promise<{ created: boolean; storedSize: number }>
  /** The raw (decompressed) bytes, or null when the hash is not stored. */
  get(hash: string): Promise<Uint8Array | null>
  /** Whether the hash is stored. */
  has(hash: string): Promise<boolean>
  /**
   * Optional and synchronous: true when the store already knows, without any I/O, that `hash` is stored
   * (it wrote or saw it in this process). The archive then skips encoding the body and `put`: an unchanged
   * re-capture costs no blob work. False means "unknown", not "absent".
   */
  knows?(hash: string): boolean
  /** Every stored hash with its compressed size, in no particular order. */
  list(): AsyncIterable<{ hash: string; storedSize: number }>
  /** Remove every blob (tests only). */
  clear(): Promise<void>
  /** Release handles. */
  close(): Promise<void>
}

/** Optional capabilities; the contract suite skips what a backend does not claim. */
export interface BackendFlags {
  /** `search` is implemented. */
  fullText: boolean
  /** Several processes may write to the same archive at once. */
  multiProcess: boolean
  /**
   * The backend writes `IngestRecord.body` into `blobs` inside its own ingest transaction (a capture and its
   * body land together or not at all). `createArchive` then does not `put` bodies before `ingest`.
   * @default false
   */
  transactionalBodies?: boolean
}

/** The page fields of an ingest record. */
export interface PageRecord {
  url: string
  host: string
  source: string
}

/** The capture fields of an ingest record (validated and normalised by the archive). */
export type CaptureRecord = Omit<Capture, 'id' | 'pageId' | 'url' | 'versionId' | 'versionNumber'>

/** The version candidate of an ingest record: stored only when `contentHash` differs from the newest version. */
export interface VersionRecord {
  contentHash: string
  /**
   * `rawContentKey(article)`: a backend that remembers it for the versions it holds can tell an identical
   * re-capture without computing `contentHash` (which normalises the whole text). @default undefined
   */
  rawKey?: string
  title: string
  article: Article
  /**
   * Title and text folded to simplified script for the full-text index. A function because the folding
   * costs far more than the rest of an ingest: call it only when the version is actually new.
   */
  searchText: () => string
  /** Industries of the article, for page filters. */
  industries: Industry[]
  publishedAt: string | null
}

/** The raw body of an ingest record, for a backend with `flags.transactionalBodies`. */
export interface BodyRecord {
  /** SHA-256 (hex) of `bytes`, the same as `capture.bodyHash`. */
  hash: string
  /** The raw bytes, or null when `blobs.knows(hash)` already said it is stored (nothing to write). */
  bytes: Uint8Array | null
  /** `CaptureInput.bodyGzip` when it was checked to be a gzip member of `bytes`. @default null */
  gzip?: Uint8Array | null
}

/**
 * What `createArchive` hands a backend for one capture. The body is already in `backend.blobs`, unless the
 * backend has `flags.transactionalBodies`: then it is in `body`, to be stored in the same transaction.
 */
export interface IngestRecord {
  page: PageRecord
  capture: CaptureRecord
  /** Null for 304, failures and pages that are not articles: the capture then points at the newest version. */
  version: VersionRecord | null
  /** The raw body (see `BodyRecord`); set only for backends with `flags.transactionalBodies`. */
  body?: BodyRecord | null
}

/**
 * A storage backend. Methods may be called before any explicit setup: a backend opens / migrates lazily
 * (or in its factory) and must be safe to call concurrently within one process.
 */
export interface ArchiveBackend {
  /** Short name for messages and benchmarks, e.g. `sqlite`. */
  readonly name: string
  readonly flags: BackendFlags
  /** Where raw bodies go. */
  readonly blobs: BlobStore
  /**
   * Store one capture in a single transaction: upsert the page (counts, last-captured), compare
   * `record.version.contentHash` with the page's newest version and insert version `n + 1` only when it
   * differs, insert the capture pointing at the resulting (or current newest) version. Concurrent calls for
   * the same page, from any number of processes, must never create two versions for one change.
   */
  ingest(record: IngestRecord): Promise<IngestResult>
  /**
   * Optional: store several records in one transaction (all or nothing), in order, with the same rules as
   * `ingest`. `archive.ingestMany` falls back to one `ingest` per record when a backend lacks it.
   */
  ingestMany?(records: readonly IngestRecord[]): Promise<IngestResult[]>
  /** A page by canonical URL, or null. */
  getPage(url: string): Promise<Page | null>
  /** A page by its numeric id, or null. */
  getPageById(id: number): Promise<Page | null>
  /** Pages matching the query, newest change first (ties and pages without versions: newest page id first). */
  listPages(query: PageQuery): Promise<Page[]>
  /** How many pages match (ignores `limit` / `offset`). */
  countPages(query: PageQuery): Promise<number>
  /** Page, version and capture counts per host, source and industry over the matching pages, in one query. */
  facets(query: PageQuery): Promise<PageFacets>
  /** Captures and versions of a page in order, or null for an unknown page. */
  timeline(url: string): Promise<Timeline | null>
  /** Version `number` of a page, or null. */
  getVersion(url: string, number: number): Promise<Version | null>
  /** A version by id, or null. */
  getVersionById(id: number): Promise<Version | null>
  /** A capture by id, or null. */
  getCapture(id: number): Promise<Capture | null>
  /** ETag / Last-Modified of the newest capture of the page that carried either, or null. */
  conditionalHeaders(url: string): Promise<ConditionalHeaders | null>
  /**
   * Full-text search. `query.text` is already folded to simplified script and split into terms by single
   * spaces; every term must occur in the version's search text. Newest version (highest id) first;
   * `limit` is always set. Build `snippet` with `makeSnippet` so every backend reads the same.
   */
  search(query: SearchQuery): Promise<SearchHit[]>
  /** Totals. `blobs` and `storedBlobBytes` come from the blob store. */
  stats(): Promise<ArchiveStats>
  /** Every distinct body hash referenced by a capture, with the raw size the capture recorded. */
  blobRefs(): AsyncIterable<{ hash: string; size: number }>
  /** Check every reference between pages, captures and versions; report, never repair. */
  checkReferences(): Promise<VerifyIssue[]>
  /** Delete everything, blobs included (tests). */
  clear(): Promise<void>
  /** Close connections and files. */
  close(): Promise<void>
}
