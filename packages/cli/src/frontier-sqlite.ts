/**
 * The SQLite frontier: own tables in the archive's SQLite file (schema version in `parkwatch_meta`, WAL),
 * so one file holds the archive and the work still to do. The core is synchronous, as better-sqlite3 is:
 * each call is one short `BEGIN IMMEDIATE` transaction, so processes sharing the file take turns. The
 * `Frontier` returned wraps it in Promises (a synchronous error becomes a rejection).
 */
import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { enableWal } from '@parkwatch/archive'
import { FrontierError } from './errors.js'
import {
  type Claim,
  type ClaimOptions,
  type Completion,
  DEFAULT_LEASE_MS,
  FRONTIER_SCHEMA_VERSION,
  type Frontier,
  type FrontierCounts,
  type FrontierVisit,
  type SiteCounts,
  type VisitMeta,
} from './frontier.js'
import {
  checkClaimLimit,
  deadOwners,
  defaultOwner,
  planPull,
  type FrontierRow as Row,
  FRONTIER_TABLE as TABLE,
  toClaim,
} from './frontier-rows.js'

/** Options of `openFrontier`. */
export interface FrontierOptions {
  /** SQLite file, typically the archive's `<dataDir>/archive.sqlite`. Created when missing. */
  file: string
  /** How long a busy writer waits for the lock (another process writing). @default 10_000 */
  busyTimeoutMs?: number
  /** Identifies this process's claims. @default `<hostname>:<pid>:<random>` */
  owner?: string
}

/** The SQLite frontier: a `Frontier` that also names its file. */
export interface SqliteFrontier extends Frontier {
  /** The SQLite file (the same as `location`). */
  readonly file: string
}

/**
 * Open (and create or migrate) the frontier tables in `file`. Opening is synchronous; the methods return
 * Promises, as every `Frontier`'s do.
 *
 * @throws {FrontierError} when the file cannot be opened or was written by a newer parkwatch.
 * @example
 * ```ts
 * const frontier = openFrontier({ file: 'data/archive.sqlite' })
 * await frontier.addNew([{ url, dueAt: Date.now(), meta: { site: 'demo-blog' } }])
 * for (const visit of await frontier.claim({ now: Date.now(), limit: 10 })) {
 *   await frontier.complete(visit.id, { outcome: 'unchanged' })
 * }
 * ```
 */
export function openFrontier(options: FrontierOptions): SqliteFrontier {
  const core = openSyncFrontier(options)
  return {
    file: core.file,
    location: core.file,
    owner: core.owner,
    schedule: async (url, dueAt, meta) => core.schedule(url, dueAt, meta),
    addNew: async (items) => core.addNew(items),
    pullForward: async (items, dueAt) => core.pullForward(items, dueAt),
    claim: async (claimOptions) => core.claim(claimOptions),
    complete: async (id, completion) => core.complete(id, completion),
    release: async (id) => core.release(id),
    counts: async (now) => core.counts(now),
    sites: async (now) => core.sites(now),
    visits: async (url) => core.visits(url),
    close: async () => core.close(),
  }
}

// --- Internal helpers ---

/** The synchronous core: `Frontier` with plain return values. */
interface SyncFrontier {
  readonly file: string
  readonly owner: string
  schedule(url: string, dueAt: number, meta: VisitMeta): boolean
  addNew(items: ReadonlyArray<{ url: string; dueAt: number; meta: VisitMeta }>): number
  pullForward(items: ReadonlyArray<{ url: string; updatedAt: number }>, dueAt: number): number
  claim(options: ClaimOptions): Claim[]
  complete(id: number, completion: Completion): boolean
  release(id: number): boolean
  counts(now: number): FrontierCounts
  sites(now: number): SiteCounts[]
  visits(url: string): FrontierVisit[]
  close(): void
}

function openSyncFrontier(options: FrontierOptions): SyncFrontier {
  const { file } = options
  const busyTimeoutMs = options.busyTimeoutMs ?? 10_000
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new TypeError(`Expected \`busyTimeoutMs\` to be an integer >= 0, got \`${busyTimeoutMs}\``)
  }
  const owner = options.owner ?? defaultOwner()
  let db: Db
  try {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
    db = new (loadSqlite())(file, { timeout: busyTimeoutMs })
    enableWal(db, busyTimeoutMs)
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
      const plan = planPull(rowsOf.all(url) as Row[], updatedAt, dueAt, wall)
      if (!plan) continue
      const { site, firstSeenAt, publishedAt, visit, extra } = plan
      if (insert.run(url, plan.dueAt, site, firstSeenAt, publishedAt, visit, extra).changes === 0) continue
      for (const id of plan.supersede) supersede.run(wall, id)
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
    const owners = (staleOwners.all() as Array<{ owner: string }>).map((r) => r.owner)
    for (const other of deadOwners(owners, owner)) expireOwner.run(other)
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
      checkClaimLimit(limit)
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
    sites(now) {
      const rows = db
        .prepare(
          `SELECT site, COUNT(DISTINCT url) AS urls,
             SUM(state = 'due' AND due_at <= ?) AS due, SUM(state = 'due' AND due_at > ?) AS later,
             SUM(state = 'claimed') AS claimed, MIN(CASE WHEN state = 'due' THEN due_at END) AS next_due_at,
             MAX(done_at) AS last_done_at
           FROM ${TABLE} GROUP BY site ORDER BY site`,
        )
        .all(now, now) as Array<Record<string, number | null> & { site: string }>
      const outcomes = new Map<string, Record<string, number>>()
      for (const r of db
        .prepare(`SELECT site, outcome, COUNT(*) AS n FROM ${TABLE} WHERE state = 'done' GROUP BY site, outcome`)
        .all() as Array<{ site: string; outcome: string; n: number }>) {
        const of = outcomes.get(r.site) ?? {}
        of[r.outcome] = r.n
        outcomes.set(r.site, of)
      }
      return rows.map((r) => ({
        site: r.site,
        urls: r.urls ?? 0,
        due: r.due ?? 0,
        later: r.later ?? 0,
        claimed: r.claimed ?? 0,
        nextDueAt: r.next_due_at ?? null,
        lastDoneAt: r.last_done_at ?? null,
        outcomes: outcomes.get(r.site) ?? {},
      }))
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
