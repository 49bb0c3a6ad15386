/**
 * @file The peer: Crawlee's `CheerioCrawler` (3.x, plain HTTP, no browser) crawling the same portal in the
 * same way: start from the sitemap index, enqueue the sitemaps, then every article; for each article,
 * fetch (got-scraping, charset from the header), parse (Crawlee parses with htmlparser2 and loads cheerio
 * over it), pull the title and the body paragraphs into memory with the selectors a Crawlee user would
 * write for this portal, and write them all to one JSON file at the end. Storage is Crawlee's in-memory
 * storage (`persistStorage: false`) rooted in a scratch folder. Concurrency is fixed (`minConcurrency =
 * maxConcurrency`): Crawlee's autoscaler starts at 1 and grows 5% every 10 s, which would measure its
 * ramp-up, not its speed. Run as a child of `run.mjs`; answers one JSON object.
 *
 *   node bench/crawlee.mjs --base http://127.0.0.1:PORT --pages 2000 --tmp DIR [--concurrency 16] [--server-pid PID]
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { load, packageVersion, parseArgs, processCpuMs, threadCpuMs } from './lib.mjs'

const args = parseArgs(process.argv.slice(2))
const base = String(args.base)
const count = Number(args.pages)
const dir = String(args.tmp)
const concurrency = Number(args.concurrency ?? 16)
const serverPid = args['server-pid'] ? Number(args['server-pid']) : null
mkdirSync(dir, { recursive: true })
// Set before Crawlee loads: its global configuration reads the environment once.
process.env.CRAWLEE_STORAGE_DIR = join(dir, 'storage')
process.env.CRAWLEE_PERSIST_STORAGE = 'false'
const { CheerioCrawler, Configuration, log } = await import('@crawlee/cheerio')
log.setLevel(log.LEVELS.WARNING)

const items = []
const config = new Configuration({ persistStorage: false, purgeOnStart: true })
const crawler = new CheerioCrawler(
  {
    minConcurrency: concurrency,
    maxConcurrency: concurrency,
    async requestHandler({ request, $ }) {
      if (request.label === 'SITEMAP') {
        const urls = $('loc')
          .map((_, el) => $(el).text().trim())
          .get()
        const index = $('sitemapindex').length > 0
        await crawler.addRequests(urls.map((url) => ({ url, label: index ? 'SITEMAP' : 'ARTICLE' })))
        return
      }
      const title = $('h1.post_title').first().text().trim() || ($('meta[property="og:title"]').attr('content') ?? '')
      const paragraphs = $('.post_body p')
        .map((_, el) => $(el).text().trim())
        .get()
        .filter((t) => t.length > 0)
      items.push({ url: request.url, title, paragraphs })
    },
  },
  config,
)

const loadStart = load()
const serverCpu0 = serverPid ? processCpuMs(serverPid) : null
const cpu0 = process.cpuUsage()
const main0 = threadCpuMs()
const t0 = performance.now()
const stats = await crawler.run([{ url: `${base}/sitemaps/${count}/index.xml`, label: 'SITEMAP' }])
writeFileSync(join(dir, 'articles.json'), JSON.stringify(items))
const wallMs = performance.now() - t0
const mainCpuMs = threadCpuMs() - main0
const cpu = process.cpuUsage(cpu0)
const serverCpuMs = serverPid && serverCpu0 !== null ? (processCpuMs(serverPid) ?? serverCpu0) - serverCpu0 : null
const loadEnd = load()

const stored = items.filter((i) => i.title && i.paragraphs.length > 0).length
const out = {
  crawler: 'crawlee',
  version: packageVersion(createRequire(import.meta.url), '@crawlee/cheerio'),
  concurrency,
  pages: count,
  stored,
  crawleeStats: {
    requestsFinished: stats.requestsFinished,
    requestsFailed: stats.requestsFailed,
    retryHistogram: stats.retryHistogram,
  },
  wallMs,
  pagesPerS: (stored / wallMs) * 1000,
  cpuMsPerPage: (cpu.user + cpu.system) / 1000 / stored,
  mainThreadCpuMsPerPage: mainCpuMs / stored,
  serverCpuMsPerPage: serverCpuMs === null ? null : serverCpuMs / stored,
  loadStart,
  loadEnd,
  memory: { peakRssMb: process.resourceUsage().maxRSS / 1024 },
}
// Crawlee keeps timers (its snapshotter, the storage's persistence) that would hold the process open.
if (process.send) process.send(out, () => process.exit(0))
else {
  console.log(JSON.stringify(out, null, 2))
  process.exit(0)
}
