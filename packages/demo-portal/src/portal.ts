/**
 * `startDemoPortal`: five hosts imitating the seed portals plus a control server, all on 127.0.0.1. The
 * revision counter lives here; pages are pre-rendered per revision at startup, and each article's
 * Last-Modified is stamped when a revision actually changes its bytes.
 */
import { fileURLToPath } from 'node:url'
import { type ArticleSpec, CATALOGUE } from './catalogue.js'
import {
  type Listing,
  paginate,
  renderAtom,
  renderListInner,
  renderNewsSitemap,
  renderRobots,
  renderRss,
  renderSitemapIndex,
} from './discovery.js'
import { encodePage, htmlContentType } from './gbk.js'
import { buildVersions, type RenderedPage, renderPage } from './pages.js'
import { type HostServer, type Resource, type Router, startHost, startRaw } from './server.js'
import { SKINS } from './skins.js'
import { renderSourcesYaml } from './sources.js'
import { BASE, carveTemplate, renderChrome, type Template } from './templates.js'
import {
  type DemoExpected,
  type DemoPortal,
  type DemoPortalOptions,
  type ExpectedArticle,
  type HostInfo,
  MAX_REVISION,
  PORTAL_IDS,
  type PortalId,
  type PortalRequest,
} from './types.js'

/** Delay of the slow host when `slowMs` is not given. */
export const DEFAULT_SLOW_MS = 800

/** The golden pages this package is built on (`packages/extractor/test/pages`, from `src/` or `dist/`). */
export const DEFAULT_FIXTURES_DIR: string = fileURLToPath(new URL('../../extractor/test/pages/', import.meta.url))

/**
 * Start the demo portal.
 *
 * @throws {TypeError} for bad options; {Error} when a golden page no longer matches its skin.
 * @example
 * ```ts
 * const portal = await startDemoPortal({ slowMs: 50 })
 * console.log(portal.hosts.map((h) => `${h.id} ${h.url}`))
 * portal.advance() // edits happen
 * await portal.close()
 * ```
 */
