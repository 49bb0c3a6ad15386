import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FixtureServer, send, startFixtureServer, status } from '../../../tests/helpers/fixture-server.js'
import { createFetcher, DocumentParseError, expandSitemap, type Fetcher, parseSitemap } from '../src/index.js'

const NEWS = (base: string) => `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>${base}/news/2024/09/28/sip.html</loc>
    <news:news>
      <news:publication><news:name>园区发布</news:name><news:language>zh</news:language></news:publication>
      <news:publication_date>2024-09-28T10:00:00+08:00</news:publication_date>
      <news:title>苏州工业园区:"四敢"园区进位全国高新第四</news:title>
    </news:news>
  </url>
  <url><loc>${base}/news/2023/01/01/old.html</loc><lastmod>2023-01-01</lastmod></url>
</urlset>`

const PLAIN = (base: string) => `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>${base}/news/2024/10/01/ai.html</loc><lastmod>2024-10-01T12:00:00Z</lastmod></url>
  <url><loc>${base}/news/2024/09/28/sip.html</loc><lastmod>2024-09-28</lastmod></url>
</urlset>`

const INDEX = (base: string) => `<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>${base}/sitemap-news.xml</loc><lastmod>2024-09-28</lastmod></sitemap>
  <sitemap><loc>${base}/sitemap-2024.xml.gz</loc><lastmod>2024-10-01</lastmod></sitemap>
  <sitemap><loc>${base}/sitemap-broken.xml</loc><lastmod>2024-01-01</lastmod></sitemap>
  <sitemap><loc>${base}/index.xml</loc></sitemap>
</sitemapindex>`

describe('parseSitemap', () => {
  it('reads a Google News sitemap', () => {
    const map = parseSitemap(NEWS('https://sipac.example.cn'), { url: 'https://sipac.example.cn/sitemap-news.xml' })
    expect(map).toEqual({
      type: 'urlset',
      entries: [
        {
          url: 'https://sipac.example.cn/news/2024/09/28/sip.html',
          lastmod: null,
          publishedAt: '2024-09-28T02:00:00.000Z',
          title: '苏州工业园区:"四敢"园区进位全国高新第四',
        },
        {
          url: 'https://sipac.example.cn/news/2023/01/01/old.html',
          lastmod: '2022-12-31T16:00:00.000Z',
          publishedAt: null,
          title: null,
        },
      ],
    })
  })

  it('reads an index and gzip bytes', () => {
    const index = parseSitemap(gzipSync(INDEX('https://s.example')), { url: 'https://s.example/index.xml.gz' })
    expect(index.type).toBe('index')
    expect(index.entries.map((e) => e.url)).toEqual([
      'https://s.example/sitemap-news.xml',
      'https://s.example/sitemap-2024.xml.gz',
      'https://s.example/sitemap-broken.xml',
      'https://s.example/index.xml',
    ])
  })

  it('rejects other documents and corrupt gzip', () => {
    expect(() => parseSitemap('<rss><channel/></rss>', { url: 'https://s.example/x' })).toThrow(DocumentParseError)
    const corrupt = Uint8Array.from([0x1f, 0x8b, 1, 2, 3, 4])
    expect(() => parseSitemap(corrupt, { url: 'https://s.example/x.gz' })).toThrow(/gzip/)
  })
})

describe('expandSitemap', () => {
  let server: FixtureServer
  let fetcher: Fetcher
  beforeAll(async () => {
    // Documents name absolute URLs, so routes build them from the Host header.
    server = await startFixtureServer({
      '/index.xml': (req, res) => send(INDEX(`http://${req.headers.host}`), 'application/xml')(req, res),
      '/sitemap-news.xml': (req, res) => send(NEWS(`http://${req.headers.host}`), 'application/xml')(req, res),
      '/sitemap-2024.xml.gz': (req, res) =>
        send(gzipSync(PLAIN(`http://${req.headers.host}`)), 'application/gzip')(req, res),
      '/sitemap-broken.xml': status(500),
    })
    fetcher = createFetcher()
  })
  afterAll(async () => {
    await fetcher.close()
    await server.close()
  })

  it('walks the index newest first, fetches gzip children, dedupes pages and keeps going past failures', async () => {
    const result = await expandSitemap(`${server.url}/index.xml`, { load: (u) => fetcher.fetch(u) })
    expect(result.sitemaps).toEqual([
      `${server.url}/index.xml`,
      `${server.url}/sitemap-2024.xml.gz`,
      `${server.url}/sitemap-news.xml`,
      `${server.url}/sitemap-broken.xml`,
    ])
    expect(result.pages.map((p) => p.url)).toEqual([
      `${server.url}/news/2024/10/01/ai.html`,
      `${server.url}/news/2024/09/28/sip.html`,
      `${server.url}/news/2023/01/01/old.html`,
    ])
    expect(result.errors).toHaveLength(1)
    expect(result.errors[0]?.error).toMatchObject({ status: 500 })
    // The index lists itself: it is not fetched twice.
    expect(server.hits('/index.xml')).toBe(1)
  })

  it('honours maxSitemaps and since', async () => {
    const capped = await expandSitemap(`${server.url}/index.xml`, { load: (u) => fetcher.fetch(u), maxSitemaps: 2 })
    expect(capped.sitemaps).toHaveLength(2)
    const recent = await expandSitemap(`${server.url}/index.xml`, {
      load: (u) => fetcher.fetch(u),
      since: '2024-06-01T00:00:00Z',
    })
    expect(recent.pages.map((p) => p.url.replace(server.url, ''))).toEqual([
      '/news/2024/10/01/ai.html',
      '/news/2024/09/28/sip.html',
    ])
    // The broken sitemap's lastmod is before `since`, so it is not even fetched.
    expect(recent.sitemaps).not.toContain(`${server.url}/sitemap-broken.xml`)
  })
})
