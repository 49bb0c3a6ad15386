import { spawn } from 'node:child_process'
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { type Archive, createArchive } from '../../src/archive.js'
import { SCHEMA_VERSION, sqliteBackend } from '../../src/backends/sqlite.js'
import { MAX_CONTINUATIONS, SHORT_TERM_WINDOW } from '../../src/backends/sqlite-search.js'
import { PACK_HEADER_BYTES } from '../../src/blob-worker.js'
import { folderBlobStore } from '../../src/blobs.js'
import { versionChange } from '../../src/change.js'
import { StorageError } from '../../src/errors.js'
import { sha256Hex } from '../../src/hash.js'
import { migrateSqlite } from '../../src/migrations/sqlite.js'
import type { IngestRecord } from '../../src/types.js'
import { makeArticle, makeCapture } from '../fixtures.js'
import { scratchDirs } from '../helpers/scratch.js'
import { describeBackend } from './contract.js'

const tmp = scratchDirs('parkwatch-archive-')
const require = createRequire(import.meta.url)

/**
 * Another process that creates the SQLite file `file`, takes its write lock and holds it for `ms` before it
 * commits a table named `held`. `locked` resolves once it holds the lock; `exit` with its exit code.
 */
function holdWriteLock(file: string, ms: number): { locked: Promise<void>; exit: Promise<number | null> } {
  const script = `const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))})
const db = new Database(${JSON.stringify(file)})
db.exec('BEGIN IMMEDIATE; CREATE TABLE held (x)')
process.stdout.write('locked\\n')
setTimeout(() => { db.exec('COMMIT'); db.close() }, ${ms})`
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
  const locked = new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve())
    child.once('exit', () => reject(new Error('the lock holder exited before it held the lock')))
  })
  const exit = new Promise<number | null>((resolve) => child.once('exit', resolve))
  return { locked, exit }
}

/** `verify` reports every issue in `expected` (kind, ref), and the same again: it never repairs. */
async function expectReportedTwice(archive: Archive, expected: Array<[string, string | undefined]>): Promise<void> {
  const report = await archive.verify()
  expect(report.ok).toBe(false)
  expect(report.issues.map((i) => [i.kind, i.ref])).toEqual(expect.arrayContaining(expected))
  expect((await archive.verify()).issues).toHaveLength(report.issues.length)
}

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

    it('reports a lost pack and a corrupt or truncated record, and repairs nothing', async () => {
      // `a` alone in the worker's pack (a batch); `b` then `c` in the main thread's pack (single ingests).
      const [a] = await ctx.archive.ingestMany([
        { capture: makeCapture('https://a.example/1', 'one'), article: makeArticle({ title: 'one' }) },
      ])
      const b = await ctx.archive.ingest(makeCapture('https://a.example/2', 'two'), makeArticle({ title: 'two' }))
      const c = await ctx.archive.ingest(makeCapture('https://a.example/3', 'three'), makeArticle({ title: 'three' }))
      const where = (hash: string): { pack: string; offset: number; stored_size: number } => {
        const db = new Database(join(suiteDir, 'archive.sqlite'), { readonly: true })
        try {
          return db.prepare('SELECT pack, offset, stored_size FROM packed_blobs WHERE hash = ?').get(hash) as never
        } finally {
          db.close()
        }
      }
      const [aHash, bHash, cHash] = [a, b, c].map((r) => r?.capture.bodyHash ?? '')
      const [aAt, bAt, cAt] = [aHash, bHash, cHash].map((h) => where(h as string))
      expect(aAt?.pack).not.toBe(bAt?.pack)
      expect(cAt?.pack).toBe(bAt?.pack)
      unlinkSync(join(suiteDir, 'packs', aAt?.pack as string))
      const main = join(suiteDir, 'packs', bAt?.pack as string)
      const bytes = readFileSync(main)
      // A byte of `b`'s compressed body flipped, and `c`'s record cut short.
      const flip = (bAt?.offset as number) + PACK_HEADER_BYTES + 2
      bytes[flip] = (bytes[flip] as number) ^ 0xff
      writeFileSync(main, bytes.subarray(0, (cAt?.offset as number) + PACK_HEADER_BYTES + 1))
      await expectReportedTwice(ctx.archive, [
        ['blob-missing', aHash],
        ['blob-corrupt', bHash],
        ['blob-corrupt', cHash],
      ])
    })
  },
})

