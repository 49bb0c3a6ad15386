/**
 * @file The SQLite backend's SQL statements, row shapes and row-to-model conversions, kept apart from the
 * backend's logic in `sqlite.ts`.
 */
import type { Industry } from '@parkwatch/extractor'
import type Database from 'better-sqlite3'
import { parseChange } from '../change.js'
import type { Capture, Page, Version } from '../types.js'

/** Every page column. */
export const PAGE_SELECT: string = 'SELECT p.* FROM pages p'

/** Names of the prepared statements. */
export type StatementName =
  | 'pageByUrl'
  | 'pageById'
  | 'insertPage'
  | 'pageCaptured'
  | 'pageNewVersion'
  | 'nextCaptureId'
  | 'insertCapture'
  | 'insertVersion'
  | 'deleteIndustry'
  | 'insertIndustry'
  | 'versionById'
  | 'versionMeta'
  | 'versionArticle'
  | 'versionIdByNumber'
  | 'versionIdsOfPage'
  | 'versionsOfPage'
  | 'capturesOfPage'
  | 'captureIdsOfPage'
  | 'captureTupleById'
  | 'captureById'
  | 'validators'
  | 'stats'

/** The backend's statements, prepared once per connection. */
export function prepare(db: Database.Database): Record<StatementName, Database.Statement> {
  return {
    pageByUrl: db.prepare(`${PAGE_SELECT} WHERE p.url = ?`),
    insertPage: db.prepare(
      'INSERT INTO pages (url, host, source, first_captured_at, last_captured_at) VALUES (?, ?, ?, ?, ?)',
    ),
    pageById: db.prepare(`${PAGE_SELECT} WHERE p.id = ?`),
    pageCaptured: db.prepare(
      `UPDATE pages SET capture_count = capture_count + 1, last_captured_at = max(last_captured_at, ?),
         first_captured_at = min(first_captured_at, ?) WHERE id = ?`,
    ),
    // One statement for a capture that brings a new version: counters, newest version and its metadata.
    pageNewVersion: db.prepare(
      `UPDATE pages SET capture_count = capture_count + 1, last_captured_at = max(last_captured_at, ?),
         first_captured_at = min(first_captured_at, ?), version_count = version_count + 1, last_changed_at = ?,
         latest_version_id = ?, title = ?, published_at = ?, published_ms = ?, industries = ?, last_change = ?
       WHERE id = ?`,
    ),
    // A version and the capture that creates it point at each other: the capture's id is taken first (the
    // same rowid SQLite would assign; the write lock is held) so each row is written once, complete.
    nextCaptureId: db.prepare('SELECT coalesce(max(id), 0) + 1 FROM captures').pluck(true),
    insertCapture: db.prepare(
      `INSERT INTO captures (id, page_id, requested_url, final_url, redirects, method, outcome, status, headers, etag,
         last_modified, fetched_at, timing, error, body_hash, body_size, version_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertVersion: db.prepare(
      `INSERT INTO versions (page_id, number, content_hash, capture_id, created_at, title, industries, article, change)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    // By the whole key (industry, page_id): the table has no index on page_id alone, and a delete by page_id
    // scanned all of it (~0.2 ms per new version at 20,000 pages).
    deleteIndustry: db.prepare('DELETE FROM page_industries WHERE industry = ? AND page_id = ?'),
    insertIndustry: db.prepare('INSERT OR IGNORE INTO page_industries (page_id, industry) VALUES (?, ?)'),
    versionById: db.prepare('SELECT v.*, p.url FROM versions v JOIN pages p ON p.id = v.page_id WHERE v.id = ?'),
    // A version without its article (the bulk of the row), for `lazyVersion`.
    versionMeta: db.prepare(
      `SELECT v.id, v.page_id, p.url, v.number, v.content_hash, v.capture_id, v.created_at, v.title, 'null' AS article,
         v.change FROM versions v JOIN pages p ON p.id = v.page_id WHERE v.id = ?`,
    ),
    versionArticle: db.prepare('SELECT article FROM versions WHERE id = ?').pluck(true),
    versionIdByNumber: db.prepare(
      'SELECT v.id FROM versions v JOIN pages p ON p.id = v.page_id WHERE p.url = ? AND v.number = ?',
    ),
    versionIdsOfPage: db.prepare('SELECT id FROM versions WHERE page_id = ? ORDER BY number').pluck(true),
    versionsOfPage: db.prepare(
      'SELECT v.*, p.url FROM versions v JOIN pages p ON p.id = v.page_id WHERE v.page_id = ? ORDER BY v.number',
    ),
    capturesOfPage: db
      .prepare(
        `SELECT id, page_id, requested_url, final_url, redirects, method, outcome, status, headers, etag, last_modified,
           fetched_at, timing, error, body_hash, body_size, version_id
         FROM captures WHERE page_id = ? ORDER BY fetched_at, id`,
      )
      .raw(true),
    captureTupleById: db
      .prepare(
        `SELECT id, page_id, requested_url, final_url, redirects, method, outcome, status, headers, etag, last_modified,
           fetched_at, timing, error, body_hash, body_size, version_id
         FROM captures WHERE id = ?`,
      )
      .raw(true),
    captureIdsOfPage: db.prepare('SELECT id FROM captures WHERE page_id = ? ORDER BY fetched_at, id').pluck(true),
    captureById: db.prepare(`${CAPTURE_SELECT} WHERE c.id = ?`),
    validators: db.prepare(
      `SELECT c.id, c.etag, c.last_modified, c.fetched_at FROM captures c
       WHERE c.page_id = (SELECT id FROM pages WHERE url = ?) AND (c.etag IS NOT NULL OR c.last_modified IS NOT NULL)
       ORDER BY c.fetched_at DESC, c.id DESC LIMIT 1`,
    ),
    stats: db.prepare(
      `SELECT (SELECT count(*) FROM pages) AS pages, (SELECT count(*) FROM captures) AS captures,
         (SELECT count(*) FROM versions) AS versions, (SELECT sum(body_size) FROM captures) AS raw`,
    ),
  }
}

const CAPTURE_SELECT = `SELECT c.*, p.url, v.number AS version_number FROM captures c
  JOIN pages p ON p.id = c.page_id LEFT JOIN versions v ON v.id = c.version_id`

/** A `pages` row. */
export interface PageRow {
  id: number
  url: string
  host: string
  source: string
  first_captured_at: number
  last_captured_at: number
  last_changed_at: number | null
  capture_count: number
  version_count: number
  latest_version_id: number | null
  title: string | null
  published_at: string | null
  industries: string
  last_change: string | null
}

/** A page row before its first capture is counted. */
export const EMPTY_PAGE_ROW: PageRow = {
  id: 0,
  url: '',
  host: '',
  source: '',
  first_captured_at: 0,
  last_captured_at: 0,
  last_changed_at: null,
  capture_count: 0,
  version_count: 0,
  latest_version_id: null,
  title: null,
  published_at: null,
  industries: '',
  last_change: null,
}

/** A `versions` row joined with its page URL. */
export interface VersionRow {
  id: number
  page_id: number
  url: string
  number: number
  content_hash: string
  capture_id: number
  created_at: number
  title: string
  article: string
  change: string | null
}

/** A `captures` row with its page URL and version number. */
export interface CaptureRow {
  id: number
  page_id: number
  url: string
  requested_url: string
  final_url: string | null
  redirects: string | null
  method: Capture['method']
  outcome: Capture['outcome']
  status: number | null
  headers: string
  etag: string | null
  last_modified: string | null
  fetched_at: number
  timing: string | null
  error: string | null
  body_hash: string | null
  body_size: number | null
  version_id: number | null
  version_number: number | null
}

/** `capturesOfPage` columns, in SELECT order. */
export type CaptureTuple = [
  number,
  number,
  string,
  string | null,
  string | null,
  Capture['method'],
  Capture['outcome'],
  number | null,
  string,
  string | null,
  string | null,
  number,
  string | null,
  string | null,
  string | null,
  number | null,
  number | null,
]

/**
 * Epoch ms to ISO-8601 UTC, as `Date#toISOString`. Timelines format thousands of times that mostly fall on
 * a few days, so the date part is kept from the previous call and only the time of day is built.
 */
export function iso(t: number): string {
  if (!Number.isInteger(t) || t < 0 || t >= MAX_FOUR_DIGIT_YEAR_MS) return new Date(t).toISOString()
  let ofDay = t - isoDayStart
  if (ofDay < 0 || ofDay >= DAY_MS) {
    isoDayStart = t - (t % DAY_MS)
    isoDayPrefix = new Date(isoDayStart).toISOString().slice(0, 11)
    ofDay = t - isoDayStart
  }
  const msPart = ofDay % 1000
  const sec = (ofDay - msPart) / 1000
  return `${isoDayPrefix}${TWO[(sec / 3600) | 0]}:${TWO[((sec / 60) | 0) % 60]}:${TWO[sec % 60]}.${msPart < 10 ? '00' : msPart < 100 ? '0' : ''}${msPart}Z`
}

const DAY_MS = 86_400_000
/** 10000-01-01T00:00:00Z: from there on `toISOString` writes six-digit years. */
const MAX_FOUR_DIGIT_YEAR_MS = 253_402_300_800_000
const TWO = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'))
let isoDayStart = 0
let isoDayPrefix = '1970-01-01T'
/** A date (or date string) to epoch ms. */
export const ms = (d: Date | string): number => new Date(d).getTime()

/** Row to `Page`. */
export function toPage(r: PageRow): Page {
  return {
    id: r.id,
    url: r.url,
    host: r.host,
    source: r.source,
    firstCapturedAt: iso(r.first_captured_at),
    lastCapturedAt: iso(r.last_captured_at),
    lastChangedAt: r.last_changed_at === null ? null : iso(r.last_changed_at),
    captureCount: r.capture_count,
    versionCount: r.version_count,
    title: r.title,
    publishedAt: r.published_at,
    industries: r.industries ? (r.industries.split(',') as Industry[]) : [],
    lastChange: r.last_change === null ? null : parseChange(r.last_change),
  }
}

/** Row to `Version` (parses the article JSON). */
export function toVersion(r: VersionRow): Version {
  return {
    id: r.id,
    pageId: r.page_id,
    url: r.url,
    number: r.number,
    contentHash: r.content_hash,
    captureId: r.capture_id,
    createdAt: iso(r.created_at),
    title: r.title,
    article: JSON.parse(r.article),
    change: r.change === null ? UNKNOWN_CHANGE : parseChange(r.change),
  }
}

/** Stands in for a change that was never computed (migration 3 computes every one; only a hand-edited file lacks it). */
const UNKNOWN_CHANGE: Version['change'] = {
  charsAdded: 0,
  charsRemoved: 0,
  paragraphsAdded: 0,
  paragraphsRemoved: 0,
  paragraphsChanged: 0,
  paragraphsMoved: 0,
  paragraphsUnchanged: 0,
  metadata: [],
}

/** Row to `Capture`; `headers` when the caller already parsed them. */
export function toCapture(r: CaptureRow, headers?: Array<[string, string]>): Capture {
  return {
    id: r.id,
    pageId: r.page_id,
    url: r.url,
    requestedUrl: r.requested_url,
    finalUrl: r.final_url,
    redirects: r.redirects ? JSON.parse(r.redirects) : [],
    method: r.method,
    outcome: r.outcome,
    status: r.status,
    headers: headers ?? JSON.parse(r.headers),
    etag: r.etag,
    lastModified: r.last_modified,
    fetchedAt: iso(r.fetched_at),
    timing: r.timing ? JSON.parse(r.timing) : null,
    error: r.error,
    bodyHash: r.body_hash,
    bodySize: r.body_size,
    versionId: r.version_id,
    versionNumber: r.version_number,
  }
}
