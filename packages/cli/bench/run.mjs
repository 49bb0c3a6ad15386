#!/usr/bin/env node
/**
 * @file The scraper benchmark (issue 4): parkwatch end to end against a local portal, next to the
 * parse-only and extract-only bounds of the same pages and to Crawlee's CheerioCrawler, then browser mode
 * with its memory curve. One command, everything in one run:
 *
 *   node bench/run.mjs [--quick] [--pages 2000] [--browser-pages 1000] [--repeat 3] [--seed 20261122]
 *                      [--crawlee-concurrency 16] [--browser-concurrency 4] [--no-crawlee] [--no-browser]
 *                      [--no-baseline] [--profile] [--no-build] [--out FILE]
 *
 * 1. A portal (`server.mjs`, its own process) serves N generated article pages (`pages.mjs`: 50-150 KB,
 *    Chinese portal furniture around an article about the park, seeded) and sitemaps listing them.
 * 2. `bound.mjs`: the same pages in memory, decode / parse / extract only, one thread.
 * 3. `--repeat` rounds of, each in a fresh process with a fresh scratch folder: parkwatch (`ours.mjs`:
 *    `runOnce`, http, robots and politeness off, SQLite archive; defaults, i.e. the extraction pool and
 *    batched archive writes), parkwatch as it was before them (`--threads 0 --batch 1`, unless
 *    `--no-baseline`), and Crawlee (`crawlee.mjs`). Rounds interleave the crawlers so load from other
 *    processes falls on all of them alike; the tables give the median round.
 * 4. Browser mode (`ours.mjs --render browser`) over `--browser-pages` pages, with memory at 10/25/50/75/100%.
 *
 * `--quick` (smoke run): 200 pages, 50 in the browser, one round. `--profile` also runs parkwatch once
 * under `--cpu-prof` and prints where its CPU time goes, by package. Tables go to stdout, progress to
 * stderr; everything to `bench/results/latest.json` and the tables to `latest.md`.
 */
