/**
 * @file Shared helpers of the extractor benchmark: where the sets live, loading pages as bytes, argument
 * parsing, statistics and table formatting. Used by `run.mjs` (the orchestrator) and `speed.mjs` (the
 * per-extractor child process).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'

/** `packages/extractor/bench`. */
export const BENCH_DIR = dirname(fileURLToPath(import.meta.url))
/** `packages/extractor`. */
export const PACKAGE_DIR = resolve(BENCH_DIR, '..')
/** The shared, read-only benchmark material beside the repo (`../shared/bench`; never copied into it). */
export const SHARED_BENCH_DIR = process.env.PARKWATCH_BENCH_DIR ?? resolve(PACKAGE_DIR, '../../../shared/bench')
/** The scorer every figure goes through. */
export const SCORER = join(SHARED_BENCH_DIR, 'score.mjs')
/** Hand-labelled ground truth for the Chinese pages, written by the extractor team. */
export const GNE_ZH_LABELS = join(BENCH_DIR, 'gne-zh-labels.json')
/** Pages per set with `--quick`. */
export const QUICK_LIMIT = 40

/**
 * The sets the harness knows. `speed: true` sets get a warm-up pass and a timed pass per extractor;
 * the others get one pass, for accuracy only (wcxb-dev is 793 pages: timing it too would double the run).
 */
export const SETS = {
  scrapinghub: { speed: true, accuracy: true, cjk: false },
  'wcxb-dev': { speed: false, accuracy: true, cjk: false },
  'gne-zh': { speed: true, accuracy: true, cjk: true },
}

/** The extractors, in table order. */
export const EXTRACTORS = ['ours', 'readability']

/**
 * Ground truth of a set as `{ id: { articleBody, url } }`, or null when the set has none (gne-zh
 * before its labels exist).
 */
export function loadGroundTruth(set) {
  const path = set === 'gne-zh' ? GNE_ZH_LABELS : join(SHARED_BENCH_DIR, set, 'ground-truth.json')
  if (!existsSync(path)) return null
  return JSON.parse(readFileSync(path, 'utf8'))
}

/**
 * The page ids of a set, sorted so `--quick` always takes the same pages. gne-zh lists every saved page,
 * labelled or not: speed does not need labels.
 */
export function listIds(set, limit = Number.POSITIVE_INFINITY) {
  let ids
  if (set === 'gne-zh') {
    ids = readdirSync(join(SHARED_BENCH_DIR, set))
      .filter((f) => f.endsWith('.html'))
      .map((f) => f.slice(0, -'.html'.length))
  } else {
    ids = Object.keys(loadGroundTruth(set) ?? {})
  }
  return ids.sort().slice(0, limit)
}

/** The raw bytes of one page (gunzipped when stored as `.html.gz`). */
export function readPage(set, id) {
  if (set === 'gne-zh') return readFileSync(join(SHARED_BENCH_DIR, set, `${id}.html`))
  return gunzipSync(readFileSync(join(SHARED_BENCH_DIR, set, 'html', `${id}.html.gz`)))
}

/**
 * Load the pages of a set into memory as bytes, with the URL from the ground truth (null when unknown).
 * @returns {Array<{ id: string, url: string | null, bytes: Buffer }>}
 */
export function loadPages(set, limit) {
  const truth = loadGroundTruth(set) ?? {}
  return listIds(set, limit).map((id) => ({ id, url: truth[id]?.url || null, bytes: readPage(set, id) }))
}

/**
 * Parse `--flag`, `--flag value` and `--flag=value` arguments. Flags named in `booleans` never take a
 * value; `--no-x` sets `x: false`.
 */
export function parseArgs(argv, booleans = []) {
  const out = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (!arg.startsWith('--')) throw new TypeError(`Unexpected argument \`${arg}\``)
    const eq = arg.indexOf('=')
    const name = arg.slice(2, eq >= 0 ? eq : undefined)
    if (eq >= 0) out[name] = arg.slice(eq + 1)
    else if (name.startsWith('no-')) out[name.slice(3)] = false
    else if (booleans.includes(name) || i + 1 >= argv.length || argv[i + 1].startsWith('--')) out[name] = true
    else out[name] = argv[++i]
  }
  return out
}

/** The q-quantile (0..1) of a list of numbers, by linear interpolation. */
export function quantile(xs, q) {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  const pos = (s.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return s[lo] + (s[hi] - s[lo]) * (pos - lo)
}

/** Format a number with fixed digits, or `-` when it is missing. */
export function fmt(x, digits = 3) {
  return typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '-'
}

/** Render rows (arrays of cells) as an aligned plain-text table; the first row is the header. */
export function textTable(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)))
  const line = (r) => r.map((cell, c) => String(cell).padEnd(widths[c])).join('  ')
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n')
}

/** Render rows as a Markdown table; the first row is the header. */
export function markdownTable(rows) {
  const line = (r) => `| ${r.join(' | ')} |`
  return [line(rows[0]), line(rows[0].map(() => '---')), ...rows.slice(1).map(line)].join('\n')
}
