/**
 * @file Versioned schema migrations of the SQLite backend. The schema version lives in
 * `PRAGMA user_version`; opening an archive written by an older version applies the missing steps, in one
 * write transaction, so two processes opening the same old file migrate it once.
 */

import type { Article } from '@parkwatch/extractor'
import type Database from 'better-sqlite3'
import { versionChange } from '../change.js'
import { StorageError } from '../errors.js'
import { searchTextOf } from '../hash.js'
import type { VerifyIssue } from '../types.js'

/** The schema version this code writes. */
export const SQLITE_SCHEMA_VERSION = 6

/**
 * Appended to every text in the full-text index. Every 1- or 2-character substring of an indexed text is
 * then the start of at least one trigram, which is what lets search look short terms up in the index's
 * vocabulary (see `sqlite-search.ts`). Spaces can never be part of a search term.
 */
export const FTS_SENTINEL = '  '

/** One schema step. `up` runs inside the migration transaction. */
export interface SqliteMigration {
  version: number
  description: string
  up: (db: Database.Database) => void
}

/** Every step, oldest first; step `n` takes the schema from `n - 1` to `n`. Never edit a released step. */
export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    description: 'pages, captures, versions',
    up: (db) => {
      // Times are epoch milliseconds (sortable, compact); JSON columns hold what is only ever read whole.
      db.exec(`
        CREATE TABLE pages (
          id INTEGER PRIMARY KEY,
          url TEXT NOT NULL UNIQUE,
          host TEXT NOT NULL,
          source TEXT NOT NULL,
          first_captured_at INTEGER NOT NULL,
          last_captured_at INTEGER NOT NULL,
          last_changed_at INTEGER,
          capture_count INTEGER NOT NULL DEFAULT 0,
          version_count INTEGER NOT NULL DEFAULT 0,
          latest_version_id INTEGER,
          title TEXT,
          published_at TEXT,
          published_ms INTEGER
        );
        CREATE INDEX pages_changed ON pages (last_changed_at DESC, id DESC);
        CREATE INDEX pages_host ON pages (host, last_changed_at DESC);
        CREATE INDEX pages_source ON pages (source, last_changed_at DESC);
        CREATE TABLE versions (
          id INTEGER PRIMARY KEY,
          page_id INTEGER NOT NULL REFERENCES pages (id),
          number INTEGER NOT NULL,
          content_hash TEXT NOT NULL,
          capture_id INTEGER NOT NULL,
          created_at INTEGER NOT NULL,
          title TEXT NOT NULL,
          industries TEXT NOT NULL,
          article TEXT NOT NULL,
          UNIQUE (page_id, number)
        );
        CREATE TABLE captures (
          id INTEGER PRIMARY KEY,
          page_id INTEGER NOT NULL REFERENCES pages (id),
          requested_url TEXT NOT NULL,
          final_url TEXT,
          redirects TEXT,
          method TEXT NOT NULL,
          outcome TEXT NOT NULL,
          status INTEGER,
          headers TEXT NOT NULL,
          etag TEXT,
          last_modified TEXT,
          fetched_at INTEGER NOT NULL,
          timing TEXT,
          error TEXT,
          body_hash TEXT,
          body_size INTEGER,
          version_id INTEGER REFERENCES versions (id)
        );
        CREATE INDEX captures_page ON captures (page_id, fetched_at, id);
        CREATE INDEX captures_validators ON captures (page_id, id)
          WHERE etag IS NOT NULL OR last_modified IS NOT NULL;
        CREATE INDEX captures_body ON captures (body_hash) WHERE body_hash IS NOT NULL;
      `)
    },
  },
  {
    version: 2,
    description: 'full-text index (FTS5 trigram, simplified script) and page industries',
    up: (db) => {
      db.exec(`
        CREATE VIRTUAL TABLE versions_fts USING fts5 (body, tokenize = 'trigram');
        CREATE TABLE page_industries (
          page_id INTEGER NOT NULL REFERENCES pages (id),
          industry TEXT NOT NULL,
          PRIMARY KEY (industry, page_id)
        ) WITHOUT ROWID;
      `)
      // Back-fill from what version 1 stored: folding to simplified script needs JS, not SQL.
      // In pages: better-sqlite3 cannot write while a read cursor is open, and `all()` of every article at
      // once could be large.
      const insertFts = db.prepare('INSERT INTO versions_fts (rowid, body) VALUES (?, ?)')
      const page = db.prepare('SELECT id, article FROM versions WHERE id > ? ORDER BY id LIMIT 500')
      for (let after = 0, rows = page.all(0) as VersionRow[]; rows.length > 0; rows = page.all(after) as VersionRow[]) {
        for (const row of rows) insertFts.run(row.id, searchTextOf(JSON.parse(row.article)))
        after = rows[rows.length - 1]?.id ?? after
      }
      // Industries twice on purpose: a comma list on the page row (read with every page, no join) and a
      // table with an index (for the industry filter).
      db.exec(`
        ALTER TABLE pages ADD COLUMN industries TEXT NOT NULL DEFAULT '';
        INSERT INTO page_industries (page_id, industry)
          SELECT p.id, j.value FROM pages p JOIN versions v ON v.id = p.latest_version_id, json_each(v.industries) j;
        UPDATE pages SET industries = coalesce((SELECT group_concat(industry) FROM page_industries i
          WHERE i.page_id = pages.id), '');
      `)
    },
  },
  {
    version: 3,
    description: 'blobs table, stored version changes, full-text sentinel',
    up: (db) => {
      db.exec(`
        CREATE TABLE blobs (
          id INTEGER PRIMARY KEY,
          hash TEXT NOT NULL UNIQUE,
          size INTEGER NOT NULL,
          stored_size INTEGER NOT NULL,
          data BLOB NOT NULL
        );
        ALTER TABLE versions ADD COLUMN change TEXT;
        ALTER TABLE pages ADD COLUMN last_change TEXT;
      `)
      // How much each stored version changed, computed once here (diffing needs JS): page by page, in
      // version order, each version against the one before it. In pages of rows, as in step 2.
      const setChange = db.prepare('UPDATE versions SET change = ? WHERE id = ?')
      const next = db.prepare(
        `SELECT id, page_id, number, article FROM versions WHERE (page_id, number) > (?, ?)
         ORDER BY page_id, number LIMIT 500`,
      )
      let previous: { pageId: number; article: Article } | null = null
      for (let after: [number, number] = [0, 0]; ; ) {
        const rows = next.all(...after) as Array<{ id: number; page_id: number; number: number; article: string }>
        const last = rows[rows.length - 1]
        if (last === undefined) break
        for (const row of rows) {
          const article = JSON.parse(row.article) as Article
          const before = previous?.pageId === row.page_id ? previous.article : null
          setChange.run(JSON.stringify(versionChange(before, article)), row.id)
          previous = { pageId: row.page_id, article }
        }
        after = [last.page_id, last.number]
      }
      db.exec(`
        UPDATE pages SET last_change = (SELECT change FROM versions v WHERE v.id = pages.latest_version_id)
          WHERE latest_version_id IS NOT NULL;
        UPDATE versions_fts SET body = body || '${FTS_SENTINEL}';
      `)
    },
  },
  {
    version: 4,
    description: 'captures no longer indexed by body hash',
    up: (db) => {
      // Only `verify` asked which bodies captures reference, and it now builds that list itself; every
      // ingest paid for keeping the index (a random page of it written per capture: ~10% of ingest time).
      db.exec('DROP INDEX IF EXISTS captures_body')
    },
  },
  {
    version: 5,
    description: 'index of bodies in pack files',
    up: (db) => {
      // Where each body appended to a pack file is (the record's header: `PACK_HEADER_BYTES`).
      db.exec(`
        CREATE TABLE packed_blobs (
          hash TEXT PRIMARY KEY,
          size INTEGER NOT NULL,
          stored_size INTEGER NOT NULL,
          pack TEXT NOT NULL,
          offset INTEGER NOT NULL
        ) WITHOUT ROWID;
      `)
    },
  },
  {
    version: 6,
    description: 'full-text index moved to a file of its own',
    up: (db) => {
      // Now in `<file>-search`, written by a worker thread (`sqlite-fts.ts`), which indexes every version
      // it lacks before the first search: derived data, rebuilt there rather than copied.
      db.exec('DROP TABLE IF EXISTS versions_fts')
    },
  },
]

