import { gunzipSync } from 'node:zlib'
import type { Capture, Page, SearchHit, Timeline, Version } from '@parkwatch/archive'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createViewer, InsecureBindError, startViewer, VIEWER_CSP } from '../src/index.js'
import { createFixture, type Fixture, URLS } from './fixture.js'

let fx: Fixture
let app: ReturnType<typeof createViewer>

beforeAll(async () => {
  fx = await createFixture()
  app = createViewer({ archive: fx.archive })
})
afterAll(() => fx.close())

const get = (path: string, init?: RequestInit) => app.request(path, init)
const json = async <T>(path: string, status = 200): Promise<T> => {
  const res = await get(path)
  expect(res.status, path).toBe(status)
  expect(res.headers.get('content-type')).toMatch(/application\/json/)
  return (await res.json()) as T
}
const enc = encodeURIComponent

describe('GET /api/pages', () => {
  it('lists pages newest change first with the total', async () => {
    const body = await json<{ total: number; pages: Page[]; limit: number; offset: number }>('/api/pages')
    expect(body.total).toBe(3)
    expect(body.pages.map((p) => p.url)).toEqual([URLS.hostile, URLS.edited, URLS.traditional])
    expect(body.limit).toBe(50)
  })

  it('filters by host, industry, minVersions, dates and paginates', async () => {
    const byHost = await json<{ pages: Page[] }>('/api/pages?host=hk.example')
    expect(byHost.pages.map((p) => p.url)).toEqual([URLS.traditional])
    const byIndustry = await json<{ pages: Page[] }>('/api/pages?industry=biomedicine')
    expect(byIndustry.pages.map((p) => p.url)).toEqual([URLS.edited])
    const edited = await json<{ total: number; pages: Page[] }>('/api/pages?minVersions=2')
    expect(edited.total).toBe(1)
    expect(edited.pages[0]?.versionCount).toBe(3)
    const since = await json<{ pages: Page[] }>('/api/pages?changedSince=2026-01-03T00:00:00Z')
    expect(since.pages.map((p) => p.url).sort()).toEqual([URLS.edited, URLS.hostile].sort())
    const published = await json<{ pages: Page[] }>('/api/pages?from=2026-01-02&to=2026-01-03')
    expect(published.pages.map((p) => p.url)).toEqual([URLS.traditional])
    const paged = await json<{ total: number; pages: Page[] }>('/api/pages?limit=1&offset=1')
    expect(paged.total).toBe(3)
    expect(paged.pages.map((p) => p.url)).toEqual([URLS.edited])
  })

  it.each([
    'limit=0',
    'limit=abc',
    'limit=9999',
    'offset=-1',
    'industry=banking',
    'from=yesterday',
    'minVersions=1.5',
    'host=a%20b',
  ])('rejects %s with a JSON 400', async (qs) => {
    const body = await json<{ error: { code: string; message: string } }>(`/api/pages?${qs}`, 400)
    expect(body.error.code).toBe('VIEWER_BAD_PARAM')
  })
})

describe('pages, timelines, versions', () => {
  it('finds a page by id and by url; 404 and 400 otherwise', async () => {
    const byUrl = await json<Page>(`/api/page?url=${enc(URLS.edited)}`)
    const byId = await json<Page>(`/api/pages/${byUrl.id}`)
    expect(byId).toEqual(byUrl)
    expect((await json<{ error: { code: string } }>('/api/pages/9999', 404)).error.code).toBe('VIEWER_NOT_FOUND')
    for (const bad of ['0', '-1', '1e3', '01', '..%2F..%2Fetc', 'abc']) await json(`/api/pages/${bad}`, 400)
    await json(`/api/page?url=${enc('https://nowhere.example/x')}`, 404)
    await json(`/api/page?url=${enc('javascript:alert(1)')}`, 400)
    await json('/api/page', 400)
  })

  it('returns a timeline with captures and versions in order', async () => {
    const tl = await json<Timeline>(`/api/timeline?url=${enc(URLS.edited)}`)
    expect(tl.versions.map((v) => v.number)).toEqual([1, 2, 3])
    expect(tl.captures.map((c) => c.outcome)).toEqual(['ok', 'ok', 'ok', 'not-modified', 'failed'])
    const byId = await json<Timeline>(`/api/timeline?id=${tl.page.id}`)
    expect(byId.page.url).toBe(URLS.edited)
    await json(`/api/timeline?url=${enc('https://nowhere.example/x')}`, 404)
    await json('/api/timeline?id=x', 400)
  })

  it('returns a version by id', async () => {
    const v = await json<Version>(`/api/versions/${fx.editedVersionIds[1]}`)
    expect(v.number).toBe(2)
    expect(v.article.byline).toEqual(['张三', '李四'])
    await json('/api/versions/123456', 404)
    await json('/api/versions/abc', 400)
  })
})