import { fork, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import {
  BENCH_DIR,
  fmt,
  load,
  markdownTable,
  median,
  PACKAGE_DIR,
  parseArgs,
  REPO_DIR,
  summariseProfiles,
  textTable,
} from './lib.mjs'

const args = parseArgs(process.argv.slice(2), ['quick', 'profile'])
const quick = args.quick === true
const pages = int('pages', quick ? 200 : 2000)
const browserPages = int('browser-pages', quick ? 50 : 1000)
const repeat = int('repeat', quick ? 1 : 3)
const seed = int('seed', 20261122)
const crawleeConcurrency = int('crawlee-concurrency', 16)
const browserConcurrency = int('browser-concurrency', 4)
const outFile = String(args.out ?? join(BENCH_DIR, 'results', 'latest.json'))

const started = new Date()
if (args.build !== false) ensureBuilt()
const calibrationStart = calibrate()
const loadStart = load()
// Scratch files live in the package (ignored by git), not in the shared /tmp, which others clean.
mkdirSync(join(PACKAGE_DIR, '.bench-tmp'), { recursive: true })
const tmp = mkdtempSync(join(PACKAGE_DIR, '.bench-tmp', 'scraper-'))
let server = null
const report = {
  date: started.toISOString(),
  command: ['node bench/run.mjs', ...process.argv.slice(2)].join(' '),
  machine: machine(),
  versions: versions(),
  config: { pages, browserPages, repeat, seed, crawleeConcurrency, browserConcurrency },
  loadStart,
  calibration: { start: calibrationStart },
}
try {
  log(`portal: generating ${Math.max(pages, browserPages)} pages (seed ${seed}) …`)
  server = await startServer(Math.max(pages, browserPages))
  report.portal = server.hello
  const base = `http://127.0.0.1:${server.hello.port}`

  log(`bounds: decode / parse / extract of ${pages} pages in one thread …`)
  report.bound = await child('bound.mjs', ['--pages', pages, '--seed', seed])

  const configs = [
    { name: 'parkwatch', script: 'ours.mjs', extra: [] },
    ...(args.baseline === false
      ? []
      : [
          {
            name: 'parkwatch (in-thread, 1 capture/transaction)',
            script: 'ours.mjs',
            extra: ['--threads', 0, '--batch', 1],
          },
        ]),
    ...(args.crawlee === false
      ? []
      : [{ name: 'Crawlee CheerioCrawler', script: 'crawlee.mjs', extra: ['--concurrency', crawleeConcurrency] }]),
  ]
  report.rounds = []
  for (let r = 1; r <= repeat; r++) {
    for (const c of configs) {
      log(`round ${r}/${repeat}: ${c.name}, ${pages} pages …`)
      const dir = join(tmp, `${c.script.replace('.mjs', '')}-${r}-${report.rounds.length}`)
      const res = await child(c.script, [
        '--base',
        base,
        '--pages',
        pages,
        '--tmp',
        dir,
        '--server-pid',
        server.pid,
        ...c.extra,
      ])
      rmSync(dir, { recursive: true, force: true })
      report.rounds.push({ round: r, name: c.name, ...res })
      log(`  ${fmt(res.pagesPerS)} pages/s (${res.stored}/${pages} stored, load ${res.loadEnd.join(' ')})`)
    }
  }
  report.e2e = configs.map((c) =>
    summarise(
      c.name,
      report.rounds.filter((x) => x.name === c.name),
    ),
  )

  if (args.profile) {
    log('profile: parkwatch once more under --cpu-prof …')
    const profDir = join(tmp, 'profiles')
    const dir = join(tmp, 'profiled')
    const res = await child(
      'ours.mjs',
      ['--base', base, '--pages', pages, '--tmp', dir],
      ['--cpu-prof', '--cpu-prof-dir', profDir],
    )
    report.profile = { pagesPerS: res.pagesPerS, threads: summariseProfiles(profDir, res.stored) }
  }

  if (args.browser !== false) {
    log(`browser: ${browserPages} pages rendered in chromium, ${browserConcurrency} at a time …`)
    const dir = join(tmp, 'browser')
    report.browser = await child('ours.mjs', [
      '--base',
      base,
      '--pages',
      browserPages,
      '--tmp',
      dir,
      '--render',
      'browser',
      '--browser-concurrency',
      browserConcurrency,
      '--server-pid',
      server.pid,
    ])
  }
} finally {
  server?.process.kill()
  rmSync(tmp, { recursive: true, force: true })
}
report.calibration.end = calibrate()
report.loadEnd = load()
report.seconds = Math.round((Date.now() - started.getTime()) / 1000)

const md = render(report)
console.log(md.text)
mkdirSync(join(BENCH_DIR, 'results'), { recursive: true })
writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`)
writeFileSync(outFile.replace(/\.json$/, '.md'), `${md.markdown}\n`)
log(`wrote ${outFile} and ${outFile.replace(/\.json$/, '.md')} (${report.seconds} s)`)

// --- Steps ---

function startServer(count) {
  const proc = fork(join(BENCH_DIR, 'server.mjs'), ['--pages', String(count), '--seed', String(seed)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  return new Promise((resolve, reject) => {
    proc.once('message', (hello) => resolve({ process: proc, pid: proc.pid, hello }))
    proc.once('exit', (code) => reject(new Error(`the portal exited with code ${code}`)))
  })
}

/** Run a bench script in a fresh process and return the one object it sends. */
function child(script, argv, execArgv = []) {
  const proc = fork(join(BENCH_DIR, script), argv.map(String), {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [...process.execArgv, ...execArgv],
  })
  return new Promise((resolve, reject) => {
    let answer = null
    proc.on('message', (m) => {
      answer = m
    })
    proc.once('exit', (code) => {
      if (answer) resolve(answer)
      else reject(new Error(`${script} exited with code ${code} and no result`))
    })
  })
}

/** The median round of one configuration, with every round's figure. */
function summarise(name, rounds) {
  const pick = (k) => median(rounds.map((r) => r[k]).filter((v) => typeof v === 'number'))
  return {
    name,
    rounds: rounds.length,
    stored: Math.min(...rounds.map((r) => r.stored)),
    pagesPerS: pick('pagesPerS'),
    all: rounds.map((r) => Math.round(r.pagesPerS * 10) / 10),
    cpuMsPerPage: pick('cpuMsPerPage'),
    mainThreadCpuMsPerPage: pick('mainThreadCpuMsPerPage'),
    serverCpuMsPerPage: pick('serverCpuMsPerPage'),
    peakRssMb: median(rounds.map((r) => r.memory?.peakRssMb ?? Number.NaN)),
    load: rounds.map((r) => r.loadEnd[0]),
  }
}

// --- Report ---

function render(rep) {
  const b = rep.bound.results
  const ours = rep.e2e[0]
  const boundRows = [
    ['decode (`decodeHtml`)', b.decode],
    ['parse only: `cheerio.load` (parse5, the default)', b['cheerio.load']],
    ['parse only: `cheerio.load` with htmlparser2', b['cheerio.load (htmlparser2)']],
    ['parse only: htmlparser2 `parseDocument`', b['htmlparser2.parseDocument']],
    ['extract only: `extract(bytes)`', b.extract],
  ].map(([label, r]) => [
    label,
    fmt(r.msPerPage, 2),
    fmt(r.medianMs, 2),
    fmt(r.pagesPerS),
    fmt(ours.pagesPerS / r.pagesPerS, 2),
  ])
  const boundHeader = ['in-process, one thread', 'ms/page', 'median ms', 'pages/s', 'e2e / this']
  const e2eHeader = [
    'end to end',
    'pages/s (median)',
    'rounds',
    'stored',
    'CPU ms/page (all threads)',
    'main thread',
    'portal CPU ms/page',
    'CPU ceiling, 2 idle cores',
    'peak RSS MB',
  ]
  const e2eRows = rep.e2e.map((e) => [
    e.name,
    fmt(e.pagesPerS),
    e.all.join(' / '),
    `${e.stored}/${rep.config.pages}`,
    fmt(e.cpuMsPerPage),
    fmt(e.mainThreadCpuMsPerPage),
    fmt(e.serverCpuMsPerPage, 2),
    fmt(ceiling(e)),
    fmt(e.peakRssMb, 0),
  ])
  const tables = [
    {
      title: `Bounds (${rep.bound.pages} pages, mean ${fmt(rep.bound.meanKb)} KB)`,
      header: boundHeader,
      rows: boundRows,
    },
    { title: `End to end (${rep.config.pages} pages, ${rep.config.repeat} rounds)`, header: e2eHeader, rows: e2eRows },
  ]
  if (rep.browser) {
    const br = rep.browser
    const curveHeader = [
      'pages rendered',
      'seconds',
      'node RSS MB',
      'chromium RSS MB (sum)',
      'total RSS MB',
      'total PSS MB',
      'processes',
    ]
    const curveRows = br.memory.curve.map((c) => [
      c.pages,
      fmt(c.seconds),
      fmt(c.selfRssMb, 0),
      fmt(c.childrenRssMb, 0),
      fmt(c.rssMb, 0),
      fmt(c.pssMb, 0),
      c.processes,
    ])
    const p = br.memory.peak
    curveRows.push([
      'peak (RSS every 500 ms, PSS at the rows above)',
      '',
      fmt(p.selfRssMb, 0),
      fmt(p.childrenRssMb, 0),
      fmt(p.rssMb, 0),
      fmt(p.pssMb, 0),
      '',
    ])
    tables.push({
      title:
        `Browser mode (${br.stored}/${rep.config.browserPages} pages, ${fmt(br.pagesPerS)} pages/s, ` +
        `${rep.config.browserConcurrency} at a time; CPU ms/page: node ${fmt(br.cpuMsPerPage)}, chromium ${fmt(br.chromiumCpuMsPerPage)})`,
      header: curveHeader,
      rows: curveRows,
    })
  }
  if (rep.profile) {
    const rows = rep.profile.threads.flatMap((t) =>
      t.top.map((x) => [t.thread, x.name, fmt(x.msPerPage, 2), `${fmt(x.share * 100)}%`]),
    )
    tables.push({
      title: 'Where the CPU time goes (--cpu-prof, self time)',
      header: ['thread', 'package', 'ms/page', 'share'],
      rows,
    })
  }
  const head = `load average ${rep.loadStart.join(' ')} at the start, ${rep.loadEnd.join(' ')} at the end; ${rep.seconds} s`
  return {
    text: [head, ...tables.map((t) => `\n${t.title}\n${textTable(t.header, t.rows)}`)].join('\n'),
    markdown: [head, ...tables.map((t) => `\n**${t.title}**\n\n${markdownTable(t.header, t.rows)}`)].join('\n'),
  }
}

// --- Internal helpers ---

/**
 * Pages/s the measured CPU costs would allow on two otherwise idle cores: the main thread can do at most
 * 1000 / its ms per page, and both cores together 2000 / the ms per page of every thread plus the portal.
 * On a shared machine this is the figure to compare; on a quiet one it should be close to the measured one.
 */
function ceiling(e) {
  return Math.min(1000 / e.mainThreadCpuMsPerPage, 2000 / (e.cpuMsPerPage + (e.serverCpuMsPerPage ?? 0)))
}

function int(name, dflt) {
  const v = args[name] === undefined ? dflt : Number(args[name])
  if (!Number.isInteger(v) || v < 1) {
    console.error(`Expected \`--${name}\` to be an integer >= 1, got \`${args[name]}\``)
    process.exit(2)
  }
  return v
}