export async function startDemoPortal(options: DemoPortalOptions = {}): Promise<DemoPortal> {
  const portBase = checkInt('portBase', options.portBase ?? 0, 0, 65_530)
  const slowMs = checkInt('slowMs', options.slowMs ?? DEFAULT_SLOW_MS, 0, 60_000)
  let revision = checkInt('revision', options.revision ?? 0, 0, MAX_REVISION)
  const fixturesDir = options.fixturesDir ?? DEFAULT_FIXTURES_DIR

  const templates = Object.fromEntries(PORTAL_IDS.map((id) => [id, carveTemplate(SKINS[id], fixturesDir)])) as Record<
    PortalId,
    Template
  >
  const versions = new Map(CATALOGUE.map((spec) => [spec.id, buildVersions(spec, templates[spec.portal])]))

  // Routers read `state`, filled in once the ports (and so the absolute URLs) are known.
  let state: State | null = null
  const servers: HostServer[] = []
  const requests: PortalRequest[] = []
  try {
    for (const [i, id] of PORTAL_IDS.entries()) {
      const router: Router = (path) => (state ? route(state, id, path) : unavailable())
      const quirks = {
        delayMs: id === 'twmirror' ? slowMs : 0,
        rateLimitFirst: id === 'xjnnet',
        onRequest: (method: string, path: string, at: number) => requests.push({ portal: id, method, path, at }),
      }
      servers.push(await startHost(router, quirks, portBase === 0 ? 0 : portBase + i))
    }
  } catch (error) {
    await Promise.all(servers.map((s) => s.close()))
    throw error
  }
  const bases = Object.fromEntries(PORTAL_IDS.map((id, i) => [id, servers[i]?.url ?? ''])) as Record<PortalId, string>

  const pages = new Map<string, RenderedPage[]>()
  for (const spec of CATALOGUE) {
    const list = versions.get(spec.id) ?? []
    pages.set(
      spec.id,
      list.map((v) => renderPage(spec, v, templates[spec.portal], bases[spec.portal])),
    )
  }
  const clock = createClock()
  const lastModified = new Map<string, Date[]>()
  for (const spec of CATALOGUE) {
    const stamps = [new Date(spec.publishedAt)]
    for (let r = 1; r <= revision; r++) stamps.push(changed(pages, spec.id, r) ? clock() : (stamps[r - 1] as Date))
    lastModified.set(spec.id, stamps)
  }
  state = { revision, bases, pages, lastModified, templates }

  const expected = buildExpected(bases, pages, slowMs)
  const hosts: HostInfo[] = PORTAL_IDS.map((id, i) => ({
    id,
    name: SKINS[id].name,
    url: bases[id],
    port: servers[i]?.port ?? 0,
    role: ROLES[id],
    entries: ENTRIES[id].map((e) => ({ type: e.type, url: `${bases[id]}${e.path}` })),
  }))

  const advance = (): number => {
    if (!state || revision >= MAX_REVISION) return revision
    revision++
    for (const spec of CATALOGUE) {
      const stamps = state.lastModified.get(spec.id) ?? []
      stamps.push(changed(state.pages, spec.id, revision) ? clock() : (stamps[revision - 1] as Date))
    }
    state.revision = revision
    return revision
  }

  const control = await startRaw(
    (req, res) => {
      const path = (req.url ?? '/').split('?')[0]
      if (req.method === 'POST' && path === '/__demo/advance') {
        const before = revision
        const after = advance()
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ revision: after, changed: after !== before }))
      } else if (req.method === 'GET' && (path === '/__demo/state' || path === '/')) {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ revision, hosts, expected }, null, 2))
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('POST /__demo/advance or GET /__demo/state')
      }
    },
    portBase === 0 ? 0 : portBase + PORTAL_IDS.length,
  ).catch(async (error: unknown) => {
    await Promise.all(servers.map((s) => s.close()))
    throw error
  })

  return {
    hosts,
    controlUrl: control.url,
    get revision() {
      return revision
    },
    expected,
    requests,
    advance,
    sourcesYaml: () => renderSourcesYaml(bases),
    close: async () => {
      await Promise.all([...servers, control].map((s) => s.close()))
    },
  }
}

// --- Internal helpers ---

interface State {
  revision: number
  bases: Record<PortalId, string>
  pages: Map<string, RenderedPage[]>
  lastModified: Map<string, Date[]>
  templates: Record<PortalId, Template>
}

/** Discovery entry points per portal (paths), shared by `hosts` and the sources file. */
const ENTRIES: Record<PortalId, Array<{ type: 'feed' | 'sitemap' | 'list'; path: string }>> = {
  netease: [{ type: 'list', path: '/list_1.html' }],
  twmirror: [{ type: 'feed', path: '/rss.xml' }],
  blog: [
    { type: 'feed', path: '/feed/' },
    { type: 'sitemap', path: '/sitemap.xml' },
  ],
  xjnnet: [{ type: 'list', path: '/news/jiangsu/list_1.html' }],
  wechat: [{ type: 'feed', path: '/feed.atom' }],
}

const ROLES: Record<PortalId, string> = {
  netease:
    'large portal channel; paginated list pages; robots.txt disallows /admin/ and one article, Crawl-delay 1; a 301 and a 404 link',
  twmirror: 'Traditional-Chinese pinyin mirror; RSS 2.0; slow host (every response delayed)',
  blog: 'regional industry blog; RSS 2.0 and a sitemap index with a Google News sitemap',
  xjnnet:
    'aggregator in GBK (charset only in <meta>), watermark in every paragraph; paginated list pages; 429 then 200 for every URL',
  wechat: 'WeChat-account mirror; Atom feed; one article rendered only by JavaScript',
}

/** Feeds and sitemaps per portal, by path (each host's entry points point here). */
const DOCUMENTS: Record<PortalId, Record<string, 'rss' | 'atom' | 'sitemap-index' | 'news-sitemap'>> = {
  netease: {},
  twmirror: { '/rss.xml': 'rss' },
  blog: { '/feed/': 'rss', '/sitemap.xml': 'sitemap-index', '/sitemap-news.xml': 'news-sitemap' },
  xjnnet: {},
  wechat: { '/feed.atom': 'atom' },
}

