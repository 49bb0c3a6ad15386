/**
 * @file Read queries of the SQLite backend that build more than one row: page lists, counts and facets
 * (filters shared by all three), the captures of a timeline, and the lazily loaded newest version an
 * ingest compares with.
 */
import type Database from 'better-sqlite3'
import { sameContent } from '../hash.js'
import type { Capture, Page, PageFacets, PageQuery, Version, VersionRecord } from '../types.js'
import { type FacetRow, facetsFromRows } from './facets.js'
import { deepFreeze } from './record-cache.js'
import {
  type CaptureTuple,
  ms,
  PAGE_SELECT,
  type PageRow,
  type StatementName,
  toCapture,
  toPage,
  toVersion,
  type VersionRow,
} from './sqlite-sql.js'

/** `listPages`, `countPages` and `facets` over one connection. */
export function pageQueries(db: Database.Database): {
  list: (query: PageQuery) => Page[]
  count: (query: PageQuery) => number
  facets: (query: PageQuery) => PageFacets
} {
  // The SQL depends only on which filters are set: a handful of shapes, each prepared once.
  const statements = new Map<string, Database.Statement>()
  const statement = (sql: string): Database.Statement => {
    let stmt = statements.get(sql)
    if (stmt === undefined) {
      stmt = db.prepare(sql)
      if (statements.size < 256) statements.set(sql, stmt)
    }
    return stmt
  }
  return {
    list(query) {
      const { sql, args } = where(query)
      const rows = statement(`${PAGE_SELECT} ${sql} ORDER BY p.last_changed_at DESC, p.id DESC LIMIT ? OFFSET ?`).all(
        ...args,
        query.limit ?? 100,
        query.offset ?? 0,
      ) as PageRow[]
      return rows.map(toPage)
    },

    count(query) {
      const { sql, args } = where(query)
      return statement(`SELECT count(*) FROM pages p ${sql}`)
        .pluck(true)
        .get(...args) as number
    },

    facets(query) {
      const { sql, args } = where(query)
      // One statement: the matching pages once, then grouped three ways and totalled.
      const rows = statement(
        `WITH m AS MATERIALIZED (SELECT p.id, p.host, p.source, p.version_count, p.capture_count FROM pages p ${sql})
         SELECT 0 AS kind, NULL AS value, count(*) AS pages, coalesce(sum(version_count), 0) AS versions,
           coalesce(sum(capture_count), 0) AS captures FROM m
         UNION ALL SELECT 1, host, count(*), sum(version_count), sum(capture_count) FROM m GROUP BY host
         UNION ALL SELECT 2, source, count(*), sum(version_count), sum(capture_count) FROM m GROUP BY source
         UNION ALL SELECT 3, i.industry, count(*), sum(m.version_count), sum(m.capture_count)
           FROM m JOIN page_industries i ON i.page_id = m.id GROUP BY i.industry`,
      )
        .raw(true)
        .all(...args) as FacetRow[]
      return facetsFromRows(rows)
    },
  }
}

/**
 * The captures of a timeline, oldest first. Cached captures are reused; the others are built once
 * (headers parsed, dates formatted), frozen and cached. `versions` are the page's versions (for numbers).
 */
export function timelineCaptures(
  q: Record<StatementName, Database.Statement>,
  page: Page,
  versions: readonly Version[],
  cache: Map<number, Capture>,
  cacheSize: number,
  oneByOne: number,
): Capture[] {
  const ids = q.captureIdsOfPage.all(page.id) as number[]
  const missing = ids.filter((id) => !cache.has(id))
  if (missing.length === 0) return ids.map((id) => cache.get(id) as Capture)
  // URL and version numbers are filled in from what is already at hand instead of joining pages and
  // versions for each of possibly thousands of captures.
  const numberOf = new Map(versions.map((v) => [v.id, v.number]))
  // Header lists repeat from capture to capture of a page (same server, same version): each distinct text
  // is parsed and frozen once, and captures share the (immutable) result.
  const headerLists = new Map<string, Array<[string, string]>>()
  const built = new Map<number, Capture>()
  const build = (t: CaptureTuple): Capture => {
    let headers = headerLists.get(t[8])
    if (headers === undefined) {
      headers = JSON.parse(t[8]) as Array<[string, string]>
      for (const pair of headers) Object.freeze(pair)
      Object.freeze(headers)
      headerLists.set(t[8], headers)
    }
    const capture = toCapture(
      {
        id: t[0],
        page_id: t[1],
        url: page.url,
        requested_url: t[2],
        final_url: t[3],
        redirects: t[4],
        method: t[5],
        outcome: t[6],
        status: t[7],
        headers: t[8],
        etag: t[9],
        last_modified: t[10],
        fetched_at: t[11],
        timing: t[12],
        error: t[13],
        body_hash: t[14],
        body_size: t[15],
        version_id: t[16],
        version_number: t[16] === null ? null : (numberOf.get(t[16]) ?? null),
      },
      headers,
    )
    // Frozen field by field (cheaper than a generic deep freeze): the cache hands the same object to every caller.
    Object.freeze(capture.redirects)
    if (capture.timing) Object.freeze(capture.timing)
    Object.freeze(capture)
    if (cache.size >= cacheSize) cache.delete(cache.keys().next().value as number)
    cache.set(capture.id, capture)
    built.set(capture.id, capture)
    return capture
  }
  if (missing.length > oneByOne) {
    // Raw rows (arrays) cost about half as much as row objects; a timeline can be thousands of rows.
    return (q.capturesOfPage.all(page.id) as CaptureTuple[]).map((t) => cache.get(t[0]) ?? build(t))
  }
  for (const id of missing) {
    const t = q.captureTupleById.get(id) as CaptureTuple | undefined
    if (t) build(t)
  }
  return ids.map((id) => built.get(id) ?? cache.get(id)).filter((c) => c !== undefined)
}

