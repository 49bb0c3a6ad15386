/**
 * The frontier contract on SQLite (a fresh file per test, in a temporary folder), plus what only the SQLite
 * store has: the archive's own file shared with the archive, and the busy timeout.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createArchive, sqliteBackend } from '@parkwatch/archive'
import { expect, it } from 'vitest'
import { FRONTIER_SCHEMA_VERSION, openFrontier } from '../src/index.js'
import { describeFrontier, type FrontierStore, T0 } from './frontier-contract.js'

describeFrontier('sqlite', {
  create: (): FrontierStore => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-frontier-'))
    let n = 0
    let file = join(dir, 'archive.sqlite')
    return {
      open: async (options) => openFrontier({ file, ...options }),
      clear: async () => {
        file = join(dir, `test-${++n}`, 'archive.sqlite')
      },
      setSchemaVersion: async (version) => {
        const db = new Database(file)
        try {
          db.exec(`UPDATE parkwatch_meta SET value = '${version}' WHERE key = 'frontier_schema_version'`)
        } finally {
          db.close()
        }
      },
      schemaVersion: FRONTIER_SCHEMA_VERSION,
      dispose: async () => rmSync(dir, { recursive: true, force: true }),
    }
  },
  extra: (ctx) => {
    it('shares the archive’s SQLite file without disturbing it', async () => {
      const file = ctx.frontier.location
      expect(file).toMatch(/archive\.sqlite$/)
      const archive = createArchive({ backend: sqliteBackend({ dir: join(file, '..') }) })
      await archive.ingest({ url: 'http://a/1', status: 200, body: 'x', fetchedAt: T0 }, null)
      await ctx.frontier.schedule('http://a/1', T0, { site: 'demo' })
      const report = await archive.verify()
      await archive.close()
      expect(report.ok).toBe(true)
      expect(await ctx.frontier.visits('http://a/1')).toHaveLength(1)
    })

    it('checks its options', () => {
      expect(() => openFrontier({ file: ctx.frontier.location, busyTimeoutMs: -1 })).toThrow(/busyTimeoutMs/)
    })
  },
})

// --- Internal helpers ---

/** better-sqlite3, from the archive's location (as the frontier loads it). */
const Database = createRequire(createRequire(import.meta.url).resolve('@parkwatch/archive/package.json'))(
  'better-sqlite3',
) as new (
  file: string,
) => { exec(sql: string): void; close(): void }
