/**
 * The SQLite backend's default body store: compressed bodies appended to pack files, located by
 * `packed_blobs` rows written in the captures' own transactions.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { createArchive } from '../../src/archive.js'
import { sqliteBackend } from '../../src/backends/sqlite.js'
import { sqlitePackBlobs } from '../../src/backends/sqlite-packs.js'
import { PACK_HEADER_BYTES } from '../../src/blob-worker.js'
import { BlobCorruptError, InvalidCaptureError, StorageError } from '../../src/errors.js'
import { sha256Hex } from '../../src/hash.js'
import { migrateSqlite } from '../../src/migrations/sqlite.js'
import type { CaptureInput } from '../../src/types.js'
import { makeArticle, makeCapture } from '../fixtures.js'
import { scratchDirs } from '../helpers/scratch.js'

const tmp = scratchDirs('parkwatch-packs-')

const packsIn = (dir: string): string[] => readdirSync(join(dir, 'packs')).filter((n) => n.endsWith('.pack'))
const packBytes = (dir: string): number => packsIn(dir).reduce((n, p) => n + statSync(join(dir, 'packs', p)).size, 0)
const capture = (url: string, text: string): CaptureInput => makeCapture(url, text)

/** Every record of a pack file, read by its headers alone (no index). */
function records(file: string): Array<{ magic: string; hash: string; size: number; stored: number; body: string }> {
  const buf = readFileSync(file)
  const out = []
  for (let at = 0; at < buf.byteLength; ) {
    const magic = buf.toString('latin1', at, at + 4)
    expect(['PWB1', 'PWG1']).toContain(magic)
    const stored = Number(buf.readBigUInt64LE(at + 44))
    const data = buf.subarray(at + PACK_HEADER_BYTES, at + PACK_HEADER_BYTES + stored)
    out.push({
      magic,
      hash: buf.toString('hex', at + 4, at + 36),
      size: Number(buf.readBigUInt64LE(at + 36)),
      stored,
      body: (magic === 'PWG1' ? gunzipSync(data) : brotliDecompressSync(data)).toString('utf8'),
    })
    at += PACK_HEADER_BYTES + stored
  }
  return out
}

