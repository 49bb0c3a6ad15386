/**
 * @file The shared contract suite against a real PostgreSQL server (`ARCHIVE_PG_URL`; CI always sets it),
 * plus what only Postgres has: migrations of an older schema, and several workers (separate pools and
 * separate processes) writing one archive at once. Every run works in a fresh schema, dropped at the end,
 * so parallel runs never collide.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { brotliDecompressSync, gzipSync } from 'node:zlib'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { createArchive, verifyArchive } from '../../src/archive.js'
import { MissingDependencyError, postgresBackend } from '../../src/backends/postgres.js'
import { compressBlob } from '../../src/blobs.js'
import { versionChange } from '../../src/change.js'
import { StorageError } from '../../src/errors.js'
import { sha256Hex } from '../../src/hash.js'
import { migratePostgres, POSTGRES_SCHEMA_VERSION } from '../../src/migrations/postgres.js'
import type { ArchiveBackend } from '../../src/types.js'
import { makeArticle, makeCapture } from '../fixtures.js'
import { transpileSources } from '../helpers/child.js'
import { missingGrams } from '../helpers/grams.js'
import { describeBackend } from './contract.js'

const url = process.env.ARCHIVE_PG_URL
const run = `pw_${process.pid}_${Date.now().toString(36)}`
const schemas: string[] = []
const schemaName = (label: string): string => {
  const name = `${run}_${label}`
  schemas.push(name)
  return name
}
const backends: ArchiveBackend[] = []
const open = (label: string, extra: { poolSize?: number } = {}): ArchiveBackend => {
  const backend = postgresBackend({ connectionString: url, schema: schemaName(label), ...extra })
  backends.push(backend)
  return backend
}

afterAll(async () => {
  if (!url) return
  for (const b of backends) await b.close()
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    for (const s of new Set(schemas)) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`)
  } finally {
    await client.end()
  }
})

describeBackend('postgres', {
  skip: !url,
  create: () => open('contract'),
  extra: (ctx) => {
    it('reports a broken counter through checkReferences, without repairing it', async () => {
      const r = await ctx.archive.ingest(makeCapture('https://news.example.com/x', 'x'), makeArticle())
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      try {
        await client.query(`UPDATE "${run}_contract".pages SET capture_count = 7 WHERE id = $1`, [r.page.id])
      } finally {
        await client.end()
      }
      const issues = await ctx.backend.checkReferences()
      expect(issues).toEqual([expect.objectContaining({ kind: 'page-counts', severity: 'error', ref: r.page.id })])
      expect((await ctx.backend.checkReferences()).length).toBe(1)
    })

    it('searches Latin words case-insensitively', async () => {
      const U = 'https://news.example.com/biobay'
      await ctx.archive.ingest(
        makeCapture(U, 'b'),
        makeArticle({ title: 'BioBAY 生物医药产业园', paragraphs: ['园区的 BioBAY 新增企业。'] }),
      )
      const hits = await ctx.archive.search({ text: 'biobay 产业园' })
      expect(hits.map((h) => h.url)).toEqual([U])
      expect(hits[0]?.title).toBe('BioBAY 生物医药产业园')
      expect((await ctx.archive.search({ text: 'BIOBAY' })).length).toBe(1)
    })

    it('creates the version when another worker changed the page since this one last saw it', async () => {
      const other = postgresBackend({ connectionString: url, schema: `${run}_contract` })
      backends.push(other)
      const second = createArchive({ backend: other })
      const U = 'https://news.example.com/stale-hint'
      await ctx.archive.ingest(makeCapture(U, 'x'), makeArticle({ title: 'x' }))
      await second.ingest(makeCapture(U, 'y'), makeArticle({ title: 'y' }))
      // This backend last saw "x" as the newest content; the page's newest is now "y".
      const back = await ctx.archive.ingest(makeCapture(U, 'x again'), makeArticle({ title: 'x' }))
      expect(back).toMatchObject({ isNewVersion: true, version: { number: 3, title: 'x' } })
      expect((await ctx.archive.search({ text: 'x' })).length).toBeGreaterThan(0)
      expect((await second.timeline(U))?.versions.map((v) => v.title)).toEqual(['x', 'y', 'x'])
      // Its change is against "y", the version it follows, not "x", the one this backend had seen.
      expect(back.version?.change.metadata).toEqual(['title'])
      expect((await second.getPage(U))?.lastChange).toEqual(back.version?.change)
      expect((await verifyArchive(ctx.archive)).issues).toEqual([])
    })

    it('keeps numbering and changes right with batches and single ingests from several pools at once', async () => {
      const schema = `${run}_contract`
      const archives = Array.from({ length: 3 }, () => {
        const b = postgresBackend({ connectionString: url, schema, poolSize: 2 })
        backends.push(b)
        return createArchive({ backend: b })
      })
      const pages = ['https://news.example.com/p1', 'https://news.example.com/p2', 'https://news.example.com/p3']
      await Promise.all(
        archives.map(async (archive, w) => {
          for (let round = 0; round < 4; round++) {
            const items = pages.flatMap((u, i) => [
              { capture: makeCapture(u, `same ${i}`), article: makeArticle({ title: `same ${i}` }) },
              { capture: makeCapture(u, `w${w} r${round}`), article: makeArticle({ title: `w${w} r${round} ${i}` }) },
            ])
            if (w === 0) for (const it of items) await archive.ingest(it.capture, it.article)
            else await archive.ingestMany(items)
          }
        }),
      )
      for (const u of pages) {
        const tl = await ctx.archive.timeline(u)
        expect(tl?.page.captureCount).toBe(24)
        expect(tl?.versions.map((v) => v.number)).toEqual(
          Array.from({ length: tl?.versions.length ?? 0 }, (_, i) => i + 1),
        )
        // Every version's change is against the version just before it.
        tl?.versions.forEach((v, i) => {
          const before = tl.versions[i - 1]
          expect(v.change).toEqual(versionChange(before?.article ?? null, v.article))
        })
        expect(tl?.page.lastChange).toEqual(tl?.versions.at(-1)?.change)
      }
      expect((await verifyArchive(ctx.archive)).issues).toEqual([])
      expect(await missingGrams(url, schema)).toEqual([])
    })

    it("stores a response's gzip bytes as sent, with their coding, and other bodies with brotli", async () => {
      const page = (t: string) => new TextEncoder().encode(`<html><body>${t.repeat(40)}</body></html>`)
      const gz = page('苏州工业园区生物医药产业园。')
      const br = page('园区纳米城。')
      const [a] = await ctx.archive.ingestMany([
        {
          capture: makeCapture('https://news.example.com/gz', '', { body: gz, bodyGzip: gzipSync(gz) }),
          article: null,
        },
      ])
      const b = await ctx.archive.ingest(makeCapture('https://news.example.com/br', '', { body: br }), null)
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      try {
        const { rows } = await client.query<{ hash: string; coding: string; stored_size: number; data: Buffer }>(
          `SELECT hash, coding, stored_size, data FROM "${run}_contract".blobs WHERE hash = ANY($1) ORDER BY coding`,
          [[sha256Hex(gz), sha256Hex(br)]],
        )
        expect(rows.map((r) => [r.hash, r.coding])).toEqual([
          [sha256Hex(br), 'br'],
          [sha256Hex(gz), 'gzip'],
        ])
        expect(brotliDecompressSync(rows[0]?.data as Buffer)).toEqual(Buffer.from(br))
        expect(rows[1]?.data).toEqual(gzipSync(gz))
        expect(rows[1]?.stored_size).toBe(gzipSync(gz).byteLength)
      } finally {
        await client.end()
      }
      expect(await ctx.archive.getBody(a?.capture.id as number)).toEqual(gz)
      expect(await ctx.archive.getBody(b.capture.id)).toEqual(br)
    })

    it('never creates duplicate versions with several pools (workers) writing at once', async () => {
      const schema = `${run}_contract`
      const workers = Array.from({ length: 4 }, () => {
        const b = postgresBackend({ connectionString: url, schema, poolSize: 3 })
        backends.push(b)
        return createArchive({ backend: b })
      })
      const A = 'https://news.example.com/shared'
      const B = 'https://news.example.com/changing'
      await Promise.all(
        workers.flatMap((archive, w) =>
          Array.from({ length: 6 }, async (_, i) => {
            await archive.ingest(makeCapture(A, `same body ${i % 2}`), makeArticle({ title: '同一内容' }))
            await archive.ingest(makeCapture(B, `w${w} i${i}`), makeArticle({ title: `worker ${w} edit ${i}` }))
          }),
        ),
      )
      const shared = await ctx.archive.timeline(A)
      expect(shared?.page).toMatchObject({ captureCount: 24, versionCount: 1 })
      const changing = await ctx.archive.timeline(B)
      expect(changing?.versions.map((v) => v.number)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1))
      expect(new Set(changing?.versions.map((v) => v.title)).size).toBe(24)
      expect((await verifyArchive(ctx.archive)).issues).toEqual([])
      expect(await missingGrams(url, schema)).toEqual([])
      // Two distinct bodies for A, 24 for B: each stored once however many workers wrote it.
      expect((await ctx.archive.stats()).blobs).toBe(26)
    })
  },
})

const OLD_BODY = new TextEncoder().encode('<html><body>迁移前存下的正文</body></html>')

describe.skipIf(!url)('postgres backend: migrations and options', () => {
  it('migrates a schema written at version 1 and keeps its data', async () => {
    const schema = schemaName('old')
    const pool = new pg.Pool({ connectionString: url, max: 1 })
    try {
      const client = await pool.connect()
      try {
        expect(await migratePostgres(client, schema, 1)).toBe(1)
      } finally {
        client.release()
      }
      await pool.query(
        `INSERT INTO "${schema}".pages (url, host, source, first_captured_at, last_captured_at) VALUES ($1, 'a.example', 'a.example', now(), now())`,
        ['https://a.example/old'],
      )
      // A body as version 1 stored it: brotli, with no coding column yet.
      await pool.query(`INSERT INTO "${schema}".blobs (hash, stored_size, data) VALUES ($1, $2, $3)`, [
        sha256Hex(OLD_BODY),
        compressBlob(OLD_BODY).byteLength,
        compressBlob(OLD_BODY),
      ])
      // A page with two versions, as version 1 stored them (no change column yet).
      const v1 = makeArticle({ title: '旧版', paragraphs: ['第一段。'] })
      const v2 = makeArticle({ title: '旧版', paragraphs: ['第一段。', '第二段。'] })
      const S = `"${schema}"`
      await pool.query(`BEGIN;
        INSERT INTO ${S}.pages (id, url, host, source, first_captured_at, last_captured_at, capture_count, version_count,
          latest_version_id, latest_number, latest_hash, latest_capture_id, title)
        VALUES (100, 'https://a.example/two', 'a.example', 'a.example', now(), now(), 2, 2, 201, 2, 'h2', 302, '旧版');
        INSERT INTO ${S}.versions (id, page_id, number, content_hash, capture_id, created_at, title, industries, article, search_text)
        VALUES (200, 100, 1, 'h1', 301, now(), '旧版', '{}', '${JSON.stringify(v1)}', ''),
               (201, 100, 2, 'h2', 302, now(), '旧版', '{}', '${JSON.stringify(v2)}', '');
        INSERT INTO ${S}.captures (id, page_id, requested_url, method, outcome, status, headers, fetched_at, version_id)
        VALUES (301, 100, 'https://a.example/two', 'http', 'ok', 200, '[]', now(), 200),
               (302, 100, 'https://a.example/two', 'http', 'ok', 200, '[]', now(), 201);
        COMMIT`)
      const migrated = await pool.connect()
      try {
        expect(await migratePostgres(migrated, schema)).toBe(POSTGRES_SCHEMA_VERSION)
      } finally {
        migrated.release()
      }
      const { rows } = await pool.query(`SELECT change FROM ${S}.versions ORDER BY id`)
      expect(rows.map((r) => r.change)).toEqual([versionChange(null, v1), versionChange(v1, v2)])
    } finally {
      await pool.end()
    }
    const backend = postgresBackend({ connectionString: url, schema })
    backends.push(backend)
    const archive = createArchive({ backend })
    expect((await archive.getPage('https://a.example/old'))?.url).toBe('https://a.example/old')
    expect(await backend.blobs.get(sha256Hex(OLD_BODY))).toEqual(OLD_BODY)
    await archive.ingest(
      makeCapture('https://a.example/new', 'n'),
      makeArticle({ title: '园区新闻', paragraphs: ['纳米技术应用产业创新中心揭牌。'] }),
    )
    expect((await archive.search({ text: '纳米技术' })).map((h) => h.url)).toEqual(['https://a.example/new'])
    expect((await archive.search({ text: '揭牌' })).map((h) => h.url)).toEqual(['https://a.example/new'])
    expect(await archive.search({ text: '量子' })).toEqual([])
    expect(await missingGrams(url, schema)).toEqual([])
    const check = new pg.Client({ connectionString: url })
    await check.connect()
    try {
      const { rows } = await check.query(`SELECT version FROM "${schema}".archive_schema`)
      expect(rows).toEqual([{ version: POSTGRES_SCHEMA_VERSION }])
    } finally {
      await check.end()
    }
  })

  it('refuses a schema written by a newer version with a typed error', async () => {
    const schema = schemaName('newer')
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      await client.query(`CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".archive_schema (version integer NOT NULL);
        INSERT INTO "${schema}".archive_schema VALUES (${POSTGRES_SCHEMA_VERSION + 1})`)
    } finally {
      await client.end()
    }
    const backend = postgresBackend({ connectionString: url, schema })
    backends.push(backend)
    await expect(backend.getPage('https://a.example/')).rejects.toSatisfy(
      (e: unknown) => e instanceof StorageError && /newer than/.test(e.message) && e.code === 'ARCHIVE_STORAGE',
    )
  })

  it('checks its options once, at the factory', () => {
    expect(() => postgresBackend({ connectionString: url, schema: 'bad-name; DROP' })).toThrow(TypeError)
    expect(() => postgresBackend({ connectionString: url, poolSize: 0 })).toThrow(/poolSize/)
    expect(() => postgresBackend({ connectionString: '' })).toThrow(/connectionString/)
  })

  it('names the missing peer dependency in a typed error', () => {
    const error = new MissingDependencyError('pg')
    expect(error.code).toBe('ARCHIVE_MISSING_DEPENDENCY')
    expect(error.message).toContain('pnpm add pg')
  })

  it('loses nothing and never duplicates a version with several processes writing at once', async () => {
    const schema = schemaName('procs')
    const dist = transpileSources()
    try {
      const workers = 4
      const rounds = 4
      const pages = 6
      const results = await Promise.all(
        Array.from({ length: workers }, (_, worker) =>
          runChild({ dist: dist.dir, url, schema, worker, rounds, pages }),
        ),
      )
      for (const r of results) expect(r.code, r.output).toBe(0)
      const backend = postgresBackend({ connectionString: url, schema })
      backends.push(backend)
      const archive = createArchive({ backend })
      expect((await archive.stats()).captures).toBe(workers * rounds * pages * 2)
      for (let p = 0; p < pages; p++) {
        const shared = await archive.timeline(`https://shared.example.com/p${p}`)
        expect(shared?.page).toMatchObject({ captureCount: workers * rounds, versionCount: 1 })
        const unique = await archive.timeline(`https://unique.example.com/p${p}`)
        expect(unique?.versions.map((v) => v.number)).toEqual(Array.from({ length: workers * rounds }, (_, i) => i + 1))
      }
      expect((await verifyArchive(archive)).issues).toEqual([])
      // Each process wrote the search grams of its versions in their transactions, new ones at the same time.
      expect(await missingGrams(url, schema)).toEqual([])
      expect((await archive.search({ text: '进程', limit: 100 })).length).toBe(pages)
    } finally {
      dist.remove()
    }
  })

  it('leaves an archive that verifies and accepts writes after workers are killed mid-ingest', async () => {
    const schema = schemaName('kill')
    const dist = transpileSources()
    try {
      let before = 0
      for (let round = 0; round < 6; round++) {
        const children = await Promise.all(
          [0, 1].map((w) => startForever({ dist: dist.dir, url, schema, worker: round * 2 + w, rounds: 0, pages: 0 })),
        )
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 400))
        for (const child of children) child.kill('SIGKILL')
        await Promise.all(
          children.map(
            (c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.once('exit', r))),
          ),
        )
        const backend = postgresBackend({ connectionString: url, schema })
        const stats = await backend.stats()
        await backend.close()
        // Committed work is never lost between kills.
        expect(stats.captures).toBeGreaterThanOrEqual(before)
        before = stats.captures
      }
      expect(before).toBeGreaterThan(0)
      const backend = postgresBackend({ connectionString: url, schema })
      backends.push(backend)
      const archive = createArchive({ backend })
      const report = await archive.verify()
      expect(report.issues.filter((i) => i.severity === 'error')).toEqual([])
      expect(report.ok).toBe(true)
      expect(await missingGrams(url, schema)).toEqual([])
      const r = await archive.ingest(
        makeCapture('https://kill.example.com/p0', 'after'),
        makeArticle({ title: 'after' }),
      )
      expect(r.isNewVersion).toBe(true)
      expect((await archive.verify()).ok).toBe(true)
    } finally {
      dist.remove()
    }
  })
})

// --- Internal helpers ---

/** A child process (plain node on the transpiled sources) that writes shared and unique pages. */
const CHILD = `
const job = JSON.parse(process.argv[1])
const { createArchive } = await import(job.archive)
const { postgresBackend } = await import(job.backend)
const backend = postgresBackend({ connectionString: job.url, schema: job.schema, poolSize: 2 })
const archive = createArchive({ backend })
const article = (title, text) => ({ type: 'article', url: null, title, paragraphs: [{ kind: 'paragraph', text }], text,
  html: '', images: [], byline: [], editors: [], source: null, siteName: null, publishedAt: null, modifiedAt: null,
  lang: 'zh-Hans', canonicalUrl: null, description: null, industries: [], mentionsPark: true, wordCount: 1, decode: null })
if (job.mode === 'forever') {
  // Write until killed: new bodies and versions, repeats and 304s, on a few shared pages.
  // "ready" once the first capture is committed, so every kill lands among real writes.
  for (let n = 0; ; n++) {
    if (n === 1) process.stdout.write('ready\\n')
    const url = 'https://kill.example.com/p' + (n % 5)
    if (n % 7 === 3) await archive.ingest({ url, status: 304, body: null, fetchedAt: Date.now() }, null)
    else {
      const c = n % 3 === 0 ? 'same' : job.worker + '-' + n + '-' + Math.random()
      await archive.ingest({ url, status: 200, body: '<html>' + c + 'x'.repeat(2000 + n) + '</html>', fetchedAt: Date.now() },
        article('页面 ' + c, '内容 ' + c + ' 苏州工业园区'))
    }
  }
}
for (let round = 0; round < job.rounds; round++) {
  for (let p = 0; p < job.pages; p++) {
    await archive.ingest({ url: 'https://shared.example.com/p' + p, status: 200, body: 'shared ' + p, fetchedAt: Date.now() },
      article('共享页面 ' + p, '所有进程写入相同的内容 ' + p))
    const tag = 'w' + job.worker + '-r' + round
    await archive.ingest({ url: 'https://unique.example.com/p' + p, status: 200, body: 'unique ' + p + tag, fetchedAt: Date.now() },
      article('独立页面 ' + p + tag, '每次写入都不同 ' + tag))
  }
}
await archive.close()
`

