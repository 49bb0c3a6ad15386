#!/usr/bin/env node
// Accuracy and speed of `extract` on a benchmark set, scored with the shared score.mjs.
//
//   node bench/accuracy.mjs SET [--limit N] [--worst N] [--json] [--keep FILE]
//
// SET is a folder of ../shared/bench (beside the repo) (scrapinghub, wcxb-dev, gne-zh). Pages are read as bytes and
// given to `extract` with the page URL from the ground truth; predictions are the body blocks joined by
// a blank line. gne-zh has no ground truth of its own: its labels come from bench/gne-zh-labels.json and
// it is scored with --cjk as well. Import the built package: run `npx tsc -p tsconfig.build.json` first.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'

const here = dirname(fileURLToPath(import.meta.url))
const BENCH = process.env.PARKWATCH_BENCH ?? join(here, '../../../../shared/bench')
const args = process.argv.slice(2)
const set = args.find((a, i) => !a.startsWith('--') && !['--limit', '--worst', '--keep'].includes(args[i - 1]))
const opt = (name) => {
  const at = args.indexOf(name)
  return at >= 0 ? args[at + 1] : undefined
}
if (!set) {
  console.error('usage: node bench/accuracy.mjs SET [--limit N] [--worst N] [--json] [--keep FILE]')
  process.exit(2)
}
const limit = opt('--limit') ? Number(opt('--limit')) : Number.POSITIVE_INFINITY
const worst = opt('--worst')

// PARKWATCH_DIST points at another build of the package (e.g. one made while a module is mid-edit).
const { extract } = await import(join(process.env.PARKWATCH_DIST ?? join(here, '..', 'dist'), 'index.js'))

const dir = join(BENCH, set)
const truthPath = set === 'gne-zh' ? join(here, 'gne-zh-labels.json') : join(dir, 'ground-truth.json')
if (!existsSync(truthPath)) {
  console.error(`no ground truth at ${truthPath}`)
  process.exit(1)
}
const truth = JSON.parse(readFileSync(truthPath, 'utf8'))
const ids = Object.keys(truth).slice(0, limit)

function readPage(id) {
  const gz = join(dir, 'html', `${id}.html.gz`)
  if (existsSync(gz)) return gunzipSync(readFileSync(gz))
  const plain = [join(dir, 'html', `${id}.html`), join(dir, `${id}.html`)].find((p) => existsSync(p))
  if (!plain) throw new Error(`no html for ${id}`)
  return readFileSync(plain)
}

const predictions = {}
const subset = {}
const times = []
const reasons = {}
for (const id of ids) {
  const bytes = readPage(id)
  const url = truth[id].url ?? null
  const t0 = process.hrtime.bigint()
  const result = extract(bytes, { url })
  times.push(Number(process.hrtime.bigint() - t0) / 1e6)
  subset[id] = truth[id]
  if (result.type === 'article') predictions[id] = { articleBody: result.paragraphs.map((p) => p.text).join('\n\n') }
  else {
    predictions[id] = { articleBody: '' }
    reasons[result.reason] = (reasons[result.reason] ?? 0) + 1
  }
}

const tmp = mkdtempSync(join(tmpdir(), 'parkwatch-acc-'))
try {
  const predPath = opt('--keep') ?? join(tmp, 'pred.json')
  const truthSubset = join(tmp, 'truth.json')
  writeFileSync(predPath, JSON.stringify(predictions))
  writeFileSync(truthSubset, JSON.stringify(subset))
  const score = (extra) =>
    execFileSync(process.execPath, [join(BENCH, 'score.mjs'), truthSubset, predPath, ...extra], { encoding: 'utf8' })
  const extra = [...(args.includes('--json') ? ['--json'] : []), ...(worst ? ['--worst', worst] : [])]
  console.log(`${set}: ${ids.length} pages (words)`)
  process.stdout.write(score(extra))
  if (set === 'gne-zh' || args.includes('--cjk')) {
    console.log(`${set}: ${ids.length} pages (--cjk)`)
    process.stdout.write(score(['--cjk', ...extra]))
  }
} finally {
  rmSync(tmp, { recursive: true, force: true })
}
const sorted = [...times].sort((a, b) => a - b)
const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]
console.log(
  `time: median ${q(0.5).toFixed(2)} ms, p90 ${q(0.9).toFixed(2)} ms, max ${q(1).toFixed(2)} ms, ` +
    `${(1000 / (times.reduce((a, b) => a + b, 0) / times.length)).toFixed(1)} pages/s`,
)
if (Object.keys(reasons).length > 0) console.log('not-article:', JSON.stringify(reasons))
