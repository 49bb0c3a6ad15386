/**
 * The persistent frontier: every planned visit of a URL is one row keyed by (URL, due time), never by URL
 * alone, so a page's history of visits is kept and a revisit is just another row. Rows move `due` ->
 * `claimed` (leased to one process) -> `done` (with the outcome). It lives in the archive's SQLite file (own
 * tables, own schema-version row, WAL), so one file holds the archive and the work still to do.
 *
 * Crash safety: a claim is a lease. A run killed with SIGKILL leaves its rows `claimed`; the next run sees
 * that the owning process is gone (same host) or that the lease ran out (any host) and claims them again,
 * remembering when they were first claimed so the runner can tell whether the capture was already stored.
 */
import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { hostname } from 'node:os'
import { dirname } from 'node:path'
import { FrontierError } from './errors.js'

/** Version of the frontier's tables, kept in `parkwatch_meta` (the archive owns `PRAGMA user_version`). */
export const FRONTIER_SCHEMA_VERSION = 1

/** How far in the future an entry point's update date may be and still pull a visit forward (clock skew). */
export const MAX_UPDATE_SKEW_MS: number = 10 * 60_000

/** Default lease of a claim: long enough for retries with Retry-After waits, short enough to recover. */
export const DEFAULT_LEASE_MS: number = 10 * 60_000

/** What the frontier knows about a visit besides its URL and due time. */
export interface VisitMeta {
  /** Id of the site (sources file) the URL belongs to. */
  site: string
  /** When parkwatch first saw the URL (epoch ms); revisit ages count from here. @default the due time */
  firstSeenAt?: number
  /** Publication time from the feed, sitemap or article (epoch ms), when known. @default null */
  publishedAt?: number | null
  /** Free-form extras (title from the feed, the page it was found on). @default {} */
  extra?: Record<string, unknown>
}

/** A claimed visit, handed to one worker. */
export interface Claim {
  id: number
  url: string
  /** When the visit was due (epoch ms). */
  dueAt: number
  site: string
  firstSeenAt: number
  publishedAt: number | null
  /** 1 for the first visit of the URL, 2 for the first revisit, ... */
  visit: number
  extra: Record<string, unknown>
  /**
   * Wall-clock time of an earlier claim of this same row that never completed (its process died), or
   * null. A capture of the URL stored after this moment means the visit was done before the crash.
   */
  previousClaimAt: number | null
}

/** How a visit ended, stored on its row. */
export interface Completion {
  /** `new-version`, `unchanged`, `not-modified`, `skipped:<reason>`, `error:<kind>`, `recovered`... */
  outcome: string
  /** The next visit, or null/undefined to stop visiting the URL. */
  nextDueAt?: number | null
  /** A publication time learnt from the article, kept on the next visit's row. @default unchanged */
  publishedAt?: number | null
}

/** Figures for progress and summaries. */
export interface FrontierCounts {
  /** Rows waiting whose due time has come. */
  due: number
  /** Rows waiting for a later time. */
  later: number
  claimed: number
  done: number
  /** Distinct URLs known. */
  urls: number
  /** Done rows per outcome. */
  outcomes: Record<string, number>
}

/** Options of `openFrontier`. */
export interface FrontierOptions {
  /** SQLite file, typically the archive's `<dataDir>/archive.sqlite`. Created when missing. */
  file: string
  /** How long a busy writer waits for the lock (another process writing). @default 10_000 */
  busyTimeoutMs?: number
  /** Identifies this process's claims. @default `<hostname>:<pid>:<random>` */
  owner?: string
}

