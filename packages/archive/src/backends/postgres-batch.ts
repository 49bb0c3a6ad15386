/**
 * @file `ingestMany` of the PostgreSQL backend: a batch of captures in one transaction and a handful of
 * round trips, whatever its size. The batch's pages are upserted and locked in one statement (in URL order,
 * so two batch writers never deadlock), each capture is decided in JS against the locked page state (the
 * same rules as the one-statement `ingest`), and the new versions, their search grams, the captures and the
 * final page rows are written with one statement each (from JSON: `json_populate_recordset`).
 */
import type { PoolClient } from 'pg'
import { versionChange } from '../change.js'
import { StorageError } from '../errors.js'
import type { Capture, IngestRecord, IngestResult, Page, Version, VersionChange } from '../types.js'
import { allGrams, type GramBatch, type GramCache } from './postgres-search.js'
import type { Int8, PageRow } from './postgres-sql.js'

/** What `ingestBatch` needs from the backend. */
export interface BatchContext {
  /** The quoted schema. */
  S: string
  /** Run a statement on `client`; errors become `StorageError`. */
  query: <R extends object>(text: string, args: unknown[], client: PoolClient) => Promise<R[]>
  /** `n` (capture id, version id) pairs reserved from the sequences. */
  reserve: (n: number, client: PoolClient) => Promise<ReadonlyArray<readonly [number, number]>>
  /** Versions by id (from the cache, or read on `client`). */
  versions: (ids: number[], client: PoolClient) => Promise<Map<number, Version>>
  /** Remember a committed version (and get the frozen, shared copy back). */
  cache: (version: Version) => Version
  /** The search grams this process knows are stored. */
  grams: GramCache
  /** The statement inserting search grams (`statements(S).insertGrams`). */
  insertGrams: string
}

