import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { decodeHtml, extract } from '@parkwatch/extractor'
import { isJavaScriptShell } from '@parkwatch/scraper'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_FIXTURES_DIR, type DemoPortal, encodeGbk, PORTAL_IDS, startDemoPortal } from '../src/index.js'
import { SKINS } from '../src/skins.js'
import { localiseUrls } from '../src/templates.js'
import { article, get, getArticle, utf8 } from './helpers.js'

let portal: DemoPortal

beforeAll(async () => {
  portal = await startDemoPortal({ slowMs: 20 })
})
afterAll(() => portal.close())

describe('article pages', () => {
  it('serves every article of every portal', async () => {
    for (const id of PORTAL_IDS) {
      const urls = portal.expected.byPortal[id]
      expect(urls.length, id).toBeGreaterThanOrEqual(4)
      expect(urls.length, id).toBeLessThanOrEqual(8)
      for (const url of urls) {
        const a = portal.expected.articles.find((x) => x.url === url)
        const res = await getArticle(a ?? article(portal, ''))
        expect(res.status, url).toBe(200)
        expect(res.headers.get('content-type'), url).toMatch(/^text\/html/)
        expect(res.headers.get('etag'), url).toMatch(/^"[\w-]+"$/)
        expect(res.headers.get('last-modified'), url).toBeTruthy()
      }
    }
  })

  it('renders each seed page as its golden page with local URLs', async () => {
    for (const id of PORTAL_IDS) {
      const skin = SKINS[id]
      const seed = portal.expected.articles.find((a) => a.portal === id && a.seed)
      if (!seed) throw new Error(`no seed for ${id}`)
      const bytes = readFileSync(join(DEFAULT_FIXTURES_DIR, skin.slug, 'source.html'))
      const golden = skin.charset === 'gbk' ? new TextDecoder('gbk').decode(bytes) : bytes.toString('utf8')
      const host = portal.hosts.find((h) => h.id === id)?.url ?? ''
      const res = await getArticle(seed)
      const served = skin.charset === 'gbk' ? new TextDecoder('gbk').decode(res.bytes) : utf8(res)
      expect(served, id).toBe(localiseUrls(golden).split('\u0000BASE\u0000').join(host))
      expect(served, id).not.toMatch(/https?:\/\/(?!127\.0\.0\.1|www\.w3\.org)/)
    }
  })

  it('lets the extractor find each seed title on its demo page', async () => {
    for (const seed of portal.expected.articles.filter((a) => a.seed)) {
      const res = await getArticle(seed)
      const result = extract(res.bytes, { url: seed.url, contentType: res.headers.get('content-type') ?? undefined })
      expect(result.type, seed.id).toBe('article')
      if (result.type === 'article') expect(result.title, seed.id).toBe(seed.titles[0])
    }
  })

  it('extracts the written articles and tells the park stories from the off-topic ones', async () => {
    for (const a of portal.expected.articles.filter((x) => !x.seed && !x.jsRendered)) {
      const res = await getArticle(a)
      const result = extract(res.bytes, { url: a.url, contentType: res.headers.get('content-type') ?? undefined })
      expect(result.type, a.id).toBe('article')
      if (result.type !== 'article') continue
      expect(result.title, a.id).toBe(a.titles[0])
      expect(result.mentionsPark, a.id).toBe(a.topic !== 'off-topic')
    }
  })

  it('serves the GBK portal with the charset only in <meta>, decodable by decodeHtml', async () => {
    const seed = article(portal, 'xjnnet-seed')
    const res = await getArticle(seed)
    expect(res.headers.get('content-type')).toBe('text/html')
    const decoded = decodeHtml(res.bytes, { contentType: res.headers.get('content-type') ?? undefined })
    expect(decoded.charset).toMatch(/gbk|gb2312|gb18030/i)
    expect(decoded.text).toContain('江苏为培育新质生产力厚植创新沃土')
    expect(decoded.text).toContain('a0g新江南网| 江南第一生活服务网站</p>')
    // Not UTF-8: the same bytes read as UTF-8 do not contain the title.
    expect(new TextDecoder().decode(res.bytes)).not.toContain('江苏为培育新质生产力')

    const written = article(portal, 'xjnnet-semi')
    const page = decodeHtml((await getArticle(written)).bytes).text
    expect(page).toContain(`<h2>${written.titles[0]}</h2>`)
    expect(page.match(/a0g新江南网\| 江南第一生活服务网站<\/p>/g)?.length).toBeGreaterThanOrEqual(4)
  })

  it('serves the JavaScript-only page as a shell whose article is in inline JSON', async () => {
    const a = portal.expected.articles.find((x) => x.jsRendered)
    if (!a) throw new Error('no JavaScript page')
    const html = utf8(await get(a.url))
    expect(html).toContain('<div id="app"></div>')
    expect(html).toContain('<noscript>')
    const json = /<script type="application\/json" id="__INITIAL_STATE__">(.*?)<\/script>/s.exec(html)?.[1]
    expect(JSON.parse(json ?? '{}').title).toBe(a.titles[0])
    expect(html.replace(/<script[\s\S]*?<\/script>/g, '')).not.toContain(a.titles[0])
    expect(extract(html, { url: a.url }).type).toBe('not-article')
    expect(isJavaScriptShell(html)).toBe(true)
    const seed = article(portal, 'wechat-seed')
    expect(isJavaScriptShell(utf8(await get(seed.url)))).toBe(false)
  })

  it('annotates written pinyin-mirror pages with the same noise as the golden one', async () => {
    const a = portal.expected.articles.find((x) => x.portal === 'twmirror' && !x.seed && x.topic !== 'off-topic')
    const html = utf8(await get(a?.url ?? ''))
    expect(html).toMatch(/[\u4e00-\u9fff]\((?:[a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]+)\)/)
  })
})

describe('encodeGbk', () => {
  it('gives back the golden GBK page byte for byte', () => {
    const bytes = readFileSync(join(DEFAULT_FIXTURES_DIR, SKINS.xjnnet.slug, 'source.html'))
    expect(Buffer.from(encodeGbk(new TextDecoder('gbk').decode(bytes))).equals(bytes)).toBe(true)
  })

  it('writes characters GBK lacks as numeric references', () => {
    expect(new TextDecoder('gbk').decode(encodeGbk('园区😀'))).toBe('园区&#128512;')
  })
})