/** The frontier API. All methods are synchronous: better-sqlite3 is, and each call is one short transaction. */
export interface Frontier {
  readonly file: string
  /** This process's owner id, written on its claims. */
  readonly owner: string
  /** Plan a visit; idempotent per (url, dueAt). Returns true when the row was added. */
  schedule(url: string, dueAt: number, meta: VisitMeta): boolean
  /**
   * Plan the first visit of URLs never seen before; URLs the frontier already knows (in any state) are left
   * alone, so discovering the same article every pass does not multiply its visits. Returns how many were added.
   */
  addNew(items: ReadonlyArray<{ url: string; dueAt: number; meta: VisitMeta }>): number
  /**
   * Pull visits forward for known URLs an entry point says changed after their last visit began (a feed's
   * `<updated>`, a sitemap's `<lastmod>`): a visit due at `dueAt` is planned, and later planned visits of the
   * URL are closed as `superseded` (the early one plans the next as usual), so the URL keeps one pending
   * visit. Left alone: URLs with a visit already due by `dueAt` or in progress, URLs never visited, URLs
   * whose last visit was a skip (robots, irrelevant, redirected: nothing was captured), and `updatedAt`
   * more than `MAX_UPDATE_SKEW_MS` in the future (a portal's clock or typo would pull every pass).
   * `updatedAt` is wall-clock epoch ms, compared with the wall-clock start of the last visit; `dueAt`
   * follows the caller's clock, as in `schedule`. Returns how many visits were pulled forward.
   */
  pullForward(items: ReadonlyArray<{ url: string; updatedAt: number }>, dueAt: number): number
  /**
   * Lease up to `limit` due visits (due time <= `now`, oldest first), including claims whose lease ran out
   * or whose owning process on this host is gone. `sites` restricts to those site ids.
   */
  claim(options: { now: number; limit: number; leaseMs?: number; sites?: readonly string[] }): Claim[]
  /** Finish a claimed visit and, when `nextDueAt` is given, plan the next one. False when not claimed. */
  complete(id: number, completion: Completion): boolean
  /** Give a claimed visit back (shutdown, aborted fetch): it is due again at once. */
  release(id: number): boolean
  /** Current figures. */
  counts(now: number): FrontierCounts
  /** Every row of a URL, oldest due time first (for tests and `--explain`-style tooling). */
  visits(url: string): Array<{ id: number; dueAt: number; state: string; outcome: string | null }>
  close(): void
}

/**
 * Open (and create or migrate) the frontier tables in `file`.
 *
 * @throws {FrontierError} when the file cannot be opened or was written by a newer parkwatch.
 * @example
 * ```ts
 * const frontier = openFrontier({ file: 'data/archive.sqlite' })
 * frontier.addNew([{ url, dueAt: Date.now(), meta: { site: 'demo-blog' } }])
 * for (const visit of frontier.claim({ now: Date.now(), limit: 10 })) frontier.complete(visit.id, { outcome: 'unchanged' })
 * ```
 */
