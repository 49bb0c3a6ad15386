#!/usr/bin/env node
/**
 * @file The extractor benchmark: ours and Readability.js side by side, accuracy and speed, in one run.
 *
 *   node bench/run.mjs [--sets scrapinghub,wcxb-dev,gne-zh] [--quick | --limit N] [--no-readability]
 *                      [--no-ours] [--warmup 20] [--budget 14] [--cache] [--out FILE]
 *
 * For each set and extractor a child process (`speed.mjs`) extracts every page. Timed sets (scrapinghub,
 * gne-zh) get a warm-up on their first `--warmup` pages, then the measured pass; wcxb-dev gets one pass,
 * for accuracy only. The predictions go through the shared `score.mjs` with word tokens and with `--cjk`.
 * Both extractors run on every page in this run; `--cache` (development only) reuses Readability's saved
 * wcxb-dev predictions (see `cache.mjs`) and the report then says so. No page is started after `--budget`
 * minutes; what ran by then is scored and marked partial. Tables go to stdout, everything to
 * `bench/results/latest.json`, the tables as Markdown to `latest.md`. Progress goes to stderr.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { readabilityCacheKey, readCache, writeCache } from './cache.mjs'
import {
  BENCH_DIR,
  EXTRACTORS,
  fmt,
  GNE_ZH_LABELS,
  listIds,
  loadGroundTruth,
  markdownTable,
  PACKAGE_DIR,
  parseArgs,
  QUICK_LIMIT,
  SCORER,
  SETS,
  textTable,
} from './lib.mjs'

const TARGET_RATIO = 10
/** Pages in the warm-up pass of a timed set: enough for V8 to optimise the hot paths. */
const DEFAULT_WARMUP = 20
/** The whole run stops starting pages after this; keeps `pnpm bench` under 15 minutes on 2 cores. */
const DEFAULT_BUDGET_MINUTES = 14
/** Lowest-F1 pages listed per extractor and set in the JSON report. */
const WORST_PAGES = 5

const args = parseArgs(process.argv.slice(2), ['quick', 'ours', 'readability', 'cache'])
const requested = String(args.sets ?? Object.keys(SETS).join(','))
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean)
for (const set of requested) {
  if (!(set in SETS)) fail(`Expected \`--sets\` to name sets among ${Object.keys(SETS).join(', ')}, got \`${set}\``)
}
// Timed sets first: if the time budget runs out, it cuts the accuracy-only set, never a speed figure.
const sets = [...requested.filter((s) => SETS[s].speed), ...requested.filter((s) => !SETS[s].speed)]
const limit = args.limit ? Number(args.limit) : args.quick ? QUICK_LIMIT : Number.POSITIVE_INFINITY
if (!(limit > 0)) fail(`Expected \`--limit\` to be a number >= 1, got \`${args.limit}\``)
const warmup = Number(args.warmup ?? DEFAULT_WARMUP)
if (!(warmup >= 1)) fail(`Expected \`--warmup\` to be a number >= 1, got \`${args.warmup}\``)
const budgetMinutes = Number(args.budget ?? DEFAULT_BUDGET_MINUTES)
if (!(budgetMinutes > 0)) fail(`Expected \`--budget\` to be a number of minutes > 0, got \`${args.budget}\``)
// `--no-ours` is for filling the Readability cache ahead of a full run.
const extractors = EXTRACTORS.filter((e) => args[e] !== false)
if (extractors.length === 0) fail('`--no-ours` and `--no-readability` leave nothing to run')
const outFile = args.out ?? join(BENCH_DIR, 'results', 'latest.json')

const started = new Date()
// Leave time to score and write after the last child stops.
const deadline = started.getTime() + budgetMinutes * 60_000 - 20_000
const loadStart = loadavg()
ensureBuilt()
const cacheKey = readabilityCacheKey()
// Scratch files live in the package (ignored by git), not in the shared /tmp, which others clean.
mkdirSync(join(PACKAGE_DIR, '.bench-tmp'), { recursive: true })
const tmp = mkdtempSync(join(PACKAGE_DIR, '.bench-tmp', 'run-'))
const results = { sets: {} }
try {
  for (const set of sets) results.sets[set] = runSet(set)
} finally {
  rmSync(tmp, { recursive: true, force: true })
}

