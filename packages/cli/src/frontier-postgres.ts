/**
 * The PostgreSQL frontier: the same rows and rules as the SQLite one, in the archive's own database and
 * schema (`parkwatch_frontier`, `parkwatch_frontier_urls`, its schema version in `parkwatch_meta`), so a
 * `--archive postgres://…` deployment keeps the archive and the work still to do in one place, shared by
 * processes on any number of machines. `pg` is imported on first use.
 *
 * Concurrency: a claim is one statement that picks due rows `FOR UPDATE SKIP LOCKED` and leases them, so
 * two processes never get the same row. `parkwatch_frontier_urls` holds every URL once: `addNew` inserts
 * there first (`ON CONFLICT DO NOTHING` waits for a racing insert of the same URL and then skips it), and
 * `pullForward` locks the URLs' rows there while it decides, so two processes never plan two visits of one
 * URL. Completing a visit and planning the next is one statement. Round trips: one per `complete`,
 * `release`, `schedule` and `addNew` batch; two or three per claimed batch; one per `pullForward` batch
 * with nothing to pull (most passes), six when something is (a read, then a transaction).
 */
import { createHash } from 'node:crypto'
import { hostname } from 'node:os'
import type { Pool, PoolClient, QueryResultRow } from 'pg'
import { FrontierError } from './errors.js'
import {
  DEFAULT_LEASE_MS,
  type Frontier,
  type FrontierCounts,
  type FrontierVisit,
  type SiteCounts,
  type VisitMeta,
} from './frontier.js'
import { MIGRATIONS, quoteIdent, statements } from './frontier-postgres-sql.js'
import {
  checkClaimLimit,
  deadOwners,
  defaultOwner,
  type FrontierRow,
  type PulledVisit,
  planPull,
  toClaim,
} from './frontier-rows.js'

/** Version of the PostgreSQL frontier's tables, kept in `<schema>.parkwatch_meta`. */
export const POSTGRES_FRONTIER_SCHEMA_VERSION = 1

/** Options of `openPostgresFrontier`. */
export interface PostgresFrontierOptions {
  /** Connection string of the archive's database, e.g. `postgres://user@127.0.0.1:5432/db`. @default process.env.ARCHIVE_PG_URL */
  connectionString?: string
  /** Schema holding the tables: the archive's (`postgresBackend`'s `schema`). Created when missing. @default 'parkwatch' */
  schema?: string
  /** Maximum connections in the pool. @default 4 */
  poolSize?: number
  /** Identifies this process's claims. @default `<hostname>:<pid>:<random>` */
  owner?: string
  /**
   * The session's `synchronous_commit`, as for the archive's postgres backend: `off` is safe against a
   * killed process (only a crash of the server itself can lose the last commits); `on` survives that too.
   * @default 'off'
   */
  synchronousCommit?: 'on' | 'off'
}

/**
 * Connect to the archive's PostgreSQL database and open (create or migrate) the frontier tables in its
 * schema. Safe when several processes open the same schema at once (the migration holds an advisory lock).
 *
 * @throws {TypeError} for a bad option; {FrontierError} when the database cannot be reached or the
 *   tables were written by a newer parkwatch.
 * @example
 * ```ts
 * const frontier = await openPostgresFrontier({ connectionString: 'postgres://postgres@127.0.0.1/test', schema: 'parkwatch' })
 * await frontier.addNew([{ url, dueAt: Date.now(), meta: { site: 'demo-blog' } }])
 * const visits = await frontier.claim({ now: Date.now(), limit: 10 })
 * await frontier.close()
 * ```
 */