function log(message) {
  process.stderr.write(`[bench] ${message}\n`)
}

/** Build the cli and what it depends on when a dist is missing or older than its sources. */
function ensureBuilt() {
  const pkgs = ['extractor', 'scraper', 'archive', 'demo-portal', 'cli']
  const stale = pkgs.filter((p) => {
    const dir = join(REPO_DIR, 'packages', p)
    const entry = join(dir, 'dist', 'index.js')
    if (!existsSync(entry)) return true
    const built = statSync(entry).mtimeMs
    return readdirSync(join(dir, 'src'), { recursive: true }).some(
      (f) => String(f).endsWith('.ts') && statSync(join(dir, 'src', String(f))).mtimeMs > built,
    )
  })
  if (stale.length === 0 && existsSync(join(PACKAGE_DIR, 'dist', 'extract-worker.js'))) return
  log(`building (${stale.join(', ') || 'cli'} out of date) …`)
  const r = spawnSync('pnpm', ['--filter', '@parkwatch/cli...', 'run', 'build'], { cwd: REPO_DIR, stdio: 'inherit' })
  if (r.status !== 0) log('the build reported errors; benchmarking what it emitted')
}

/** A fixed CPU loop (1e8 additions): divide by it to compare machines. */
function calibrate() {
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  let x = 0
  for (let i = 0; i < 1e8; i++) x += i
  if (x < 0) console.log(x)
  const cpu = process.cpuUsage(cpu0)
  return { cpuMs: Math.round((cpu.user + cpu.system) / 1000), wallMs: Math.round(performance.now() - t0) }
}

function machine() {
  const c = cpus()
  return {
    cpus: c.length,
    model: c[0]?.model ?? 'unknown',
    memGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  }
}

function versions() {
  const git = (argv) => spawnSync('git', argv, { cwd: REPO_DIR, encoding: 'utf8' }).stdout?.trim() ?? ''
  const chromium = spawnSync('/usr/bin/chromium', ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? 'unknown'
  const pkg = (p) => JSON.parse(readFileSync(join(REPO_DIR, 'packages', p, 'package.json'), 'utf8')).version
  return {
    commit: git(['rev-parse', '--short', 'HEAD']),
    // Uncommitted changes in the measured packages: the figures are of the working tree, not the commit.
    dirty: git(['status', '--porcelain', '--', 'packages']).split('\n').filter(Boolean).length,
    cli: pkg('cli'),
    chromium,
  }
}
