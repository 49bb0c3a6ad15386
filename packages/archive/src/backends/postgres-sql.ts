/**
 * @file SQL statements and row mapping of the PostgreSQL backend (`postgres.ts`), kept apart so the
 * backend file reads as the ingest / query logic. Every table name is qualified with the quoted schema.
 */
import type { Industry } from '@parkwatch/extractor'
import type { Capture, Page, Version, VersionChange } from '../types.js'

/** Every statement of the backend, for the quoted schema `S`. */
export function statements(S: string) {
  const pageColumns = `p.id, p.url, p.host, p.source, p.first_captured_at, p.last_captured_at, p.last_changed_at,
    p.capture_count, p.version_count, p.title, p.published_at, p.industries, p.latest_version_id, p.latest_number,
    p.last_change`
  const captureSelect = `SELECT c.*, p.url, v.number AS version_number FROM ${S}.captures c
    JOIN ${S}.pages p ON p.id = c.page_id LEFT JOIN ${S}.versions v ON v.id = c.version_id`
  // The file node of the search vocabulary's table: TRUNCATE (`clear`) and rewrites change it, and a writer
  // knows which grams are stored only for the node it saw (see `GramCache` in postgres-search.ts). Read by
  // statements that write the table, and so lock it before they run: it cannot change before their
  // transaction ends.
  const gramsNode = `pg_relation_filenode('${S}.search_grams')::text`
  // In code point order, so that writers inserting the same new grams at once wait for each other in one
  // order and never deadlock (each transaction inserts its grams with one statement, after its page rows
  // are locked).
  const insertGrams = (grams: string, from: string, where: string) => `INSERT INTO ${S}.search_grams (gram)
    SELECT x.gram FROM ${from}unnest(${grams}::text[]) AS x (gram) WHERE ${where}
    ORDER BY x.gram COLLATE "C" ON CONFLICT DO NOTHING`
  return {
    pageSelect: `SELECT ${pageColumns} FROM ${S}.pages p`,
    pageByUrl: `SELECT ${pageColumns} FROM ${S}.pages p WHERE p.url = $1`,
    pageById: `SELECT ${pageColumns} FROM ${S}.pages p WHERE p.id = $1`,
    // Locks the page row (when it exists) for an ingest that has to read the newest version first.
    lockPage: `SELECT latest_version_id FROM ${S}.pages WHERE url = $1 FOR UPDATE`,
    reserveIds: `SELECT nextval(pg_get_serial_sequence('${S}.captures', 'id')) AS cid,
      nextval(pg_get_serial_sequence('${S}.versions', 'id')) AS vid FROM generate_series(1, $1)`,
    // The whole ingest in one statement; see the file comment of postgres.ts. $5 is the content hash (null
    // when the capture has no article), $6/$7 the reserved capture/version ids. \`is_new\` is true exactly
    // when this statement made $6 the page's version-creating capture. $27 is the change against version
    // $28 (0: none), the newest the caller knew of: if the page has moved on since, the version's change is
    // null, the NOT NULL constraint fails the whole statement, and the caller retries with the page locked.
    // $29 are the new version's search grams this process does not know are stored (a `GramBatch`), and $30
    // the node of the table it knows the others in (null: $29 are all of them). When the table has another
    // node, the search text is null, the NOT NULL check fails the statement too, and the retry sends every
    // gram. `grams_node` is the node of the table the grams went into.
    ingest: `WITH up AS (
        INSERT INTO ${S}.pages AS p (url, host, source, first_captured_at, last_captured_at, capture_count,
          version_count, last_changed_at, latest_version_id, latest_number, latest_hash, latest_capture_id, title,
          published_at, published_ts, industries, last_change)
        VALUES ($1, $2, $3, $4, $4, 1, CASE WHEN $5::text IS NULL THEN 0 ELSE 1 END,
          CASE WHEN $5::text IS NULL THEN NULL ELSE $4::timestamptz END,
          CASE WHEN $5::text IS NULL THEN NULL ELSE $7::bigint END, CASE WHEN $5::text IS NULL THEN NULL ELSE 1 END,
          $5::text, CASE WHEN $5::text IS NULL THEN NULL ELSE $6::bigint END, $8, $10, $11,
          coalesce($9::text[], '{}'), CASE WHEN $5::text IS NULL THEN NULL ELSE $27::jsonb END)
        ON CONFLICT (url) DO UPDATE SET
          capture_count = p.capture_count + 1,
          first_captured_at = least(p.first_captured_at, EXCLUDED.first_captured_at),
          last_captured_at = greatest(p.last_captured_at, EXCLUDED.last_captured_at),
          version_count = p.version_count + CASE WHEN ($5::text IS NOT NULL AND p.latest_hash IS DISTINCT FROM $5::text) THEN 1 ELSE 0 END,
          last_changed_at = CASE WHEN ($5::text IS NOT NULL AND p.latest_hash IS DISTINCT FROM $5::text) THEN $4::timestamptz ELSE p.last_changed_at END,
          latest_version_id = CASE WHEN ($5::text IS NOT NULL AND p.latest_hash IS DISTINCT FROM $5::text) THEN $7::bigint ELSE p.latest_version_id END,
          latest_number = CASE WHEN ($5::text IS NOT NULL AND p.latest_hash IS DISTINCT FROM $5::text) THEN coalesce(p.latest_number, 0) + 1 ELSE p.latest_number END,
          latest_capture_id = CASE WHEN ($5::text IS NOT NULL AND p.latest_hash IS DISTINCT FROM $5::text) THEN $6::bigint ELSE p.latest_capture_id END,
          title = CASE WHEN ($5::text IS NOT NULL AND p.latest_hash IS DISTINCT FROM $5::text) THEN $8 ELSE p.title END,
          published_at = CASE WHEN ($5::text IS NOT NULL AND p.latest_hash IS DISTINCT FROM $5::text) THEN $10 ELSE p.published_at END,
          published_ts = CASE WHEN ($5::text IS NOT NULL AND p.latest_hash IS DISTINCT FROM $5::text) THEN $11::timestamptz ELSE p.published_ts END,
          industries = CASE WHEN ($5::text IS NOT NULL AND p.latest_hash IS DISTINCT FROM $5::text) THEN $9::text[] ELSE p.industries END,
          latest_hash = CASE WHEN ($5::text IS NOT NULL AND p.latest_hash IS DISTINCT FROM $5::text) THEN $5::text ELSE p.latest_hash END,
          last_change = CASE WHEN ($5::text IS NOT NULL AND p.latest_hash IS DISTINCT FROM $5::text) THEN $27::jsonb ELSE p.last_change END
        RETURNING ${pageColumns}, p.latest_capture_id IS NOT DISTINCT FROM $6::bigint AS is_new
      ),
      v AS (
        INSERT INTO ${S}.versions (id, page_id, number, content_hash, capture_id, created_at, title, industries,
          article, search_text, change)
        SELECT $7, up.id, up.latest_number, $5, $6, $4, $8, $9, $25::json,
          CASE WHEN $30::text IS NULL OR $30::text = ${gramsNode} THEN $26 END,
          CASE WHEN up.latest_number = $28::int + 1 THEN $27::jsonb END
        FROM up WHERE up.is_new
      ),
      c AS (
        INSERT INTO ${S}.captures (id, page_id, requested_url, final_url, redirects, method, outcome, status,
          headers, etag, last_modified, fetched_at, timing, error, body_hash, body_size, version_id)
        SELECT $6, up.id, $12, $13, $14::jsonb, $15, $16, $17, $18::jsonb, $19, $20, $4, $21::jsonb, $22, $23, $24,
          up.latest_version_id
        FROM up
      ),
      g AS (${insertGrams('$29', 'up, ', 'up.is_new')})
      SELECT *, ${gramsNode} AS grams_node FROM up`,
    // The search grams of a batch's new versions (a `GramBatch`: $1 the grams, $2 the node), in the
    // caller's transaction. Nothing is inserted when the table's node is not $2: the caller then sends
    // every gram. `grams_node` is the table's node.
    insertGrams: `WITH g AS (${insertGrams('$1', '', `$2::text IS NULL OR $2::text = ${gramsNode}`)})
      SELECT ${gramsNode} AS grams_node`,
    versionById: `SELECT v.*, p.url FROM ${S}.versions v JOIN ${S}.pages p ON p.id = v.page_id WHERE v.id = $1`,
    versionIdByNumber: `SELECT v.id FROM ${S}.versions v JOIN ${S}.pages p ON p.id = v.page_id
      WHERE p.url = $1 AND v.number = $2`,
    versionsByIds: `SELECT v.*, p.url FROM ${S}.versions v JOIN ${S}.pages p ON p.id = v.page_id
      WHERE v.id = ANY($1::bigint[])`,
    versionIdsOfPage: `SELECT id FROM ${S}.versions WHERE page_id = $1 ORDER BY number`,
    // The timeline's captures: the page URL and version numbers are known to the caller, so no joins, and
    // the time comes as epoch ms (a number parses far faster than a timestamptz string, x1000 rows).
    capturesOfPage: `SELECT c.id, c.requested_url, c.final_url, c.redirects, c.method, c.outcome, c.status, c.headers,
        c.etag, c.last_modified, round(extract(epoch FROM c.fetched_at) * 1000)::float8 AS fetched_ms, c.timing, c.error,
        c.body_hash, c.body_size, c.version_id
      FROM ${S}.captures c WHERE c.page_id = $1 ORDER BY c.fetched_at, c.id`,
    captureIdsOfPage: `SELECT c.id FROM ${S}.captures c WHERE c.page_id = $1 ORDER BY c.fetched_at, c.id`,
    capturesByIds: `SELECT c.id, c.requested_url, c.final_url, c.redirects, c.method, c.outcome, c.status, c.headers,
        c.etag, c.last_modified, round(extract(epoch FROM c.fetched_at) * 1000)::float8 AS fetched_ms, c.timing, c.error,
        c.body_hash, c.body_size, c.version_id
      FROM ${S}.captures c WHERE c.id = ANY($1::bigint[])`,
    captureById: `${captureSelect} WHERE c.id = $1`,
    validators: `SELECT c.id, c.etag, c.last_modified, c.fetched_at FROM ${S}.captures c
      WHERE c.page_id = (SELECT id FROM ${S}.pages WHERE url = $1) AND (c.etag IS NOT NULL OR c.last_modified IS NOT NULL)
      ORDER BY c.fetched_at DESC, c.id DESC LIMIT 1`,
    stats: `SELECT (SELECT count(*)::int FROM ${S}.pages) AS pages, (SELECT count(*)::int FROM ${S}.captures) AS captures,
      (SELECT count(*)::int FROM ${S}.versions) AS versions, (SELECT coalesce(sum(body_size), 0) FROM ${S}.captures) AS raw`,
    blobStats: `SELECT count(*)::int AS n, coalesce(sum(stored_size), 0) AS bytes FROM ${S}.blobs`,
    blobRefs: `SELECT DISTINCT body_hash, body_size FROM ${S}.captures WHERE body_hash IS NOT NULL`,
  }
}