/** A link on netease's list that leads nowhere. */
const DEAD_LINK = {
  path: '/dy/article/I9DLTD0X0514D3UH.html',
  title: '园区集成电路人才专场招聘会本周六举行',
  publishedAt: '2023-07-01T08:00:00+08:00',
}
const LIST_PAGE_SIZE: Partial<Record<PortalId, number>> = { netease: 4, xjnnet: 2 }
const LIST_DIR: Partial<Record<PortalId, string>> = { netease: '', xjnnet: '/news/jiangsu' }

function route(state: State, portal: PortalId, path: string): Resource | null {
  const base = state.bases[portal]
  if (path === '/robots.txt') return text(robotsFor(portal, base), 'text/plain; charset=utf-8')
  const article = CATALOGUE.find((a) => a.portal === portal && a.path === path)
  if (article) {
    const page = state.pages.get(article.id)?.[state.revision]
    if (!page) return null
    return {
      body: page.bytes,
      etag: page.etag,
      lastModified: state.lastModified.get(article.id)?.[state.revision],
      contentType: htmlContentType(SKINS[portal].charset),
    }
  }
  const moved = CATALOGUE.find((a) => a.portal === portal && a.movedFrom === path)
  if (moved) return { status: 301, body: '', contentType: 'text/html', headers: { location: `${base}${moved.path}` } }
  if (portal === 'netease' && path === '/admin/')
    return text('<h1>管理后台</h1><form><input name="u"></form>', 'text/html; charset=utf-8')
  const listDir = LIST_DIR[portal]
  const listMatch = listDir !== undefined ? new RegExp(`^${listDir}/list_(\\d+)\\.html$`).exec(path) : null
  if (listMatch) return listPage(state, portal, Number(listMatch[1]))
  const kind = DOCUMENTS[portal][path]
  if (!kind) return null
  const items = listings(state, portal)
  const updated = new Date(Math.max(...items.map((i) => i.updatedAt.getTime())))
  const info = {
    title: SKINS[portal].name,
    link: `${base}/`,
    self: `${base}${path}`,
    description: `${SKINS[portal].name} 最新文章`,
  }
  switch (kind) {
    case 'rss':
      return xml(renderRss(info, items), 'application/rss+xml', updated)
    case 'atom':
      return xml(renderAtom(info, items), 'application/atom+xml', updated)
    case 'sitemap-index':
      return xml(
        renderSitemapIndex([{ url: `${base}/sitemap-news.xml`, lastmod: updated }]),
        'application/xml',
        updated,
      )
    case 'news-sitemap':
      return xml(renderNewsSitemap(SKINS[portal].name, items), 'application/xml', updated)
  }
}

function listPage(state: State, portal: PortalId, page: number): Resource | null {
  const items = listings(state, portal)
  if (portal === 'netease') {
    const at = new Date(DEAD_LINK.publishedAt)
    items.push({
      url: `${state.bases.netease}${DEAD_LINK.path}`,
      title: DEAD_LINK.title,
      publishedAt: DEAD_LINK.publishedAt,
      updatedAt: at,
      summary: '',
    })
  }
  items.sort((a, b) => b.publishedAt.localeCompare(a.publishedAt))
  const pages = paginate(items, LIST_PAGE_SIZE[portal] ?? 4)
  const slice = pages[page - 1]
  if (!slice) return null
  const html = renderChrome(
    state.templates[portal],
    `${SKINS[portal].name} 新闻列表 第${page}页`,
    renderListInner(slice, page, pages.length),
  )
    .split(BASE)
    .join(state.bases[portal])
  const { charset } = SKINS[portal]
  return {
    body: encodePage(html, charset),
    contentType: htmlContentType(charset),
    lastModified: new Date(Math.max(...slice.map((i) => i.updatedAt.getTime()))),
  }
}

