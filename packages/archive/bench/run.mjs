/**
 * The archive benchmark (`pnpm bench` in this package). On every backend in `bench/backends.mjs`, in one run:
 *   - ingest rate: 100,000 captures of 5,000 pages, 10% of re-captures changing content (target >= 5,000/s
 *     on SQLite), three ways, each into a fresh archive: `ingest` one call at a time (each awaited: one
 *     transaction per capture), `ingest` with `--in-flight` calls at once (SQLite commits them together),
 *     and `ingestMany` in batches of `--batch`, one call at a time (`batch-seq`) and with `--batches-in-flight`
 *     calls at once (`batch`: a batch's bodies are stored while the one before commits). The workload is
 *     generated in chunks outside the timed parts;
 *   - bytes on disk per capture against raw body bytes;
 *   - timeline p95 for a page with 1,000 captures (target < 10 ms);
 *   - search p95 over 100,000 versions;
 * plus, once, the diff benchmark from `bench/diff.mjs` (2 x 20,000-character Chinese versions, < 20 ms p95).
 *
 *   node bench/run.mjs [--captures 100000] [--pages 5000] [--search-versions 100000] [--only sqlite]
 *                      [--batch 500] [--in-flight 64] [--batches-in-flight 2]
 *                      [--ingest-modes one,in-flight,batch-seq,batch]
 *                      [--postgres-captures N …]   (any size option, prefixed with a backend name: for that backend only)
 *   `--only sqlite` runs every entry named `sqlite` or `sqlite+…` (e.g. `sqlite+db-blobs`).
 *                      [--write]   (replace the "## Archive" section of the repository's BENCHMARKS.md)
 *   node bench/run.mjs --from report.json [--write]   (render a saved report instead of measuring)
 *   [--before earlier-report.json]   (adds a before/after line from an earlier run's JSON, old format too)
 *
 * Runs on the built package; it builds `dist/` first when it is missing or older than a file in `src/`.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { BACKENDS } from './backends.mjs'
import { article, ingestWorkload, rng } from './data.mjs'

const pkgDir = fileURLToPath(new URL('..', import.meta.url))
const args = parseArgs(process.argv.slice(2))
const SIZE_OPTIONS = {
  captures: ['captures', 100_000],
  pages: ['pages', 5_000],
  changeRate: ['change-rate', 0.1],
  timelineCaptures: ['timeline-captures', 1_000],
  searchVersions: ['search-versions', 100_000],
  queryRuns: ['query-runs', 200],
  batch: ['batch', 500],
  inFlight: ['in-flight', 64],
  batchesInFlight: ['batches-in-flight', 2],
}
const INGEST_MODES = String(args['ingest-modes'] ?? 'one,in-flight,batch-seq,batch').split(',')
/** The sizes for one backend: `--<backend>-<option>` beats `--<option>` beats the default. */
const sizes = (backend) =>
  Object.fromEntries(
    Object.entries(SIZE_OPTIONS).map(([key, [flag, dflt]]) => [
      key,
      Number((backend && args[`${backend}-${flag}`]) ?? args[flag] ?? dflt),
    ]),
  )
const baseCfg = sizes(null)
let cfg = baseCfg

if (args.from) {
  // Re-render a saved report (the JSON this script prints) without measuring again.
  const saved = JSON.parse(readFileSync(String(args.from), 'utf8'))
  if (args.before) saved.before = JSON.parse(readFileSync(String(args.before), 'utf8'))
  if (args.write) writeBenchmarks(markdown(saved))
  else console.log(markdown(saved))
  process.exit(0)
}
const pkg = await loadPackage()
// Calibrated at the start and at the end: on a shared machine the load changes during a run.
const calibrationStart = calibrate()
const results = []
for (const entry of BACKENDS) {
  if (
    args.only &&
    !String(args.only)
      .split(',')
      .some((o) => entry.name === o || entry.name.startsWith(`${o}+`))
  ) {
    continue
  }
  const skip = await entry.unavailable?.(pkg)
  if (skip) {
    console.error(`[bench] skipping ${entry.name}: ${skip}`)
    continue
  }
  cfg = sizes(entry.name)
  results.push(await benchBackend(entry))
}
let diff = null
try {
  const { benchDiff } = await import('./diff.mjs')
  diff = await benchDiff({ diffVersions: pkg.diffVersions })
} catch (error) {
  console.error(`[bench] diff benchmark not run: ${error.message}`)
}