/** int8 columns arrive as strings from pg (they may exceed 2^53); ids here never do. */
export type Int8 = string | number

/** A `pages` row as pg returns it. */
export interface PageRow {
  id: Int8
  url: string
  host: string
  source: string
  first_captured_at: Date
  last_captured_at: Date
  last_changed_at: Date | null
  capture_count: number
  version_count: number
  title: string | null
  published_at: string | null
  industries: string[]
  latest_version_id: Int8 | null
  latest_number: number | null
  last_change: VersionChange | null
}

/** The ingest statement's row: the page as it now is, and whether this capture created a version. */
export interface IngestRow extends PageRow {
  is_new: boolean
  /** The file node of `search_grams` the statement wrote to (see `GramCache`). */
  grams_node: string
}

/** A `versions` row joined with its page URL. */
export interface VersionRow {
  id: Int8
  page_id: Int8
  url: string
  number: number
  content_hash: string
  capture_id: Int8
  created_at: Date
  title: string
  article: Version['article']
  change: VersionChange
}

/** A `captures` row joined with its page URL and version number. */
export interface CaptureRow {
  id: Int8
  page_id: Int8
  url: string
  requested_url: string
  final_url: string | null
  redirects: string[]
  method: Capture['method']
  outcome: Capture['outcome']
  status: number | null
  headers: Array<[string, string]>
  etag: string | null
  last_modified: string | null
  fetched_at: Date
  timing: Capture['timing']
  error: string | null
  body_hash: string | null
  body_size: number | null
  version_id: Int8 | null
  version_number: number | null
}

