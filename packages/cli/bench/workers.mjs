#!/usr/bin/env node
/**
 * @file The scaling-out benchmark (issue 6): throughput of 1, 2 and 4 `parkwatch worker` processes (BullMQ
 * on Redis, archive in PostgreSQL) against a local portal whose every answer takes 100 ms, with per-host
 * limits off and on, all in one run.
 *
 *   REDIS_URL=redis://127.0.0.1:6379 ARCHIVE_PG_URL=postgres://postgres@127.0.0.1:5432/test \
 *     node bench/workers.mjs [--hosts 4] [--pages 240] [--jobs 2] [--latency-ms 100] [--rate 4]
 *                            [--limited-pages 120] [--workers 1,2,4] [--quick] [--write]
 *
 * The portal (this process) serves `--hosts` hosts on their own ports, each with an RSS feed of its share
 * of `--pages` generated article pages (`pages.mjs`: 50-150 KB, Chinese portal furniture). For each worker
 * count: a fresh queue prefix and PostgreSQL schema, `scheduleSources(--now)`, N worker processes started
 * (the built CLI, `--jobs` jobs each), and the time from the first to the last article request the portal
 * saw. Limits off: `--no-host-limits`. Limits on: every host at `--rate` requests/s, one at a time; the
 * report gives each host's achieved rate and its smallest gap between two requests, measured at the portal.
 * `--write` replaces the "## Distributed workers" section of BENCHMARKS.md.
 */
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { load, markdownTable, PACKAGE_DIR, parseArgs, REPO_DIR, textTable } from './lib.mjs'
import { buildSite, rssFeed } from './pages.mjs'

const args = parseArgs(process.argv.slice(2), ['quick', 'write'])
const quick = Boolean(args.quick)
const HOSTS = Number(args.hosts ?? 4)
const PAGES = Number(args.pages ?? (quick ? 48 : 240))
const LIMITED_PAGES = Number(args['limited-pages'] ?? (quick ? 24 : 120))
const JOBS = Number(args.jobs ?? 2)
const LATENCY_MS = Number(args['latency-ms'] ?? 100)
const RATE = Number(args.rate ?? 4)
const WORKERS = String(args.workers ?? '1,2,4')
  .split(',')
  .map(Number)
const REDIS_URL = process.env.REDIS_URL
const PG_URL = process.env.ARCHIVE_PG_URL
if (!REDIS_URL || !PG_URL) {
  console.error('workers bench: set REDIS_URL and ARCHIVE_PG_URL (the real services this benchmark measures)')
  process.exit(2)
}

const CLI = join(PACKAGE_DIR, 'dist', 'cli.js')
const cli = await import(join(PACKAGE_DIR, 'dist', 'index.js'))
const { Redis } = await import('ioredis')
const pg = (await import('pg')).default

// --- The portal: HOSTS servers, every answer after LATENCY_MS ---
const site = buildSite({ pages: PAGES })
const hosts = []
for (let h = 0; h < HOSTS; h++) {
  const mine = site.pages.filter((_, i) => i % HOSTS === h)
  const byPath = new Map(mine.map((p) => [p.path, p]))
  const log = []
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    const at = performance.now()
    setTimeout(() => {
      if (path === '/robots.txt')
        return res.writeHead(200, { 'content-type': 'text/plain' }).end('User-agent: *\nAllow: /\n')
      if (path === '/rss.xml') {
        return res
          .writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8' })
          .end(rssFeed(host.pages, host.base, host.pages.length))
      }
      const page = byPath.get(path)
      if (!page) return res.writeHead(404).end()
      log.push({ at, end: performance.now() })
      res.writeHead(200, { 'content-type': page.contentType, 'content-length': page.bytes.byteLength }).end(page.bytes)
    }, LATENCY_MS)
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const host = { server, base: `http://127.0.0.1:${server.address().port}`, all: mine, pages: mine, log }
  hosts.push(host)
}

function sourcesYaml({ limited }) {
  const sites = hosts.map(
    (h, i) => `  - id: bench-${i}
    name: bench host ${i}
    entries:
      - { type: feed, url: ${h.base}/rss.xml }
    rate: ${limited ? RATE : 1000}
    concurrency: ${limited ? 1 : 64}`,
  )
  return `version: 1
defaults:
  render: http
  revisit: { steps: [{ until: 30d, every: 1d }], maxAge: 30d }
sites:
${sites.join('\n')}
`
}

