/**
 * @file `ingest` of the PostgreSQL backend: one statement (`statements(S).ingest`) per capture, and its
 * retry in a transaction with the page row locked when this process's idea of the page's newest version was
 * stale. Capture and version ids are reserved in blocks, so the statement needs no second round trip. A new
 * version's search grams go in with it, in the same statement (only those this process does not know are
 * stored, see `gramCache`).
 */
import type { PoolClient } from 'pg'
import { versionChange } from '../change.js'
import { StorageError } from '../errors.js'
import type { Capture, IngestRecord, IngestResult, Version, VersionChange } from '../types.js'
import { allGrams, type GramBatch, type GramCache } from './postgres-search.js'
import { type IngestRow, type Int8, type statements, toPage } from './postgres-sql.js'

/** What the one-capture ingest needs from the backend. */
export interface IngestContext {
  sql: ReturnType<typeof statements>
  /** Run a statement (on `client`, or any pooled connection); errors become `StorageError`. */
  query: <R extends object>(text: string, args?: unknown[], client?: PoolClient) => Promise<R[]>
  connect: () => Promise<PoolClient>
  /** A version by id (cached or read, on `client` when given). */
  versionById: (id: number, client?: PoolClient) => Promise<Version | null>
  /** A cached version, if any (no query). */
  cached: (id: number) => Version | undefined
  /** Remember a committed version (and get the frozen, shared copy back). */
  cache: (version: Version) => Version
  /** The newest version id this process saw per page URL: a hint only, never trusted blindly. */
  hints: Map<string, number>
  /** The search grams this process knows are stored. */
  grams: GramCache
}

