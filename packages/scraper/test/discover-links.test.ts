import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type FixtureServer,
  html,
  sendEncoded,
  startFixtureServer,
  status,
} from '../../../tests/helpers/fixture-server.js'
import { crawlListPages, createFetcher, extractLinks, type Fetcher, findArticleLinks, siteOf } from '../src/index.js'

const MESSY = `<!DOCTYPE html>
<html><head><title>首页 <a href="/in-title">no</a></title>
<script>var s = '<a href="/in-script">x</a>'; if (a < b) {}</script>
<style>a[href="/in-style"] { color: red }</style>
</head><body>
<!-- <a href="/in-comment">commented out</a> -->
<div class=nav><A HREF=/news/1.html class=x>园区&nbsp;新闻&amp;动态</A>
<a href='/news/2.html?from=list&amp;p=1#top' title="a > b">第三代<b>半导体</b></a>
<a   data-x="1"   href = "  /news/3.html  " >纳米
  技术</a>
<a href="javascript:void(0)">js</a><a href="mailto:x@y.z">mail</a><a href="#top">top</a>
<a name="anchor-only">no href</a>
<a href="/news/1.html"></a>
<a href="/news/4.html"><img src="x.png" alt="人工智能"></a>
<a href="/news/5.html">unclosed <a href="/news/6.html">second</a>
<p>1 < 2 and <a href=/news/7.html>&#x4eba;&#24037;</a></p>
<a href="https://elsewhere.test/news/8.html">offsite</a>
<a href="http://[::1">broken url</a>
</div></body></html>`

describe('extractLinks', () => {
  it('finds links in messy HTML the way a browser would', () => {
    const links = extractLinks(MESSY, 'https://news.example.com/list/')
    expect(links).toEqual([
      { url: 'https://news.example.com/news/1.html', text: '园区 新闻&动态' },
      { url: 'https://news.example.com/news/2.html?from=list&p=1', text: '第三代半导体' },
      { url: 'https://news.example.com/news/3.html', text: '纳米 技术' },
      { url: 'https://news.example.com/news/4.html', text: '人工智能' },
      { url: 'https://news.example.com/news/5.html', text: 'unclosed' },
      { url: 'https://news.example.com/news/6.html', text: 'second' },
      { url: 'https://news.example.com/news/7.html', text: '人工' },
      { url: 'https://elsewhere.test/news/8.html', text: 'offsite' },
    ])
  })

  it('honours <base href> and survives truncated markup', () => {
    const links = extractLinks(
      '<base href="https://cdn.example.com/a/"><a href="b.html">B</a><a href="c.html',
      'https://x.test/',
    )
    expect(links).toEqual([{ url: 'https://cdn.example.com/a/b.html', text: 'B' }])
    expect(extractLinks('<a href="x"', 'https://x.test/')).toEqual([])
    expect(extractLinks('text < more <= text <', 'https://x.test/')).toEqual([])
  })

  it('filters article links by pattern and site (subdomains are the same site)', () => {
    const page = MESSY.replace('</div>', '<a href="https://m.example.com/news/9.html">mobile</a></div>')
    const links = findArticleLinks(page, 'https://news.example.com/list/', /\/news\/\d+\.html/)
    expect(links.map((l) => l.url.replace('https://news.example.com', ''))).toEqual([
      '/news/1.html',
      '/news/2.html?from=list&p=1',
      '/news/3.html',
      '/news/4.html',
      '/news/5.html',
      '/news/6.html',
      '/news/7.html',
      'https://m.example.com/news/9.html',
    ])
  })
})

describe('siteOf', () => {
  it.each([
    ['js.news.163.com', '163.com'],
    ['www.sipac.gov.cn', 'sipac.gov.cn'],
    ['news.example.com.cn:8080', 'example.com.cn'],
    ['127.0.0.1:3000', '127.0.0.1'],
    ['localhost', 'localhost'],
  ])('%s -> %s', (host, site) => {
    expect(siteOf(host)).toBe(site)
  })
})

describe('crawlListPages', () => {
  let server: FixtureServer
  let fetcher: Fetcher
  const list = (items: string[], extra = ''): string =>
    `<html><body><ul>${items.map((i) => `<li><a href="${i}">标题 ${i}</a></li>`).join('')}</ul>${extra}</body></html>`

  beforeAll(async () => {
    server = await startFixtureServer({
      '/news/index.html': html(
        list(
          ['/news/2024/a1.html', '/news/2024/a2.html'],
          '<a href="/news/index_2.html">下一页</a><a href="/about.html">关于</a>',
        ),
      ),
      '/news/index_2.html': html(
        list(
          ['/news/2024/a2.html', '/news/2024/a3.html'],
          '<a href="/news/index_3.html">下一页</a><a href="/news/index.html">首页</a>',
        ),
      ),
      '/news/index_3.html': html(list(['/news/2024/a4.html'])),
      '/gbk/': sendEncoded(
        'gbk',
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head><body><a href="/gbk/2024/1.html">苏州工业园区人工智能</a><a href="/gbk/missing.html">坏</a></body></html>',
        { declare: 'meta' },
      ),
      '/gbk/missing.html': status(404),
    })
    fetcher = createFetcher()
  })
  afterAll(async () => {
    await fetcher.close()
    await server.close()
  })

  it('follows pagination to the given depth and reports each article once', async () => {
    const load = (u: string) => fetcher.fetch(u)
    const pattern = '/news/\\d{4}/a\\d+\\.html$'
    const shallow = await crawlListPages(`${server.url}/news/index.html`, { load, pattern, depth: 0 })
    expect(shallow.pages).toEqual([`${server.url}/news/index.html`])
    expect(shallow.articles.map((a) => a.url.replace(server.url, ''))).toEqual([
      '/news/2024/a1.html',
      '/news/2024/a2.html',
    ])

    const deep = await crawlListPages(`${server.url}/news/index.html`, { load, pattern, depth: 2 })
    expect(deep.pages.map((p) => p.replace(server.url, ''))).toEqual([
      '/news/index.html',
      '/news/index_2.html',
      '/news/index_3.html',
    ])
    expect(deep.articles.map((a) => [a.url.replace(server.url, ''), a.depth])).toEqual([
      ['/news/2024/a1.html', 0],
      ['/news/2024/a2.html', 0],
      ['/news/2024/a3.html', 1],
      ['/news/2024/a4.html', 2],
    ])
    expect(deep.articles[2]?.text).toBe('标题 /news/2024/a3.html')
    // /about.html is outside the entry's directory: never fetched.
    expect(server.hits('/about.html')).toBe(0)

    const capped = await crawlListPages(`${server.url}/news/index.html`, { load, pattern, depth: 5, maxPages: 2 })
    expect(capped.pages).toHaveLength(2)
  })

  it('decodes GBK list pages and records failed pages', async () => {
    const result = await crawlListPages(`${server.url}/gbk/`, {
      load: (u) => fetcher.fetch(u),
      pattern: /\/gbk\/\d{4}\//,
      follow: /missing/,
    })
    expect(result.articles).toEqual([
      { url: `${server.url}/gbk/2024/1.html`, text: '苏州工业园区人工智能', foundOn: `${server.url}/gbk/`, depth: 0 },
    ])
    expect(result.errors.map((e) => e.url)).toEqual([`${server.url}/gbk/missing.html`])
  })
})