const report = {
  startedAt: started.toISOString(),
  finishedAt: new Date().toISOString(),
  durationSeconds: (Date.now() - started.getTime()) / 1000,
  command: `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  machine: {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? null,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    // Other work on the machine skews the speed figures; the load average says how busy it was.
    loadavgStart: loadStart.map((x) => Number(x.toFixed(2))),
    loadavgEnd: loadavg().map((x) => Number(x.toFixed(2))),
  },
  versions: versions(),
  options: {
    sets,
    limit: Number.isFinite(limit) ? limit : null,
    extractors,
    warmup,
    budgetMinutes,
    cache: args.cache === true ? cacheKey : false,
  },
  method: {
    ours: 'extract(bytes, { url }); articleBody = paragraphs[].text joined by blank lines, "" for a not-article',
    readability:
      'decodeHtml(bytes).text from ours -> new JSDOM(text, { url }) -> new Readability(document).parse(); ' +
      'articleBody = block-level element texts of the content joined by blank lines',
    timing:
      'per page, bytes in memory -> articleBody, decode included for both; warm-up pass on the first pages, ' +
      'then a timed pass over all; each extractor in its own child process; wall and CPU time',
  },
  ...results,
}
mkdirSync(dirname(outFile), { recursive: true })
writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`)
const tables = renderTables(report)
writeFileSync(outFile.replace(/\.json$/, '.md'), `${tables.markdown}\n`)
console.log(tables.text)
console.log(
  `\nwritten ${outFile} in ${report.durationSeconds.toFixed(0)} s (load average ${report.machine.loadavgEnd.join(' ')})`,
)

// --- Internal helpers ---

/** Run every extractor on one set, then score them. */
function runSet(set) {
  const spec = SETS[set]
  const ids = listIds(set, limit)
  const truth = loadGroundTruth(set)
  const labelled = truth ? ids.filter((id) => truth[id]) : []
  let note = null
  if (!truth) note = `no ground truth (${GNE_ZH_LABELS} is absent): accuracy skipped, speed only`
  else if (labelled.length === 0) note = 'none of these pages has ground truth: accuracy skipped'
  if (note) log(`${set}: ${note}`)
  if (!spec.speed && labelled.length === 0) return { pages: ids.length, labelled: 0, note, extractors: {} }

  const out = {}
  for (const name of extractors) {
    const useCache = name === 'readability' && !spec.speed && args.cache === true
    const cached = useCache ? pick(readCache(set, cacheKey), ids) : {}
    const todo = ids.filter((id) => !(id in cached))
    const entry = { cachedPages: ids.length - todo.length, run: null }
    let fresh = {}
    if (todo.length) {
      const prefix = join(tmp, `${set}.${name}`)
      writeFileSync(`${prefix}.ids.json`, JSON.stringify(todo))
      const passes = spec.speed ? `warm-up on ${Math.min(warmup, todo.length)} + timed pass` : 'one pass'
      log(
        `${set}: ${name}, ${todo.length} pages${entry.cachedPages ? ` (+${entry.cachedPages} cached)` : ''}, ${passes} …`,
      )
      const childArgs = ['--extractor', name, '--set', set, '--ids', `${prefix}.ids.json`, '--out', prefix]
      childArgs.push('--warmup', String(spec.speed ? warmup : 0), '--deadline', String(deadline))
      const runChild = () =>
        spawnSync(process.execPath, [join(BENCH_DIR, 'speed.mjs'), ...childArgs], {
          cwd: PACKAGE_DIR,
          encoding: 'utf8',
          // The child stops itself at the deadline; this only catches one page that hangs.
          timeout: Math.max(60_000, deadline - Date.now() + 120_000),
          maxBuffer: 64 * 2 ** 20,
        })
      let child = runChild()
      if (child.status !== 0 && /ERR_MODULE_NOT_FOUND|SyntaxError/.test(child.stderr ?? '')) {
        // Someone else's `tsc` was rewriting dist/ while the child imported it: wait for it once.
        log(`${set}: ${name}: dist/ was being rebuilt; retrying in 10 s`)
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000)
        child = runChild()
      }
      if (child.status !== 0 || !existsSync(`${prefix}.result.json`)) {
        const why =
          child.error?.code === 'ETIMEDOUT'
            ? 'killed: a page hung past the deadline'
            : `exit ${child.status ?? child.signal}`
        log(`${set}: ${name} FAILED (${why})\n${tail(child.stderr, 8)}`)
        out[name] = { failed: why, stderr: tail(child.stderr, 30) }
        // Keep what the child saved before it died, for the next run.
        if (useCache && existsSync(`${prefix}.predictions.json`)) {
          const saved = JSON.parse(readFileSync(`${prefix}.predictions.json`, 'utf8'))
          writeCache(set, cacheKey, { ...readCache(set, cacheKey), ...saved })
        }
        continue
      }
      entry.run = JSON.parse(readFileSync(`${prefix}.result.json`, 'utf8'))
      fresh = JSON.parse(readFileSync(`${prefix}.predictions.json`, 'utf8'))
      if (useCache) writeCache(set, cacheKey, { ...readCache(set, cacheKey), ...fresh })
    } else {
      log(`${set}: ${name}, all ${ids.length} pages from the cache (drop --cache to rerun)`)
    }
    const predictions = { ...cached, ...fresh }
    const scored = labelled.filter((id) => id in predictions)
    if (scored.length) {
      const truthFile = join(tmp, `${set}.${name}.truth.json`)
      const predFile = join(tmp, `${set}.${name}.all-predictions.json`)
      writeFileSync(truthFile, JSON.stringify(pick(truth, scored)))
      writeFileSync(predFile, JSON.stringify(predictions))
      entry.accuracy = { word: score(truthFile, predFile, false), cjk: score(truthFile, predFile, true) }
    }
    entry.partial = scored.length < labelled.length
    out[name] = entry
    const took = entry.run ? ` in ${(entry.run.wallMs / 1000).toFixed(1)} s` : ''
    const f1 = entry.accuracy ? `, F1 ${fmt(entry.accuracy.word.f1)} (cjk ${fmt(entry.accuracy.cjk.f1)})` : ''
    log(`${set}: ${name} done${took}${f1}${entry.run?.truncated ? ' — stopped at the time budget' : ''}`)
  }
  const ours = out.ours?.run
  const theirs = out.readability?.run
  const both = spec.speed && ours?.timed && theirs?.timed
  return {
    pages: ids.length,
    labelled: labelled.length,
    note,
    speedRatio: both ? ours.pagesPerSecond / theirs.pagesPerSecond : null,
    cpuSpeedRatio: both ? ours.pagesPerCpuSecond / theirs.pagesPerCpuSecond : null,
    extractors: out,
  }
}

