import { parseFeed, parseSitemap } from '@parkwatch/scraper'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DemoPortal, type ExpectedArticle, MAX_REVISION, startDemoPortal } from '../src/index.js'
import { article, type Fetched, get, getArticle, utf8 } from './helpers.js'

let portal: DemoPortal

beforeAll(async () => {
  portal = await startDemoPortal({ slowMs: 0 })
})
afterAll(() => portal.close())

/** Every article's response at the current revision. */
async function snapshot(): Promise<Map<string, Fetched>> {
  const out = new Map<string, Fetched>()
  for (const a of portal.expected.articles) out.set(a.id, await getArticle(a))
  return out
}

const text = (a: ExpectedArticle, res: Fetched | undefined): string =>
  new TextDecoder(a.charset === 'gbk' ? 'gbk' : 'utf-8').decode(res?.bytes)

describe('edits over revisions', () => {
  it('edits at least 4 articles across 3 portals over 3 revisions', () => {
    const edited = portal.expected.articles.filter((a) => a.edited)
    expect(edited.length).toBeGreaterThanOrEqual(4)
    expect(new Set(edited.map((a) => a.portal)).size).toBeGreaterThanOrEqual(3)
    expect(new Set(edited.flatMap((a) => a.changesAt))).toEqual(new Set([1, 2, 3]))
    expect(portal.expected.edited.sort()).toEqual(edited.map((a) => a.url).sort())
    for (const a of portal.expected.articles) expect(a.titles).toHaveLength(MAX_REVISION + 1)
  })

  it('changes exactly the edited pages at each advance, validators included', async () => {
    let before = await snapshot()
    for (let r = 1; r <= MAX_REVISION; r++) {
      expect(portal.advance()).toBe(r)
      const after = await snapshot()
      for (const a of portal.expected.articles) {
        const old = before.get(a.id)
        const now = after.get(a.id)
        expect(now?.status, a.id).toBe(200)
        if (a.changesAt.includes(r)) {
          expect(Buffer.from(now?.bytes ?? []).equals(Buffer.from(old?.bytes ?? [])), `${a.id}@${r}`).toBe(false)
          expect(now?.headers.get('etag'), `${a.id}@${r}`).not.toBe(old?.headers.get('etag'))
          const lm = Date.parse(now?.headers.get('last-modified') ?? '')
          expect(lm, `${a.id}@${r}`).toBeGreaterThan(Date.parse(old?.headers.get('last-modified') ?? ''))
        } else {
          expect(Buffer.from(now?.bytes ?? []).equals(Buffer.from(old?.bytes ?? [])), `${a.id}@${r}`).toBe(true)
          expect(now?.headers.get('etag'), `${a.id}@${r}`).toBe(old?.headers.get('etag'))
          expect(now?.headers.get('last-modified'), `${a.id}@${r}`).toBe(old?.headers.get('last-modified'))
        }
        // The pinyin mirror writes titles annotated and the JavaScript page only in JSON.
        if (!a.jsRendered && a.portal !== 'twmirror') expect(text(a, now), `${a.id}@${r}`).toContain(a.titles[r])
      }
      before = after
    }
    expect(portal.advance()).toBe(MAX_REVISION)
  })

  it('made the kinds of edits news sites make', async () => {
    const netease = article(portal, 'netease-seed')
    const page = text(netease, await getArticle(netease))
    expect(page).toContain('已完成38个项目签约')
    expect(page).not.toContain('已完成36个项目签约')
    expect(page).toMatch(/<p id="\w+MM">更新:/)
    expect(netease.titles[3]).not.toBe(netease.titles[0])

    const xjnnet = article(portal, 'xjnnet-seed')
    const gbk = text(xjnnet, await getArticle(xjnnet))
    // The moved paragraph now follows the one it was placed after.
    expect(gbk.indexOf('立足高新区主阵地')).toBeGreaterThan(gbk.indexOf('如何将一个产业'))
    expect(gbk.indexOf('立足高新区主阵地')).toBeLessThan(gbk.indexOf('龙头拉动'))
    expect(gbk).toContain('更新:文中产业集群数据')

    const blog = article(portal, 'blog-seed')
    expect(text(blog, await getArticle(blog))).toContain('第三代半导体产业创新集群同样交出了亮眼答卷。')
  })

  it('shows the current titles and updated dates in feeds and sitemaps', async () => {
    const blog = portal.hosts.find((h) => h.id === 'blog')?.url ?? ''
    const edited = article(portal, 'blog-seed')
    const rss = utf8(await get(`${blog}/feed/`))
    expect(parseFeed(rss, { url: `${blog}/feed/` }).items.find((i) => i.url === edited.url)?.title).toBe(
      edited.titles[MAX_REVISION],
    )
    expect(rss).toMatch(/<atom:updated>20\d\d-/)
    const news = parseSitemap((await get(`${blog}/sitemap-news.xml`)).bytes, { url: `${blog}/sitemap-news.xml` })
    const entry = news.entries.find((e) => e.url === edited.url)
    expect(Date.parse(entry?.lastmod ?? '')).toBeGreaterThan(Date.parse(edited.publishedAt))
    const untouched = news.entries.find((e) => e.url === article(portal, 'blog-ai').url)
    expect(untouched?.lastmod).toBe(untouched?.publishedAt)

    const wechat = portal.hosts.find((h) => h.id === 'wechat')?.url ?? ''
    const atom = parseFeed((await get(`${wechat}/feed.atom`)).bytes, { url: `${wechat}/feed.atom` })
    const wx = article(portal, 'wechat-ai')
    expect(atom.items.find((i) => i.url === wx.url)?.title).toBe(wx.titles[MAX_REVISION])
  })

  it('advances through the control server and can start at a later revision', async () => {
    const other = await startDemoPortal({ slowMs: 0, revision: 2 })
    try {
      expect(other.revision).toBe(2)
      const res = await fetch(`${other.controlUrl}/__demo/advance`, { method: 'POST' })
      expect(await res.json()).toEqual({ revision: 3, changed: true })
      const again = await fetch(`${other.controlUrl}/__demo/advance`, { method: 'POST' })
      expect(await again.json()).toEqual({ revision: 3, changed: false })
      const state = (await (await fetch(`${other.controlUrl}/__demo/state`)).json()) as { revision: number }
      expect(state.revision).toBe(3)
      const seed = other.expected.articles.find((a) => a.id === 'netease-seed')
      expect(utf8(await get(seed?.url ?? ''))).toContain(seed?.titles[3])
    } finally {
      await other.close()
    }
  })
})
