#!/usr/bin/env node
/**
 * @file One extractor on one set, in a process of its own so its peak RSS is its own. `run.mjs` starts it;
 * you can too:
 *
 *   node bench/speed.mjs --extractor ours|readability --set scrapinghub --out PREFIX
 *                        [--limit 40] [--ids FILE] [--warmup 20] [--deadline EPOCH_MS]
 *
 * Loads the pages into memory as bytes first (`--ids`: a JSON array of the ids to run, else the first
 * `--limit` of the set). A warm-up pass over the first `--warmup` pages (0 = none, the default: then the run
 * is a single cold pass, which is what accuracy-only sets need) lets V8 compile the hot code; then the
 * measured pass runs every page. After `--deadline` no new page is started and the result says `truncated`.
 *
 * Writes `PREFIX.predictions.json` (`{ id: { articleBody } }`, the format `score.mjs` reads) and
 * `PREFIX.result.json` (timings, memory, outcomes).
 *
 * Each page is timed from its bytes to its `articleBody`, so decoding is included for both extractors:
 * ours gets the bytes; Readability gets the text our `decodeHtml` made of the same bytes (decoded inside the
 * timed region), so both read the same characters. Wall time and CPU time are both recorded: CPU time is
 * the steadier figure when other processes share the cores.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { loadGroundTruth, loadPages, parseArgs, quantile, readPage } from './lib.mjs'

/** Pages between progress saves of an untimed run. */
const CHECKPOINT_EVERY = 50

const args = parseArgs(process.argv.slice(2))
const extractorName = args.extractor
const set = args.set
const warmup = Number(args.warmup ?? 0)
const deadline = Number(args.deadline ?? Number.POSITIVE_INFINITY)
if (!['ours', 'readability'].includes(extractorName))
  throw new TypeError(`Expected \`--extractor\` to be ours or readability, got \`${extractorName}\``)
if (!set || !args.out) throw new TypeError('Expected `--set` and `--out`')
if (!(warmup >= 0)) throw new TypeError(`Expected \`--warmup\` to be a number >= 0, got \`${args.warmup}\``)

const extractor = await loadExtractor(extractorName)
const pages = args.ids
  ? pagesById(JSON.parse(readFileSync(args.ids, 'utf8')))
  : loadPages(set, Number(args.limit ?? Infinity))
const rssBaseline = process.memoryUsage().rss

for (const page of pages.slice(0, warmup)) runPage(page)

const predictions = {}
const times = []
const cpuTimes = []
const outcomes = {}
const errorSamples = []
let errors = 0
let done = 0
const cpuStart = process.cpuUsage()
const passStart = performance.now()
for (const page of pages) {
  if (Date.now() > deadline) break
  const cpu = process.cpuUsage()
  const start = performance.now()
  const { body, outcome, error } = runPage(page)
  times.push(performance.now() - start)
  const used = process.cpuUsage(cpu)
  cpuTimes.push((used.user + used.system) / 1000)
  predictions[page.id] = { articleBody: body }
  outcomes[outcome] = (outcomes[outcome] ?? 0) + 1
  if (error) {
    errors++
    if (errorSamples.length < 5) errorSamples.push({ id: page.id, message: error.slice(0, 300) })
  }
  done++
  // An untimed (accuracy-only) run is long: save progress so a crash or a kill keeps the pages done.
  if (warmup === 0 && done % CHECKPOINT_EVERY === 0)
    writeFileSync(`${args.out}.predictions.json`, JSON.stringify(predictions))
}
const wallMs = performance.now() - passStart
const cpuUsed = process.cpuUsage(cpuStart)
const cpuMs = (cpuUsed.user + cpuUsed.system) / 1000

const result = {
  extractor: extractorName,
  set,
  pages: done,
  requested: pages.length,
  truncated: done < pages.length,
  warmupPages: Math.min(warmup, pages.length),
  timed: warmup > 0,
  msMedian: quantile(times, 0.5),
  msP95: quantile(times, 0.95),
  msMean: times.reduce((s, x) => s + x, 0) / Math.max(1, times.length),
  cpuMsMedian: quantile(cpuTimes, 0.5),
  cpuMsP95: quantile(cpuTimes, 0.95),
  pagesPerSecond: done / (wallMs / 1000),
  // CPU time includes V8's GC threads, so this is pages per second of the CPU the extractor really used.
  pagesPerCpuSecond: done / (cpuMs / 1000),
  wallMs,
  cpuMs,
  // maxRSS is in KiB. The baseline (modules loaded, pages in memory, nothing extracted yet) is reported so
  // the extractor's own growth can be told apart from the page bytes.
  rssBaselineMB: rssBaseline / 2 ** 20,
  rssPeakMB: process.resourceUsage().maxRSS / 1024,
  inputMB: pages.reduce((s, p) => s + p.bytes.length, 0) / 2 ** 20,
  outcomes,
  errors,
  errorSamples,
  slowest: pages
    .slice(0, done)
    .map((p, i) => ({ id: p.id, ms: Math.round(times[i]) }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 3),
}
writeFileSync(`${args.out}.predictions.json`, JSON.stringify(predictions))
writeFileSync(`${args.out}.result.json`, JSON.stringify(result, null, 2))

// --- Internal helpers ---

/** One page through the extractor; never throws (an exception is an outcome like any other). */
function runPage(page) {
  try {
    return extractor(page)
  } catch (error) {
    return { body: '', outcome: 'error', error: String(error?.message ?? error) }
  }
}

/** Pages for an explicit id list, with their ground-truth URLs. */
function pagesById(ids) {
  const truth = loadGroundTruth(set) ?? {}
  return ids.map((id) => ({ id, url: truth[id]?.url || null, bytes: readPage(set, id) }))
}

/**
 * The extractor as `(page) => { body, outcome }`; `outcome` is `article`, `not-article:<reason>`, or
 * `null-result` (Readability found nothing).
 */
async function loadExtractor(name) {
  const ours = await import('../dist/index.js')
  if (name === 'ours') {
    return (page) => {
      const result = ours.extract(page.bytes, { url: page.url })
      if (result.type !== 'article') return { body: '', outcome: `not-article:${result.reason}` }
      return { body: result.paragraphs.map((p) => p.text).join('\n\n'), outcome: 'article' }
    }
  }
  const { readabilityArticleBody } = await import('./readability.mjs')
  return (page) => {
    const { text } = ours.decodeHtml(page.bytes)
    const { body, retried } = readabilityArticleBody(text, page.url)
    return { body, outcome: `${body ? 'article' : 'null-result'}${retried ? ':retried-without-style' : ''}` }
  }
}
