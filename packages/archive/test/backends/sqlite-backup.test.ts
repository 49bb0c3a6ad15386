import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createArchive } from '../../src/archive.js'
import { sqliteBackend } from '../../src/backends/sqlite.js'
import { backupSqliteArchive } from '../../src/backends/sqlite-backup.js'
import { StorageError } from '../../src/errors.js'
import { makeArticle, makeCapture } from '../fixtures.js'
import { exited, killAllWriters, startWriter, transpileSources } from '../helpers/child.js'
import { scratchDirs } from '../helpers/scratch.js'

const tmp = scratchDirs('parkwatch-archive-backup-')
let dist: { dir: string; remove: () => void }

beforeAll(() => {
  dist = transpileSources()
})
afterAll(() => {
  killAllWriters()
  dist?.remove()
})

const MODES = ['packs', 'folder', 'database'] as const

describe.each(MODES)('backupSqliteArchive (blobs: %s)', (blobs) => {
  it('copies an archive whose copy has the same pages, versions, bodies and search', async () => {
    const dir = tmp()
    const source = createArchive({ backend: sqliteBackend({ dir, blobs }) })
    const ids: number[] = []
    try {
      for (let i = 0; i < 12; i++) {
        const r = await source.ingest(
          makeCapture(`https://backup.example.com/p${i % 4}`, `body ${i}`),
          makeArticle({ title: `纳米城 ${i}`, paragraphs: [`苏州工业园区纳米城第${i}号公告`] }),
        )
        ids.push(r.capture.id)
      }
      const out = join(tmp(), 'copy')
      const summary = backupSqliteArchive({ dir, out })
      expect(summary.databaseBytes).toBeGreaterThan(0)
      if (blobs === 'database') expect(summary.bodyFiles).toBe(0)
      else expect(summary.bodyFiles).toBeGreaterThan(0)
      // The index is derived data and stays behind.
      expect(existsSync(join(out, 'archive.sqlite-search'))).toBe(false)

      const copy = createArchive({ backend: sqliteBackend({ dir: out, blobs }) })
      try {
        expect(await copy.stats()).toEqual(await source.stats())
        for (const id of ids) expect(await copy.getBody(id)).toEqual(await source.getBody(id))
        expect((await copy.timeline('https://backup.example.com/p1'))?.versions.map((v) => v.title)).toEqual(
          (await source.timeline('https://backup.example.com/p1'))?.versions.map((v) => v.title),
        )
        expect((await copy.search({ text: '第5号' })).map((h) => h.url)).toEqual(['https://backup.example.com/p1'])
        const report = await copy.verify()
        expect(report.issues).toEqual([])
        expect(report.blobsChecked).toBe(12)
      } finally {
        await copy.close()
      }
    } finally {
      await source.close()
    }
  })

  it('takes a copy that verifies while two processes keep writing', async () => {
    const dir = tmp()
    const writers = await Promise.all(
      [0, 1].map((worker) => startWriter({ dist: dist.dir, dir, mode: 'forever', worker, pages: 8, blobs })),
    )
    try {
      // Let them write for a while, then copy twice while they go on.
      await new Promise((r) => setTimeout(r, 300))
      const outs = [join(tmp(), 'one'), join(tmp(), 'two')]
      for (const out of outs) {
        backupSqliteArchive({ dir, out })
        await new Promise((r) => setTimeout(r, 150))
      }
      for (const out of outs) {
        const copy = createArchive({ backend: sqliteBackend({ dir: out, blobs }) })
        try {
          const report = await copy.verify()
          expect(report.issues.filter((i) => i.severity === 'error')).toEqual([])
          expect(report.ok).toBe(true)
          expect((await copy.stats()).captures).toBeGreaterThan(0)
          expect(report.blobsChecked).toBeGreaterThan(0)
        } finally {
          await copy.close()
        }
      }
    } finally {
      for (const w of writers) w.kill('SIGKILL')
      await Promise.all(writers.map((w) => exited(w)))
    }
  }, 60_000)
})

describe('backupSqliteArchive: refusals', () => {
  it('fails with StorageError for a folder with no archive and for a copy folder that is not empty', async () => {
    expect(() => backupSqliteArchive({ dir: tmp(), out: join(tmp(), 'x') })).toThrow(StorageError)
    const dir = tmp()
    const archive = createArchive({ backend: sqliteBackend({ dir }) })
    await archive.ingest(makeCapture('https://backup.example.com/a', 'a'), makeArticle())
    await archive.close()
    const out = tmp()
    writeFileSync(join(out, 'keep.txt'), 'mine')
    expect(() => backupSqliteArchive({ dir, out })).toThrow(/not empty/)
  })
})