const calibration = { start: calibrationStart, end: calibrate() }
const report = {
  before: args.before ? JSON.parse(readFileSync(String(args.before), 'utf8')) : undefined,
  date: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  loadavg: loadavg(),
  calibration,
  command: ['node packages/archive/bench/run.mjs', ...process.argv.slice(2)].join(' '),
  cfg: baseCfg,
  results,
  diff,
}
console.log(JSON.stringify(report, null, 2))
if (args.write) writeBenchmarks(markdown(report))

// --- Benchmarks ---

async function benchBackend(entry) {
  const modes = {}
  for (const mode of INGEST_MODES) {
    console.error(`[bench] ${entry.name}: ingest (${mode}) ${cfg.captures} captures of ${cfg.pages} pages`)
    modes[mode] = await benchIngest(entry, mode, mode === INGEST_MODES[0])
  }
  const first = modes[INGEST_MODES[0]]
  const { ctx, archive, newVersions } = first
  delete first.ctx
  delete first.archive
  delete first.newVersions

  // Timeline: one more page with 1,000 captures (10% of them changes) in the same archive.
  const tlUrl = 'https://timeline.example.com/sip/one-page.html'
  let n = 0
  for (const item of ingestWorkload({
    captures: cfg.timelineCaptures,
    pages: 1,
    changeRate: cfg.changeRate,
    seed: 7,
  })) {
    await archive.ingest(
      { ...item.capture, url: tlUrl, fetchedAt: Date.parse('2026-06-01T00:00:00Z') + n++ * 1000 },
      item.article,
    )
  }
  // The first query builds every capture (nothing cached yet); the timed runs that follow find them cached.
  const coldCpu0 = process.cpuUsage()
  const coldT0 = performance.now()
  await archive.timeline(tlUrl)
  const cold = { wallMs: round(performance.now() - coldT0, 3), cpuMs: round(cpuMs(coldCpu0), 3) }
  const tlCpu0 = process.cpuUsage()
  const timeline = await timeIt(cfg.queryRuns, async () => {
    const tl = await archive.timeline(tlUrl)
    if (tl.captures.length !== cfg.timelineCaptures) throw new Error('timeline lost captures')
  })
  timeline.cpuMsPerQuery = round(cpuMs(tlCpu0) / (cfg.queryRuns + Math.min(10, cfg.queryRuns)), 3)
  const stats = await archive.stats()
  await archive.close()
  const diskBytes = await ctx.diskBytes()
  await ctx.dispose()

  console.error(`[bench] ${entry.name}: search over ${cfg.searchVersions} versions`)
  const search = await benchSearch(entry)
  return {
    backend: entry.name,
    ingest: {
      captures: cfg.captures,
      pages: cfg.pages,
      newVersions,
      targetPerSec: entry.name.startsWith('sqlite') ? 5_000 : null,
      modes,
    },
    disk: {
      captures: stats.captures,
      rawBytesPerCapture: Math.round(stats.rawBytes / stats.captures),
      diskBytes,
      diskBytesPerCapture: Math.round(diskBytes / stats.captures),
      blobs: stats.blobs,
      storedBlobBytes: stats.storedBlobBytes,
      ratioToRaw: round(diskBytes / stats.rawBytes, 4),
    },
    timeline: { captures: cfg.timelineCaptures, cold, ...timeline, targetP95Ms: 10 },
    search,
  }
}

/**
 * The ingest workload into a fresh archive, one of four ways: `one` (each `ingest` awaited before the
 * next), `in-flight` (`cfg.inFlight` `ingest` calls at once, as a crawler with that many fetches in flight),
 * `batch-seq` (`ingestMany`, `cfg.batch` captures per call, each awaited before the next), `batch` (the same
 * with up to `cfg.batchesInFlight` calls at once: a batch's bodies are stored off the main thread while the
 * batch before it commits). Main-thread CPU is read from /proc where there is one (Linux), so the work moved
 * to worker threads shows. The workload is generated in chunks before each
 * timed part, so the figures are the archive's alone. `keep` leaves the archive open (the timeline part
 * goes on in it) and returns it.
 */
