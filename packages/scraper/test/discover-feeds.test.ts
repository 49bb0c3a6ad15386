import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  encodeLegacy,
  type FixtureServer,
  send,
  sendEncoded,
  startFixtureServer,
} from '../../../tests/helpers/fixture-server.js'
import { createFetcher, DocumentParseError, type Fetcher, normalizeDate, parseFeed } from '../src/index.js'

const RSS = `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>园区新闻</title>
  <link>https://news.example.com/</link>
  <atom:link href="https://news.example.com/rss.xml" rel="self" type="application/rss+xml"/>
  <item>
    <title><![CDATA[园区"一区两中心"向"高能级"迈进!]]></title>
    <link>https://news.example.com/2024/03/07/a.html#comments</link>
    <pubDate>Thu, 07 Mar 2024 10:30:00 +0800</pubDate>
  </item>
  <item>
    <title>纳米技术 &amp; 人工智能</title>
    <link>/2024/03/08/b.html</link>
    <dc:date>2024-03-08 09:00:00</dc:date>
  </item>
  <item>
    <title>guid only</title>
    <guid isPermaLink="true">https://news.example.com/2024/03/09/c.html</guid>
  </item>
  <item>
    <title>not a permalink</title>
    <guid isPermaLink="false">tag:news.example.com,2024:42</guid>
  </item>
  <item>
    <title>duplicate</title>
    <link>https://news.example.com/2024/03/07/a.html</link>
  </item>
  <item><title>2024</title><link>javascript:void(0)</link></item>
</channel>
</rss>`

const ATOM = `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title type="text">Industry blog</title>
  <entry>
    <title type="html">第三代半导体 &lt;b&gt;news&lt;/b&gt;</title>
    <link rel="self" href="https://blog.example.org/feed/1"/>
    <link rel="alternate" type="text/html" href="https://blog.example.org/posts/1"/>
    <id>urn:uuid:1</id>
    <updated>2024-09-28T08:00:00Z</updated>
    <published>2024-09-27T08:00:00+08:00</published>
  </entry>
  <entry>
    <title>Second</title>
    <link href="posts/2"/>
    <updated>2024-09-29</updated>
  </entry>
</feed>`

const RDF = `<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
  xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://rdf.example.net/"><title>RDF channel</title></channel>
  <item rdf:about="https://rdf.example.net/x/1">
    <title>One</title><link>https://rdf.example.net/x/1</link><dc:date>2023-12-31T15:58:36+08:00</dc:date>
  </item>
  <item rdf:about="https://rdf.example.net/x/2"><title>Two</title></item>
</rdf:RDF>`