describe('GET /api/diff', () => {
  it('diffs two versions word by word with metadata changes', async () => {
    const body = await json<{
      from: { number: number }
      to: { number: number }
      diff: {
        identical: boolean
        metadata: Array<{ field: string }>
        paragraphs: Array<{ op: string; words: Array<{ op: string; text: string }> | null }>
      }
    }>(`/api/diff?url=${enc(URLS.edited)}&from=1&to=2`)
    expect(body.from.number).toBe(1)
    expect(body.to.number).toBe(2)
    expect(body.diff.metadata.map((m) => m.field).sort()).toEqual(['byline', 'title'])
    const changed = body.diff.paragraphs.find((p) => p.op === 'changed')
    expect(
      changed?.words
        ?.filter((w) => w.op === 'added')
        .map((w) => w.text)
        .join(''),
    ).toContain('二十')
  })

  it('marks moved paragraphs and honours ignorePunct', async () => {
    type Para = { op: string; words: Array<{ op: string; text: string }> | null }
    const edits = (ps: Para[]) => ps.flatMap((p) => p.words ?? []).filter((w) => w.op !== 'equal')
    const strict = await json<{ diff: { paragraphs: Para[] } }>(`/api/diff?url=${enc(URLS.edited)}&from=2&to=3`)
    expect(strict.diff.paragraphs.map((p) => p.op)).toContain('moved')
    expect(
      edits(strict.diff.paragraphs)
        .map((w) => w.text)
        .join(''),
    ).toContain('！')
    const loose = await json<{ ignorePunct: boolean; diff: { paragraphs: Para[] } }>(
      `/api/diff?url=${enc(URLS.edited)}&from=2&to=3&ignorePunct=1`,
    )
    expect(loose.ignorePunct).toBe(true)
    expect(edits(loose.diff.paragraphs)).toEqual([])
  })

  it('validates its parameters', async () => {
    await json(`/api/diff?url=${enc(URLS.edited)}&from=1&to=9`, 404)
    await json(`/api/diff?url=${enc(URLS.edited)}&from=a&to=2`, 400)
    await json(`/api/diff?url=${enc(URLS.edited)}&from=1`, 400)
    await json(`/api/diff?url=${enc(URLS.edited)}&from=1&to=2&ignorePunct=maybe`, 400)
  })
})