/** Store `records` in one transaction on `client`, in order: all or nothing. */
export async function ingestBatch(
  client: PoolClient,
  records: readonly IngestRecord[],
  ctx: BatchContext,
): Promise<IngestResult[]> {
  if (records.length === 0) return []
  const { S } = ctx
  await ctx.query('BEGIN', [], client)
  try {
    const ids = await ctx.reserve(records.length, client)
    const first = new Map<string, IngestRecord>()
    for (const r of records) if (!first.has(r.page.url)) first.set(r.page.url, r)
    const urls = [...first.keys()].sort()
    const rows = await ctx.query<LockedPage>(
      `INSERT INTO ${S}.pages AS p (url, host, source, first_captured_at, last_captured_at)
       SELECT u.url, u.host, u.source, u.at, u.at
       FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) AS u (url, host, source, at)
       ON CONFLICT (url) DO UPDATE SET url = EXCLUDED.url
       RETURNING ${LOCKED_COLUMNS}`,
      [
        urls,
        urls.map((u) => first.get(u)?.page.host),
        urls.map((u) => first.get(u)?.page.source),
        urls.map((u) => first.get(u)?.capture.fetchedAt),
      ],
      client,
    )
    const latestIds = rows.flatMap((r) => (r.latest_version_id === null ? [] : [Number(r.latest_version_id)]))
    const latest = await ctx.versions(latestIds, client)
    const states = new Map(rows.map((r) => [r.url, toState(r, latest)]))

    const versionRows: object[] = []
    const searchTexts: string[] = []
    const captureRows: object[] = []
    const created: Version[] = []
    const out: IngestResult[] = []
    for (const [i, record] of records.entries()) {
      const { page: p, capture: c, version: v } = record
      const st = states.get(p.url) as PageState
      const [cid, vid] = ids[i] as readonly [number, number]
      const at = Date.parse(c.fetchedAt)
      const isNew = v !== null && st.latestHash !== v.contentHash
      if (isNew && v) {
        const change = versionChange(st.latest?.article ?? null, v.article)
        const title = v.title.replaceAll('\u0000', '')
        // Lower-case and without NUL, as the one-statement ingest stores it (see postgres-ingest.ts).
        const searchText = v.searchText().toLowerCase().replaceAll('\u0000', '')
        searchTexts.push(searchText)
        const version: Version = {
          id: vid,
          pageId: st.id,
          url: p.url,
          number: (st.latest?.number ?? 0) + 1,
          contentHash: v.contentHash,
          captureId: cid,
          createdAt: c.fetchedAt,
          title: v.title,
          article: JSON.parse(JSON.stringify(v.article)),
          change,
        }
        versionRows.push({
          id: vid,
          page_id: st.id,
          number: version.number,
          content_hash: v.contentHash,
          capture_id: cid,
          created_at: c.fetchedAt,
          title,
          industries: v.industries,
          article: v.article,
          search_text: searchText,
          change,
        })
        created.push(version)
        const published = v.publishedAt ? new Date(v.publishedAt) : null
        Object.assign(st, {
          versionCount: st.versionCount + 1,
          lastChangedAt: at,
          latest: version,
          latestHash: v.contentHash,
          latestCaptureId: cid,
          title,
          publishedAt: v.publishedAt,
          publishedTs: published && !Number.isNaN(published.getTime()) ? published.toISOString() : null,
          industries: [...v.industries],
          lastChange: change,
        })
      }
      st.captureCount++
      st.firstCapturedAt = Math.min(st.firstCapturedAt, at)
      st.lastCapturedAt = Math.max(st.lastCapturedAt, at)
      captureRows.push({
        id: cid,
        page_id: st.id,
        requested_url: c.requestedUrl,
        final_url: c.finalUrl,
        redirects: c.redirects,
        method: c.method,
        outcome: c.outcome,
        status: c.status,
        headers: c.headers,
        etag: c.etag,
        last_modified: c.lastModified,
        fetched_at: c.fetchedAt,
        timing: c.timing,
        error: c.error,
        body_hash: c.bodyHash,
        body_size: c.bodySize,
        version_id: st.latest?.id ?? null,
      })
      const capture: Capture = {
        id: cid,
        pageId: st.id,
        url: p.url,
        ...c,
        versionId: st.latest?.id ?? null,
        versionNumber: st.latest?.number ?? null,
      }
      out.push({ page: toPage(st), capture, version: st.latest, isNewVersion: isNew })
    }

    // Versions first: each names its capture and each capture its version, and both references are
    // checked at commit (DEFERRABLE).
    let grams: { batch: GramBatch; node: string } | null = null
    if (versionRows.length > 0) {
      await ctx.query(
        `INSERT INTO ${S}.versions (${VERSION_COLUMNS})
         SELECT ${VERSION_COLUMNS} FROM json_populate_recordset(NULL::${S}.versions, $1::json)`,
        [JSON.stringify(versionRows)],
        client,
      )
      grams = await insertGrams(ctx, searchTexts, client)
    }
    await ctx.query(
      `INSERT INTO ${S}.captures (${CAPTURE_COLUMNS})
       SELECT ${CAPTURE_COLUMNS} FROM json_populate_recordset(NULL::${S}.captures, $1::json)`,
      [JSON.stringify(captureRows)],
      client,
    )
    // The page rows are locked, so their final state is computed here and written as it is.
    await ctx.query(
      `UPDATE ${S}.pages p SET capture_count = u.capture_count, version_count = u.version_count,
         first_captured_at = u.first_captured_at, last_captured_at = u.last_captured_at,
         last_changed_at = u.last_changed_at, latest_version_id = u.latest_version_id, latest_number = u.latest_number,
         latest_hash = u.latest_hash, latest_capture_id = u.latest_capture_id, title = u.title,
         published_at = u.published_at, published_ts = u.published_ts, industries = u.industries,
         last_change = u.last_change
       FROM json_populate_recordset(NULL::${S}.pages, $1::json) AS u WHERE p.id = u.id`,
      [JSON.stringify([...states.values()].map(toRow))],
      client,
    )
    await ctx.query('COMMIT', [], client)
    if (grams) ctx.grams.stored(grams.batch, grams.node)
    // Only committed versions go into the cache (a rolled-back id must never be served).
    const frozen = new Map(created.map((v) => [v.id, ctx.cache(v)]))
    return out.map((r) =>
      r.version && frozen.has(r.version.id) ? { ...r, version: frozen.get(r.version.id) ?? null } : r,
    )
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw error
  }
}

// --- Internal helpers ---

/**
 * The search grams of the new versions' `texts`, in the batch's transaction, after its page rows are locked
 * (the one-statement ingest's lock order: no deadlock). Only those this process does not know are stored,
 * unless the table is not the one it knows them in (another process cleared it): then every one, by a
 * second statement (the first inserted nothing). Returns what was sent and the table's file node.
 */
