/**
 * @file The in-process bounds: the same pages as the end-to-end runs, held in memory as bytes, and only
 * decoded, parsed, or extracted, in one thread: no HTTP, no archive. Run as a child of `run.mjs`; answers
 * one JSON object (IPC, or stdout when run alone).
 *
 *   node bench/bound.mjs --pages 2000 [--seed 20261122] [--passes 3]
 *
 * Operations, each over every page, after a warm-up over the first 100 pages:
 * - `decode`: the extractor's `decodeHtml` (charset from the header or `<meta>`, then `TextDecoder`);
 * - `cheerio.load`: cheerio 1.2 as installed (the extractor's), default options, i.e. parse5, on the
 *   decoded text: the parse-only bound as the issue words it;
 * - `cheerio.load (htmlparser2)`: the same with `xml: { xmlMode: false }`, which parses with htmlparser2,
 *   as Crawlee's CheerioCrawler does;
 * - `htmlparser2.parseDocument`: the parser our extractor uses, alone;
 * - `extract`: `extract(bytes, { url, contentType })`, decoding included: the extract-only cost.
 */
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { decodeHtml, extract } from '@parkwatch/extractor'
import { median, packageVersion, parseArgs, REPO_DIR, threadCpuMs } from './lib.mjs'
import { buildSite } from './pages.mjs'

const WARMUP = 100
const args = parseArgs(process.argv.slice(2))
const count = Number(args.pages ?? 2000)
const passes = Number(args.passes ?? 3)
const seed = Number(args.seed ?? 20261122)
// cheerio (a dev dependency of the extractor, which works on htmlparser2's DOM directly) and htmlparser2: resolve them from there.
const requireFromExtractor = createRequire(join(REPO_DIR, 'packages', 'extractor', 'package.json'))
const cheerio = requireFromExtractor('cheerio')
const htmlparser2 = requireFromExtractor('htmlparser2')
const cheerioVersion = packageVersion(requireFromExtractor, 'cheerio')
const htmlparser2Version = packageVersion(requireFromExtractor, 'htmlparser2')

const { pages, totalBytes } = buildSite({ pages: count, seed })
const texts = pages.map((p) => decodeHtml(p.bytes, { contentType: p.contentType }).text)
let sink = 0
const ops = {
  decode: (i) => {
    sink += decodeHtml(pages[i].bytes, { contentType: pages[i].contentType }).text.length
  },
  'cheerio.load': (i) => {
    sink += cheerio.load(texts[i]).root().children().length
  },
  'cheerio.load (htmlparser2)': (i) => {
    sink += cheerio
      .load(texts[i], { xml: { xmlMode: false } })
      .root()
      .children().length
  },
  'htmlparser2.parseDocument': (i) => {
    sink += htmlparser2.parseDocument(texts[i]).children.length
  },
  extract: (i) => {
    const p = pages[i]
    const r = extract(p.bytes, { url: `http://127.0.0.1${p.path}`, contentType: p.contentType })
    sink += r.type === 'article' ? r.paragraphs.length : 0
  },
}

const results = {}
for (const [name, op] of Object.entries(ops)) {
  for (let i = 0; i < Math.min(WARMUP, pages.length); i++) op(i)
  const runs = []
  for (let pass = 0; pass < passes; pass++) {
    const per = new Float64Array(pages.length)
    const cpu0 = threadCpuMs()
    const t0 = performance.now()
    for (let i = 0; i < pages.length; i++) {
      const s = performance.now()
      op(i)
      per[i] = performance.now() - s
    }
    const wallMs = performance.now() - t0
    runs.push({ wallMs, cpuMs: threadCpuMs() - cpu0, medianMs: median([...per]) })
  }
  const wallMs = median(runs.map((r) => r.wallMs))
  results[name] = {
    msPerPage: wallMs / pages.length,
    medianMs: median(runs.map((r) => r.medianMs)),
    cpuMsPerPage: median(runs.map((r) => r.cpuMs)) / pages.length,
    pagesPerS: (pages.length / wallMs) * 1000,
    passes: runs.map((r) => Math.round((pages.length / r.wallMs) * 1000 * 10) / 10),
  }
}

const out = {
  pages: pages.length,
  totalBytes,
  meanKb: totalBytes / pages.length / 1024,
  gbkPages: pages.filter((p) => p.charset === 'gbk').length,
  cheerio: cheerioVersion,
  htmlparser2: htmlparser2Version,
  results,
  sink,
}
if (process.send) process.send(out)
else console.log(JSON.stringify(out, null, 2))