async function benchIngest(entry, mode, keep) {
  const ctx = await entry.open(pkg, `ingest-${mode}`)
  const archive = pkg.createArchive({ backend: ctx.backend })
  const workload = ingestWorkload({ captures: cfg.captures, pages: cfg.pages, changeRate: cfg.changeRate })
  let newVersions = 0
  let wall = 0
  let cpu = 0
  let mainCpu = 0
  for (let done = false; !done; ) {
    // By hand: a `break` out of `for…of` would close the generator.
    const chunk = []
    while (chunk.length < 2_000) {
      const next = workload.next()
      if (next.done) {
        done = true
        break
      }
      chunk.push(next.value)
    }
    if (chunk.length === 0) break
    const cpu0 = process.cpuUsage()
    const main0 = mainThreadCpuMs()
    const t0 = performance.now()
    if (mode === 'one') {
      for (const item of chunk) if ((await archive.ingest(item.capture, item.article)).isNewVersion) newVersions++
    } else if (mode === 'in-flight') {
      let next = 0
      const worker = async () => {
        while (next < chunk.length) {
          const item = chunk[next++]
          if ((await archive.ingest(item.capture, item.article)).isNewVersion) newVersions++
        }
      }
      await Promise.all(Array.from({ length: cfg.inFlight }, worker))
    } else if (mode === 'batch-seq') {
      for (let i = 0; i < chunk.length; i += cfg.batch) {
        for (const r of await archive.ingestMany(chunk.slice(i, i + cfg.batch))) if (r.isNewVersion) newVersions++
      }
    } else {
      // Up to `batchesInFlight` calls at once; they commit in call order.
      const running = new Set()
      for (let i = 0; i < chunk.length; i += cfg.batch) {
        const call = archive.ingestMany(chunk.slice(i, i + cfg.batch)).then((rs) => {
          running.delete(call)
          for (const r of rs) if (r.isNewVersion) newVersions++
        })
        running.add(call)
        if (running.size >= cfg.batchesInFlight) await Promise.race(running)
      }
      await Promise.all(running)
    }
    wall += performance.now() - t0
    cpu += cpuMs(cpu0)
    if (main0 !== null) mainCpu += (mainThreadCpuMs() ?? main0) - main0
  }
  // The SQLite index is written by a worker thread after each commit: the timed part ends when a search
  // (which first waits for the index to hold every committed version) has answered.
  {
    const cpu0 = process.cpuUsage()
    const main0 = mainThreadCpuMs()
    const t0 = performance.now()
    await archive.search({ text: '苏州工业园区', limit: 1 })
    wall += performance.now() - t0
    cpu += cpuMs(cpu0)
    if (main0 !== null) mainCpu += (mainThreadCpuMs() ?? main0) - main0
  }
  const { captures } = await archive.stats()
  if (captures !== cfg.captures) throw new Error(`ingested ${captures} captures, expected ${cfg.captures}`)
  const out = {
    ...(mode === 'in-flight'
      ? { inFlight: cfg.inFlight }
      : mode === 'batch'
        ? { batch: cfg.batch, batchesInFlight: cfg.batchesInFlight }
        : mode === 'batch-seq'
          ? { batch: cfg.batch }
          : {}),
    seconds: round(wall / 1000, 2),
    capturesPerSec: Math.round(cfg.captures / (wall / 1000)),
    cpuMsPerCapture: round(cpu / cfg.captures, 3),
    ...(mainThreadCpuMs() !== null ? { mainThreadCpuMsPerCapture: round(mainCpu / cfg.captures, 3) } : {}),
  }
  if (keep) return { ...out, ctx, archive, newVersions }
  await archive.close()
  await ctx.dispose()
  return out
}

