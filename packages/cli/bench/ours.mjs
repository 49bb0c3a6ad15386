/**
 * @file One end-to-end pass of parkwatch over the benchmark portal, as `parkwatch run` does it: `runOnce`
 * with a sources config for the portal (one site, its sitemap index as the entry point, the park relevance
 * filter), a fresh SQLite archive and frontier in a scratch folder, robots.txt and politeness off (http
 * mode) so the figure is the pipeline's own speed: discover + fetch + extract + archive. Run as a child of
 * `run.mjs`; answers one JSON object.
 *
 *   node bench/ours.mjs --base http://127.0.0.1:PORT --pages 2000 --tmp DIR [--render http|browser]
 *                       [--threads N] [--batch N] [--browser-concurrency 4] [--server-pid PID]
 *
 * Browser mode renders every page in chromium (`render: browser`) through the scraper's renderer with its
 * defaults (a fresh context per page, images/fonts/media blocked, wait for network idle up to 3 s, a new
 * browser every 200 pages). Politeness stays on there, with the site's `concurrency` as the number of
 * pages rendered at once: with it off, the runner would open all 200 claimed pages at once. Memory (this
 * process and its chromium processes) is sampled every 500 ms for the peak RSS, and with PSS at fixed
 * page counts for the curve. Chromium's CPU time is read from this process's ended-children counters.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { createArchive, sqliteBackend } from '@parkwatch/archive'
import { openFrontier, runOnce } from '@parkwatch/cli'
import { parseSources } from '@parkwatch/scraper'
import { endedChildrenCpuMs, load, parseArgs, processCpuMs, threadCpuMs, treeMemory } from './lib.mjs'

const args = parseArgs(process.argv.slice(2))
const base = String(args.base)
const count = Number(args.pages)
const render = args.render === 'browser' ? 'browser' : 'http'
const dir = String(args.tmp)
const serverPid = args['server-pid'] ? Number(args['server-pid']) : null
mkdirSync(dir, { recursive: true })

const browserConcurrency = Number(args['browser-concurrency'] ?? 4)
const sources = parseSources(
  [
    'sites:',
    '  - id: bench',
    '    name: 园区新闻网 (bench)',
    `    render: ${render}`,
    '    rate: 10000',
    `    concurrency: ${render === 'browser' ? browserConcurrency : 64}`,
    '    entries:',
    `      - { type: sitemap, url: '${base}/sitemaps/${count}/index.xml', maxSitemaps: 100 }`,
    '    relevance:',
    '      parks: [苏州工业园区, 园区]',
    '      industries: [biomedicine, nanotech, ai, semiconductors]',
    '      match: any',
    '',
  ].join('\n'),
  'bench-sources.yaml',
)
const archive = createArchive({ backend: sqliteBackend({ dir }) })
const frontier = openFrontier({ file: join(dir, 'archive.sqlite') })

// Memory: a peak over the whole pass, and a curve at these page counts.
const checkpoints = new Set(
  [0.1, 0.25, 0.5, 0.75, 1].map((f) => Math.max(1, Math.round(count * f))).filter((n) => n <= count),
)
const curve = []
const peak = { rssMb: 0, pssMb: 0, selfRssMb: 0, childrenRssMb: 0 }
const sample = (pss) => {
  const m = treeMemory({ pss })
  for (const k of Object.keys(peak)) peak[k] = Math.max(peak[k], m[k] ?? 0)
  return m
}
const sampler = render === 'browser' ? setInterval(() => sample(false), 500) : null
let visits = 0

const loadStart = load()
const serverCpu0 = serverPid ? processCpuMs(serverPid) : null
const cpu0 = process.cpuUsage()
const children0 = endedChildrenCpuMs()
const main0 = threadCpuMs()
const t0 = performance.now()
const summary = await runOnce({
  sources,
  archive,
  frontier,
  robots: false,
  politeness: render === 'browser',
  browser: render === 'browser',
  ...(args.threads !== undefined ? { extractThreads: Number(args.threads) } : {}),
  ...(args.batch !== undefined ? { ingestBatch: Number(args.batch) } : {}),
  onEvent(event) {
    if (event.type !== 'visit') return
    visits++
    if (checkpoints.has(visits)) {
      const m = sample(true)
      const seconds = (performance.now() - t0) / 1000
      curve.push({ pages: visits, seconds, ...m })
      if (render === 'browser') {
        process.stderr.write(
          `[bench]   ${visits} pages, ${seconds.toFixed(0)} s, ${m.rssMb} MB RSS in ${m.processes} processes\n`,
        )
      }
    }
  },
})
// The archive indexes new versions for search on a worker thread: the pass ends when a search (which waits
// for the index to hold every committed version) has answered.
await archive.search({ text: '苏州工业园区', limit: 1 })
const wallMs = performance.now() - t0
const mainCpuMs = threadCpuMs() - main0
const cpu = process.cpuUsage(cpu0)
// runOnce closed the renderer, so every chromium process has ended and been counted here.
const childrenCpuMs = endedChildrenCpuMs() - children0
const serverCpuMs = serverPid && serverCpu0 !== null ? (processCpuMs(serverPid) ?? serverCpu0) - serverCpu0 : null
const loadEnd = load()
if (sampler) clearInterval(sampler)

const stats = await archive.stats()
await archive.close()
await frontier.close()
const stored = summary.newVersions
const out = {
  crawler: 'parkwatch',
  render,
  threads: args.threads ?? 'default',
  batch: args.batch ?? 'default',
  pages: count,
  stored,
  summary: { ...summary, changed: summary.changed.length },
  archive: stats,
  wallMs,
  pagesPerS: (stored / wallMs) * 1000,
  cpuMsPerPage: (cpu.user + cpu.system) / 1000 / stored,
  mainThreadCpuMsPerPage: mainCpuMs / stored,
  chromiumCpuMsPerPage: render === 'browser' ? childrenCpuMs / stored : null,
  serverCpuMsPerPage: serverCpuMs === null ? null : serverCpuMs / stored,
  loadStart,
  loadEnd,
  memory: render === 'browser' ? { peak, curve } : { peakRssMb: process.resourceUsage().maxRSS / 1024 },
}
if (process.send) process.send(out)
else console.log(JSON.stringify(out, null, 2))