describeBackend('sqlite, one file per body', {
  create: () => {
    suiteDir = tmp()
    return sqliteBackend({ dir: suiteDir, blobs: 'folder' })
  },
  extra: (ctx) => {
    it('reports a missing or corrupt blob and broken references, and repairs nothing', async () => {
      const a = await ctx.archive.ingest(makeCapture('https://a.example/1', 'one'), makeArticle({ title: 'one' }))
      const b = await ctx.archive.ingest(makeCapture('https://a.example/2', 'two'), makeArticle({ title: 'two' }))
      const aHash = a.capture.bodyHash ?? ''
      const bHash = b.capture.bodyHash ?? ''
      unlinkSync(blobFile(aHash))
      writeFileSync(blobFile(bHash), 'not brotli')
      await expectReportedTwice(ctx.archive, [
        ['blob-missing', aHash],
        ['blob-corrupt', bHash],
      ])
    })
  },
})

describeBackend('sqlite, blobs in the database', {
  create: () => sqliteBackend({ dir: tmp(), blobs: 'database' }),
  extra: (ctx) => {
    it('writes each body in the transaction of its capture, as a row, not a file', async () => {
      expect(ctx.backend.flags.transactionalBodies).toBe(true)
      const r = await ctx.archive.ingest(makeCapture('https://rows.example/a', 'row body'), makeArticle())
      const hash = r.capture.bodyHash as string
      expect(ctx.backend.blobs.knows?.(hash)).toBe(true)
      expect(await ctx.backend.blobs.has(hash)).toBe(true)
      expect(await ctx.archive.getBody(r.capture.id)).toEqual(
        new TextEncoder().encode('<html><body>row body</body></html>'),
      )
      expect((await ctx.archive.stats()).blobs).toBe(1)
    })
  },
})