async function benchSearch(entry) {
  const ctx = await entry.open(pkg, 'search')
  const archive = pkg.createArchive({ backend: ctx.backend })
  const rand = rng(99)
  const perPage = 5
  const pages = Math.ceil(cfg.searchVersions / perPage)
  const t0 = performance.now()
  let i = 0
  // Page-major order, like a long-running crawl: every capture is a new version of its page.
  // Loaded in batches and without bodies: this part measures search, not blob writes.
  let batch = []
  for (let round = 0; round < perPage; round++) {
    for (let p = 0; p < pages && i < cfg.searchVersions; p++, i++) {
      const art = article(rand, { paragraphs: 4, chars: 100 })
      const url = `https://search${p % 50}.example.com/a/${p}.html`
      batch.push({ capture: { url, status: 200, body: null, fetchedAt: 1.77e12 + i * 1000 }, article: art })
      if (batch.length === 1000) {
        await archive.ingestMany(batch)
        batch = []
      }
    }
  }
  if (batch.length > 0) await archive.ingestMany(batch)
  const loadSec = (performance.now() - t0) / 1000
  const queries = {
    // 3+ characters: answered from the trigram index.
    long: [
      '苏州工业园区',
      '第三代半导体',
      '算力中心 投产',
      '生物醫藥',
      '納米技術 簽約',
      '临床试验',
      '数据中心 融资',
      '大模型',
    ],
    // 2 characters (most Chinese words): below a trigram, answered by a scan in newest-first order.
    short: ['芯片', '疫苗', '晶圆', '光刻'],
    // A word that is in no version: the worst case for the scan.
    none: ['量子', '量子计算机'],
  }
  const out = { versions: cfg.searchVersions, loadSeconds: round(loadSec, 1) }
  for (const [kind, list] of Object.entries(queries)) {
    let k = 0
    out[kind] = {
      queries: list,
      ...(await timeIt(cfg.queryRuns, async () => {
        await archive.search({ text: list[k++ % list.length], limit: 20 })
      })),
    }
  }
  await archive.close()
  await ctx.dispose()
  return out
}

// --- Helpers ---

/** CPU milliseconds (user + system) of this process since `start`. */
/** CPU time of the main thread so far, in ms, from /proc (Linux); null where there is none. */
function mainThreadCpuMs() {
  try {
    // utime and stime, in clock ticks (100 per second on Linux), after the parenthesised command name.
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return null
  }
}

function cpuMs(start) {
  const d = process.cpuUsage(start)
  return (d.user + d.system) / 1000
}

/**
 * A fixed CPU-bound loop (1e8 additions), timed: lets readers compare figures taken on machines of
 * different speed or load. A typical 2024 laptop core does it in ~0.1 s.
 */
function calibrate() {
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  let x = 0
  for (let i = 0; i < 1e8; i++) x += i
  if (x < 0) console.log(x)
  return { wallMs: Math.round(performance.now() - t0), cpuMs: Math.round(cpuMs(cpu0)) }
}

async function timeIt(runs, fn) {
  for (let i = 0; i < Math.min(10, runs); i++) await fn()
  const times = []
  for (let i = 0; i < runs; i++) {
    const t = performance.now()
    await fn()
    times.push(performance.now() - t)
  }
  times.sort((a, b) => a - b)
  const pct = (p) => times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)]
  return { runs, p50Ms: round(pct(50), 3), p95Ms: round(pct(95), 3), maxMs: round(times.at(-1), 3) }
}

async function loadPackage() {
  const entry = join(pkgDir, 'dist', 'index.js')
  if (!existsSync(entry) || newestMtime(join(pkgDir, 'src')) > statSync(entry).mtimeMs) {
    console.error('[bench] building dist/ …')
    try {
      execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: pkgDir, stdio: 'inherit' })
    } catch (error) {
      if (!existsSync(entry)) throw error
    }
  }
  return import(pathToFileURL(entry).href)
}

/** Newest modification time of any file under `dir`. */
function newestMtime(dir) {
  let newest = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name)
    newest = Math.max(newest, e.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs)
  }
  return newest
}