export async function openPostgresFrontier(options: PostgresFrontierOptions = {}): Promise<Frontier> {
  const connectionString = options.connectionString ?? process.env.ARCHIVE_PG_URL
  if (typeof connectionString !== 'string' || !/^postgres(ql)?:\/\//.test(connectionString)) {
    throw new TypeError(
      `Expected \`connectionString\` (or ARCHIVE_PG_URL) to be a postgres:// URL, got \`${connectionString}\``,
    )
  }
  const schema = options.schema ?? 'parkwatch'
  if (!IDENT_RE.test(schema)) throw new TypeError(`Expected \`schema\` to match ${IDENT_RE}, got \`${schema}\``)
  const poolSize = options.poolSize ?? 4
  if (!Number.isInteger(poolSize) || poolSize < 1) {
    throw new TypeError(`Expected \`poolSize\` to be an integer >= 1, got \`${poolSize}\``)
  }
  const synchronousCommit = options.synchronousCommit ?? 'off'
  if (synchronousCommit !== 'on' && synchronousCommit !== 'off') {
    throw new TypeError(`Expected \`synchronousCommit\` to be 'on' or 'off', got \`${synchronousCommit}\``)
  }
  const owner = options.owner ?? defaultOwner()
  const location = describeLocation(connectionString, schema)
  const pool = await connect(connectionString, schema, poolSize, synchronousCommit, location)
  const sql = statements(quoteIdent(schema))
  // The fixed statements are prepared once per connection (named), not parsed and planned on every call.
  const names = new Map(Object.values(sql).map((text) => [text, `pwf_${sha1(text).toString('hex').slice(0, 16)}`]))
  let closed = false

  const query = async <R extends QueryResultRow>(
    text: string,
    values: unknown[],
    client?: PoolClient,
  ): Promise<{ rows: R[]; rowCount: number }> => {
    if (closed) throw new FrontierError(location, 'the frontier is closed')
    try {
      const result = await (client ?? pool).query<R>({ name: names.get(text), text, values })
      return { rows: result.rows, rowCount: result.rowCount ?? 0 }
    } catch (cause) {
      throw new FrontierError(location, `query failed: ${(cause as Error).message}`, { cause })
    }
  }

  const transaction = async <T>(fn: (client: PoolClient) => Promise<T>): Promise<T> => {
    if (closed) throw new FrontierError(location, 'the frontier is closed')
    let client: PoolClient
    try {
      client = await pool.connect()
    } catch (cause) {
      throw new FrontierError(location, `cannot connect: ${(cause as Error).message}`, { cause })
    }
    let broken = false
    try {
      await client.query('BEGIN')
      const result = await fn(client)
      await client.query('COMMIT')
      return result
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true
      })
      if (error instanceof FrontierError) throw error
      throw new FrontierError(location, `transaction failed: ${(error as Error).message}`, { cause: error })
    } finally {
      // A connection that cannot even roll back is dropped, not handed to the next caller.
      client.release(broken)
    }
  }

  const rowsByUrl = async (urls: readonly string[], client?: PoolClient): Promise<Map<string, FrontierRow[]>> => {
    const byUrl = new Map<string, FrontierRow[]>(urls.map((url) => [url, []]))
    for (const row of (await query<FrontierRow>(sql.rowsOf, [urls], client)).rows) byUrl.get(row.url)?.push(row)
    return byUrl
  }

  return {
    location,
    owner,

    async schedule(url, dueAt, meta) {
      const v = itemValues(0, url, dueAt, meta)
      const { rowCount } = await query(sql.schedule, [url, v.due_at, v.site, v.first_seen_at, v.published_at, v.extra])
      return rowCount > 0
    },

    async addNew(items) {
      // The first occurrence of a URL wins, as when the items are added one by one.
      const seen = new Set<string>()
      const fresh = items.filter(({ url }) => !seen.has(url) && seen.add(url))
      if (fresh.length === 0) return 0
      const rows = fresh.map(({ url, dueAt, meta }, i) => itemValues(i, url, dueAt, meta))
      return (await query(sql.addNew, [JSON.stringify(rows)])).rowCount
    },

    async pullForward(items, dueAt) {
      if (items.length === 0) return 0
      // Most updates are older than the last visit: a first read without locks sorts them out in one round trip.
      const wall = Date.now()
      const urls = [...new Set(items.map((item) => item.url))]
      const unlocked = await rowsByUrl(urls)
      const candidates = items.filter((item) => planPull(unlocked.get(item.url) ?? [], item.updatedAt, dueAt, wall))
      if (candidates.length === 0) return 0
      return await transaction(async (client) => {
        const wanted = [...new Set(candidates.map((item) => item.url))]
        await query(sql.lockUrls, [wanted], client)
        const locked = await rowsByUrl(wanted, client)
        const pulled: Array<ReturnType<typeof pulledValues>> = []
        const supersede: number[] = []
        // One item after the other against the rows as they would be after the earlier ones (a URL listed
        // by a feed and by a sitemap is pulled once), as the SQLite frontier does it row by row.
        for (const { url, updatedAt } of candidates) {
          const rows = locked.get(url) ?? []
          const plan = planPull(rows, updatedAt, dueAt, wall)
          if (!plan || rows.some((r) => r.due_at === plan.dueAt)) continue
          pulled.push(pulledValues(pulled.length, url, plan))
          supersede.push(...plan.supersede)
          for (const r of rows) if (plan.supersede.includes(r.id)) Object.assign(r, SUPERSEDED, { done_at: wall })
          rows.push({ ...NEW_ROW, url, due_at: plan.dueAt, visit: plan.visit })
          rows.sort((a, b) => a.due_at - b.due_at)
        }
        if (pulled.length === 0) return 0
        const { rows } = await query<{ n: number }>(sql.pull, [JSON.stringify(pulled), wall, supersede], client)
        return rows[0]?.n ?? 0
      })
    },

    async claim({ now, limit, leaseMs = DEFAULT_LEASE_MS, sites }) {
      checkClaimLimit(limit)
      if (sites && sites.length === 0) return []
      // Claims of processes on this host that no longer exist are expired at once (no lease wait).
      const { rows: others } = await query<{ owner: string }>(sql.ownersHere, [`${hostname()}:`])
      const dead = deadOwners(
        others.map((r) => r.owner),
        owner,
      )
      if (dead.length > 0) await query(sql.expireOwners, [dead])
      // Due times follow the caller's clock (tests and the demo move it); leases always follow the wall clock.
      const wall = Date.now()
      const args = [Math.floor(now), wall, limit, owner, wall + Math.round(leaseMs)]
      const { rows } = sites
        ? await query<FrontierRow>(sql.claimSites, [...args, sites])
        : await query<FrontierRow>(sql.claim, args)
      return rows.sort((a, b) => a.due_at - b.due_at || a.id - b.id).map(toClaim)
    },

    async complete(id, c) {
      const next = c.nextDueAt === undefined || c.nextDueAt === null ? null : Math.round(c.nextDueAt)
      const publishedAt = c.publishedAt === undefined || c.publishedAt === null ? null : Math.round(c.publishedAt)
      const { rows } = await query<{ n: number }>(sql.complete, [
        id,
        c.outcome,
        Date.now(),
        next,
        c.publishedAt !== undefined,
        publishedAt,
      ])
      return (rows[0]?.n ?? 0) > 0
    },

    async release(id) {
      return (await query(sql.release, [id])).rowCount > 0
    },

    async counts(now) {
      const { rows } = await query<FrontierCounts>(sql.counts, [Math.floor(now)])
      const row = rows[0]
      return {
        due: row?.due ?? 0,
        later: row?.later ?? 0,
        claimed: row?.claimed ?? 0,
        done: row?.done ?? 0,
        urls: row?.urls ?? 0,
        outcomes: row?.outcomes ?? {},
      }
    },

    async sites(now): Promise<SiteCounts[]> {
      const { rows } = await query<SiteRow>(sql.sites, [Math.floor(now)])
      return rows.map((r) => ({
        site: r.site,
        urls: r.urls,
        due: r.due,
        later: r.later,
        claimed: r.claimed,
        nextDueAt: r.next_due_at === null ? null : Number(r.next_due_at),
        lastDoneAt: r.last_done_at === null ? null : Number(r.last_done_at),
        outcomes: r.outcomes,
      }))
    },

    async visits(url): Promise<FrontierVisit[]> {
      const { rows } = await query<FrontierRow>(sql.visits, [url])
      return rows.map((r) => ({ id: r.id, dueAt: r.due_at, state: r.state, outcome: r.outcome }))
    },

    async close() {
      if (closed) return
      closed = true
      await pool.end()
    },
  }
}

