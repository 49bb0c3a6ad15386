/**
 * The SQL of the PostgreSQL frontier (`frontier-postgres.ts`): its statements and its schema steps.
 * Internal: not exported from the package.
 */
import { FRONTIER_TABLE } from './frontier-rows.js'

/** The statements `statements` returns. */
export type StatementName =
  | 'schedule'
  | 'addNew'
  | 'rowsOf'
  | 'lockUrls'
  | 'pull'
  | 'ownersHere'
  | 'expireOwners'
  | 'claim'
  | 'claimSites'
  | 'complete'
  | 'release'
  | 'counts'
  | 'sites'
  | 'visits'

/** The frontier's SQL, with the schema `S` (quoted) in every table name. */
export function statements(S: string): Record<StatementName, string> {
  const T = `${S}.${FRONTIER_TABLE}`
  const U = `${S}.${FRONTIER_TABLE}_urls`
  const INSERT = `INSERT INTO ${T} (url, due_at, site, first_seen_at, published_at, visit, extra)`
  // A claimable row: due, or claimed with its lease run out. Served by the partial index on open rows.
  const CLAIMABLE = `state <> 'done' AND due_at <= $1 AND (state = 'due' OR lease_until <= $2)`
  const claim = (filter: string): string => `
    WITH picked AS (
      SELECT ${COLUMNS} FROM ${T} WHERE ${CLAIMABLE} ${filter}
      ORDER BY due_at, id LIMIT $3
      FOR UPDATE SKIP LOCKED
    )
    UPDATE ${T} f SET state = 'claimed', owner = $4, lease_until = $5, claimed_at = $2, claims = f.claims + 1
    FROM picked WHERE f.id = picked.id
    RETURNING picked.*`
  return {
    schedule: `
      WITH known AS (INSERT INTO ${U} (url) VALUES ($1) ON CONFLICT DO NOTHING)
      ${INSERT} VALUES ($1, $2, $3, $4, $5, 1, $6::jsonb) ON CONFLICT (url, due_at) DO NOTHING`,
    // URLs go into the URL table in one (sorted) order, so two racing batches cannot deadlock; only those
    // it did not know get a first visit, in the order given.
    addNew: `
      WITH x AS (SELECT * FROM ${ITEMS}),
      fresh AS (INSERT INTO ${U} (url) SELECT url FROM x ORDER BY url ON CONFLICT DO NOTHING RETURNING url)
      ${INSERT} SELECT x.url, x.due_at, x.site, x.first_seen_at, x.published_at, 1, x.extra::jsonb
      FROM x JOIN fresh ON fresh.url = x.url ORDER BY x.i
      ON CONFLICT (url, due_at) DO NOTHING`,
    rowsOf: `SELECT ${COLUMNS} FROM ${T} WHERE url = ANY($1::text[]) ORDER BY due_at, id`,
    lockUrls: `SELECT url FROM ${U} WHERE url = ANY($1::text[]) ORDER BY url FOR UPDATE`,
    // A later visit is superseded only when the early one was really planned.
    pull: `
      WITH x AS (SELECT * FROM ${ITEMS}),
      ins AS (
        ${INSERT} SELECT url, due_at, site, first_seen_at, published_at, visit, extra::jsonb FROM x ORDER BY i
        ON CONFLICT (url, due_at) DO NOTHING RETURNING url
      ),
      sup AS (
        UPDATE ${T} SET state = 'done', outcome = 'superseded', done_at = $2
        WHERE id = ANY($3::bigint[]) AND state = 'due' AND url IN (SELECT url FROM ins)
      )
      SELECT count(*)::int AS n FROM ins`,
    ownersHere: `SELECT DISTINCT owner FROM ${T} WHERE state = 'claimed' AND starts_with(owner, $1)`,
    expireOwners: `UPDATE ${T} SET lease_until = 0 WHERE state = 'claimed' AND owner = ANY($1::text[])`,
    claim: claim(''),
    claimSites: claim('AND site = ANY($6::text[])'),
    complete: `
      WITH done AS (
        UPDATE ${T} SET state = 'done', outcome = $2, done_at = $3, lease_until = NULL
        WHERE id = $1 AND state = 'claimed'
        RETURNING url, site, first_seen_at, published_at, visit, extra
      ),
      next AS (
        ${INSERT}
        SELECT url, $4::bigint, site, first_seen_at, CASE WHEN $5::boolean THEN $6::bigint ELSE published_at END,
          visit + 1, extra
        FROM done WHERE $4::bigint IS NOT NULL
        ON CONFLICT (url, due_at) DO NOTHING
      )
      SELECT count(*)::int AS n FROM done`,
    release: `UPDATE ${T} SET state = 'due', owner = NULL, lease_until = NULL, claimed_at = NULL
      WHERE id = $1 AND state = 'claimed'`,
    counts: `
      SELECT count(*) FILTER (WHERE state = 'due' AND due_at <= $1)::int AS due,
        count(*) FILTER (WHERE state = 'due' AND due_at > $1)::int AS later,
        count(*) FILTER (WHERE state = 'claimed')::int AS claimed,
        count(*) FILTER (WHERE state = 'done')::int AS done,
        count(DISTINCT url)::int AS urls,
        (SELECT coalesce(jsonb_object_agg(o.outcome, o.n), '{}'::jsonb) FROM (
          SELECT coalesce(outcome, 'null') AS outcome, count(*)::int AS n FROM ${T} WHERE state = 'done' GROUP BY 1
        ) o) AS outcomes
      FROM ${T}`,
    sites: `
      SELECT f.site, count(DISTINCT f.url)::int AS urls,
        count(*) FILTER (WHERE f.state = 'due' AND f.due_at <= $1)::int AS due,
        count(*) FILTER (WHERE f.state = 'due' AND f.due_at > $1)::int AS later,
        count(*) FILTER (WHERE f.state = 'claimed')::int AS claimed,
        min(f.due_at) FILTER (WHERE f.state = 'due') AS next_due_at,
        max(f.done_at) AS last_done_at,
        (SELECT coalesce(jsonb_object_agg(o.outcome, o.n), '{}'::jsonb) FROM (
          SELECT coalesce(outcome, 'null') AS outcome, count(*)::int AS n FROM ${T}
          WHERE state = 'done' AND site = f.site GROUP BY 1
        ) o) AS outcomes
      FROM ${T} f GROUP BY f.site ORDER BY f.site`,
    visits: `SELECT id, due_at, state, outcome FROM ${T} WHERE url = $1 ORDER BY due_at, id`,
  }
}