/** One configuration: N workers, limits on or off, over the first `pages` pages of every host. */
async function measure(workers, limited) {
  const id = randomUUID().slice(0, 8)
  const prefix = `pwbench-${id}`
  const schema = `pw_bench_${id}`
  const dir = mkdtempSync(join(tmpdir(), 'pw-workers-bench-'))
  for (const h of hosts) h.log.length = 0
  const text = sourcesYaml({ limited })
  const file = join(dir, 'sources.yaml')
  writeFileSync(file, text)
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null })
  const queue = cli.openQueue(redis, prefix)
  const env = { ...process.env, PARKWATCH_REDIS_URL: REDIS_URL, PARKWATCH_QUEUE_PREFIX: prefix }
  const children = []
  try {
    for (let i = 0; i < workers; i++) {
      const child = spawn(
        process.execPath,
        [
          CLI,
          'worker',
          '--archive',
          PG_URL,
          '--pg-schema',
          schema,
          '--jobs',
          String(JOBS),
          '--no-browser',
          ...(limited ? [] : ['--no-host-limits']),
        ],
        { env, cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
      )
      let err = ''
      child.stderr.on('data', (d) => {
        err += d.toString()
      })
      children.push({ child, err: () => err })
    }
    // Workers wait for the sources; the clock starts at the portal's first article request anyway.
    for (const c of children) await until(() => c.err().includes('worker ready') || c.err().includes('waiting'), 30_000)
    await cli.scheduleSources({ queue, redis, prefix, text, file, now: hosts.map((_, i) => `bench-${i}`) })
    const expected = hosts.reduce((n, h) => n + h.pages.length, 0)
    await until(() => hosts.reduce((n, h) => n + h.log.length, 0) >= expected, 600_000)
    await until(async () => {
      const c = await queue.getJobCounts('waiting', 'active')
      return c.waiting + c.active === 0
    }, 60_000)
    const all = hosts.flatMap((h) => h.log)
    const first = Math.min(...all.map((r) => r.at))
    const last = Math.max(...all.map((r) => r.end))
    const perHost = hosts.map((h) => {
      const at = h.log.map((r) => r.at).sort((a, b) => a - b)
      const gaps = at.slice(1).map((t, i) => t - at[i])
      const span = (at.at(-1) - at[0]) / 1000
      return { rate: (at.length - 1) / span, minGapMs: Math.min(...gaps) }
    })
    return {
      workers,
      limited,
      pages: all.length,
      seconds: (last - first) / 1000,
      pagesPerSecond: all.length / ((last - first) / 1000),
      perHost,
    }
  } finally {
    for (const c of children) c.child.kill('SIGTERM')
    await Promise.all(
      children.map((c) => new Promise((r) => (c.child.exitCode !== null ? r() : c.child.once('exit', r)))),
    )
    await queue.close()
    for await (const batch of redis.scanStream({ match: `${prefix}:*`, count: 1000 }))
      if (batch.length) await redis.del(...batch)
    await redis.quit()
    const client = new pg.Client({ connectionString: PG_URL })
    await client.connect()
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
    await client.end()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function until(check, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 50))
  }
}

// --- The run ---
const started = new Date()
const loadStart = load()
const results = []
for (const limited of [false, true]) {
  // Limits on: fewer pages (the run is bound by the configured rate, not by the workers).
  if (limited) for (const h of hosts) h.pages = h.all.slice(0, Math.ceil(LIMITED_PAGES / HOSTS))
  for (const w of WORKERS) {
    process.stderr.write(`workers bench: ${w} worker(s), limits ${limited ? 'on' : 'off'}… `)
    const r = await measure(w, limited)
    process.stderr.write(`${r.pagesPerSecond.toFixed(1)} pages/s\n`)
    results.push(r)
  }
}
const loadEnd = load()
for (const h of hosts) h.server.close()

