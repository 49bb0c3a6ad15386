import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createArchive, verifyArchive } from '../src/archive.js'
import { sqliteBackend } from '../src/backends/sqlite.js'
import { makeArticle, makeCapture } from './fixtures.js'
import { exited, killAllWriters, startWriter, transpileSources } from './helpers/child.js'
import { scratchDirs } from './helpers/scratch.js'

let dist: { dir: string; remove: () => void }
const tmp = scratchDirs('parkwatch-archive-proc-')

beforeAll(() => {
  dist = transpileSources()
})
afterAll(() => {
  killAllWriters()
  dist?.remove()
})

const MODES = [
  { blobs: 'packs', kills: 16 },
  { blobs: 'folder', kills: 8 },
  { blobs: 'database', kills: 8 },
] as const

describe.each(MODES)('several processes writing to one SQLite archive (blobs: $blobs)', ({ blobs }) => {
  it('loses nothing and never duplicates a version', async () => {
    const dir = tmp()
    const workers = 4
    const rounds = 5
    const pages = 10
    const children = await Promise.all(
      Array.from({ length: workers }, (_, worker) =>
        startWriter({ dist: dist.dir, dir, mode: 'shared-unique', worker, rounds, pages, blobs }),
      ),
    )
    const results = await Promise.all(children.map((c) => exited(c)))
    for (const [i, r] of results.entries()) expect(r, children[i]?.output()).toEqual({ code: 0, signal: null })

    const archive = createArchive({ backend: sqliteBackend({ dir, blobs }) })
    try {
      const stats = await archive.stats()
      expect(stats.captures).toBe(workers * rounds * pages * 2)
      for (let p = 0; p < pages; p++) {
        const shared = await archive.timeline(`https://shared.example.com/p${p}`)
        expect(shared?.page).toMatchObject({ captureCount: workers * rounds, versionCount: 1 })
        expect(new Set(shared?.captures.map((c) => c.versionId))).toEqual(new Set([shared?.versions[0]?.id]))
        const unique = await archive.timeline(`https://unique.example.com/p${p}`)
        const numbers = unique?.versions.map((v) => v.number)
        expect(numbers).toEqual(Array.from({ length: workers * rounds }, (_, i) => i + 1))
        expect(new Set(unique?.versions.map((v) => v.contentHash)).size).toBe(workers * rounds)
      }
      const report = await verifyArchive(archive)
      expect(report.issues).toEqual([])
    } finally {
      await archive.close()
    }
  }, 120_000)
})

describe.each(MODES)('writers killed with SIGKILL mid-ingest (blobs: $blobs)', ({ blobs, kills }) => {
  it('leaves an archive that verifies and accepts new writes', async () => {
    const dir = tmp()
    let capturesBefore = 0
    for (let round = 0; round < kills; round++) {
      // Two writers at a time, so a kill can also land while the other one holds the write lock.
      const children = await Promise.all(
        [0, 1].map((w) =>
          startWriter({ dist: dist.dir, dir, mode: 'forever', worker: round * 2 + w, pages: 8, blobs }),
        ),
      )
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 250))
      for (const child of children) child.kill('SIGKILL')
      const ends = await Promise.all(children.map((c) => exited(c)))
      for (const end of ends) expect(end.signal).toBe('SIGKILL')

      // Between kills: committed work is never lost.
      const backend = sqliteBackend({ dir, blobs })
      const stats = await backend.stats()
      expect(stats.captures).toBeGreaterThanOrEqual(capturesBefore)
      capturesBefore = stats.captures
      await backend.close()
    }
    expect(capturesBefore).toBeGreaterThan(0)

    const archive = createArchive({ backend: sqliteBackend({ dir, blobs }) })
    try {
      const report = await archive.verify()
      expect(report.issues.filter((i) => i.severity === 'error')).toEqual([])
      expect(report.ok).toBe(true)
      expect(report.blobsChecked).toBeGreaterThan(0)
      // In the database and in packs a body's row commits with its capture: a kill leaves no unreferenced
      // blob behind (in a pack, at most bytes no row points at).
      if (blobs !== 'folder') expect(report.blobsUnreferenced).toBe(0)
      const r = await archive.ingest(
        makeCapture('https://kill.example.com/p0', 'after'),
        makeArticle({ title: 'after' }),
      )
      expect(r.isNewVersion).toBe(true)
      expect(await archive.getBody(r.capture.id)).toEqual(new TextEncoder().encode('<html><body>after</body></html>'))
      expect((await archive.verify()).ok).toBe(true)
    } finally {
      await archive.close()
    }
  }, 180_000)
})