function markdown(r) {
  const MODES = [
    ['one', '`ingest`, one at a time'],
    ['in-flight', '`ingest`, many in flight'],
    ['batch-seq', '`ingestMany`, one call at a time'],
    ['batch', '`ingestMany`, calls in flight'],
  ]
  const rate = (b, mode) => {
    const m = b.ingest.modes?.[mode]
    if (!m) return '–'
    const how = m.inFlight
      ? ` (${m.inFlight} in flight)`
      : m.batchesInFlight
        ? ` (batches of ${m.batch}, ${m.batchesInFlight} in flight)`
        : m.batch
          ? ` (batches of ${m.batch})`
          : ''
    return `${m.capturesPerSec.toLocaleString('en')}${how}`
  }
  const lines = [
    '## Archive',
    '',
    `Measured ${r.date.slice(0, 16).replace('T', ' ')} UTC with \`${r.command}\` (Node ${r.node}, ${r.cpus} shared cores, ` +
      `load average ${r.loadavg.map((l) => l.toFixed(1)).join(' / ')} at the end). The calibration loop of \`run.mjs\` ` +
      `(1e8 additions, ~100 ms on an idle laptop core) took ${r.calibration.start.cpuMs} ms CPU / ${r.calibration.start.wallMs} ms wall ` +
      `at the start and ${r.calibration.end.cpuMs} / ${r.calibration.end.wallMs} at the end: divide by it to compare machines.`,
    `Workload: ${r.cfg.captures.toLocaleString('en')} captures of ${r.cfg.pages.toLocaleString('en')} pages, ` +
      `${r.cfg.changeRate * 100}% of re-captures changing content, synthetic Chinese portal pages ` +
      '(~12 kB HTML each, `bench/data.mjs`, generated outside the timed parts). Each ingest column is its own fresh ' +
      'archive: `ingest` awaited one call at a time (one transaction per capture), `ingest` with many calls in ' +
      'flight (SQLite commits the calls of one event-loop turn together), `ingestMany` (one transaction per batch) ' +
      "awaited one call at a time and with calls in flight (the next batch's bodies are compressed and written on a " +
      'worker thread while the batch before it commits; batches still commit in call order, each in one synchronous ' +
      'transaction). On SQLite new versions are indexed for search by a worker thread after their commit; each ' +
      'timed part ends with a search, which waits until the index holds every version. ' +
      "`sqlite` appends bodies to pack files (the default, `blobs: 'packs'`), `sqlite+folder` keeps one file per body " +
      "(`blobs: 'folder'`), `sqlite+db-blobs` keeps them in the database file (`blobs: 'database'`).",
    '',
    `| backend | ${MODES.map(([, label]) => `${label}, captures/s`).join(' | ')} | disk bytes / capture (raw body bytes / capture) | timeline p50 / p95 ms, 1,000 captures (target p95 < 10) | search p50 / p95 ms, 3+ char terms | 2-char terms | no match |`,
    `| --- | ${MODES.map(() => '---').join(' | ')} | --- | --- | --- | --- | --- |`,
  ]
  for (const b of r.results) {
    const s = b.search
    lines.push(
      `| ${b.backend} | ${MODES.map(([mode]) => rate(b, mode)).join(' | ')} ` +
        `| ${b.disk.diskBytesPerCapture.toLocaleString('en')} (${b.disk.rawBytesPerCapture.toLocaleString('en')}) ` +
        `| ${b.timeline.p50Ms} / ${b.timeline.p95Ms} | ${s.long.p50Ms} / ${s.long.p95Ms} | ${s.short.p50Ms} / ${s.short.p95Ms} ` +
        `| ${s.none.p50Ms} / ${s.none.p95Ms} |`,
    )
  }
  lines.push('')
  const best = (b) => Math.max(...Object.values(b.ingest.modes ?? {}).map((m) => m.capturesPerSec))
  const sqlite = r.results.filter((b) => b.ingest.targetPerSec)
  if (sqlite.length > 0) {
    const met = sqlite.filter((b) => best(b) >= b.ingest.targetPerSec)
    lines.push(
      `- Target, SQLite ingest >= 5,000 captures/s: ${met.length > 0 ? `**met** by ${met.map((b) => `${b.backend} (${best(b).toLocaleString('en')}/s)`).join(', ')}` : '**not met**'}` +
        `${
          met.length < sqlite.length
            ? `; best of ${sqlite
                .filter((b) => !met.includes(b))
                .map((b) => `${b.backend}: ${best(b).toLocaleString('en')}/s`)
                .join(', ')}`
            : ''
        }. ` +
        'A caller that awaits every `ingest` pays one commit per capture; the rate needs batches (`ingestMany`) or captures in flight.',
    )
  }
  for (const b of r.results) {
    const m = b.ingest.modes ?? {}
    lines.push(
      `- ${b.backend} CPU time per capture: ${MODES.filter(([mode]) => m[mode])
        .map(
          ([mode, label]) =>
            `${m[mode].cpuMsPerCapture} ms${m[mode].mainThreadCpuMsPerCapture === undefined ? '' : `, main thread ${m[mode].mainThreadCpuMsPerCapture} ms`} (${label})`,
        )
        .join(', ')}; timeline ${b.timeline.cpuMsPerQuery} ms/query ` +
        `(the first query, nothing cached yet: ${b.timeline.cold.cpuMs} ms CPU, ${b.timeline.cold.wallMs} ms wall).`,
    )
    lines.push(
      `- ${b.backend}: ${b.ingest.newVersions.toLocaleString('en')} versions from ${b.ingest.captures.toLocaleString('en')} captures of ${b.ingest.pages.toLocaleString('en')} pages; ` +
        `${b.disk.blobs.toLocaleString('en')} blobs (${b.disk.storedBlobBytes.toLocaleString('en')} bytes brotli); ` +
        `everything on disk is ${(b.disk.ratioToRaw * 100).toFixed(2)}% of the raw bodies. ` +
        `Search index: ${b.search.versions.toLocaleString('en')} versions (4 paragraphs each) loaded in ${b.search.loadSeconds} s.`,
    )
  }
  if (r.diff) {
    lines.push(
      `- diff (\`bench/diff.mjs\`, ${r.diff.chars.toLocaleString('en')}-character Chinese versions): p50 ${r.diff.p50Ms} ms, p95 ${r.diff.p95Ms} ms (target < ${r.diff.targetP95Ms}).`,
    )
  }
  if (r.before) lines.push(...beforeLines(r.before))
  lines.push(
    '- Search queries: 3+ character terms use the FTS5 trigram index. 1-2 character terms (most Chinese words) are',
    '  below a trigram: SQLite looks them up in the index vocabulary (an absent word is answered there, without a',
    '  scan), scans the newest 1,000 versions for a common word and otherwise asks the index for the trigrams the',
    '  word starts; Postgres does the same with its own vocabulary table (`search_grams`), the 2,000 newest versions',
    '  and pg_trgm, one lookup per trigram. "No match" is an absent word.',
    '  Traditional-script queries (生物醫藥, 納米技術) are folded to simplified first.',
    '',
  )
  return lines.join('\n')
}