const base = results.find((r) => !r.limited && r.workers === WORKERS[0])
const header = [
  'workers',
  'host limits',
  'pages',
  'seconds',
  'pages/s',
  'vs 1 worker',
  'per-host rate (req/s)',
  'smallest gap (ms)',
]
const rows = results.map((r) => [
  String(r.workers),
  r.limited ? `on (${RATE}/s per host)` : 'off',
  String(r.pages),
  r.seconds.toFixed(1),
  r.pagesPerSecond.toFixed(1),
  r.limited ? '-' : `${(r.pagesPerSecond / base.pagesPerSecond).toFixed(2)}x`,
  r.perHost.map((h) => h.rate.toFixed(2)).join(' / '),
  r.perHost.map((h) => Math.round(h.minGapMs)).join(' / '),
])
console.log(textTable(header, rows))
const four = results.find((r) => !r.limited && r.workers === 4)
const limitedRates = results.filter((r) => r.limited).flatMap((r) => r.perHost.map((h) => h.rate))
const verdict = [
  four
    ? `4 workers = ${(four.pagesPerSecond / base.pagesPerSecond).toFixed(2)}x one worker with limits off (target >= 3x: ${four.pagesPerSecond / base.pagesPerSecond >= 3 ? 'met' : 'NOT met'})`
    : null,
  limitedRates.length
    ? `limits on: per-host rates ${Math.min(...limitedRates).toFixed(2)}-${Math.max(...limitedRates).toFixed(2)} req/s for a configured ${RATE}/s`
    : null,
  ...results
    .filter((r) => r.limited && r.workers === Math.max(...WORKERS))
    .map(
      (r) =>
        `limits on, ${r.workers} workers: ${r.pagesPerSecond.toFixed(1)} pages/s of the ${HOSTS * RATE}/s the limits allow (${HOSTS} hosts x ${RATE}/s); smallest gap ${Math.round(Math.min(...r.perHost.map((h) => h.minGapMs)))} ms for a ${Math.round(1000 / RATE)} ms interval`,
    ),
].filter(Boolean)
for (const line of verdict) console.log(line)

const markdown = `## Distributed workers (\`parkwatch worker\`, BullMQ + PostgreSQL)

### Command

\`\`\`sh
pnpm --filter @parkwatch/cli build
REDIS_URL=redis://127.0.0.1:6379 ARCHIVE_PG_URL=postgres://postgres@127.0.0.1:5432/test \\
  node packages/cli/bench/workers.mjs${
    process.argv.slice(2).filter((a) => a !== '--write').length
      ? ` ${process.argv
          .slice(2)
          .filter((a) => a !== '--write')
          .join(' ')}`
      : ''
  }
\`\`\`

### Machine and run

${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version}, Redis and PostgreSQL on the same machine. Run
started ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC; load average ${loadStart[0]} at the start, ${loadEnd[0]} at the end.

### Method

A local portal of ${HOSTS} hosts (in the benchmark's process) answers every request after ${LATENCY_MS} ms; each host has an RSS
feed of its share of ${PAGES} generated article pages (50-150 KB, Chinese portal furniture around an article about the park).
For each worker count, a fresh queue prefix and PostgreSQL schema, \`parkwatch schedule\` (\`--now\`), and that many
\`parkwatch worker --jobs ${JOBS}\` processes; time is measured at the portal, from the first article request to the end of the last
answer (worker start-up excluded). Every page is fetched, extracted and archived (one capture and one version each).
Limits off: \`--no-host-limits\`. Limits on: every host at ${RATE} requests/s, one at a time, over ${LIMITED_PAGES} pages; each host's
achieved rate and smallest gap between two requests are measured at the portal.

### Results

${markdownTable(header, rows)}

${verdict.map((v) => `- ${v}`).join('\n')}

With ${JOBS} jobs per worker and ${LATENCY_MS} ms answers, one worker is bound by waiting, so more workers help even on 2 cores
until the CPU (extraction, the archive's inserts, the portal itself) is the bound.

Limits on: every visit first takes a ticket from the Redis host gate, the host's next free start time, reserved
for that job. A job whose ticket is more than 100 ms off goes back to the queue (BullMQ's delayed set) until
then and its worker slot takes the next job, of any host; when it returns it finds its ticket and goes. So a busy
host costs no worker slots and the hosts run side by side, each at its own rate. The ticket only plans: the gate
still spaces the actual starts (on Redis's clock) and caps concurrency, so a late job never brings the next
one closer than the interval. One worker with one job at a time cannot reach the limits (it is bound by the 100 ms
answers); from two workers on, the hosts together run close to the ${HOSTS * RATE}/s the limits allow.
`
if (args.write) {
  const file = join(REPO_DIR, 'BENCHMARKS.md')
  const doc = readFileSync(file, 'utf8')
  const start = doc.indexOf('## Distributed workers')
  let next = start >= 0 ? doc.indexOf('\n## ', start + 3) : -1
  if (next < 0) next = doc.length
  const updated = start >= 0 ? `${doc.slice(0, start)}${markdown}${doc.slice(next)}` : `${doc.trimEnd()}\n\n${markdown}`
  writeFileSync(file, updated)
  process.stderr.write('workers bench: BENCHMARKS.md updated\n')
}
