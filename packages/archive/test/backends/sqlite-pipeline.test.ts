/**
 * `ingestMany` calls in flight together on SQLite: a batch's bodies are stored (on a worker thread) while
 * earlier batches commit, and batches commit in call order, each in one synchronous transaction.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { type Archive, createArchive } from '../../src/archive.js'
import { sqliteBackend } from '../../src/backends/sqlite.js'
import { canPutMany, folderBlobStore } from '../../src/blobs.js'
import { StorageError } from '../../src/errors.js'
import { sha256Hex } from '../../src/hash.js'
import type { CaptureInput } from '../../src/types.js'
import { makeArticle } from '../fixtures.js'
import { scratchDirs } from '../helpers/scratch.js'

const tmp = scratchDirs('parkwatch-pipeline-')

type Item = { capture: CaptureInput; article: ReturnType<typeof makeArticle> | null }

/**
 * `batches` batches of `size` captures over `pages` pages: content changes now and then, bodies repeat
 * within and across batches (so one batch may need a body another batch is still storing), some 304s, and
 * every third batch has no bodies at all.
 */
function workload(batches: number, size: number, pages: number, tag = ''): Item[][] {
  const out: Item[][] = []
  let n = 0
  for (let b = 0; b < batches; b++) {
    const batch: Item[] = []
    for (let i = 0; i < size; i++, n++) {
      const p = (n * 7) % pages
      const rev = Math.floor(n / (pages * 2)) + (p % 3 === 0 ? Math.floor(n / 5) : 0)
      const url = `https://pipe.example/${tag}p${p}`
      const fetchedAt = Date.parse('2026-03-01T00:00:00Z') + n * 1000
      if (b % 3 === 2) {
        // A batch without bodies has nothing to store first: it must still wait for the batches before it.
        const article = makeArticle({ title: `${tag}页面 ${p}`, paragraphs: [`无正文 ${n}`] })
        batch.push({ capture: { url, status: 200, body: null, fetchedAt }, article })
        continue
      }
      if (n % 11 === 5) {
        batch.push({ capture: { url, status: 304, body: null, fetchedAt }, article: null })
        continue
      }
      batch.push({
        capture: {
          url,
          status: 200,
          body: `<html><body>${tag}${p} rev ${rev}${'页'.repeat(200)}</body></html>`,
          fetchedAt,
        },
        article: makeArticle({ title: `${tag}页面 ${p}`, paragraphs: [`第 ${rev} 版 ${p}`] }),
      })
    }
    out.push(batch)
  }
  return out
}

/** Everything an archive holds, in a form two archives can be compared by. */
async function snapshot(archive: Archive, urls: readonly string[]): Promise<unknown> {
  const timelines = []
  for (const url of urls) {
    const t = await archive.timeline(url)
    timelines.push(
      t && {
        page: { ...t.page, id: undefined },
        versions: t.versions.map((v) => [v.id, v.number, v.contentHash, v.captureId, v.title]),
        captures: t.captures.map((c) => [c.id, c.versionId, c.versionNumber, c.bodyHash, c.bodySize, c.status]),
      },
    )
  }
  const blobs: string[] = []
  for await (const b of archive.backend.blobs.list()) blobs.push(b.hash)
  return { stats: await archive.stats(), timelines, blobs: blobs.sort() }
}

const urlsOf = (batches: Item[][]): string[] => [...new Set(batches.flat().map((i) => i.capture.url))]