/**
 * Score predictions with the shared scorer (`--json`), plus its `--worst` pages so the JSON report says
 * where to look: `worst` is `[{ id, f1 }]`, lowest first.
 */
function score(truthFile, predFile, cjk) {
  const flags = ['--json', '--worst', String(WORST_PAGES), ...(cjk ? ['--cjk'] : [])]
  const child = spawnSync(process.execPath, [SCORER, truthFile, predFile, ...flags], {
    encoding: 'utf8',
    maxBuffer: 16 * 2 ** 20,
  })
  if (child.status !== 0) throw new Error(`score.mjs failed: ${child.stderr}`)
  const [summary, ...rest] = child.stdout.trim().split('\n')
  const worst = rest.map((line) => line.trim().match(/^(\S+)\s+F1 ([\d.]+)/)).filter(Boolean)
  return { ...JSON.parse(summary), worst: worst.map((m) => ({ id: m[1], f1: Number(m[2]) })) }
}

/** Build `dist/` with tsc when it is missing or older than any source file. */
function ensureBuilt() {
  const entry = join(PACKAGE_DIR, 'dist', 'index.js')
  const built = existsSync(entry) ? statSync(entry).mtimeMs : 0
  const srcDir = join(PACKAGE_DIR, 'src')
  const newest = Math.max(
    ...readdirSync(srcDir, { recursive: true })
      .filter((f) => String(f).endsWith('.ts'))
      .map((f) => statSync(join(srcDir, String(f))).mtimeMs),
  )
  if (built >= newest) return
  log(built ? 'dist/ is older than src/: building …' : 'dist/ is missing: building …')
  const tscBin = createRequire(join(PACKAGE_DIR, 'package.json')).resolve('typescript/bin/tsc')
  const tsc = spawnSync(process.execPath, [tscBin, '-p', 'tsconfig.build.json'], { cwd: PACKAGE_DIR, encoding: 'utf8' })
  if (tsc.status !== 0) {
    // tsc still emits on type errors; only a missing entry point stops the run.
    log(
      `tsc reported errors (benchmarking what it emitted):\n${(tsc.stdout + tsc.stderr).trim().split('\n').slice(0, 10).join('\n')}`,
    )
  }
  if (!existsSync(entry)) fail('dist/index.js is missing after the build')
}

/** Versions of the things measured. */
function versions() {
  const read = (p) => {
    try {
      return JSON.parse(readFileSync(p, 'utf8')).version
    } catch {
      return null
    }
  }
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: PACKAGE_DIR, encoding: 'utf8' })
  return {
    extractor: read(join(PACKAGE_DIR, 'package.json')),
    readability: read(join(PACKAGE_DIR, 'node_modules', '@mozilla', 'readability', 'package.json')),
    jsdom: read(join(PACKAGE_DIR, 'node_modules', 'jsdom', 'package.json')),
    gitCommit: git.status === 0 ? git.stdout.trim() : null,
  }
}