describe('sqlite pack store', () => {
  it('appends each new body once, as a self-describing record, and nothing for a body it holds', async () => {
    const dir = tmp()
    const archive = createArchive({ backend: sqliteBackend({ dir }) })
    try {
      const items = Array.from({ length: 30 }, (_, i) => ({
        capture: capture(`https://packs.example/${i % 10}`, `正文 ${i % 10}`),
        article: makeArticle({ title: `标题 ${i % 10}` }),
      }))
      await archive.ingestMany(items)
      // One batch: one pack of the worker's (its first), one record per distinct body.
      expect(packsIn(dir)).toHaveLength(1)
      expect(packsIn(dir)[0]).toMatch(/^\d+-[0-9a-f]{8}-w-0\.pack$/)
      const file = join(dir, 'packs', packsIn(dir)[0] as string)
      const got = records(file)
      expect(got.map((r) => r.body).sort()).toEqual(
        Array.from({ length: 10 }, (_, i) => `<html><body>正文 ${i}</body></html>`).sort(),
      )
      for (const r of got) {
        expect(r.hash).toBe(sha256Hex(new TextEncoder().encode(r.body)))
        expect(r.size).toBe(new TextEncoder().encode(r.body).byteLength)
      }
      const before = packBytes(dir)
      await archive.ingestMany(items)
      await archive.ingest(items[0]?.capture as CaptureInput, null)
      expect(packBytes(dir)).toBe(before)
      expect((await archive.stats()).blobs).toBe(10)
      expect((await archive.verify()).issues).toEqual([])
    } finally {
      await archive.close()
    }
  })

  it("stores a response's own gzip bytes as they came, single or batched, and reads them back", async () => {
    const dir = tmp()
    const archive = createArchive({ backend: sqliteBackend({ dir }) })
    try {
      const page = (i: number): Uint8Array =>
        new TextEncoder().encode(`<html><body>${`苏州工业园区纳米产业第${i}段。`.repeat(40 + i)}</body></html>`)
      const gzipped = (i: number) => ({ body: page(i), bodyGzip: gzipSync(page(i), { level: 6 }) })
      const batch = Array.from({ length: 6 }, (_, i) => ({
        capture: makeCapture(`https://gz.example/${i}`, '', gzipped(i)),
        article: makeArticle({ title: `标题 ${i}` }),
      }))
      const results = await archive.ingestMany(batch)
      const single = await archive.ingest(makeCapture('https://gz.example/single', '', gzipped(6)), null)
      const got = packsIn(dir).flatMap((name) => records(join(dir, 'packs', name)))
      expect(got).toHaveLength(7)
      for (const r of got) {
        expect(r.magic).toBe('PWG1')
        const i = Number(/第(\d+)段/.exec(r.body)?.[1])
        expect(r.stored).toBe(gzipSync(page(i), { level: 6 }).byteLength)
        expect(r.size).toBe(page(i).byteLength)
        expect(r.hash).toBe(sha256Hex(page(i)))
      }
      for (const [i, r] of [...results, single].entries()) {
        expect(await archive.getBody(r.capture.id)).toEqual(page(i))
      }
      const stats = await archive.stats()
      expect(stats.storedBlobBytes).toBe(got.reduce((n, r) => n + r.stored, 0))
      expect((await archive.verify()).issues).toEqual([])
    } finally {
      await archive.close()
    }
  })

  it('compresses the body itself when the gzip bytes given are not a gzip of it, or it is a string', async () => {
    const dir = tmp()
    const archive = createArchive({ backend: sqliteBackend({ dir }) })
    try {
      const body = new TextEncoder().encode('<html><body>园区生物医药</body></html>')
      const other = gzipSync(new TextEncoder().encode('<html><body>别的正文</body></html>'))
      const truncated = gzipSync(body).subarray(0, 20)
      const [a, b, c] = await archive.ingestMany([
        { capture: makeCapture('https://gz.example/other', '', { body, bodyGzip: other }), article: null },
        {
          capture: makeCapture('https://gz.example/trunc', '', {
            body: new Uint8Array([...body, 32]),
            bodyGzip: truncated,
          }),
          article: null,
        },
        { capture: makeCapture('https://gz.example/string', '字符串正文', { bodyGzip: gzipSync('x') }), article: null },
      ])
      const got = packsIn(dir).flatMap((name) => records(join(dir, 'packs', name)))
      expect(got.map((r) => r.magic)).toEqual(['PWB1', 'PWB1', 'PWB1'])
      expect(await archive.getBody(a?.capture.id as number)).toEqual(body)
      expect(await archive.getBody(b?.capture.id as number)).toEqual(new Uint8Array([...body, 32]))
      expect(new TextDecoder().decode((await archive.getBody(c?.capture.id as number)) as Uint8Array)).toBe(
        '<html><body>字符串正文</body></html>',
      )
      const bad = makeCapture('https://gz.example/bad', 'x', { bodyGzip: 'gzip' as unknown as Uint8Array })
      await expect(archive.ingest(bad, null)).rejects.toMatchObject({
        code: new InvalidCaptureError('bodyGzip', '').code,
      })
      expect((await archive.verify()).issues).toEqual([])
    } finally {
      await archive.close()
    }
  })

  it('has verify report gzip bytes that do not decode to the body although their trailer matches it', async () => {
    const dir = tmp()
    const archive = createArchive({ backend: sqliteBackend({ dir }) })
    try {
      const body = new TextEncoder().encode(`<html><body>${'园区半导体'.repeat(50)}</body></html>`)
      // The trailer (CRC-32, size) is the body's, the deflate data another text's: a caller that broke its word.
      const forged = Buffer.from(gzipSync(body))
      const lie = gzipSync(new TextEncoder().encode(`<html><body>${'园区纳米技术'.repeat(50)}</body></html>`))
      const mixed = Buffer.concat([lie.subarray(0, lie.byteLength - 8), forged.subarray(forged.byteLength - 8)])
      const [r] = await archive.ingestMany([
        { capture: makeCapture('https://gz.example/forged', '', { body, bodyGzip: mixed }), article: null },
      ])
      await expect(archive.getBody(r?.capture.id as number)).rejects.toBeInstanceOf(BlobCorruptError)
      const { issues } = await archive.verify()
      expect(issues).toEqual([
        expect.objectContaining({ severity: 'error', kind: 'blob-corrupt', ref: sha256Hex(body) }),
      ])
    } finally {
      await archive.close()
    }
  })

  it('has writers in several connections append to packs of their own, and each reads all', async () => {
    const dir = tmp()
    const one = createArchive({ backend: sqliteBackend({ dir }) })
    const two = createArchive({ backend: sqliteBackend({ dir }) })
    try {
      const batch = (tag: string, n: number) =>
        Array.from({ length: n }, (_, i) => ({
          capture: capture(`https://w.example/${tag}${i}`, `${tag} ${i}`),
          article: null,
        }))
      const results = await Promise.all([
        one.ingestMany(batch('a', 40)),
        two.ingestMany(batch('b', 40)),
        one.ingest(capture('https://w.example/single-a', 'single a'), null),
        two.ingest(capture('https://w.example/single-b', 'single b'), null),
      ])
      // Two connections, each a worker pack and a main-thread pack.
      expect(packsIn(dir)).toHaveLength(4)
      const ids = results.flat().map((r) => r.capture.id)
      for (const reader of [one, two]) {
        for (const id of ids) expect(await reader.getBody(id)).not.toBeNull()
      }
      expect((await one.verify()).issues).toEqual([])
    } finally {
      await one.close()
      await two.close()
    }
  })

  it('reuses the record of a body whose batch was refused instead of appending it again', async () => {
    const dir = tmp()
    const archive = createArchive({ backend: sqliteBackend({ dir }) })
    const db = new Database(join(dir, 'archive.sqlite'))
    db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON captures WHEN NEW.requested_url LIKE '%refuse%'
      BEGIN SELECT RAISE(ABORT, 'refused by test'); END`)
    try {
      const good = { capture: capture('https://r.example/a', '会被拒绝的批次里的正文'), article: makeArticle() }
      const bad = { capture: capture('https://r.example/refuse', 'x'), article: null }
      await expect(archive.ingestMany([good, bad])).rejects.toThrow('refused by test')
      const after = packBytes(dir)
      expect((await archive.stats()).blobs).toBe(0)
      const [r] = await archive.ingestMany([good])
      expect(packBytes(dir)).toBe(after)
      expect(await archive.getBody(r?.capture.id as number)).toEqual(
        new TextEncoder().encode('<html><body>会被拒绝的批次里的正文</body></html>'),
      )
      expect((await archive.verify()).issues).toEqual([])
    } finally {
      db.close()
      await archive.close()
    }
  })

  it('starts a new pack past its size limit, and reads across packs', async () => {
    const dir = tmp()
    const db = new Database(join(dir, 'archive.sqlite'))
    migrateSqlite(db)
    const store = sqlitePackBlobs(db, {
      dir: join(dir, 'packs'),
      quality: 2,
      fsync: true,
      fallback: null,
      maxPackBytes: 400,
    })
    try {
      const bodies = Array.from({ length: 12 }, (_, i) =>
        new TextEncoder().encode(`${i} ${sha256Hex(new TextEncoder().encode(String(i))).repeat(3)}`),
      )
      const hashes = bodies.map((b) => sha256Hex(b))
      // Single puts (main thread) and staged batches (worker), each written the way the backend does.
      for (const i of [0, 1, 2, 3]) await store.put(hashes[i] as string, bodies[i] as Uint8Array)
      for (const part of [
        [4, 5, 6, 7],
        [8, 9, 10, 11],
      ]) {
        const staged = await store.stageMany(
          part.map((i) => ({ hash: hashes[i] as string, bytes: bodies[i] as Uint8Array })),
        )
        db.transaction(() => {
          for (const s of staged) if (s) store.write(s)
        })()
      }
      expect(packsIn(dir).length).toBeGreaterThan(2)
      for (const name of packsIn(dir)) {
        const size = statSync(join(dir, 'packs', name)).size
        // Past the limit only by the batch that started on an emptier pack.
        expect(records(join(dir, 'packs', name)).length).toBeGreaterThan(0)
        expect(size).toBeLessThan(400 * 4)
      }
      for (const [i, hash] of hashes.entries()) expect(await store.get(hash)).toEqual(bodies[i])
      // An index row pointing at another record reads as corrupt, not as that record's body.
      const other = db.prepare('SELECT pack, offset FROM packed_blobs WHERE hash = ?').get(hashes[1]) as {
        pack: string
        offset: number
      }
      db.prepare('UPDATE packed_blobs SET pack = ?, offset = ? WHERE hash = ?').run(other.pack, other.offset, hashes[0])
      await expect(store.get(hashes[0] as string)).rejects.toBeInstanceOf(BlobCorruptError)
    } finally {
      await store.close()
      db.close()
    }
  })

  it('fails a read with StorageError when a pack cannot be opened or read, and verify reports it', async () => {
    for (const damage of ['symlink loop', 'folder'] as const) {
      const dir = tmp()
      const archive = createArchive({ backend: sqliteBackend({ dir }) })
      try {
        const r = await archive.ingest(capture('https://broken.example/a', 'a body'), makeArticle())
        const [pack] = packsIn(dir)
        const path = join(dir, 'packs', pack as string)
        rmSync(path)
        // Open fails with ELOOP; a folder opens and fails to read (EISDIR). Neither is "missing".
        if (damage === 'symlink loop') symlinkSync(path, path)
        else mkdirSync(path)
        const read = archive.getBody(r.capture.id)
        await expect(read).rejects.toBeInstanceOf(StorageError)
        await expect(read).rejects.toMatchObject({ code: 'ARCHIVE_STORAGE' })
        const report = await archive.verify()
        expect(report.ok).toBe(false)
        expect(report.issues).toMatchObject([{ kind: 'blob-corrupt', message: expect.stringMatching(/pack/) }])
      } finally {
        await archive.close()
      }
    }
  })

  it('reads bodies written by the folder and the table stores, and they read its bodies', async () => {
    const dir = tmp()
    const modes = ['folder', 'database', 'packs'] as const
    const ids: number[] = []
    for (const blobs of modes) {
      const archive = createArchive({ backend: sqliteBackend({ dir, blobs }) })
      const r = await archive.ingest(capture(`https://switch.example/${blobs}`, `stored by ${blobs}`), makeArticle())
      ids.push(r.capture.id)
      await archive.close()
    }
    for (const blobs of modes) {
      const archive = createArchive({ backend: sqliteBackend({ dir, blobs }) })
      try {
        for (const [i, id] of ids.entries()) {
          expect(await archive.getBody(id)).toEqual(
            new TextEncoder().encode(`<html><body>stored by ${modes[i]}</body></html>`),
          )
        }
        expect((await archive.stats()).blobs).toBe(3)
        expect(await archive.verify()).toMatchObject({ ok: true, blobsChecked: 3, blobsUnreferenced: 0 })
      } finally {
        await archive.close()
      }
    }
  })

  it('clears packs and index together, and takes new bodies afterwards', async () => {
    const dir = tmp()
    const backend = sqliteBackend({ dir, synchronous: 'full' })
    const archive = createArchive({ backend })
    try {
      await archive.ingestMany([{ capture: capture('https://c.example/1', 'one'), article: null }])
      await archive.ingest(capture('https://c.example/2', 'two'), null)
      expect(packsIn(dir)).toHaveLength(2)
      await backend.clear()
      expect(packsIn(dir)).toEqual([])
      const [r] = await archive.ingestMany([{ capture: capture('https://c.example/1', 'one'), article: null }])
      const s = await archive.ingest(capture('https://c.example/2', 'two'), null)
      expect(await archive.getBody(r?.capture.id as number)).toEqual(
        new TextEncoder().encode('<html><body>one</body></html>'),
      )
      expect(await archive.getBody(s.capture.id)).toEqual(new TextEncoder().encode('<html><body>two</body></html>'))
      expect((await archive.verify()).issues).toEqual([])
    } finally {
      await archive.close()
    }
  })
})
