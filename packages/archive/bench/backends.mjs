/**
 * The backends `bench/run.mjs` measures, in order. Each entry:
 *   name          label in the report
 *   unavailable   (pkg) => a reason to skip, or null
 *   open          (pkg, label) => { backend, diskBytes(), dispose() }: a fresh, empty archive per call;
 *                 `label` ('ingest-<mode>' | 'search') tells runs apart; `diskBytes` is called after the archive
 *                 is closed and counts everything the backend keeps (database files, blobs, indexes).
 * To add a backend, append an entry here; the run, the report and BENCHMARKS.md pick it up.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const BACKENDS = [
  {
    name: 'sqlite',
    unavailable: () => null,
    open: async (pkg, label) => {
      const dir = mkdtempSync(join(tmpdir(), `parkwatch-bench-${label}-`))
      return {
        backend: pkg.sqliteBackend({ dir }),
        diskBytes: async () => folderBytes(dir),
        dispose: async () => rmSync(dir, { recursive: true, force: true }),
      }
    },
  },
  {
    // The same backend with one file per body (`blobs: 'folder'`, the default before pack files).
    name: 'sqlite+folder',
    unavailable: () => null,
    open: async (pkg, label) => {
      const dir = mkdtempSync(join(tmpdir(), `parkwatch-bench-${label}-`))
      return {
        backend: pkg.sqliteBackend({ dir, blobs: 'folder' }),
        diskBytes: async () => folderBytes(dir),
        dispose: async () => rmSync(dir, { recursive: true, force: true }),
      }
    },
  },
  {
    // The same backend with bodies in the database file (`blobs: 'database'`).
    name: 'sqlite+db-blobs',
    unavailable: () => null,
    open: async (pkg, label) => {
      const dir = mkdtempSync(join(tmpdir(), `parkwatch-bench-${label}-`))
      return {
        backend: pkg.sqliteBackend({ dir, blobs: 'database' }),
        diskBytes: async () => folderBytes(dir),
        dispose: async () => rmSync(dir, { recursive: true, force: true }),
      }
    },
  },
  {
    name: 'postgres',
    unavailable: (pkg) =>
      !process.env.ARCHIVE_PG_URL
        ? 'ARCHIVE_PG_URL is not set'
        : typeof pkg.postgresBackend !== 'function'
          ? 'postgresBackend is not exported'
          : null,
    // A fresh schema per run and label; disk = every relation in it (tables, indexes, TOAST, blobs table).
    open: async (pkg, label) => {
      const connectionString = process.env.ARCHIVE_PG_URL
      const schema = `bench_${label.replace(/\W/g, '_')}_${process.pid}`
      const { default: pg } = await import('pg')
      const admin = new pg.Client({ connectionString })
      await admin.connect()
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
      return {
        backend: pkg.postgresBackend({ connectionString, schema }),
        diskBytes: async () => {
          const { rows } = await admin.query(
            `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS bytes
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = $1 AND c.relkind IN ('r', 'm')`,
            [schema],
          )
          return Number(rows[0].bytes)
        },
        dispose: async () => {
          await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
          await admin.end()
        },
      }
    },
  },
]

/** Bytes in a folder tree (apparent file sizes). */
export function folderBytes(dir) {
  let total = 0
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    const st = statSync(path)
    total += st.isDirectory() ? folderBytes(path) : st.size
  }
  return total
}
