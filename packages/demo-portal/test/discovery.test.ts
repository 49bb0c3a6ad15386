import { extractLinks, parseFeed, parseSitemap, parseSources } from '@parkwatch/scraper'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DemoPortal, startDemoPortal } from '../src/index.js'
import { get, getPastRateLimit, utf8 } from './helpers.js'

let portal: DemoPortal
const host = (id: string): string => portal.hosts.find((h) => h.id === id)?.url ?? ''
/** URLs discovery should yield for a portal: moved articles under their old URL. */
const listed = (id: string): string[] =>
  portal.expected.articles.filter((a) => a.portal === id).map((a) => a.redirectedFrom ?? a.url)

beforeAll(async () => {
  portal = await startDemoPortal({ slowMs: 20 })
})
afterAll(() => portal.close())

describe('discovery', () => {
  it('offers RSS 2.0 on two portals and Atom on one, listing every article', async () => {
    for (const [id, path] of [
      ['twmirror', '/rss.xml'],
      ['blog', '/feed/'],
      ['wechat', '/feed.atom'],
    ] as const) {
      const url = `${host(id)}${path}`
      const res = await get(url)
      expect(res.status).toBe(200)
      const feed = parseFeed(res.bytes, { url, contentType: res.headers.get('content-type') ?? undefined })
      expect(feed.items.map((i) => i.url).sort(), id).toEqual(listed(id).sort())
      expect(
        feed.items.every((i) => i.publishedAt !== null),
        id,
      ).toBe(true)
    }
    expect(utf8(await get(`${host('wechat')}/feed.atom`))).toContain('<feed xmlns="http://www.w3.org/2005/Atom"')
  })

  it('serves a sitemap index pointing to a Google News sitemap', async () => {
    const indexUrl = `${host('blog')}/sitemap.xml`
    const index = parseSitemap((await get(indexUrl)).bytes, { url: indexUrl })
    expect(index.type).toBe('index')
    const child = index.entries[0]?.url ?? ''
    expect(child).toBe(`${host('blog')}/sitemap-news.xml`)
    const news = parseSitemap((await get(child)).bytes, { url: child })
    expect(news.type).toBe('urlset')
    expect(news.entries.map((e) => e.url).sort()).toEqual(listed('blog').sort())
    expect(news.entries.every((e) => e.publishedAt && e.lastmod)).toBe(true)
  })

  it('paginates list pages that link every article, the moved one by its old URL and a dead link', async () => {
    for (const [id, dir] of [
      ['netease', ''],
      ['xjnnet', '/news/jiangsu'],
    ] as const) {
      const links = new Set<string>()
      for (const page of [1, 2]) {
        const url = `${host(id)}${dir}/list_${page}.html`
        const res = await getPastRateLimit(url)
        expect(res.status, url).toBe(200)
        const html = new TextDecoder(id === 'xjnnet' ? 'gbk' : 'utf-8').decode(res.bytes)
        for (const link of extractLinks(html, url)) links.add(link.url)
      }
      expect(links, id).toContain(`${host(id)}${dir}/list_2.html`)
      for (const url of listed(id)) expect(links, id).toContain(url)
      expect((await getPastRateLimit(`${host(id)}${dir}/list_3.html`)).status).toBe(404)
    }
    const netease = await get(`${host('netease')}/list_2.html`)
    for (const dead of portal.expected.notFound)
      expect(utf8(netease) + utf8(await get(`${host('netease')}/list_1.html`))).toContain(dead)
  })

  it('writes robots.txt: one host disallows /admin/ and a listed article with Crawl-delay 1, the others allow all', async () => {
    const robots = utf8(await get(`${portal.expected.crawlDelayHost}/robots.txt`))
    expect(robots).toContain('Disallow: /admin/')
    expect(robots).toContain('Crawl-delay: 1')
    const disallowed = portal.expected.articles.filter((a) => a.disallowed)
    expect(disallowed).toHaveLength(1)
    for (const a of disallowed) expect(robots).toContain(`Disallow: ${new URL(a.url).pathname}`)
    for (const h of portal.hosts.filter((x) => x.url !== portal.expected.crawlDelayHost)) {
      const text = utf8(await get(`${h.url}/robots.txt`))
      expect(text, h.id).toContain('Allow: /')
      expect(text, h.id).not.toContain('Disallow')
    }
    expect(utf8(await get(`${host('blog')}/robots.txt`))).toContain(`Sitemap: ${host('blog')}/sitemap.xml`)
  })

  it('returns a sources file the scraper accepts, pointing at the running ports', () => {
    const { sites } = parseSources(portal.sourcesYaml(), 'demo.yaml')
    expect(sites.map((s) => s.id)).toEqual(['demo-netease', 'demo-twmirror', 'demo-blog', 'demo-xjnnet', 'demo-wechat'])
    const entryUrls = sites.flatMap((s) => s.entries.map((e) => e.url))
    expect(entryUrls.sort()).toEqual(portal.hosts.flatMap((h) => h.entries.map((e) => e.url)).sort())
    const netease = sites[0]?.entries[0]
    if (netease?.type !== 'list') throw new Error('expected a list entry')
    const pattern = new RegExp(netease.pattern)
    for (const url of listed('netease')) expect(url).toMatch(pattern)
    expect(`${host('netease')}/list_2.html`).toMatch(new RegExp(netease.follow ?? '^$'))
    const xjnnet = sites[3]?.entries[0]
    if (xjnnet?.type !== 'list') throw new Error('expected a list entry')
    for (const url of listed('xjnnet')) expect(url).toMatch(new RegExp(xjnnet.pattern))
  })

  it('keeps sources.demo.yaml valid with its placeholders filled in', async () => {
    const { readFile } = await import('node:fs/promises')
    const text = await readFile(new URL('../sources.demo.yaml', import.meta.url), 'utf8')
    const filled = text.replace(/\$\{(\w+)\}/g, (_, id: string) => host(id))
    const { sites } = parseSources(filled, 'sources.demo.yaml')
    expect(sites.map((s) => s.id)).toEqual(parseSources(portal.sourcesYaml()).sites.map((s) => s.id))
  })
})