describe('GET /api/search', () => {
  it('finds traditional-script text with a simplified query and marks snippets', async () => {
    const body = await json<{ hits: SearchHit[] }>(`/api/search?q=${enc('苏州工业园区人工智能')}`)
    expect(body.hits.map((h) => h.url)).toContain(URLS.traditional)
    expect(body.hits[0]?.snippet).toMatch(/\[/)
  })

  it('requires a query and validates limit', async () => {
    await json('/api/search', 400)
    await json(`/api/search?q=${'x'.repeat(201)}`, 400)
    await json('/api/search?q=abc&limit=0', 400)
  })
})

describe('captures', () => {
  it('returns a capture and its raw body as a sandboxed download', async () => {
    const c = await json<Capture>(`/api/captures/${fx.hostileCaptureId}`)
    expect(c.url).toBe(URLS.hostile)
    const res = await get(`/api/captures/${fx.hostileCaptureId}/raw`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="capture-${fx.hostileCaptureId}.html"`)
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('content-type')).toBe('application/octet-stream')
    expect(res.headers.get('content-security-policy')).toMatch(/^sandbox;/)
    expect(await res.text()).toContain('window.top.document.title')
    await json('/api/captures/99999', 404)
    await json('/api/captures/99999/raw', 404)
    await json('/api/captures/x/raw', 400)
  })

  it('exports a capture as a gzipped WARC record', async () => {
    const res = await get(`/api/captures/${fx.hostileCaptureId}/warc`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="capture-${fx.hostileCaptureId}.warc.gz"`)
    const text = gunzipSync(Buffer.from(await res.arrayBuffer())).toString('utf8')
    expect(text).toMatch(/^WARC\/1\.1\r\n/)
    expect(text).toContain(`WARC-Target-URI: ${URLS.hostile}`)
    expect(text).toContain('window.top.document.title')
    await json('/api/captures/99999/warc', 404)
  })

  it('404s the raw body of a capture without one', async () => {
    const tl = await json<Timeline>(`/api/timeline?url=${enc(URLS.edited)}`)
    const failed = tl.captures.find((c) => c.outcome === 'failed') as Capture
    await json(`/api/captures/${failed.id}/raw`, 404)
    await json(`/api/captures/${failed.id}/warc`, 404)
  })

  it('serves the frame document with the sandbox CSP', async () => {
    const res = await get(`/capture/${fx.hostileCaptureId}/frame`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-security-policy')).toBe(
      "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'",
    )
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
  })
})

describe('stats, headers, errors, auth', () => {
  it('returns totals and facets', async () => {
    const s = await json<{
      stats: { pages: number; versions: number }
      hosts: unknown[]
      industries: Array<{ industry: string; pages: number }>
    }>('/api/stats')
    expect(s.stats.pages).toBe(3)
    expect(s.stats.versions).toBe(5)
    expect(s.hosts).toHaveLength(3)
    expect(s.industries.find((i) => i.industry === 'ai')?.pages).toBe(1)
  })

  it('sets security headers on pages and 404s unknown routes', async () => {
    const res = await get('/')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-security-policy')).toBe(VIEWER_CSP)
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    expect(res.headers.get('referrer-policy')).toBe('no-referrer')
    expect((await get('/nope')).status).toBe(404)
    expect((await get('/static/../package.json')).status).toBe(404)
    expect((await json<{ error: { code: string } }>('/api/nope', 404)).error.code).toBe('VIEWER_NOT_FOUND')
  })

  it('escapes archived text in HTML', async () => {
    const v = await json<Version>(`/api/timeline?url=${enc(URLS.hostile)}`).then(
      (tl) => (tl as unknown as Timeline).versions[0] as Version,
    )
    const body = await (await get(`/version?id=${v.id}`)).text()
    expect(body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(body).not.toContain('<script>alert(1)')
  })

  it('requires the token when one is set', async () => {
    const secured = createViewer({ archive: fx.archive, token: 'sekrit-token' })
    expect((await secured.request('/api/stats')).status).toBe(401)
    expect((await secured.request('/api/stats', { headers: { Authorization: 'Bearer wrong-token' } })).status).toBe(401)
    expect((await secured.request('/api/stats', { headers: { Authorization: 'Bearer sekrit-token' } })).status).toBe(
      200,
    )
    const viaQuery = await secured.request('/?token=sekrit-token')
    expect(viaQuery.status).toBe(200)
    expect(viaQuery.headers.get('set-cookie')).toMatch(/pw_token=sekrit-token; .*HttpOnly/)
  })

  it('refuses a non-loopback bind without a token', async () => {
    await expect(startViewer({ archive: fx.archive, host: '0.0.0.0', port: 0 })).rejects.toBeInstanceOf(
      InsecureBindError,
    )
    const v = await startViewer({ archive: fx.archive, port: 0 })
    try {
      expect(v.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect((await fetch(`${v.url}/api/stats`)).status).toBe(200)
    } finally {
      await v.close()
    }
  })

  it('mounts under a base path', async () => {
    const mounted = createViewer({ archive: fx.archive, basePath: '/viewer/' })
    expect((await mounted.request('/viewer/api/stats')).status).toBe(200)
    const home = await mounted.request('/viewer')
    expect(home.status).toBe(200)
    const body = await home.text()
    expect(body).toContain('href="/viewer/static/viewer.css"')
    expect(body).toContain(`href="/viewer/page?url=${encodeURIComponent(URLS.edited)}"`)
    expect((await mounted.request('/viewer/static/viewer.js')).headers.get('content-type')).toMatch(/javascript/)
    expect((await mounted.request('/api/stats')).status).toBe(404)
    expect(() => createViewer({ archive: fx.archive, basePath: 'viewer"><script>' })).toThrow(TypeError)
  })

  it('serves the UI in English or Chinese', async () => {
    const en = await (await get('/', { headers: { 'Accept-Language': 'en-US,en;q=0.9' } })).text()
    expect(en).toContain('Recent changes')
    const zh = await (await get('/?lang=zh', { headers: { 'Accept-Language': 'en' } })).text()
    expect(zh).toContain('最近变更')
  })
})
