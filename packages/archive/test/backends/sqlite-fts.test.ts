/**
 * The SQLite backend's full-text index: a file of its own (`<file>-search`) written by a worker thread once
 * a version has committed, brought up to date before every search and verify.
 */
import { existsSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { createArchive } from '../../src/archive.js'
import { sqliteBackend } from '../../src/backends/sqlite.js'
import { searchIndexFile } from '../../src/backends/sqlite-fts.js'
import { StorageError } from '../../src/errors.js'
import type { IngestRecord, IngestResult } from '../../src/types.js'
import { makeArticle, makeCapture } from '../fixtures.js'
import { scratchDirs } from '../helpers/scratch.js'

const tmp = scratchDirs('parkwatch-fts-')

/** `n` captures of `n` pages, each a new version mentioning `word`. */
const items = (n: number, word: string, from = 0) =>
  Array.from({ length: n }, (_, i) => ({
    capture: makeCapture(`https://fts.example/${from + i}`, `${word} ${from + i}`),
    article: makeArticle({ title: `${word}第${from + i}号`, paragraphs: [`园区的${word}企业，编号${from + i}。`] }),
  }))

/** Rows of the index file, read with a connection of the test's own. */
function indexRows(file: string): number[] {
  const db = new Database(searchIndexFile(file), { readonly: true })
  try {
    return db.prepare('SELECT rowid FROM versions_fts ORDER BY rowid').pluck(true).all() as number[]
  } finally {
    db.close()
  }
}

describe('sqlite backend: full-text index file', () => {
  it('keeps the index next to the archive, out of the archive file, one row per version', async () => {
    const dir = tmp()
    const file = join(dir, 'archive.sqlite')
    const archive = createArchive({ backend: sqliteBackend({ dir }) })
    await archive.ingestMany(items(30, '纳米'))
    expect(await archive.search({ text: '纳米企业', limit: 50 })).toHaveLength(30)
    await archive.close()
    expect(existsSync(searchIndexFile(file))).toBe(true)
    expect(indexRows(file)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1))
    const main = new Database(file, { readonly: true })
    expect(main.prepare(`SELECT name FROM sqlite_master WHERE name LIKE 'versions_fts%'`).all()).toEqual([])
    main.close()
  })

  it('rebuilds a deleted index file before the first search, and verify passes', async () => {
    const dir = tmp()
    const file = join(dir, 'archive.sqlite')
    const one = createArchive({ backend: sqliteBackend({ dir }) })
    await one.ingestMany(items(20, '芯片'))
    await one.close()
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${searchIndexFile(file)}${suffix}`, { force: true })

    const two = createArchive({ backend: sqliteBackend({ dir }) })
    try {
      const hits = await two.search({ text: '芯片企业', limit: 50 })
      expect(hits.map((h) => h.url).sort()).toEqual(
        items(20, '芯片')
          .map((i) => i.capture.url)
          .sort(),
      )
      // A short term is answered from the rebuilt index's vocabulary too.
      expect(await two.search({ text: '芯片', limit: 50 })).toHaveLength(20)
      expect((await two.verify()).issues).toEqual([])
    } finally {
      await two.close()
    }
    expect(indexRows(file)).toHaveLength(20)
  })

  it('indexes versions a writer committed and never indexed, once each', async () => {
    const dir = tmp()
    const file = join(dir, 'archive.sqlite')
    const one = createArchive({ backend: sqliteBackend({ dir }) })
    try {
      await one.ingestMany(items(10, '算力'))
      expect(await one.search({ text: '算力', limit: 50 })).toHaveLength(10)
      // As if the writer of versions 4-6 had been killed before its worker wrote them.
      const lost = new Database(searchIndexFile(file))
      lost.exec('DELETE FROM versions_fts WHERE rowid BETWEEN 4 AND 6')
      lost.close()
      // This connection saw them indexed, so it looks only at newer versions; verify looks at all of them.
      const report = await one.verify()
      expect(report.issues.map((i) => [i.kind, i.ref])).toEqual([
        ['search-index', 4],
        ['search-index', 5],
        ['search-index', 6],
      ])
    } finally {
      await one.close()
    }
    const two = createArchive({ backend: sqliteBackend({ dir }) })
    try {
      await two.ingestMany(items(5, '算力', 10))
      expect(await two.search({ text: '算力', limit: 50 })).toHaveLength(15)
      expect(indexRows(file)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1))
      expect((await two.verify()).issues).toEqual([])
    } finally {
      await two.close()
    }
  })

  it('lets a second connection search what the first committed, each version indexed once', async () => {
    const dir = tmp()
    const file = join(dir, 'archive.sqlite')
    const writer = createArchive({ backend: sqliteBackend({ dir }) })
    const reader = createArchive({ backend: sqliteBackend({ dir }) })
    try {
      for (let round = 0; round < 5; round++) {
        await writer.ingestMany(items(40, '机器人', round * 40))
        // The reader indexes what the writer's worker may not have yet; the worker then skips those.
        expect(await reader.search({ text: '机器人企业', limit: 500 })).toHaveLength((round + 1) * 40)
      }
      expect(await writer.search({ text: '机器人企业', limit: 500 })).toHaveLength(200)
      expect((await reader.verify()).issues).toEqual([])
    } finally {
      await writer.close()
      await reader.close()
    }
    expect(indexRows(file)).toHaveLength(200)
  })

  it('never indexes the version of a capture that rolled back alone, though its id is used again', async () => {
    const backend = sqliteBackend({ dir: tmp() })
    const archive = createArchive({ backend })
    try {
      // A record as the archive builds it, kept instead of stored, then broken after its version: the
      // database refuses its capture row, so its savepoint rolls back with version id 2 inside.
      let kept: IngestRecord | undefined
      const recorder = createArchive({
        backend: {
          ...backend,
          ingest: async (r: IngestRecord) => {
            kept = r
            throw new Error('recorded')
          },
        },
      })
      await expect(
        recorder.ingest(makeCapture('https://rb.example/ghost', 'g'), makeArticle({ title: '幽灵版本' })),
      ).rejects.toThrow('recorded')
      const broken = { ...(kept as IngestRecord), capture: { ...(kept as IngestRecord).capture, method: null } }
      const results = await Promise.allSettled([
        archive.ingest(makeCapture('https://rb.example/a', 'a'), makeArticle({ title: '第一篇' })),
        backend.ingest(broken as unknown as IngestRecord),
        archive.ingest(makeCapture('https://rb.example/b', 'b'), makeArticle({ title: '第二篇' })),
      ])
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
      const second = results[2] as PromiseFulfilledResult<IngestResult>
      expect(second.value.version?.id).toBe(2)
      expect(await archive.search({ text: '幽灵版本' })).toEqual([])
      expect((await archive.search({ text: '第二篇' })).map((h) => h.versionId)).toEqual([2])
    } finally {
      await archive.close()
    }
  })

  it('fails search with StorageError, not a loop, when its index file was replaced under it', async () => {
    const dir = tmp()
    const file = join(dir, 'archive.sqlite')
    const archive = createArchive({ backend: sqliteBackend({ dir }) })
    try {
      expect(await archive.search({ text: '园区' })).toEqual([])
      // Moved away while this connection reads it; a new file takes its name (made by another connection).
      renameSync(searchIndexFile(file), `${searchIndexFile(file)}.old`)
      const other = createArchive({ backend: sqliteBackend({ dir }) })
      await other.ingestMany(items(2, '园区'))
      expect(await other.search({ text: '园区企业' })).toHaveLength(2)
      await other.close()
      // This connection's worker writes the new file, which has them; the file it reads lacks them.
      await expect(archive.search({ text: '园区' })).rejects.toBeInstanceOf(StorageError)
    } finally {
      await archive.close()
    }
  })

  it('reports an index row of no version', async () => {
    const dir = tmp()
    const file = join(dir, 'archive.sqlite')
    const archive = createArchive({ backend: sqliteBackend({ dir }) })
    try {
      await archive.ingestMany(items(3, '光电'))
      await archive.search({ text: '光电' })
      const stray = new Database(searchIndexFile(file))
      stray.prepare('INSERT INTO versions_fts (rowid, body) VALUES (?, ?)').run(99, '不存在的版本  ')
      stray.close()
      const report = await archive.verify()
      expect(report.ok).toBe(false)
      expect(report.issues).toMatchObject([{ severity: 'error', kind: 'search-index', ref: 99 }])
    } finally {
      await archive.close()
    }
  })

  it('drops the index kept in the archive file by schema 5 and rebuilds it in its own file', async () => {
    const dir = tmp()
    const file = join(dir, 'archive.sqlite')
    const seeded = createArchive({ backend: sqliteBackend({ dir }) })
    await seeded.ingestMany(items(4, '生物医药'))
    await seeded.close()
    // Back to what schema 5 wrote: the index inside the archive file, no index file.
    rmSync(searchIndexFile(file), { force: true })
    const five = new Database(file)
    five.pragma('user_version = 5')
    five.exec(`CREATE VIRTUAL TABLE versions_fts USING fts5 (body, tokenize = 'trigram');
      INSERT INTO versions_fts (rowid, body) SELECT id, title FROM versions`)
    five.close()

    const archive = createArchive({ backend: sqliteBackend({ dir }) })
    try {
      const main = new Database(file, { readonly: true })
      expect(main.pragma('user_version', { simple: true })).toBe(6)
      expect(main.prepare(`SELECT name FROM sqlite_master WHERE name LIKE 'versions_fts%'`).all()).toEqual([])
      main.close()
      expect(await archive.search({ text: '生物医药企业', limit: 10 })).toHaveLength(4)
      expect((await archive.verify()).issues).toEqual([])
    } finally {
      await archive.close()
    }
  })
})