describe('parseFeed', () => {
  it('reads RSS 2.0: CDATA, entities, relative links, guids, dates, duplicates', () => {
    const feed = parseFeed(RSS, { url: 'https://news.example.com/rss.xml' })
    expect(feed.format).toBe('rss')
    expect(feed.title).toBe('园区新闻')
    expect(feed.items).toEqual([
      {
        url: 'https://news.example.com/2024/03/07/a.html',
        title: '园区"一区两中心"向"高能级"迈进!',
        publishedAt: '2024-03-07T02:30:00.000Z',
        updatedAt: '2024-03-07T02:30:00.000Z',
      },
      {
        url: 'https://news.example.com/2024/03/08/b.html',
        title: '纳米技术 & 人工智能',
        publishedAt: '2024-03-08T01:00:00.000Z',
        updatedAt: '2024-03-08T01:00:00.000Z',
      },
      { url: 'https://news.example.com/2024/03/09/c.html', title: 'guid only', publishedAt: null, updatedAt: null },
    ])
  })

  it('reads Atom: alternate links, html titles, published before updated', () => {
    const feed = parseFeed(ATOM, { url: 'https://blog.example.org/feed.atom' })
    expect(feed.format).toBe('atom')
    expect(feed.title).toBe('Industry blog')
    expect(feed.items).toEqual([
      {
        url: 'https://blog.example.org/posts/1',
        title: '第三代半导体 <b>news</b>',
        publishedAt: '2024-09-27T00:00:00.000Z',
        // <updated> says when the entry last changed, <published> when it first appeared.
        updatedAt: '2024-09-28T08:00:00.000Z',
      },
      {
        url: 'https://blog.example.org/posts/2',
        title: 'Second',
        publishedAt: '2024-09-28T16:00:00.000Z',
        updatedAt: '2024-09-28T16:00:00.000Z',
      },
    ])
  })

  it('takes an RSS item’s atom:updated or dcterms:modified as its update time, else its date', () => {
    const feed = parseFeed(
      `<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"
        xmlns:dcterms="http://purl.org/dc/terms/"><channel><title>t</title>
        <item><link>/1</link><pubDate>Thu, 07 Mar 2024 10:30:00 +0800</pubDate>
          <atom:updated>2024-03-09T00:00:00Z</atom:updated></item>
        <item><link>/2</link><pubDate>Thu, 07 Mar 2024 10:30:00 +0800</pubDate>
          <dcterms:modified>2024-03-10T00:00:00Z</dcterms:modified></item>
        <item><link>/3</link></item>
      </channel></rss>`,
      { url: 'https://news.example.com/rss.xml' },
    )
    expect(feed.items.map((i) => [i.publishedAt, i.updatedAt])).toEqual([
      ['2024-03-07T02:30:00.000Z', '2024-03-09T00:00:00.000Z'],
      ['2024-03-07T02:30:00.000Z', '2024-03-10T00:00:00.000Z'],
      [null, null],
    ])
  })

  it('reads RSS 1.0 (RDF), falling back to rdf:about', () => {
    const feed = parseFeed(RDF, { url: 'https://rdf.example.net/index.rdf' })
    expect(feed.format).toBe('rdf')
    expect(feed.title).toBe('RDF channel')
    expect(feed.items.map((i) => [i.url, i.publishedAt])).toEqual([
      ['https://rdf.example.net/x/1', '2023-12-31T07:58:36.000Z'],
      ['https://rdf.example.net/x/2', null],
    ])
  })

  it('decodes GBK feeds declared only in the XML declaration', () => {
    const xml = RSS.replace('encoding="utf-8"', 'encoding="gbk"')
    const feed = parseFeed(encodeLegacy(xml, 'gbk'), {
      url: 'https://news.example.com/rss.xml',
      contentType: 'text/xml',
    })
    expect(feed.title).toBe('园区新闻')
    expect(feed.items[1]?.title).toBe('纳米技术 & 人工智能')
  })

  it('rejects documents that are not feeds', () => {
    expect(() => parseFeed('<html><body>hi</body></html>', { url: 'https://x.test/' })).toThrow(DocumentParseError)
    expect(() => parseFeed('<html><body>hi</body></html>', { url: 'https://x.test/' })).toThrow(/root element <html>/)
  })
})

describe('parseFeed over HTTP', () => {
  let server: FixtureServer
  let fetcher: Fetcher
  beforeAll(async () => {
    server = await startFixtureServer({
      '/rss.xml': send(RSS, 'application/rss+xml; charset=utf-8'),
      '/gbk.xml': sendEncoded('gbk', RSS.replace('encoding="utf-8"', 'encoding="gb2312"'), {
        mediaType: 'application/xml',
      }),
    })
    fetcher = createFetcher()
  })
  afterAll(async () => {
    await fetcher.close()
    await server.close()
  })

  it('parses fetched bytes with the response charset', async () => {
    for (const path of ['/rss.xml', '/gbk.xml']) {
      const res = await fetcher.fetch(`${server.url}${path}`)
      const feed = parseFeed(res.body, { url: res.finalUrl, contentType: res.contentType })
      expect(feed.items.map((i) => i.title)).toEqual([
        '园区"一区两中心"向"高能级"迈进!',
        '纳米技术 & 人工智能',
        'guid only',
      ])
    }
  })
})

describe('normalizeDate', () => {
  it.each([
    ['Tue, 10 Jun 2003 04:00:00 GMT', '2003-06-10T04:00:00.000Z'],
    ['2023-12-31 15:58:36', '2023-12-31T07:58:36.000Z'],
    ['2024/9/28', '2024-09-27T16:00:00.000Z'],
    ['2023年2月22日', '2023-02-21T16:00:00.000Z'],
    ['2023年2月22日 08:05', '2023-02-22T00:05:00.000Z'],
    ['2024-09-28T08:00:00Z', '2024-09-28T08:00:00.000Z'],
    ['yesterday', null],
    ['', null],
  ])('%s -> %s', (input, expected) => {
    expect(normalizeDate(input)).toBe(expected)
  })
})