async function insertGrams(
  ctx: BatchContext,
  texts: readonly string[],
  client: PoolClient,
): Promise<{ batch: GramBatch; node: string }> {
  const fresh = ctx.grams.fresh(texts)
  const [row] = await ctx.query<{ grams_node: string }>(ctx.insertGrams, [fresh.grams, fresh.node], client)
  if (!row) throw new StorageError('inserting search grams returned nothing')
  const node = row.grams_node
  if (fresh.node === null || fresh.node === node) return { batch: fresh, node }
  const all = allGrams(texts)
  await ctx.query(ctx.insertGrams, [all.grams, null], client)
  return { batch: all, node }
}

const LOCKED_COLUMNS = `p.id, p.url, p.host, p.source, p.first_captured_at, p.last_captured_at, p.last_changed_at,
  p.capture_count, p.version_count, p.title, p.published_at, p.published_ts, p.industries, p.latest_version_id,
  p.latest_hash, p.latest_capture_id, p.last_change`
const VERSION_COLUMNS =
  'id, page_id, number, content_hash, capture_id, created_at, title, industries, article, search_text, change'
const CAPTURE_COLUMNS = `id, page_id, requested_url, final_url, redirects, method, outcome, status, headers, etag,
  last_modified, fetched_at, timing, error, body_hash, body_size, version_id`

/** A page row as the batch upsert returns it: the `pages` row plus its newest version's hash and capture. */
interface LockedPage extends Omit<PageRow, 'latest_number'> {
  published_ts: Date | null
  latest_hash: string | null
  latest_capture_id: Int8 | null
}

/** A locked page while the batch is applied to it (times in epoch ms). */
interface PageState {
  id: number
  url: string
  host: string
  source: string
  firstCapturedAt: number
  lastCapturedAt: number
  lastChangedAt: number | null
  captureCount: number
  versionCount: number
  title: string | null
  publishedAt: string | null
  publishedTs: string | null
  industries: string[]
  latest: Version | null
  latestHash: string | null
  latestCaptureId: number | null
  lastChange: VersionChange | null
}

function toState(r: LockedPage, versions: ReadonlyMap<number, Version>): PageState {
  return {
    id: Number(r.id),
    url: r.url,
    host: r.host,
    source: r.source,
    firstCapturedAt: r.first_captured_at.getTime(),
    lastCapturedAt: r.last_captured_at.getTime(),
    lastChangedAt: r.last_changed_at?.getTime() ?? null,
    captureCount: r.capture_count,
    versionCount: r.version_count,
    title: r.title,
    publishedAt: r.published_at,
    publishedTs: r.published_ts?.toISOString() ?? null,
    industries: r.industries,
    latest: r.latest_version_id === null ? null : (versions.get(Number(r.latest_version_id)) ?? null),
    latestHash: r.latest_hash,
    latestCaptureId: r.latest_capture_id === null ? null : Number(r.latest_capture_id),
    lastChange: r.last_change,
  }
}

function toPage(st: PageState): Page {
  return {
    id: st.id,
    url: st.url,
    host: st.host,
    source: st.source,
    firstCapturedAt: new Date(st.firstCapturedAt).toISOString(),
    lastCapturedAt: new Date(st.lastCapturedAt).toISOString(),
    lastChangedAt: st.lastChangedAt === null ? null : new Date(st.lastChangedAt).toISOString(),
    captureCount: st.captureCount,
    versionCount: st.versionCount,
    title: st.title,
    publishedAt: st.publishedAt,
    industries: [...st.industries] as Page['industries'],
    lastChange: st.lastChange,
  }
}

/** The page's final state as a `pages` row for `json_populate_recordset`. */
function toRow(st: PageState): object {
  return {
    id: st.id,
    capture_count: st.captureCount,
    version_count: st.versionCount,
    first_captured_at: new Date(st.firstCapturedAt).toISOString(),
    last_captured_at: new Date(st.lastCapturedAt).toISOString(),
    last_changed_at: st.lastChangedAt === null ? null : new Date(st.lastChangedAt).toISOString(),
    latest_version_id: st.latest?.id ?? null,
    latest_number: st.latest?.number ?? null,
    latest_hash: st.latestHash,
    latest_capture_id: st.latestCaptureId,
    title: st.title,
    published_at: st.publishedAt,
    published_ts: st.publishedTs,
    industries: st.industries,
    last_change: st.lastChange,
  }
}