/**
 * Bring `db` to `target` (default: the newest version). Throws `StorageError` when the file was written by
 * a newer version of this package, which this code cannot read safely.
 */
export function migrateSqlite(db: Database.Database, target: number = SQLITE_SCHEMA_VERSION): number {
  const current = (): number => db.pragma('user_version', { simple: true }) as number
  if (current() > SQLITE_SCHEMA_VERSION) {
    throw new StorageError(`schema version ${current()} is newer than this package's ${SQLITE_SCHEMA_VERSION}`)
  }
  if (current() >= target) return current()
  // IMMEDIATE takes the write lock first, then re-reads the version: another process may have migrated
  // while this one waited.
  db.transaction(() => {
    for (const step of SQLITE_MIGRATIONS) {
      if (step.version <= current() || step.version > target) continue
      try {
        step.up(db)
      } catch (cause) {
        throw new StorageError(`migration ${step.version} (${step.description}) failed`, { cause })
      }
      db.pragma(`user_version = ${step.version}`)
    }
  }).immediate()
  return current()
}

/**
 * The invariants of this schema, checked with SQL: every reference between pages, captures and versions,
 * version numbering, the counters on pages, the schema version and SQLite's own
 * `quick_check`. Reports, never repairs.
 */
export function checkSqliteReferences(db: Database.Database): VerifyIssue[] {
  const issues: VerifyIssue[] = []
  const version = db.pragma('user_version', { simple: true }) as number
  if (version !== SQLITE_SCHEMA_VERSION) {
    issues.push({
      severity: 'error',
      kind: 'schema',
      message: `schema version ${version}, expected ${SQLITE_SCHEMA_VERSION}`,
    })
  }
  const quick = db.pragma('quick_check', { simple: true })
  if (quick !== 'ok') issues.push({ severity: 'error', kind: 'schema', message: `quick_check: ${String(quick)}` })
  for (const check of CHECKS) {
    for (const row of db.prepare(check.sql).iterate() as Iterable<{ ref: number; detail: string | null }>) {
      issues.push({
        severity: 'error',
        kind: check.kind,
        message: `${check.message} (#${row.ref}${row.detail ? `: ${row.detail}` : ''})`,
        ref: row.ref,
      })
    }
  }
  return issues
}