/** The backend's `ingest` over `ctx`. */
export function postgresIngest(ctx: IngestContext): (record: IngestRecord) => Promise<IngestResult> {
  const { sql, query, versionById } = ctx
  const ids = idReserve(async (n) => {
    const rows = await query<{ cid: string; vid: string }>(sql.reserveIds, [n])
    return rows.map((r) => [Number(r.cid), Number(r.vid)] as const)
  })
  /**
   * The ingest statement with the page row locked and its newest version read first, in one transaction:
   * for a capture whose hint was stale (see `ingest`). `args(full, previous)` builds the statement's values.
   */
  const lockedIngest = async (
    url: string,
    args: (full: boolean, previous: Version | null) => unknown[],
  ): Promise<IngestRow | undefined> => {
    for (let attempt = 0; ; attempt++) {
      const client = await ctx.connect()
      try {
        await query('BEGIN', [], client)
        const [locked] = await query<{ latest_version_id: Int8 | null }>(sql.lockPage, [url], client)
        const previous =
          locked?.latest_version_id == null ? null : await versionById(Number(locked.latest_version_id), client)
        const [row] = await query<IngestRow>(sql.ingest, args(true, previous), client)
        await query('COMMIT', [], client)
        return row
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {})
        // A page that did not exist yet cannot be locked: another writer may have created it meanwhile.
        if (attempt < 2 && pgCode(error) === '23502') continue
        throw error
      } finally {
        client.release()
      }
    }
  }

  return async (record) => {
    const { page: p, capture: c, version: v } = record
    const at = new Date(c.fetchedAt)
    const { cid, vid } = await ids.take()
    // The newest version this process saw for the page: a hint only (see below), never trusted blindly.
    const hintId = ctx.hints.get(p.url)
    const hint = hintId === undefined ? null : (ctx.cached(hintId) ?? null)
    // The folded search text, the article JSON and the change are only stored for a new version. Whether it
    // is new is decided inside the statement, so they are sent when this process has not seen the hash as
    // the page's newest. If another writer made the hint stale (the version is new after all, or follows
    // another version than the one the change was computed against), a NOT NULL check fails the statement
    // (nothing is written) and it runs again with the page row locked and its newest version read first.
    // The same happens when the search vocabulary was cleared since this process last wrote to it.
    const likelyNew = v !== null && hint?.contentHash !== v.contentHash
    const published = v?.publishedAt ? new Date(v.publishedAt) : null
    // What was sent with the version, computed when first needed. The search text is lower-cased so search
    // can use LIKE, which is ~10x cheaper per row than ILIKE on multi-byte text; Postgres text cannot hold
    // NUL, which never matters for search. The grams are those this process does not know are stored, and
    // every one in the locked retry: the first statement also fails when the vocabulary's table is not the
    // one this process knows grams are stored in (another process cleared it).
    const sent: { text?: string; grams?: GramBatch } = {}
    const args = (full: boolean, previous: Version | null, retry = false): unknown[] => {
      if (full && v) {
        sent.text ??= v.searchText().toLowerCase().replaceAll('\u0000', '')
        sent.grams = retry ? allGrams([sent.text]) : ctx.grams.fresh([sent.text])
      }
      return [
        p.url,
        p.host,
        p.source,
        at,
        v?.contentHash ?? null,
        cid,
        vid,
        v ? v.title.replaceAll('\u0000', '') : null,
        v?.industries ?? null,
        v?.publishedAt ?? null,
        published && !Number.isNaN(published.getTime()) ? published : null,
        c.requestedUrl,
        c.finalUrl,
        JSON.stringify(c.redirects),
        c.method,
        c.outcome,
        c.status,
        JSON.stringify(c.headers),
        c.etag,
        c.lastModified,
        c.timing ? JSON.stringify(c.timing) : null,
        c.error,
        c.bodyHash,
        c.bodySize,
        full && v ? JSON.stringify(v.article) : null,
        full ? (sent.text ?? null) : null,
        full && v ? JSON.stringify(versionChange(previous?.article ?? null, v.article)) : null,
        previous?.number ?? 0,
        full ? (sent.grams?.grams ?? []) : [],
        full ? (sent.grams?.node ?? null) : null,
      ]
    }
    let row: IngestRow | undefined
    try {
      ;[row] = await query<IngestRow>(sql.ingest, args(likelyNew, hint))
    } catch (error) {
      if (v === null || pgCode(error) !== '23502') throw error
      row = await lockedIngest(p.url, (full, previous) => args(full, previous, true))
    }
    if (!row) throw new StorageError(`ingest of ${p.url} returned nothing`)
    if (!row.is_new) ids.giveBack(vid)
    // Committed (the statement, or the locked retry's transaction): the grams sent are stored.
    else if (sent.grams) ctx.grams.stored(sent.grams, row.grams_node)
    const page = toPage(row)
    let version: Version | null = null
    if (row.is_new && v) {
      version = ctx.cache({
        id: vid,
        pageId: page.id,
        url: p.url,
        number: row.latest_number ?? 1,
        contentHash: v.contentHash,
        captureId: cid,
        createdAt: at.toISOString(),
        title: v.title,
        article: JSON.parse(JSON.stringify(v.article)),
        change: row.last_change as VersionChange,
      })
    } else if (row.latest_version_id !== null) {
      version = await versionById(Number(row.latest_version_id))
    }
    if (version) remember(ctx.hints, p.url, version.id)
    const capture: Capture = {
      id: cid,
      pageId: page.id,
      url: p.url,
      ...c,
      versionId: version?.id ?? null,
      versionNumber: version?.number ?? null,
    }
    return { page, capture, version, isNewVersion: row.is_new }
  }
}

/** Remember the newest version id of a page (a bounded map: oldest entries go first). */
export function remember(hints: Map<string, number>, url: string, versionId: number): void {
  if (hints.size >= HINT_SIZE && !hints.has(url)) hints.delete(hints.keys().next().value as string)
  hints.set(url, versionId)
}

// --- Internal helpers ---

const HINT_SIZE = 50_000
const ID_BLOCK = 64

/** The SQLSTATE of a pg error wrapped in a `StorageError`, if any. */
function pgCode(error: unknown): string | undefined {
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined
  return typeof cause?.code === 'string' ? cause.code : undefined
}

/**
 * Capture and version ids reserved from their sequences in blocks, so an ingest knows its ids before its
 * one statement runs. A version id that ended up unused goes back for the next ingest; ids left over at
 * close are simply never used (gaps are harmless).
 */
function idReserve(fetch: (n: number) => Promise<ReadonlyArray<readonly [number, number]>>) {
  const captures: number[] = []
  const versions: number[] = []
  let refill: Promise<void> | null = null
  return {
    async take(): Promise<{ cid: number; vid: number }> {
      while (captures.length === 0 || versions.length === 0) {
        refill ??= fetch(ID_BLOCK)
          .then((rows) => {
            for (const [c, v] of rows) {
              captures.push(c)
              versions.push(v)
            }
          })
          .finally(() => {
            refill = null
          })
        await refill
      }
      return { cid: captures.shift() as number, vid: versions.shift() as number }
    },
    giveBack(vid: number): void {
      versions.unshift(vid)
    },
  }
}