// --- Internal helpers ---

/** A row of the `sites` statement (bigint columns come back as strings unless parsed). */
interface SiteRow extends QueryResultRow {
  site: string
  urls: number
  due: number
  later: number
  claimed: number
  next_due_at: string | number | null
  last_done_at: string | number | null
  outcomes: Record<string, number>
}

const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/
/** pg's type id of `bigint`: read as a JS number (epoch ms and ids stay far below 2^53). */
const INT8_OID = 20

async function connect(
  connectionString: string,
  schema: string,
  max: number,
  synchronousCommit: string,
  location: string,
): Promise<Pool> {
  let pg: typeof import('pg')
  try {
    const mod = (await import('pg')) as typeof import('pg') & { default?: typeof import('pg') }
    // pg is CommonJS: its API is the default export under ESM.
    pg = mod.default ?? mod
  } catch (cause) {
    throw new FrontierError(location, 'the postgres frontier needs `pg`: run `pnpm add pg`', { cause })
  }
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
  }
  const pool = new pg.Pool({ connectionString, max, types, options: `-c synchronous_commit=${synchronousCommit}` })
  // An idle connection dropped by the server must not crash the process; the next query reconnects.
  pool.on('error', () => {})
  try {
    const client = await pool.connect()
    try {
      await migrate(client, schema, location)
    } finally {
      client.release()
    }
  } catch (cause) {
    await pool.end().catch(() => {})
    if (cause instanceof FrontierError) throw cause
    throw new FrontierError(location, `cannot open the database: ${(cause as Error).message}`, { cause })
  }
  return pool
}

