/**
 * @file Helpers shared by the scraper benchmark's scripts: arguments, CPU time per thread and per process,
 * memory of a process tree (from /proc, Linux only), and table formatting.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url))
export const PACKAGE_DIR = join(BENCH_DIR, '..')
export const REPO_DIR = join(PACKAGE_DIR, '..', '..')
const TICKS_PER_S = 100

/**
 * `--name value`, `--flag` (true) and `--no-flag` (false).
 * @param {string[]} argv
 * @param {string[]} flags names that take no value
 */
export function parseArgs(argv, flags = []) {
  const out = {}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? ''
    if (!a.startsWith('--')) throw new Error(`Unexpected argument \`${a}\``)
    const name = a.slice(2)
    if (name.startsWith('no-')) out[name.slice(3)] = false
    else if (flags.includes(name)) out[name] = true
    else {
      const value = argv[i + 1]
      if (value === undefined) throw new Error(`Expected a value after \`${a}\``)
      out[name] = value
      i++
    }
  }
  return out
}

/** CPU ms (user + system) of the calling thread, from /proc/thread-self/stat. */
export function threadCpuMs() {
  return statCpuMs(readFileSync('/proc/thread-self/stat', 'utf8'))
}

/** CPU ms of this process's children that have ended (chromium's processes, once the renderer closed them). */
export function endedChildrenCpuMs() {
  const stat = readFileSync('/proc/self/stat', 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / TICKS_PER_S
}

/** CPU ms (user + system) of a process, all its threads, or null when it is gone. */
export function processCpuMs(pid) {
  try {
    return statCpuMs(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return null
  }
}

/** The load averages, rounded. */
export function load() {
  return loadavg().map((l) => Math.round(l * 100) / 100)
}

/**
 * Memory of `pid` and all its descendants (chromium's processes hang below the Node process).
 * `rssMb` sums each process's RSS (shared pages counted once per process, as `ps` shows them); `pssMb`
 * sums the proportional set sizes (shared pages divided among their sharers), the fairer total, read only
 * when `pss` is set (smaps_rollup walks every mapping: too slow to read 4 times a second).
 * @returns {{ selfRssMb: number, childrenRssMb: number, rssMb: number, pssMb: number | null, processes: number }}
 */
export function treeMemory({ pid = process.pid, pss = false } = {}) {
  const tree = [pid]
  for (let i = 0; i < tree.length; i++) tree.push(...childrenOf(tree[i]))
  let selfRss = 0
  let childrenRss = 0
  let pssKb = 0
  let processes = 0
  for (const p of tree) {
    const rss = statusKb(p, 'VmRSS')
    if (rss === null) continue
    processes++
    if (p === pid) selfRss = rss
    else childrenRss += rss
    if (pss) pssKb += rollupKb(p, 'Pss') ?? rss
  }
  const mb = (kb) => Math.round(kb / 102.4) / 10
  return {
    selfRssMb: mb(selfRss),
    childrenRssMb: mb(childrenRss),
    rssMb: mb(selfRss + childrenRss),
    pssMb: pss ? mb(pssKb) : null,
    processes,
  }
}

/**
 * The version of a package as `require` resolves it (packages whose `exports` hide `package.json` too).
 * @param {NodeRequire} require
 * @param {string} name
 */
export function packageVersion(require, name) {
  let dir = dirname(require.resolve(name))
  while (dir !== dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
      if (pkg.name === name) return pkg.version
    } catch {
      // No package.json at this level.
    }
    dir = dirname(dir)
  }
  return 'unknown'
}

/** @param {number[]} values */
export function median(values) {
  const s = [...values].sort((a, b) => a - b)
  if (s.length === 0) return Number.NaN
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2
}

/** Round for tables: 1 decimal under 100, none above. */
export function fmt(n, digits) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '—'
  const d = digits ?? (Math.abs(n) >= 100 ? 0 : 1)
  return n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d })
}

/** A Markdown table. */
export function markdownTable(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}

/** A plain-text table for the terminal. */
export function textTable(header, rows) {
  const all = [header, ...rows].map((r) => r.map(String))
  const widths = header.map((_, i) => Math.max(...all.map((r) => [...(r[i] ?? '')].length)))
  return all
    .map((r, k) => {
      const line = r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')
      return k === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line
    })
    .join('\n')
}

/**
 * Self time by package of every `.cpuprofile` in `dir` (one file per thread: `….<pid>.0.<n>` is the main
 * thread, the others workers), per stored page. Idle time and piscina's wait for work are left out.
 * @returns {Array<{ thread: string, busyMsPerPage: number, top: Array<{ name: string, msPerPage: number, share: number }> }>}
 */
export function summariseProfiles(dir, pages, topN = 8) {
  const out = []
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort()) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'))
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
    const byPackage = new Map()
    profile.samples.forEach((id, i) => {
      const name = packageOf(nodes.get(id)?.callFrame)
      byPackage.set(name, (byPackage.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0))
    })
    for (const skip of ['(idle)', 'piscina (waiting for work)']) byPackage.delete(skip)
    const busy = [...byPackage.values()].reduce((a, b) => a + b, 0)
    const thread = file.split('.')[4] === '0' ? 'main' : `worker ${file.split('.')[4]}`
    out.push({
      thread,
      busyMsPerPage: busy / 1000 / pages,
      top: [...byPackage]
        .sort((a, b) => b[1] - a[1])
        .slice(0, topN)
        .map(([name, us]) => ({ name, msPerPage: us / 1000 / pages, share: us / busy })),
    })
  }
  return out
}

// --- Internal helpers ---

function packageOf(frame) {
  if (!frame) return '(unknown)'
  const url = frame.url ?? ''
  if (!url) {
    const name = frame.functionName.length > 40 ? `${frame.functionName.slice(0, 40)}…` : frame.functionName
    return name.startsWith('(') ? name : `(native ${name})`
  }
  const pnpm = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pnpm) {
    // piscina's worker blocks in Atomics.wait between tasks: that is waiting, not work.
    if (pnpm[1] === 'piscina' && /atomicsWaitLoop|Atomics/.test(frame.functionName)) return 'piscina (waiting for work)'
    return pnpm[1]
  }
  const ours = /\/packages\/([^/]+)\/(?:dist|bench)\//.exec(url)
  if (ours) return `@parkwatch/${ours[1]}`
  if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?/, 'node:').split('/')[0]
  return url
}

function statCpuMs(stat) {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_S
}

/** Child process ids, from every thread's `children` list (threads fork too: libuv spawns from the main one). */
function childrenOf(pid) {
  const out = []
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const list = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim()
      if (list) out.push(...list.split(' ').map(Number))
    }
  } catch {
    // The process ended while we looked.
  }
  return out
}

function statusKb(pid, key) {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) : null
  } catch {
    return null
  }
}

function rollupKb(pid, key) {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))
    return m ? Number(m[1]) : null
  } catch {
    return null
  }
}