/** A capture row of the timeline query (no joins; time as epoch ms). */
export type TimelineCaptureRow = Omit<CaptureRow, 'page_id' | 'url' | 'version_number' | 'fetched_at'> & {
  fetched_ms: number
}

/** A search hit row. */
export interface SearchRow {
  id: Int8
  search_text: string
  page_id: Int8
  url: string
  number: number
  title: string
  created_at: Date
}

/** Map a page row to the public `Page`. */
export function toPage(r: PageRow): Page {
  return {
    id: Number(r.id),
    url: r.url,
    host: r.host,
    source: r.source,
    firstCapturedAt: r.first_captured_at.toISOString(),
    lastCapturedAt: r.last_captured_at.toISOString(),
    lastChangedAt: r.last_changed_at?.toISOString() ?? null,
    captureCount: r.capture_count,
    versionCount: r.version_count,
    title: r.title,
    publishedAt: r.published_at,
    industries: r.industries as Industry[],
    lastChange: r.last_change,
  }
}

/** Map a version row to the public `Version`. */
export function toVersion(r: VersionRow): Version {
  return {
    id: Number(r.id),
    pageId: Number(r.page_id),
    url: r.url,
    number: r.number,
    contentHash: r.content_hash,
    captureId: Number(r.capture_id),
    createdAt: r.created_at.toISOString(),
    title: r.title,
    article: r.article,
    change: r.change,
  }
}