/** The portal's articles as discovery shows them now: current titles, moved ones under their old URL. */
function listings(state: State, portal: PortalId): Listing[] {
  return CATALOGUE.filter((a) => a.portal === portal).map((spec) => {
    const page = state.pages.get(spec.id)?.[state.revision]
    const version = (state.lastModified.get(spec.id) ?? [])[state.revision] ?? new Date(spec.publishedAt)
    return {
      url: `${state.bases[portal]}${spec.movedFrom ?? spec.path}`,
      title: page?.title ?? spec.title,
      publishedAt: spec.publishedAt,
      updatedAt: version,
      summary: page?.summary ?? '',
    }
  })
}

function robotsFor(portal: PortalId, base: string): string {
  if (portal === 'netease') {
    const disallowed = CATALOGUE.filter((a) => a.portal === portal && a.disallowed).map((a) => a.path)
    return renderRobots({ disallow: ['/admin/', ...disallowed], crawlDelay: 1 })
  }
  if (portal === 'blog') return renderRobots({ sitemaps: [`${base}/sitemap.xml`] })
  return renderRobots()
}

function buildExpected(
  bases: Record<PortalId, string>,
  pages: Map<string, RenderedPage[]>,
  slowMs: number,
): DemoExpected {
  const articles: ExpectedArticle[] = CATALOGUE.map((spec: ArticleSpec) => {
    const list = pages.get(spec.id) ?? []
    const changesAt = list.map((_, r) => r).filter((r) => r > 0 && changed(pages, spec.id, r))
    return {
      id: spec.id,
      portal: spec.portal,
      url: `${bases[spec.portal]}${spec.path}`,
      topic: spec.topic,
      seed: spec.seed ?? false,
      disallowed: spec.disallowed ?? false,
      jsRendered: spec.jsRendered ?? false,
      redirectedFrom: spec.movedFrom ? `${bases[spec.portal]}${spec.movedFrom}` : null,
      titles: list.map((p) => p.title),
      edited: changesAt.length > 0,
      changesAt,
      charset: SKINS[spec.portal].charset,
      publishedAt: spec.publishedAt,
    }
  })
  const urls = (keep: (a: ExpectedArticle) => boolean): string[] => articles.filter(keep).map((a) => a.url)
  return {
    maxRevision: MAX_REVISION,
    articles,
    byPortal: Object.fromEntries(PORTAL_IDS.map((id) => [id, urls((a) => a.portal === id)])) as Record<
      PortalId,
      string[]
    >,
    disallowed: [`${bases.netease}/admin/`, ...urls((a) => a.disallowed)],
    offTopic: urls((a) => a.topic === 'off-topic'),
    edited: urls((a) => a.edited),
    notFound: [`${bases.netease}${DEAD_LINK.path}`],
    redirects: articles.flatMap((a) => (a.redirectedFrom ? [{ from: a.redirectedFrom, to: a.url }] : [])),
    rateLimitedHost: bases.xjnnet,
    slowHost: { url: bases.twmirror, delayMs: slowMs },
    crawlDelayHost: bases.netease,
  }
}

function changed(pages: Map<string, RenderedPage[]>, id: string, r: number): boolean {
  const list = pages.get(id) ?? []
  return list[r]?.etag !== list[r - 1]?.etag
}

/** Strictly increasing whole-second stamps, so If-Modified-Since can tell two quick edits apart. */
function createClock(): () => Date {
  let last = 0
  return () => {
    last = Math.max(Math.floor(Date.now() / 1000) * 1000, last + 1000)
    return new Date(last)
  }
}

function text(body: string, contentType: string): Resource {
  return { body, contentType }
}

function xml(body: string, mediaType: string, lastModified: Date): Resource {
  return { body, contentType: `${mediaType}; charset=utf-8`, lastModified }
}

function unavailable(): Resource {
  return { status: 503, body: 'starting', contentType: 'text/plain', headers: { 'retry-after': '1' } }
}

function checkInt(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`Expected \`${name}\` to be an integer from ${min} to ${max}, got \`${value}\``)
  }
  return value
}