/**
 * Create or upgrade the tables in one transaction, under the advisory lock the archive's own migration
 * takes for the schema (`@parkwatch/archive`'s `migratePostgres`): processes opening the same schema at once,
 * frontier or archive, wait here and then see what the first one wrote. Both create the schema when it is
 * missing, and two `CREATE SCHEMA IF NOT EXISTS` running at once can collide.
 */
async function migrate(client: PoolClient, schema: string, location: string): Promise<void> {
  const S = quoteIdent(schema)
  for (let attempt = 1; ; attempt++) {
    try {
      await client.query('BEGIN')
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`parkwatch-archive:${schema}`])
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${S}`)
      await client.query(`CREATE TABLE IF NOT EXISTS ${S}.parkwatch_meta (key text PRIMARY KEY, value text NOT NULL)`)
      const { rows } = await client.query<{ value: string }>(
        `SELECT value FROM ${S}.parkwatch_meta WHERE key = 'frontier_schema_version'`,
      )
      const version = rows[0] ? Number(rows[0].value) : 0
      if (version > POSTGRES_FRONTIER_SCHEMA_VERSION) {
        throw new FrontierError(
          location,
          `frontier schema v${version} is newer than this parkwatch (v${POSTGRES_FRONTIER_SCHEMA_VERSION}); upgrade parkwatch`,
        )
      }
      for (const step of MIGRATIONS) {
        if (step.version <= version) continue
        try {
          await client.query(step.sql(S))
        } catch (cause) {
          throw new FrontierError(location, `migration ${step.version} (${step.description}) failed`, { cause })
        }
      }
      await client.query(
        `INSERT INTO ${S}.parkwatch_meta (key, value) VALUES ('frontier_schema_version', $1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        [String(Math.max(version, POSTGRES_FRONTIER_SCHEMA_VERSION))],
      )
      await client.query('COMMIT')
      return
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      // Should another opener create the schema without that lock (an older archive), the two can collide
      // on the catalog's unique index; the next attempt finds the schema.
      const code = (error as { code?: string }).code
      if (attempt < 3 && (code === '23505' || code === '42P06')) continue
      throw error
    }
  }
}

/** A batch row of `statements`' `ITEMS` for a first visit. */
function itemValues(i: number, url: string, dueAt: number, meta: VisitMeta) {
  return {
    i,
    url,
    due_at: Math.round(dueAt),
    site: meta.site,
    first_seen_at: Math.round(meta.firstSeenAt ?? dueAt),
    published_at: roundOrNull(meta.publishedAt),
    visit: 1,
    extra: meta.extra ? JSON.stringify(meta.extra) : null,
  }
}

/** A batch row of `statements`' `ITEMS` for a pulled-forward visit. */
function pulledValues(i: number, url: string, plan: PulledVisit) {
  return {
    i,
    url,
    due_at: plan.dueAt,
    site: plan.site,
    first_seen_at: plan.firstSeenAt,
    published_at: roundOrNull(plan.publishedAt),
    visit: plan.visit,
    extra: plan.extra,
  }
}

/** What `pullForward` needs to know of a row it planned or closed in the same batch. */
const NEW_ROW: FrontierRow = {
  id: 0,
  url: '',
  due_at: 0,
  site: '',
  state: 'due',
  first_seen_at: 0,
  published_at: null,
  visit: 0,
  claimed_at: null,
  done_at: null,
  extra: null,
  outcome: null,
}
const SUPERSEDED = { state: 'done', outcome: 'superseded' } as const

function roundOrNull(value: number | null | undefined): number | null {
  return value === undefined || value === null ? null : Math.round(value)
}

/** `postgres://host:port/db (schema s)`: where the rows are, without user or password. */
function describeLocation(connectionString: string, schema: string): string {
  try {
    const url = new URL(connectionString)
    return `${url.protocol}//${url.host}${url.pathname} (schema ${schema})`
  } catch {
    return `postgres (schema ${schema})`
  }
}

function sha1(text: string): Buffer {
  return createHash('sha1').update(text).digest()
}