/** Every schema step, oldest first; step `n` takes the tables from `n - 1` to `n`. Never edit a released step. */
export const MIGRATIONS: ReadonlyArray<{ version: number; description: string; sql: (S: string) => string }> = [
  {
    version: 1,
    description: 'frontier rows, known URLs',
    sql: (S) => `
      CREATE TABLE ${S}.${FRONTIER_TABLE} (
        id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        url text NOT NULL,
        due_at bigint NOT NULL,
        site text NOT NULL,
        state text NOT NULL DEFAULT 'due' CHECK (state IN ('due', 'claimed', 'done')),
        first_seen_at bigint NOT NULL,
        published_at bigint,
        visit integer NOT NULL DEFAULT 1,
        owner text,
        lease_until bigint,
        claimed_at bigint,
        claims integer NOT NULL DEFAULT 0,
        outcome text,
        done_at bigint,
        extra jsonb,
        UNIQUE (url, due_at)
      );
      CREATE INDEX ${FRONTIER_TABLE}_open ON ${S}.${FRONTIER_TABLE} (due_at, id) WHERE state <> 'done';
      CREATE INDEX ${FRONTIER_TABLE}_owner ON ${S}.${FRONTIER_TABLE} (owner) WHERE state = 'claimed';
      CREATE TABLE ${S}.${FRONTIER_TABLE}_urls (url text PRIMARY KEY);`,
  },
]

/** `"name"` with embedded quotes doubled: a schema name is an identifier, never a parameter. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

// --- Internal helpers ---

/** Rows of one `jsonb_to_recordset` parameter: one JSON round trip for a whole batch. */
const ITEMS = `jsonb_to_recordset($1::jsonb) AS x (i int, url text, due_at bigint, site text, first_seen_at bigint,
  published_at bigint, visit int, extra text)`
/** The columns of a `FrontierRow`, `extra` as JSON text. */
const COLUMNS = `id, url, due_at, site, state, first_seen_at, published_at, visit, claimed_at, done_at,
  extra::text AS extra, outcome`
