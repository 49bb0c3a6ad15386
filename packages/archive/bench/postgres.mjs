/**
 * The PostgreSQL target of the archive benchmark. `bench/backends.mjs` opens it through `openPostgres`:
 * every call makes a fresh schema (so runs and labels never collide), `diskBytes` sums
 * `pg_total_relation_size` (tables, indexes and TOAST, blobs included) over that schema, and `dispose`
 * drops it.
 *
 * Runnable alone for quick figures on the built package (ingest rate, bytes per capture, timeline and
 * search p50/p95):
 *   ARCHIVE_PG_URL=postgres://postgres@127.0.0.1:5432/test node bench/postgres.mjs [captures] [pages] [timeline]
 */
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import pg from 'pg'

/**
 * Open a fresh Postgres archive for the benchmark.
 * `pkg` is the built package (or any module exporting `postgresBackend`), `label` tells runs apart.
 */
export async function openPostgres(pkg, { url = process.env.ARCHIVE_PG_URL, label = 'bench' } = {}) {
  if (!url) throw new Error('ARCHIVE_PG_URL is not set')
  const schema = `pw_bench_${label}_${process.pid}_${Date.now().toString(36)}`.replace(/[^A-Za-z0-9_]/g, '_')
  const backend = pkg.postgresBackend({ connectionString: url, schema })
  const withClient = async (fn) => {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      return await fn(client)
    } finally {
      await client.end()
    }
  }
  return {
    backend,
    schema,
    diskBytes: () =>
      withClient(async (client) => {
        const { rows } = await client.query(
          `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS bytes
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = $1 AND c.relkind IN ('r', 'm')`,
          [schema],
        )
        return Number(rows[0].bytes)
      }),
    dispose: () => withClient((client) => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)),
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const captures = Number(process.argv[2] ?? 5_000)
  const pages = Number(process.argv[3] ?? 250)
  const timelineCaptures = Number(process.argv[4] ?? 1_000)
  const pkgDir = fileURLToPath(new URL('..', import.meta.url))
  const { createArchive } = await import(pathToFileURL(join(pkgDir, 'dist', 'archive.js')).href)
  const { postgresBackend } = await import(pathToFileURL(join(pkgDir, 'dist', 'backends', 'postgres.js')).href)
  const { ingestWorkload } = await import('./data.mjs')
  const ctx = await openPostgres({ postgresBackend }, { label: 'solo' })
  try {
    const archive = createArchive({ backend: ctx.backend })
    let versions = 0
    const t0 = performance.now()
    for (const item of ingestWorkload({ captures, pages, changeRate: 0.1 })) {
      if ((await archive.ingest(item.capture, item.article)).isNewVersion) versions++
    }
    const seconds = (performance.now() - t0) / 1000
    // One page with `timelineCaptures` captures, 10% of them changes, as in run.mjs.
    const tlUrl = 'https://timeline.example.com/sip/one-page.html'
    let n = 0
    for (const item of ingestWorkload({ captures: timelineCaptures, pages: 1, changeRate: 0.1, seed: 7 })) {
      await archive.ingest(
        { ...item.capture, url: tlUrl, fetchedAt: Date.parse('2026-06-01T00:00:00Z') + n++ * 1000 },
        item.article,
      )
    }
    const timeline = await timeIt(100, () => archive.timeline(tlUrl))
    const queries = ['苏州工业园区', '第三代半导体', '算力中心 投产', '生物醫藥', '芯片', '量子计算机']
    let k = 0
    const search = await timeIt(100, () => archive.search({ text: queries[k++ % queries.length], limit: 20 }))
    const stats = await archive.stats()
    await archive.close()
    const disk = await ctx.diskBytes()
    console.log(
      JSON.stringify({
        backend: 'postgres',
        captures,
        pages,
        versions,
        seconds: Math.round(seconds * 100) / 100,
        capturesPerSec: Math.round(captures / seconds),
        rawBytesPerCapture: Math.round(stats.rawBytes / stats.captures),
        diskBytesPerCapture: Math.round(disk / stats.captures),
        timeline: { captures: timelineCaptures, ...timeline },
        search: { versions: stats.versions, ...search },
      }),
    )
  } finally {
    await ctx.dispose()
  }
}

async function timeIt(runs, fn) {
  for (let i = 0; i < 10; i++) await fn()
  const times = []
  for (let i = 0; i < runs; i++) {
    const t = performance.now()
    await fn()
    times.push(performance.now() - t)
  }
  times.sort((a, b) => a - b)
  const pct = (p) =>
    Math.round(times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)] * 1000) / 1000
  return { p50Ms: pct(50), p95Ms: pct(95) }
}