/** Lines comparing with an earlier report (`--before FILE`, the JSON this script prints, old format too). */
function beforeLines(before) {
  const out = [
    `- Before (${before.date.slice(0, 16).replace('T', ' ')} UTC, the code before this change, same machine, ` +
      `\`${before.command}\`, load ${before.loadavg.map((l) => l.toFixed(1)).join(' / ')}):`,
  ]
  for (const b of before.results) {
    const modes = b.ingest.modes ?? {
      one: { capturesPerSec: b.ingest.capturesPerSec, cpuMsPerCapture: b.ingest.cpuMsPerCapture },
      batch: b.ingest.batched,
    }
    const part = Object.entries(modes)
      .map(([mode, m]) => `${mode} ${m.capturesPerSec.toLocaleString('en')}/s (${m.cpuMsPerCapture} ms CPU)`)
      .join(', ')
    out.push(
      `  ${b.backend}: ingest ${part}; timeline first query ${b.timeline.cold.cpuMs} ms CPU, p95 ${b.timeline.p95Ms} ms; ` +
        `search "no match" p95 ${b.search.none.p95Ms} ms, 2-char p95 ${b.search.short.p95Ms} ms; ` +
        `${b.disk.diskBytesPerCapture.toLocaleString('en')} disk bytes / capture.`,
    )
  }
  return out
}

function writeBenchmarks(section) {
  const file = join(pkgDir, '..', '..', 'BENCHMARKS.md')
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n'
  // Replace only our section: from "## Archive" to the next "## " heading (other sections belong to others).
  const start = old.search(/^## Archive\s*$/m)
  let next
  if (start === -1) next = `${old.trimEnd()}\n\n${section}`
  else {
    const rest = old.slice(start + 1)
    const end = rest.search(/^## /m)
    next = old.slice(0, start) + section + (end === -1 ? '' : `\n${rest.slice(end)}`)
  }
  writeFileSync(file, next)
  console.error(`[bench] wrote the Archive section of ${file}`)
}

function parseArgs(argv) {
  const out = {}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (!a.startsWith('--')) continue
    const next = argv[i + 1]
    if (next === undefined || next.startsWith('--')) out[a.slice(2)] = true
    else out[a.slice(2)] = argv[++i]
  }
  return out
}

function round(n, digits) {
  const f = 10 ** digits
  return Math.round(n * f) / f
}