function spawnChild(job: ChildJob): ChildProcess & { output: () => string } {
  const args = {
    ...job,
    archive: pathToFileURL(join(job.dist, 'archive.js')).href,
    backend: pathToFileURL(join(job.dist, 'backends', 'postgres.js')).href,
  }
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, JSON.stringify(args)], {
    cwd: job.dist,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (d: Buffer) => {
    output += d
  })
  child.stderr.on('data', (d: Buffer) => {
    output += d
  })
  return Object.assign(child, { output: () => output })
}

/** Run a finite child job to its end. */
function runChild(job: ChildJob): Promise<{ code: number | null; output: string }> {
  const child = spawnChild(job)
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output: child.output() })))
}

/** Start a `forever` child; resolves once it has opened the archive and starts writing. */
function startForever(job: ChildJob): Promise<ChildProcess & { output: () => string }> {
  const child = spawnChild({ ...job, mode: 'forever' })
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      if (child.output().includes('ready')) {
        clearInterval(poll)
        resolve(child)
      }
    }, 10)
    child.once('exit', (code) => {
      clearInterval(poll)
      if (!child.output().includes('ready')) reject(new Error(`child exited with ${code}: ${child.output()}`))
    })
  })
}

interface ChildJob {
  dist: string
  url: string | undefined
  schema: string
  worker: number
  rounds: number
  pages: number
  mode?: 'finite' | 'forever'
}
