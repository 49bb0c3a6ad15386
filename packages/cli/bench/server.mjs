/**
 * @file The benchmark's portal: a `node:http` server on 127.0.0.1 serving the generated pages (`pages.mjs`),
 * run in a child process of its own so serving never competes with the crawler for its event loop (it
 * still shares the machine's two cores, as a real server would not; the report says so). Pages are served
 * gzip-compressed when asked (compressed once, at start), with `Content-Length`, `ETag` and
 * `Last-Modified`, like a portal behind a CDN.
 *
 *   node bench/server.mjs --pages 2000 [--seed 20261122]    (prints `{"port":…}` on stdout, or tells its parent)
 *
 * Routes: the article pages; `/sitemaps/<n>/index.xml` (a sitemap index over the first n pages) and its
 * `/sitemaps/<n>/part-<k>.xml` files; `/rss.xml`; `/robots.txt`; two static assets; anything else is a 404.
 * `GET /__stats` answers the request counts (article requests, distinct articles, other requests).
 */
import { createServer } from 'node:http'
import { gzipSync } from 'node:zlib'
import { buildSite, rssFeed, STATIC_ASSETS, sitemapFiles } from './pages.mjs'

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .map((a, i, all) => (a.startsWith('--') ? [a.slice(2), all[i + 1] ?? ''] : null))
    .filter(Boolean),
)
const count = Number(args.pages ?? 2000)
const seed = Number(args.seed ?? 20261122)
const site = buildSite({ pages: count, seed })
const byPath = new Map(site.pages.map((p) => [p.path, { page: p, gz: gzipSync(p.bytes, { level: 6 }) }]))
const lastModified = new Date(Date.UTC(2024, 11, 31)).toUTCString()
const stats = { articleRequests: 0, distinctArticles: new Set(), other: 0 }
let base = ''
const xmlCache = new Map()

const server = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0] ?? '/'
  const entry = byPath.get(path)
  if (entry) {
    stats.articleRequests++
    stats.distinctArticles.add(path)
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))
    const body = gzip ? entry.gz : entry.page.bytes
    res.writeHead(200, {
      'content-type': entry.page.contentType,
      'content-length': body.byteLength,
      etag: `"${path.length.toString(16)}-${entry.page.bytes.byteLength.toString(16)}"`,
      'last-modified': lastModified,
      'cache-control': 'max-age=60',
      ...(gzip ? { 'content-encoding': 'gzip', vary: 'Accept-Encoding' } : {}),
    })
    res.end(body)
    return
  }
  stats.other++
  if (path === '/__stats') {
    return send(res, 'application/json', JSON.stringify({ ...stats, distinctArticles: stats.distinctArticles.size }))
  }
  if (path === '/robots.txt') return send(res, 'text/plain', 'User-agent: *\nAllow: /\n')
  if (path === '/rss.xml') return send(res, 'application/rss+xml; charset=utf-8', rssFeed(site.pages, base))
  const sitemap = /^\/sitemaps\/(\d+)\//.exec(path)
  if (sitemap) {
    const n = Math.min(Number(sitemap[1]), site.pages.length)
    const prefix = `/sitemaps/${n}`
    if (!xmlCache.has(prefix)) xmlCache.set(prefix, sitemapFiles(site.pages.slice(0, n), base, prefix))
    const xml = xmlCache.get(prefix).get(path)
    if (xml) return send(res, 'application/xml; charset=utf-8', xml)
  }
  const asset = STATIC_ASSETS[path]
  if (asset) return send(res, asset.type, asset.body)
  res.writeHead(404, { 'content-type': 'text/plain' })
  res.end('not found')
})
server.keepAliveTimeout = 60_000

server.listen(0, '127.0.0.1', () => {
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address())
  base = `http://127.0.0.1:${port}`
  const hello = { port, pages: site.pages.length, totalBytes: site.totalBytes }
  if (process.send) process.send(hello)
  else console.log(JSON.stringify(hello))
})
process.on('disconnect', () => process.exit(0))
process.on('SIGTERM', () => process.exit(0))

function send(res, type, text) {
  const body = Buffer.from(text, 'utf8')
  res.writeHead(200, { 'content-type': type, 'content-length': body.byteLength })
  res.end(body)
}
