import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { createArchive } from '../../src/archive.js'
import { SCHEMA_VERSION, sqliteBackend } from '../../src/backends/sqlite.js'
import { StorageError } from '../../src/errors.js'
import { migrateSqlite } from '../../src/migrations/sqlite.js'
import { makeArticle, makeCapture } from '../fixtures.js'
import { describeBackend } from './contract.js'

const dirs: string[] = []
const tmp = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'parkwatch-archive-'))
  dirs.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

let suiteDir = ''
/** Where the folder store keeps a blob: the documented `<dir>/blobs/ab/cd/<sha256>.br` layout. */
const blobFile = (hash: string): string => join(suiteDir, 'blobs', hash.slice(0, 2), hash.slice(2, 4), `${hash}.br`)

describeBackend('sqlite', {
  create: () => {
    suiteDir = tmp()
    return sqliteBackend({ dir: suiteDir })
  },
  extra: (ctx) => {
    it('verifies more blobs than one page of references while other writes go on', async () => {
      const items = Array.from({ length: 1_100 }, (_, i) => ({
        capture: makeCapture(`https://many.example/p${i % 50}`, `body ${i}`),
        article: i % 50 === i ? makeArticle() : null,
      }))
      await ctx.archive.ingestMany(items)
      // An ingest running while verify walks the references must not trip over an open cursor.
      const [report] = await Promise.all([
        ctx.archive.verify(),
        ctx.archive.ingest(makeCapture('https://many.example/late', 'late'), makeArticle()),
      ])
      expect(report.issues.filter((i) => i.severity === 'error')).toEqual([])
      expect(report.blobsChecked).toBeGreaterThanOrEqual(1_100)
    })

    it('keeps timelines right when they are served from cached captures', async () => {
      const url = 'https://cached.example/p'
      await ctx.archive.ingest(makeCapture(url, 'v1'), makeArticle({ title: 'one' }))
      await ctx.archive.ingest(makeCapture(url, 'v1'), makeArticle({ title: 'one' }))
      const first = await ctx.archive.timeline(url)
      expect(first?.captures.map((c) => c.versionNumber)).toEqual([1, 1])
      // Cached captures are shared, so they are frozen like cached versions.
      expect(Object.isFrozen(first?.captures[0])).toBe(true)
      expect(Object.isFrozen(first?.captures[0]?.headers)).toBe(true)
      await ctx.archive.ingest(makeCapture(url, 'v2'), makeArticle({ title: 'two' }))
      const second = await ctx.archive.timeline(url)
      expect(second?.captures.map((c) => c.versionNumber)).toEqual([1, 1, 2])
      expect(second?.captures.slice(0, 2)).toEqual(first?.captures)
      // The same timeline from a backend with nothing cached.
      const other = sqliteBackend({ dir: suiteDir })
      try {
        expect(await other.timeline(url)).toEqual(second)
      } finally {
        await other.close()
      }
    })

    it('reports a missing or corrupt blob and broken references, and repairs nothing', async () => {
      const a = await ctx.archive.ingest(makeCapture('https://a.example/1', 'one'), makeArticle({ title: 'one' }))
      const b = await ctx.archive.ingest(makeCapture('https://a.example/2', 'two'), makeArticle({ title: 'two' }))
      const aHash = a.capture.bodyHash ?? ''
      const bHash = b.capture.bodyHash ?? ''
      unlinkSync(blobFile(aHash))
      writeFileSync(blobFile(bHash), 'not brotli')
      const report = await ctx.archive.verify()
      expect(report.ok).toBe(false)
      expect(report.issues.map((i) => [i.kind, i.ref])).toEqual(
        expect.arrayContaining([
          ['blob-missing', aHash],
          ['blob-corrupt', bHash],
        ]),
      )
      // Still reported the second time: verify never repairs.
      expect((await ctx.archive.verify()).issues).toHaveLength(report.issues.length)
    })
  },
})

describe('sqlite backend: files, schema and options', () => {
  it('keeps its data across close and reopen', async () => {
    const dir = tmp()
    const one = createArchive({ backend: sqliteBackend({ dir }) })
    const r = await one.ingest(makeCapture('https://a.example/x', 'x'), makeArticle())
    await one.close()
    const two = createArchive({ backend: sqliteBackend({ dir }) })
    expect(await two.getPage('https://a.example/x')).toEqual(r.page)
    expect(await two.getBody(r.capture.id)).toEqual(new TextEncoder().encode('<html><body>x</body></html>'))
    await two.close()
    await expect(two.stats()).rejects.toBeInstanceOf(StorageError)
  })

  it('migrates an archive written with schema 1 and keeps its data', async () => {
    const dir = tmp()
    const file = join(dir, 'archive.sqlite')
    const db = new Database(file)
    expect(migrateSqlite(db, 1)).toBe(1)
    const article = makeArticle({
      title: '蘇州園區',
      paragraphs: ['蘇州工業園區的集成電路企業。'],
      industries: ['semiconductors'],
    })
    db.exec(`INSERT INTO pages VALUES (1, 'https://old.example/a', 'old.example', 'old', 1000, 2000, 1000, 2, 1, 1,
      '蘇州園區', NULL, NULL)`)
    db.prepare(`INSERT INTO versions VALUES (1, 1, 1, 'h', 1, 1000, '蘇州園區', '["semiconductors"]', ?)`).run(
      JSON.stringify(article),
    )
    db.exec(`INSERT INTO captures (id, page_id, requested_url, method, outcome, status, headers, fetched_at, version_id)
      VALUES (1, 1, 'https://old.example/a', 'http', 'ok', 200, '[]', 1000, 1),
             (2, 1, 'https://old.example/a', 'http', 'not-modified', 304, '[]', 2000, 1)`)
    db.close()

    const archive = createArchive({ backend: sqliteBackend({ dir }) })
    const check = new Database(file, { readonly: true })
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    check.close()
    expect((await archive.timeline('https://old.example/a'))?.captures).toHaveLength(2)
    expect((await archive.search({ text: '集成电路' })).map((h) => h.url)).toEqual(['https://old.example/a'])
    expect(await archive.countPages({ industry: 'semiconductors' })).toBe(1)
    expect((await archive.verify()).issues).toEqual([])
    await archive.close()
  })

  it('refuses a file written by a newer schema', () => {
    const dir = tmp()
    const db = new Database(join(dir, 'archive.sqlite'))
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
    db.close()
    expect(() => sqliteBackend({ dir })).toThrow(StorageError)
  })

  it('refuses a file that is not a database', () => {
    const dir = tmp()
    writeFileSync(join(dir, 'archive.sqlite'), 'this is not sqlite'.repeat(100))
    expect(() => sqliteBackend({ dir })).toThrow(/ARCHIVE|archive/)
  })

  it('checks its options', () => {
    expect(() => sqliteBackend({ dir: tmp(), busyTimeoutMs: -1 })).toThrow('Expected `busyTimeoutMs`')
    expect(() => sqliteBackend({ dir: tmp(), synchronous: 'off' as 'full' })).toThrow('Expected `synchronous`')
  })
})