/** Map a timeline capture row to the public `Capture`, given its page and its versions' numbers. */
export function toTimelineCapture(r: TimelineCaptureRow, page: Page, numbers: ReadonlyMap<number, number>): Capture {
  const versionId = r.version_id === null ? null : Number(r.version_id)
  return {
    id: Number(r.id),
    pageId: page.id,
    url: page.url,
    ...captureColumns(r, new Date(r.fetched_ms).toISOString()),
    versionId,
    versionNumber: versionId === null ? null : (numbers.get(versionId) ?? null),
  }
}

/** Map a capture row to the public `Capture`. */
export function toCapture(r: CaptureRow): Capture {
  return {
    id: Number(r.id),
    pageId: Number(r.page_id),
    url: r.url,
    ...captureColumns(r, r.fetched_at.toISOString()),
    versionId: r.version_id === null ? null : Number(r.version_id),
    versionNumber: r.version_number,
  }
}

/** The columns both capture queries share, in `Capture`'s field order. */
function captureColumns(r: TimelineCaptureRow | CaptureRow, fetchedAt: string) {
  return {
    requestedUrl: r.requested_url,
    finalUrl: r.final_url,
    redirects: r.redirects,
    method: r.method,
    outcome: r.outcome,
    status: r.status,
    headers: r.headers,
    etag: r.etag,
    lastModified: r.last_modified,
    fetchedAt,
    timing: r.timing,
    error: r.error,
    bodyHash: r.body_hash,
    bodySize: r.body_size,
  }
}