// --- Internal helpers ---

/** Each query returns the offending rows as `ref` (an id) and an optional `detail`. */
const CHECKS: ReadonlyArray<{ kind: VerifyIssue['kind']; message: string; sql: string }> = [
  {
    kind: 'capture-page',
    message: 'capture points at a missing page',
    sql: 'SELECT c.id AS ref, c.page_id AS detail FROM captures c LEFT JOIN pages p ON p.id = c.page_id WHERE p.id IS NULL',
  },
  {
    kind: 'capture-version',
    message: 'capture points at a missing version or one of another page',
    sql: `SELECT c.id AS ref, c.version_id AS detail FROM captures c LEFT JOIN versions v ON v.id = c.version_id
          WHERE c.version_id IS NOT NULL AND (v.id IS NULL OR v.page_id != c.page_id)`,
  },
  {
    kind: 'version-page',
    message: 'version points at a missing page',
    sql: 'SELECT v.id AS ref, v.page_id AS detail FROM versions v LEFT JOIN pages p ON p.id = v.page_id WHERE p.id IS NULL',
  },
  {
    kind: 'version-capture',
    message: 'the capture that created a version does not point at it',
    sql: `SELECT v.id AS ref, v.capture_id AS detail FROM versions v LEFT JOIN captures c ON c.id = v.capture_id
          WHERE c.id IS NULL OR c.version_id IS NOT v.id`,
  },
  {
    kind: 'version-numbering',
    message: 'page versions are not numbered 1..n',
    sql: `SELECT page_id AS ref, 'count ' || count(*) || ', max ' || max(number) AS detail FROM versions
          GROUP BY page_id HAVING count(*) != max(number) OR min(number) != 1`,
  },
  {
    kind: 'page-counts',
    message: 'page counters or newest version do not match its captures and versions',
    sql: `SELECT p.id AS ref, p.capture_count || '/' || p.version_count AS detail FROM pages p
          WHERE p.capture_count != (SELECT count(*) FROM captures c WHERE c.page_id = p.id)
             OR p.version_count != (SELECT count(*) FROM versions v WHERE v.page_id = p.id)
             OR p.latest_version_id IS NOT
                (SELECT v.id FROM versions v WHERE v.page_id = p.id ORDER BY v.number DESC LIMIT 1)`,
  },
]

interface VersionRow {
  id: number
  article: string
}