export function openFrontier(options: FrontierOptions): Frontier {
  const { file } = options
  const busyTimeoutMs = options.busyTimeoutMs ?? 10_000
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new TypeError(`Expected \`busyTimeoutMs\` to be an integer >= 0, got \`${busyTimeoutMs}\``)
  }
  const owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`
  let db: Db
  try {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
    db = new (loadSqlite())(file, { timeout: busyTimeoutMs })
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    migrate(db, file)
  } catch (cause) {
    if (cause instanceof FrontierError) throw cause
    throw new FrontierError(file, 'cannot open the database', { cause })
  }

  const insert = db.prepare(
    `INSERT OR IGNORE INTO ${TABLE} (url, due_at, site, first_seen_at, published_at, visit, extra)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  )
  const known = db.prepare(`SELECT 1 FROM ${TABLE} WHERE url = ? LIMIT 1`)
  const rowsOf = db.prepare(`SELECT * FROM ${TABLE} WHERE url = ? ORDER BY due_at, id`)
  const supersede = db.prepare(
    `UPDATE ${TABLE} SET state = 'done', outcome = 'superseded', done_at = ? WHERE id = ? AND state = 'due'`,
  )
  const getRow = db.prepare(`SELECT * FROM ${TABLE} WHERE id = ?`)
  const staleOwners = db.prepare(`SELECT DISTINCT owner FROM ${TABLE} WHERE state = 'claimed' AND owner IS NOT NULL`)
  const expireOwner = db.prepare(`UPDATE ${TABLE} SET lease_until = 0 WHERE state = 'claimed' AND owner = ?`)
  const markDone = db.prepare(
    `UPDATE ${TABLE} SET state = 'done', outcome = ?, done_at = ?, lease_until = NULL WHERE id = ? AND state = 'claimed'`,
  )
  const markDue = db.prepare(
    `UPDATE ${TABLE} SET state = 'due', owner = NULL, lease_until = NULL, claimed_at = NULL
     WHERE id = ? AND state = 'claimed'`,
  )
  const lease = db.prepare(
    `UPDATE ${TABLE} SET state = 'claimed', owner = ?, lease_until = ?, claimed_at = ?, claims = claims + 1 WHERE id = ?`,
  )

  const addNew = db.transaction((items: ReadonlyArray<{ url: string; dueAt: number; meta: VisitMeta }>) => {
    let added = 0
    for (const { url, dueAt, meta } of items) {
      if (known.get(url)) continue
      added += insert.run(...rowValues(url, dueAt, meta, 1)).changes
    }
    return added
  })

  const pullForward = db.transaction((items: ReadonlyArray<{ url: string; updatedAt: number }>, dueAt: number) => {
    const wall = Date.now()
    let pulled = 0
    for (const { url, updatedAt } of items) {
      if (!Number.isFinite(updatedAt) || updatedAt > wall + MAX_UPDATE_SKEW_MS) continue
      const rows = rowsOf.all(url) as Row[]
      if (rows.some((r) => r.state === 'claimed' || (r.state === 'due' && r.due_at <= dueAt))) continue
      const last = lastVisit(rows)
      if (!last || last.outcome?.startsWith('skipped') || updatedAt <= (last.claimed_at ?? last.done_at ?? 0)) continue
      const later = rows.filter((r) => r.state === 'due')
      const base = later[0] ?? last
      const visit = later[0] ? base.visit : last.visit + 1
      if (
        insert.run(url, Math.round(dueAt), base.site, base.first_seen_at, base.published_at, visit, base.extra)
          .changes === 0
      ) {
        continue
      }
      for (const r of later) supersede.run(wall, r.id)
      pulled++
    }
    return pulled
  })

  const claim = db.transaction((now: number, limit: number, leaseMs: number, sites: readonly string[] | null) => {
    recoverDeadOwners()
    const siteFilter = sites ? `AND site IN (${sites.map(() => '?').join(',')})` : ''
    // Due times follow the caller's clock (tests and the demo move it); leases always follow the wall clock.
    const wall = Date.now()
    const rows = db
      .prepare(
        `SELECT * FROM ${TABLE}
         WHERE due_at <= ? AND (state = 'due' OR (state = 'claimed' AND lease_until <= ?)) ${siteFilter}
         ORDER BY due_at, id LIMIT ?`,
      )
      .all(now, wall, ...(sites ?? []), limit) as Row[]
    return rows.map((row) => {
      lease.run(owner, wall + leaseMs, wall, row.id)
      return toClaim(row)
    })
  })

  const complete = db.transaction((id: number, c: Completion) => {
    const row = getRow.get(id) as Row | undefined
    if (row?.state !== 'claimed') return false
    markDone.run(c.outcome, Date.now(), id)
    if (c.nextDueAt !== undefined && c.nextDueAt !== null) {
      const publishedAt = c.publishedAt !== undefined ? c.publishedAt : row.published_at
      insert.run(row.url, c.nextDueAt, row.site, row.first_seen_at, publishedAt, row.visit + 1, row.extra)
    }
    return true
  })

  /** Claims of processes on this host that no longer exist are expired at once (no lease wait). */
  function recoverDeadOwners(): void {
    for (const { owner: other } of staleOwners.all() as Array<{ owner: string }>) {
      if (other === owner) continue
      const [host, pid] = other.split(':')
      if (host === hostname() && pid && !processAlive(Number(pid))) expireOwner.run(other)
    }
  }

  return {
    file,
    owner,
    schedule(url, dueAt, meta) {
      return insert.run(...rowValues(url, dueAt, meta, 1)).changes > 0
    },
    addNew: (items) => (items.length === 0 ? 0 : addNew.immediate(items)),
    pullForward: (items, dueAt) => (items.length === 0 ? 0 : pullForward.immediate(items, dueAt)),
    claim({ now, limit, leaseMs = DEFAULT_LEASE_MS, sites }) {
      if (!Number.isInteger(limit) || limit < 1) {
        throw new TypeError(`Expected \`limit\` to be an integer >= 1, got \`${limit}\``)
      }
      // `IN ()` is not SQL; an empty site list simply matches nothing.
      if (sites && sites.length === 0) return []
      return claim.immediate(now, limit, leaseMs, sites ?? null)
    },
    complete: (id, completion) => complete.immediate(id, completion),
    release: (id) => markDue.run(id).changes > 0,
    counts(now) {
      const state = db
        .prepare(
          `SELECT
             SUM(state = 'due' AND due_at <= ?) AS due, SUM(state = 'due' AND due_at > ?) AS later,
             SUM(state = 'claimed') AS claimed, SUM(state = 'done') AS done, COUNT(DISTINCT url) AS urls
           FROM ${TABLE}`,
        )
        .get(now, now) as Record<string, number | null>
      const outcomes: Record<string, number> = {}
      for (const r of db
        .prepare(`SELECT outcome, COUNT(*) AS n FROM ${TABLE} WHERE state = 'done' GROUP BY outcome`)
        .all() as Array<{ outcome: string; n: number }>) {
        outcomes[r.outcome] = r.n
      }
      return {
        due: state.due ?? 0,
        later: state.later ?? 0,
        claimed: state.claimed ?? 0,
        done: state.done ?? 0,
        urls: state.urls ?? 0,
        outcomes,
      }
    },
    visits(url) {
      return (
        db
          .prepare(`SELECT id, due_at, state, outcome FROM ${TABLE} WHERE url = ? ORDER BY due_at, id`)
          .all(url) as Row[]
      ).map((r) => ({ id: r.id, dueAt: r.due_at, state: r.state, outcome: r.outcome }))
    },
    close: () => db.close(),
  }
}