describe.each(['packs', 'folder', 'database'] as const)('sqlite ingestMany in flight together (blobs: %s)', (blobs) => {
  it('gives the same archive as the same batches one after another', async () => {
    const batches = workload(8, 40, 25)
    const sequential = createArchive({ backend: sqliteBackend({ dir: tmp(), blobs }) })
    const concurrent = createArchive({ backend: sqliteBackend({ dir: tmp(), blobs }) })
    try {
      const one: unknown[] = []
      for (const b of batches) one.push(await sequential.ingestMany(b))
      const all = await Promise.all(batches.map((b) => concurrent.ingestMany(b)))
      const view = (rs: unknown) =>
        (rs as Array<Awaited<ReturnType<Archive['ingest']>>>).map((r) => [
          r.capture.id,
          r.version?.number,
          r.isNewVersion,
          r.page.captureCount,
        ])
      expect(all.map(view)).toEqual(one.map(view))
      const urls = urlsOf(batches)
      const snap = await snapshot(concurrent, urls)
      expect(snap).toEqual(await snapshot(sequential, urls))
      expect((snap as { stats: { versions: number } }).stats.versions).toBeGreaterThan(urls.length)
      const report = await concurrent.verify()
      expect(report.issues).toEqual([])
    } finally {
      await sequential.close()
      await concurrent.close()
    }
  })

  it('rejects a batch the database refuses alone: it leaves nothing, the batches around it commit', async () => {
    const dir = tmp()
    const archive = createArchive({ backend: sqliteBackend({ dir, blobs }) })
    const expected = createArchive({ backend: sqliteBackend({ dir: tmp(), blobs }) })
    // A real refusal inside the transaction, on the batch's last capture (after its others were written).
    const other = new Database(join(dir, 'archive.sqlite'))
    other.exec(`CREATE TRIGGER refuse BEFORE INSERT ON captures WHEN NEW.requested_url LIKE '%refuse%'
      BEGIN SELECT RAISE(ABORT, 'refused by test'); END`)
    other.close()
    try {
      const [a, b, c, d] = workload(4, 30, 12)
      const refused = workload(1, 20, 6, 'only-b-')[0] as Item[]
      const bad = {
        capture: { url: 'https://pipe.example/refuse', status: 200, body: 'x', fetchedAt: 1 },
        article: null,
      }
      const batchB = [...(b as Item[]), ...refused, bad]
      const results = await Promise.allSettled([a, batchB, c, d].map((batch) => archive.ingestMany(batch as Item[])))
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled'])
      expect(String((results[1] as PromiseRejectedResult).reason)).toContain('refused by test')
      for (const batch of [a, c, d]) await expected.ingestMany(batch as Item[])
      const urls = [...urlsOf([a, b, c, d] as Item[][]), ...urlsOf([refused])]
      type Snap = { blobs: string[]; stats: Record<string, number> }
      const got = (await snapshot(archive, urls)) as Snap
      const want = (await snapshot(expected, urls)) as Snap
      // The folder store may keep the refused batch's new bodies, unreferenced; the table and the pack index
      // do not (a refused batch's pack records are bytes no row points at).
      const records = ({ stats, ...rest }: Snap) => ({
        ...rest,
        blobs: [],
        stats: { ...stats, blobs: 0, storedBlobBytes: 0 },
      })
      expect(records(got)).toEqual(records(want))
      if (blobs !== 'folder') expect(got.blobs).toEqual(want.blobs)
      else expect(got.blobs).toEqual(expect.arrayContaining(want.blobs))
      const report = await archive.verify()
      expect(report.ok).toBe(true)
      expect(report.issues.filter((i) => i.kind !== 'blob-unreferenced')).toEqual([])
      expect(report.blobsUnreferenced).toBe(got.blobs.length - want.blobs.length)
      // The refused captures can be written again once the bad one is left out.
      await archive.ingestMany([...(b as Item[]), ...refused])
      expect((await archive.stats()).captures).toBe(4 * 30 + 20)
    } finally {
      await archive.close()
      await expected.close()
    }
  })

  it('never deadlocks with another connection of this process writing the file synchronously', async () => {
    const dir = tmp()
    const archive = createArchive({ backend: sqliteBackend({ dir, blobs }) })
    // Like the CLI's frontier: its own connection to the archive file, waiting for the lock synchronously.
    const other = new Database(join(dir, 'archive.sqlite'), { timeout: 2_000 })
    other.pragma('journal_mode = WAL')
    other.exec('CREATE TABLE IF NOT EXISTS frontier_test (n INTEGER NOT NULL)')
    const insert = other.prepare('INSERT INTO frontier_test (n) VALUES (?)')
    const tx = other.transaction((n: number) => insert.run(n))
    let writes = 0
    let stop = false
    const writer = (async () => {
      while (!stop) {
        tx.immediate(writes++)
        await new Promise((r) => setImmediate(r))
      }
    })()
    try {
      const batches = workload(12, 50, 40)
      const t0 = Date.now()
      // Three batches in flight at a time, the way a crawler would keep them.
      const running = new Set<Promise<unknown>>()
      for (const batch of batches) {
        const p = archive.ingestMany(batch).finally(() => running.delete(p))
        running.add(p)
        if (running.size >= 3) await Promise.race(running)
        tx.immediate(writes++)
      }
      await Promise.all(running)
      stop = true
      await writer
      expect(Date.now() - t0).toBeLessThan(20_000)
      expect((await archive.stats()).captures).toBe(12 * 50)
      expect(other.prepare('SELECT count(*) FROM frontier_test').pluck().get()).toBe(writes)
      expect(writes).toBeGreaterThan(12)
    } finally {
      stop = true
      await writer.catch(() => {})
      other.close()
      await archive.close()
    }
  })

  it('writes the batches still in flight when it is closed', async () => {
    const dir = tmp()
    const archive = createArchive({ backend: sqliteBackend({ dir, blobs }) })
    const batches = workload(5, 20, 10)
    const pending = batches.map((b) => archive.ingestMany(b))
    await archive.close()
    expect((await Promise.all(pending)).flat()).toHaveLength(100)
    const again = createArchive({ backend: sqliteBackend({ dir, blobs }) })
    try {
      expect((await again.stats()).captures).toBe(100)
      expect((await again.verify()).issues).toEqual([])
    } finally {
      await again.close()
    }
  })
})