/** The accuracy and speed tables, as plain text and as Markdown. */
function renderTables(report) {
  const acc = [['set', 'extractor', 'pages', 'F1', 'P', 'R', 'F1 cjk', 'P cjk', 'R cjk', 'empty']]
  const speed = [['set', 'extractor', 'pages', 'median ms', 'p95 ms', 'pages/s', 'CPU ms median']]
  speed[0].push('pages/CPU-s', 'peak RSS MB', 'baseline RSS MB')
  const notes = []
  for (const [set, r] of Object.entries(report.sets)) {
    if (r.note) notes.push(`${set}: ${r.note}`)
    for (const [name, e] of Object.entries(r.extractors)) {
      if (e.failed) {
        notes.push(`${set}: ${name} failed (${e.failed})`)
        continue
      }
      const a = e.accuracy
      if (a) {
        acc.push([set, name, a.word.pages, fmt(a.word.f1), fmt(a.word.precision), fmt(a.word.recall)])
        acc.at(-1).push(fmt(a.cjk.f1), fmt(a.cjk.precision), fmt(a.cjk.recall), a.word.empty)
      }
      if (e.partial)
        notes.push(`${set}: ${name} scored on ${a?.word.pages ?? 0} of ${r.labelled} labelled pages (time budget)`)
      if (e.cachedPages) notes.push(`${set}: ${name}: ${e.cachedPages} pages' predictions from the cache`)
      const run = e.run
      if (!run) continue
      if (run.timed) {
        speed.push([set, name, run.pages, fmt(run.msMedian, 1), fmt(run.msP95, 1), fmt(run.pagesPerSecond, 1)])
        speed.at(-1).push(fmt(run.cpuMsMedian, 1), fmt(run.pagesPerCpuSecond, 1), fmt(run.rssPeakMB, 0))
        speed.at(-1).push(fmt(run.rssBaselineMB, 0))
      }
      const retried = countOutcomes(run, (k) => k.endsWith(':retried-without-style'))
      if (retried)
        notes.push(`${set}: ${name}: jsdom threw on the stylesheets of ${retried} pages; parsed again without <style>`)
      const reasons = Object.entries(run.outcomes).filter(([k]) => k.startsWith('not-article:'))
      if (reasons.length)
        notes.push(`${set}: ${name} not-articles: ${reasons.map(([k, n]) => `${k.slice(12)} ${n}`).join(', ')}`)
      if (run.errors) {
        const first = run.errorSamples[0]
        notes.push(`${set}: ${name} threw on ${run.errors} pages, e.g. ${first?.id}: ${first?.message}`)
      }
    }
    if (r.speedRatio != null) {
      const verdict = r.speedRatio >= TARGET_RATIO ? 'meets' : 'below'
      notes.push(
        `${set}: ours/readability = ${r.speedRatio.toFixed(1)}x in pages/s, ${r.cpuSpeedRatio.toFixed(1)}x in ` +
          `pages/CPU-s (${verdict} the ${TARGET_RATIO}x target)`,
      )
    }
  }
  const m = report.machine
  const header = `${m.cores} cores (${m.cpu}), node ${m.node}, load average ${m.loadavgStart.join(' ')} at start`
  const text = [
    header,
    '',
    'Accuracy (score.mjs; word tokens, then --cjk tokens)',
    acc.length > 1 ? textTable(acc) : '(no set with ground truth)',
    '',
    `Speed (bytes in memory -> articleBody, decode included; after a ${warmup}-page warm-up; own process each)`,
    speed.length > 1 ? textTable(speed) : '(no timed set)',
    '',
    ...notes,
  ].join('\n')
  const markdown = [
    `Run ${report.startedAt} · ${header} · \`${report.command}\` · ${report.durationSeconds.toFixed(0)} s`,
    '',
    markdownTable(acc),
    '',
    markdownTable(speed),
    '',
    ...notes.map((n) => `- ${n}`),
  ].join('\n')
  return { text, markdown }
}

/** How many pages of a run had an outcome matching `test`. */
function countOutcomes(run, test) {
  return Object.entries(run.outcomes)
    .filter(([k]) => test(k))
    .reduce((sum, [, n]) => sum + n, 0)
}

/** The object restricted to these keys (those it has). */
function pick(object, keys) {
  return Object.fromEntries(keys.filter((k) => k in object).map((k) => [k, object[k]]))
}

/** The last lines of a child's stderr. */
function tail(text, lines) {
  return (text ?? '').trim().split('\n').slice(-lines).join('\n')
}

function log(message) {
  process.stderr.write(`[bench] ${message}\n`)
}

function fail(message) {
  log(message)
  process.exit(1)
}