describe('sqlite backend: group commit and short search terms', () => {
  it('commits concurrent ingests together, and a capture that fails rolls back alone', async () => {
    const backend = sqliteBackend({ dir: tmp(), blobs: 'database' })
    const archive = createArchive({ backend })
    try {
      // A record no archive would build (no URL): the database refuses it inside the shared transaction.
      const bad = { page: { url: null, host: 'x', source: 'x' }, capture: {}, version: null } as unknown as IngestRecord
      const results = await Promise.allSettled([
        archive.ingest(makeCapture('https://group.example/1', 'one'), makeArticle({ title: 'one' })),
        backend.ingest(bad),
        archive.ingest(makeCapture('https://group.example/2', 'two'), makeArticle({ title: 'two' })),
        archive.ingest(makeCapture('https://group.example/1', 'one b'), makeArticle({ title: 'one b' })),
      ])
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled'])
      expect(results.map((r) => (r.status === 'fulfilled' ? r.value.version?.number : null))).toEqual([1, null, 1, 2])
      expect(await archive.stats()).toMatchObject({ pages: 2, captures: 3, versions: 3, blobs: 3 })
      expect((await archive.verify()).issues).toEqual([])
    } finally {
      await archive.close()
    }
  })

  it('tells an identical re-capture by its raw fields, and still sees every change and every reflow', async () => {
    const archive = createArchive({ backend: sqliteBackend({ dir: tmp() }) })
    try {
      const url = 'https://raw.example/a'
      const a = makeArticle({ paragraphs: ['园区发布新政。', '企业获得支持。'] })
      expect((await archive.ingest(makeCapture(url, '1'), a)).isNewVersion).toBe(true)
      // Same fields, a fresh object (as a new extraction gives): unchanged.
      expect((await archive.ingest(makeCapture(url, '2'), structuredClone(a))).isNewVersion).toBe(false)
      // A reflow only (whitespace, full-width punctuation): a different raw key, the same content.
      const reflowed = makeArticle({ paragraphs: ['园区发布新政 。', '企业获得支持。'] })
      expect((await archive.ingest(makeCapture(url, '3'), reflowed)).isNewVersion).toBe(false)
      expect((await archive.ingest(makeCapture(url, '4'), reflowed)).isNewVersion).toBe(false)
      // A real edit after both keys are known: a new version.
      const edited = makeArticle({ paragraphs: ['园区发布新政。', '企业获得更多支持。'] })
      expect((await archive.ingest(makeCapture(url, '5'), edited)).version?.number).toBe(2)
      expect((await archive.ingest(makeCapture(url, '6'), a)).version?.number).toBe(3)
    } finally {
      await archive.close()
    }
  })

  it('forgets what a rolled-back batch taught it: a reused version id is not taken for that batch’s article', async () => {
    const backend = sqliteBackend({ dir: tmp() })
    const archive = createArchive({ backend })
    try {
      // A record as the archive builds it, kept instead of stored.
      const records: IngestRecord[] = []
      const recorder = createArchive({
        backend: {
          ...backend,
          ingest: async (r: IngestRecord) => {
            records.push(r)
            throw new Error('recorded')
          },
        },
      })
      const a = makeArticle({ title: '被回滚的文章' })
      await expect(recorder.ingest(makeCapture('https://rb.example/x', 'x'), a)).rejects.toThrow('recorded')
      const bad = { page: { url: null, host: 'x', source: 'x' }, capture: {}, version: null } as unknown as IngestRecord
      // The batch writes version 1 of x, then fails on the bad record: all of it rolls back.
      await expect(backend.ingestMany?.([records[0] as IngestRecord, bad])).rejects.toThrow()
      // The same version id now goes to another page's article, from a record without a raw key (the field
      // is optional for backend callers), so nothing overwrites what the rolled-back batch taught...
      await expect(
        recorder.ingest(makeCapture('https://rb.example/y', 'y1'), makeArticle({ title: '另一篇' })),
      ).rejects.toThrow()
      const plain = records[1] as IngestRecord
      if (plain.version) Object.defineProperty(plain.version, 'rawKey', { value: undefined })
      const y = await backend.ingest(plain)
      expect(y.version?.id).toBe(1)
      // ...and when that page's article becomes the rolled-back one, it is a change.
      const changed = await archive.ingest(makeCapture('https://rb.example/y', 'y2'), a)
      expect(changed.isNewVersion).toBe(true)
      expect(changed.version?.title).toBe('被回滚的文章')
    } finally {
      await archive.close()
    }
  })

  it('sees what another connection committed to a page it has written before', async () => {
    const dir = tmp()
    const a = createArchive({ backend: sqliteBackend({ dir }) })
    const b = createArchive({ backend: sqliteBackend({ dir }) })
    try {
      const url = 'https://two.example/p'
      const v1 = makeArticle({ title: '第一版' })
      const v2 = makeArticle({ title: '第二版' })
      expect((await a.ingest(makeCapture(url, '1'), v1)).version?.number).toBe(1)
      expect((await a.ingest(makeCapture(url, '2'), v1)).isNewVersion).toBe(false)
      // The other connection brings version 2 of the page this one knows at version 1...
      expect((await b.ingest(makeCapture(url, '3'), v2)).version?.number).toBe(2)
      // ...so the same article here is no change, and the next edit is version 3, counted on top of b's capture.
      const same = await a.ingest(makeCapture(url, '4'), v2)
      expect([same.isNewVersion, same.version?.number, same.page.captureCount]).toEqual([false, 2, 4])
      const back = await a.ingestMany([{ capture: makeCapture(url, '5'), article: v1 }])
      expect([back[0]?.version?.number, back[0]?.page.versionCount]).toEqual([3, 3])
      expect(await b.getPage(url)).toMatchObject({ captureCount: 5, versionCount: 3, title: '第一版' })
      expect((await a.verify()).issues).toEqual([])
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('writes captures still queued when it is closed', async () => {
    const dir = tmp()
    const backend = sqliteBackend({ dir })
    const archive = createArchive({ backend })
    // Close as soon as the backend has the record (queued for the end of this turn of the event loop).
    const ingest = backend.ingest
    const queued = new Promise<void>((resolve) => {
      backend.ingest = (record) => {
        const result = ingest.call(backend, record)
        resolve()
        return result
      }
    })
    const pending = archive.ingest(makeCapture('https://close.example/1', 'x'), makeArticle())
    await queued
    await archive.close()
    expect((await pending).capture.id).toBeGreaterThan(0)
    const again = createArchive({ backend: sqliteBackend({ dir }) })
    expect((await again.stats()).captures).toBe(1)
    await again.close()
  })

  it('finds short terms through the index beyond the newest versions, and answers absent ones at once', async () => {
    const archive = createArchive({ backend: sqliteBackend({ dir: tmp() }) })
    try {
      const old = 'https://short.example/old'
      // Rare words only in the oldest versions: the newest-first scan cannot find `limit` of them.
      await archive.ingest(
        makeCapture(old, 'o'),
        makeArticle({ title: '旧闻', paragraphs: ['这里有稀有词汇量子，第零条。'] }),
      )
      await archive.ingest(
        makeCapture('https://short.example/tail', 't'),
        makeArticle({ title: '尾巴', paragraphs: ['最后一个字是鑫'] }),
      )
      const filler = Array.from({ length: SHORT_TERM_WINDOW + 50 }, (_, i) => ({
        capture: { url: `https://short.example/f${i % 40}`, status: 200, fetchedAt: Date.UTC(2026, 5, 1) + i * 1000 },
        // "条" followed by a different character each time: more distinct trigrams than the lookup takes.
        article: makeArticle({
          title: `新闻 ${i}`,
          paragraphs: [`园区企业第${i}条${String.fromCodePoint(0x4e00 + i)}消息。`],
        }),
      }))
      await archive.ingestMany(filler)
      const urls = async (text: string, limit = 20): Promise<string[]> =>
        (await archive.search({ text, limit })).map((h) => h.url)
      expect(await urls('量子')).toEqual([old])
      expect(await urls('鑫')).toEqual(['https://short.example/tail'])
      expect(await urls('稀有 旧闻')).toEqual([old])
      expect(await urls('量子 园区')).toEqual([])
      expect(await urls('光刻')).toEqual([])
      // A common word: the newest versions hold enough hits.
      expect(await urls('园区', 5)).toHaveLength(5)
      // "条" starts more distinct trigrams than the index lookup takes: scanned for, next to the lookup of 量子.
      expect(MAX_CONTINUATIONS).toBeLessThan(SHORT_TERM_WINDOW)
      expect(await urls('条 量子')).toEqual([old])
      expect(await urls('条', 3)).toHaveLength(3)
    } finally {
      await archive.close()
    }
  }, 60_000)
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
    const tl = await archive.timeline('https://old.example/a')
    expect(tl?.captures).toHaveLength(2)
    // Computed by the migration: version 1, all of its body added.
    expect(tl?.versions[0]?.change).toEqual(versionChange(null, article))
    expect(tl?.page.lastChange).toEqual(versionChange(null, article))
    expect((await archive.search({ text: '集成电路' })).map((h) => h.url)).toEqual(['https://old.example/a'])
    // The last two characters of the migrated text are found as a short term.
    expect((await archive.search({ text: '企業' })).map((h) => h.url)).toEqual(['https://old.example/a'])
    expect(await archive.countPages({ industry: 'semiconductors' })).toBe(1)
    expect((await archive.verify()).issues).toEqual([])
    await archive.close()
  })

  it('migrates an archive written with schema 2 and reads its folder blobs after switching to the database', async () => {
    const dir = tmp()
    const db = new Database(join(dir, 'archive.sqlite'))
    expect(migrateSqlite(db, 2)).toBe(2)
    db.close()
    // Written as schema 2 would have: the body in the folder store.
    const body = new TextEncoder().encode('<html>old body</html>')
    const hash = sha256Hex(body)
    await folderBlobStore({ dir: join(dir, 'blobs') }).put(hash, body)
    const one = new Database(join(dir, 'archive.sqlite'))
    one.exec(`INSERT INTO pages (id, url, host, source, first_captured_at, last_captured_at, capture_count)
      VALUES (1, 'https://old.example/b', 'old.example', 'old', 1000, 1000, 1);
      INSERT INTO captures (id, page_id, requested_url, method, outcome, status, headers, fetched_at, body_hash, body_size)
      VALUES (1, 1, 'https://old.example/b', 'http', 'ok', 200, '[]', 1000, '${hash}', ${body.byteLength})`)
    one.close()
    const archive = createArchive({ backend: sqliteBackend({ dir, blobs: 'database' }) })
    try {
      expect(await archive.getBody(1)).toEqual(body)
      const r = await archive.ingest(makeCapture('https://old.example/c', 'new body'), makeArticle())
      expect(await archive.getBody(r.capture.id)).toEqual(
        new TextEncoder().encode('<html><body>new body</body></html>'),
      )
      // The same body captured again: verify reads each referenced body once.
      await archive.ingest(makeCapture('https://old.example/d', 'new body'), makeArticle())
      const report = await archive.verify()
      expect(report).toMatchObject({ ok: true, blobsChecked: 2, blobsUnreferenced: 0 })
      // Step 4 dropped the body-hash index of captures, which verify no longer needs.
      const schema = new Database(join(dir, 'archive.sqlite'), { readonly: true })
      expect(schema.prepare(`SELECT name FROM sqlite_master WHERE name = 'captures_body'`).all()).toEqual([])
      schema.close()
    } finally {
      await archive.close()
    }
    // And back to the folder: the body written to the database is still found.
    const back = createArchive({ backend: sqliteBackend({ dir }) })
    expect((await back.verify()).issues).toEqual([])
    await back.close()
  })

  it('refuses a file written by a newer schema', () => {
    const dir = tmp()
    const db = new Database(join(dir, 'archive.sqlite'))
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
    db.close()
    expect(() => sqliteBackend({ dir })).toThrow(StorageError)
  })

  it('waits for another process that holds the lock of a file it is creating, up to its busy timeout', async () => {
    // A file still in rollback mode is the one case where SQLite answers a lock upgrade with SQLITE_BUSY
    // without waiting: two processes creating the same archive at once met it as "database is locked".
    const dir = tmp()
    const holder = holdWriteLock(join(dir, 'archive.sqlite'), 400)
    await holder.locked
    expect(() => sqliteBackend({ dir, busyTimeoutMs: 0 })).toThrow(StorageError)
    const archive = createArchive({ backend: sqliteBackend({ dir, busyTimeoutMs: 10_000 }) })
    try {
      expect(await holder.exit).toBe(0)
      // It opened after the holder committed: the holder's table is there, and so is the archive's schema.
      const db = new Database(join(dir, 'archive.sqlite'), { readonly: true })
      expect(
        db.prepare(`SELECT name FROM sqlite_master WHERE name IN ('held', 'pages') ORDER BY name`).pluck().all(),
      ).toEqual(['held', 'pages'])
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
      db.close()
      const r = await archive.ingest(makeCapture('https://lock.example.com/a', 'after'), makeArticle())
      expect(r.isNewVersion).toBe(true)
    } finally {
      await archive.close()
    }
  })

  it('refuses a file that is not a database', () => {
    const dir = tmp()
    writeFileSync(join(dir, 'archive.sqlite'), 'this is not sqlite'.repeat(100))
    expect(() => sqliteBackend({ dir })).toThrow(/ARCHIVE|archive/)
  })

  it('checks its options', () => {
    expect(() => sqliteBackend({ dir: tmp(), busyTimeoutMs: -1 })).toThrow('Expected `busyTimeoutMs`')
    expect(() => sqliteBackend({ dir: tmp(), synchronous: 'off' as 'full' })).toThrow('Expected `synchronous`')
    expect(() => sqliteBackend({ dir: tmp(), blobs: 'cloud' as 'folder' })).toThrow('Expected `blobs`')
    expect(() => sqliteBackend({ dir: tmp(), blobQuality: 12 })).toThrow('Expected `blobQuality`')
  })
})