describe('sqlite ingestMany: a body that cannot be stored', () => {
  const body = '<html><body>无法写入的正文</body></html>'
  const hash = sha256Hex(new TextEncoder().encode(body))
  // A file where the store needs a folder: the worker cannot write there.
  const blockers = {
    packs: (dir: string): string => {
      writeFileSync(join(dir, 'packs'), 'not a folder')
      return join(dir, 'packs')
    },
    folder: (dir: string): string => {
      mkdirSync(join(dir, 'blobs', hash.slice(0, 2)), { recursive: true })
      const blocker = join(dir, 'blobs', hash.slice(0, 2), hash.slice(2, 4))
      writeFileSync(blocker, 'not a folder')
      return blocker
    },
  }
  it.each(['packs', 'folder'] as const)(
    'rejects its batch alone with a StorageError, stores nothing of it, and can be written again (blobs: %s)',
    async (blobs) => {
      const dir = tmp()
      const archive = createArchive({ backend: sqliteBackend({ dir, blobs }) })
      try {
        const [a, c] = workload(2, 20, 10)
        const blocker = blockers[blobs](dir)
        const b: Item[] = [
          { capture: { url: 'https://blocked.example/1', status: 200, body, fetchedAt: 1 }, article: makeArticle() },
          { capture: { url: 'https://blocked.example/2', status: 200, body: 'fine', fetchedAt: 2 }, article: null },
        ]
        const results = await Promise.allSettled([a, b, c].map((batch) => archive.ingestMany(batch as Item[])))
        // The folder store fails only the blocked body's batch; without its folder, no pack can be started.
        const others = blobs === 'folder' ? 'fulfilled' : 'rejected'
        expect(results.map((r) => r.status)).toEqual([others, 'rejected', others])
        const reason = (results[1] as PromiseRejectedResult).reason
        expect(reason).toBeInstanceOf(StorageError)
        expect(reason.code).toBe('ARCHIVE_STORAGE')
        expect(await archive.getPage('https://blocked.example/1')).toBeNull()
        expect(await archive.getPage('https://blocked.example/2')).toBeNull()
        expect((await archive.stats()).captures).toBe(blobs === 'folder' ? 40 : 0)
        expect((await archive.verify()).ok).toBe(true)

        rmSync(blocker)
        const again = await archive.ingestMany(b)
        expect(await archive.getBody(again[0]?.capture.id as number)).toEqual(new TextEncoder().encode(body))
        if (blobs === 'packs') for (const batch of [a, c]) await archive.ingestMany(batch as Item[])
        expect((await archive.stats()).captures).toBe(42)
        expect((await archive.verify()).issues.filter((i) => i.severity === 'error')).toEqual([])
      } finally {
        await archive.close()
      }
    },
  )
})

describe('folder store putMany', () => {
  it('writes the same files as put, each once, also when two batches in flight share a body', async () => {
    const bodies = Array.from({ length: 12 }, (_, i) => new TextEncoder().encode(`正文 ${i} ${'字'.repeat(i * 50)}`))
    const items = bodies.map((raw) => ({ hash: sha256Hex(raw), raw }))
    const dirOne = tmp()
    const dirMany = tmp()
    const one = folderBlobStore({ dir: dirOne })
    const many = folderBlobStore({ dir: dirMany })
    try {
      for (const { hash, raw } of items) await one.put(hash, raw)
      expect(canPutMany(many)).toBe(true)
      if (!canPutMany(many)) return
      // Overlapping batches, a body twice in one of them, and a Buffer that is a view into a larger one.
      const pooled = Buffer.concat([Buffer.from('前缀'), Buffer.from(bodies[3] as Uint8Array)]).subarray(6)
      await Promise.all([
        many.putMany(items.slice(0, 8)),
        many.putMany([
          ...items.slice(4),
          items[5] as (typeof items)[number],
          { hash: items[3]?.hash as string, raw: pooled },
        ]),
      ])
      const listed = async (store: typeof one) => {
        const out: Array<[string, number]> = []
        for await (const b of store.list()) out.push([b.hash, b.storedSize])
        return out.sort()
      }
      expect(await listed(many)).toEqual(await listed(one))
      for (const { hash, raw } of items) {
        expect(many.knows?.(hash)).toBe(true)
        expect(await many.get(hash)).toEqual(raw)
      }
      // Byte for byte what `put` writes.
      const file = (dir: string, hash: string) => join(dir, hash.slice(0, 2), hash.slice(2, 4), `${hash}.br`)
      for (const { hash } of items) expect(readFileSync(file(dirMany, hash))).toEqual(readFileSync(file(dirOne, hash)))
      // The worker remembers the folders it made; after a clear() it makes them again.
      await many.clear()
      await many.putMany(items)
      expect(await listed(many)).toEqual(await listed(one))
    } finally {
      await one.close()
      await many.close()
    }
  })
})