/** What `lazyLatest` gives the SQLite backend's ingest. */
export interface LatestVersions {
  /** The version with this id (a page's newest), article read only when asked for; null if there is none. */
  latestVersion: (id: number) => Version | null
  /** Whether `v` has the same content as `latest` (then the capture brings no new version). */
  sameAs: (latest: Version, v: VersionRecord) => boolean
  /**
   * A version this connection has just written (its row is in the open transaction), remembered as the
   * newest of its page in place of `previous`; its article is read back only when asked for.
   */
  remember: (meta: Omit<Version, 'article'>, previous: Version | null) => Version
  /** Forget a version (its transaction rolled back; SQLite may hand out the id again). */
  forget: (id: number) => void
  clear: () => void
}

/**
 * The newest version of each page for ingest (`latestVersion`): from the full-version cache, from its own
 * cache of versions without their article, or read from the database without its article, which is then
 * read (and parsed) only if something asks for it. An unchanged re-capture needs the version's hash and
 * number, not its article. That cache holds only small records (no article), so it can cover every page in
 * rotation: with more pages than a cache of whole versions holds, pages visited in turn missed it on every
 * capture. `sameAs` compares raw fields first when the article is at hand (`sameContent`), else the content
 * hashes; before either, the raw-fields key (`rawKeys`) of an article already found to be that version.
 */
export function lazyLatest(
  q: Record<StatementName, Database.Statement>,
  cache: ReadonlyMap<number, Version>,
  rawKeys: ReadonlyMap<number, string>,
  rememberRawKey: (versionId: number, key: string) => void,
): LatestVersions {
  const latest = new Map<number, Version>()
  // Versions handed out here whose article has not been read yet.
  const unloaded = new WeakSet<Version>()
  const lazy = (meta: Omit<Version, 'article'>): Version => {
    const { id } = meta
    let article: Version['article'] | undefined
    const version = Object.defineProperty(meta, 'article', {
      enumerable: true,
      get: () => {
        if (article === undefined) {
          article = deepFreeze(JSON.parse(q.versionArticle.get(id) as string) as Version['article'])
          unloaded.delete(version)
        }
        return article
      },
    }) as Version
    deepFreeze(meta.change)
    unloaded.add(version)
    if (latest.size >= LATEST_CACHE_SIZE) latest.delete(latest.keys().next().value as number)
    latest.set(id, Object.freeze(version))
    return version
  }
  const latestVersion = (id: number): Version | null => {
    const hit = cache.get(id) ?? latest.get(id)
    if (hit) return hit
    const row = q.versionMeta.get(id) as VersionRow | undefined
    if (!row) return null
    const { article: _, ...meta } = toVersion(row)
    return lazy(meta)
  }
  const sameAs = (current: Version, v: VersionRecord): boolean => {
    // The raw fields of an article already seen as this version: an unchanged re-capture (most of them)
    // is told by one hash of its raw fields, without normalising its text for the content hash.
    const key = v.rawKey
    if (key !== undefined && rawKeys.get(current.id) === key) return true
    const same =
      (!unloaded.has(current) && sameContent(current.article, v.article)) || current.contentHash === v.contentHash
    if (same && key !== undefined) rememberRawKey(current.id, key)
    return same
  }
  const remember = (meta: Omit<Version, 'article'>, previous: Version | null): Version => {
    // The previous newest version is no longer asked for by ingest, and its article was probably just read
    // (to measure the change): dropping it keeps this cache small.
    if (previous) latest.delete(previous.id)
    return lazy(meta)
  }
  return {
    latestVersion,
    sameAs,
    remember,
    forget: (id) => latest.delete(id),
    clear: () => latest.clear(),
  }
}

/** Newest versions kept for ingest, without their articles (~0.5 kB each): more than the pages in rotation. */
const LATEST_CACHE_SIZE = 20_000

// --- Internal helpers ---

/** The WHERE clause of a page query over `pages p`. */
function where(query: PageQuery): { sql: string; args: unknown[] } {
  const parts: string[] = []
  const args: unknown[] = []
  const add = (sql: string, arg: unknown): void => {
    parts.push(sql)
    args.push(arg)
  }
  if (query.host !== undefined) add('p.host = ?', query.host)
  if (query.source !== undefined) add('p.source = ?', query.source)
  if (query.industry !== undefined)
    add('p.id IN (SELECT page_id FROM page_industries WHERE industry = ?)', query.industry)
  if (query.publishedFrom !== undefined) add('p.published_ms >= ?', ms(query.publishedFrom))
  if (query.publishedTo !== undefined) add('p.published_ms < ?', ms(query.publishedTo))
  if (query.changedSince !== undefined) add('p.last_changed_at >= ?', ms(query.changedSince))
  if (query.minVersions !== undefined) add('p.version_count >= ?', query.minVersions)
  return { sql: parts.length > 0 ? `WHERE ${parts.join(' AND ')}` : '', args }
}