// --- Internal helpers ---

const TABLE = 'parkwatch_frontier'

interface Row {
  id: number
  url: string
  due_at: number
  site: string
  state: 'due' | 'claimed' | 'done'
  first_seen_at: number
  published_at: number | null
  visit: number
  claimed_at: number | null
  done_at: number | null
  extra: string | null
  outcome: string | null
}

/** The few better-sqlite3 calls used here (its types are not a dependency of this package). */
interface Statement {
  run(...params: unknown[]): { changes: number }
  get(...params: unknown[]): unknown
  all(...params: unknown[]): unknown[]
}
type Transaction<F extends (...args: never[]) => unknown> = F & { immediate: F }
interface Db {
  prepare(sql: string): Statement
  exec(sql: string): void
  pragma(sql: string): unknown
  transaction<F extends (...args: never[]) => unknown>(fn: F): Transaction<F>
  close(): void
}
type DbConstructor = new (file: string, options: { timeout: number }) => Db

let sqlite: DbConstructor | undefined

/**
 * better-sqlite3 is a dependency of `@parkwatch/archive`, not of this package (pnpm keeps it out of our
 * `node_modules`); resolving it from the archive's own location uses the very same native build.
 */
function loadSqlite(): DbConstructor {
  if (sqlite) return sqlite
  const here = createRequire(import.meta.url)
  const archiveManifest = here.resolve('@parkwatch/archive/package.json')
  sqlite = createRequire(archiveManifest)('better-sqlite3') as DbConstructor
  return sqlite
}

function migrate(db: Db, file: string): void {
  db.exec(`CREATE TABLE IF NOT EXISTS parkwatch_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`)
  const row = db.prepare(`SELECT value FROM parkwatch_meta WHERE key = 'frontier_schema_version'`).get() as
    | { value: string }
    | undefined
  const version = row ? Number(row.value) : 0
  if (version > FRONTIER_SCHEMA_VERSION) {
    throw new FrontierError(
      file,
      `frontier schema v${version} is newer than this parkwatch (v${FRONTIER_SCHEMA_VERSION}); upgrade parkwatch`,
    )
  }
  if (version === FRONTIER_SCHEMA_VERSION) return
  db.exec(`BEGIN IMMEDIATE;
    CREATE TABLE IF NOT EXISTS ${TABLE} (
      id INTEGER PRIMARY KEY,
      url TEXT NOT NULL,
      due_at INTEGER NOT NULL,
      site TEXT NOT NULL,
      state TEXT NOT NULL DEFAULT 'due' CHECK (state IN ('due', 'claimed', 'done')),
      first_seen_at INTEGER NOT NULL,
      published_at INTEGER,
      visit INTEGER NOT NULL DEFAULT 1,
      owner TEXT,
      lease_until INTEGER,
      claimed_at INTEGER,
      claims INTEGER NOT NULL DEFAULT 0,
      outcome TEXT,
      done_at INTEGER,
      extra TEXT,
      UNIQUE (url, due_at)
    );
    CREATE INDEX IF NOT EXISTS ${TABLE}_due ON ${TABLE} (state, due_at);
    CREATE INDEX IF NOT EXISTS ${TABLE}_url ON ${TABLE} (url);
    INSERT OR REPLACE INTO parkwatch_meta (key, value) VALUES ('frontier_schema_version', '${FRONTIER_SCHEMA_VERSION}');
    COMMIT;`)
}

function rowValues(url: string, dueAt: number, meta: VisitMeta, visit: number): unknown[] {
  return [
    url,
    Math.round(dueAt),
    meta.site,
    Math.round(meta.firstSeenAt ?? dueAt),
    meta.publishedAt ?? null,
    visit,
    meta.extra ? JSON.stringify(meta.extra) : null,
  ]
}

/** The visit that ended last (latest `done_at`), or null when none has; `superseded` rows never ran. */
function lastVisit(rows: readonly Row[]): Row | null {
  let last: Row | null = null
  for (const r of rows) {
    if (r.state !== 'done' || r.outcome === 'superseded') continue
    if (!last || (r.done_at ?? 0) >= (last.done_at ?? 0)) last = r
  }
  return last
}

function toClaim(row: Row): Claim {
  return {
    id: row.id,
    url: row.url,
    dueAt: row.due_at,
    site: row.site,
    firstSeenAt: row.first_seen_at,
    publishedAt: row.published_at,
    visit: row.visit,
    extra: row.extra ? (JSON.parse(row.extra) as Record<string, unknown>) : {},
    // A row still carrying `claimed_at` was claimed before and never completed or released.
    previousClaimAt: row.state === 'claimed' ? row.claimed_at : null,
  }
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
