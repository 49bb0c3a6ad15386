import { createHash } from 'node:crypto'
import { gunzipSync } from 'node:zlib'
import { type Capture, importWarc, type Page, type SearchHit, type Timeline, type Version } from '@parkwatch/archive'
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
    expect((await json<{ total: number }>('/api/pages?minVersions=3')).total).toBe(1)
    expect((await json<{ total: number; pages: Page[] }>('/api/pages?minVersions=4')).pages).toEqual([])
    expect((await json<{ total: number }>('/api/pages?minVersions=1')).total).toBe(3)
    const aiEdited = await json<{ total: number }>('/api/pages?minVersions=2&industry=ai')
    expect(aiEdited.total).toBe(0)
    const since = await json<{ pages: Page[] }>('/api/pages?changedSince=2026-01-03T00:00:00Z')
    expect(since.pages.map((p) => p.url).sort()).toEqual([URLS.edited, URLS.hostile].sort())
    const published = await json<{ pages: Page[] }>('/api/pages?from=2026-01-02&to=2026-01-03')
    expect(published.pages.map((p) => p.url)).toEqual([URLS.traditional])
    const paged = await json<{ total: number; pages: Page[] }>('/api/pages?limit=1&offset=1')
    expect(paged.total).toBe(3)
    expect(paged.pages.map((p) => p.url)).toEqual([URLS.edited])
  })

  it('says how much each page last changed (lastChange)', async () => {
    const { pages } = await json<{ pages: Page[] }>('/api/pages')
    const edited = pages.find((p) => p.url === URLS.edited)
    // v2 -> v3: two paragraphs swapped places and 。 became ！ (one character out, one in).
    expect(edited?.lastChange).toEqual({
      charsAdded: 1,
      charsRemoved: 1,
      paragraphsAdded: 0,
      paragraphsRemoved: 0,
      paragraphsChanged: 0,
      paragraphsMoved: 2,
      paragraphsUnchanged: 1,
      metadata: [],
    })
    // A page seen once: its whole body is new.
    const trad = pages.find((p) => p.url === URLS.traditional)
    expect(trad?.lastChange).toMatchObject({ charsAdded: 32, charsRemoved: 0, paragraphsAdded: 2 })
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
    // Each version says how much it changed against the one before (v2: a figure and the title, byline).
    expect(tl.versions.map((v) => [v.change.charsAdded, v.change.charsRemoved, v.change.metadata])).toEqual([
      [65, 0, []],
      [3, 2, ['title', 'byline']],
      [1, 1, []],
    ])
    expect(tl.versions[1]?.change.paragraphsChanged).toBe(1)
    expect(tl.page.lastChange).toEqual(tl.versions[2]?.change)
    const byId = await json<Timeline>(`/api/timeline?id=${tl.page.id}`)
    expect(byId.page.url).toBe(URLS.edited)
    await json(`/api/timeline?url=${enc('https://nowhere.example/x')}`, 404)
    await json('/api/timeline?id=x', 400)
  })

  it('returns a version by id', async () => {
    const v = await json<Version>(`/api/versions/${fx.editedVersionIds[1]}`)
    expect(v.number).toBe(2)
    expect(v.article.byline).toEqual(['张三', '李四'])
    expect(v.change).toMatchObject({ charsAdded: 3, charsRemoved: 2, paragraphsChanged: 1 })
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

  it('exports a capture as a WARC 1.1 file: warcinfo, response and the request it answers', async () => {
    const res = await get(`/api/captures/${fx.hostileCaptureId}/warc`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="capture-${fx.hostileCaptureId}.warc.gz"`)
    expect(res.headers.get('content-security-policy')).toMatch(/^sandbox;/)
    const file = Buffer.from(await res.arrayBuffer())
    const raw = Buffer.from(await (await get(`/api/captures/${fx.hostileCaptureId}/raw`)).arrayBuffer())
    const records = parseWarc(gunzipSync(file))
    expect(records.map((r) => r.headers.get('warc-type'))).toEqual(['warcinfo', 'response', 'request'])
    const [info, response, request] = records as [WarcRecord, WarcRecord, WarcRecord]
    expect(info.headers.get('warc-filename')).toBe(`capture-${fx.hostileCaptureId}.warc.gz`)
    expect(response.headers.get('warc-target-uri')).toBe(URLS.hostile)
    expect(response.headers.get('warc-date')).toBe('2026-01-03T03:00:00Z')
    expect(response.headers.get('content-type')).toBe('application/http;msgtype=response')
    // The response block is the HTTP head then the raw body, byte for byte, with both digests right.
    const split = response.block.indexOf('\r\n\r\n') + 4
    expect(response.block.subarray(0, split).toString('utf8')).toMatch(
      /^HTTP\/1\.1 200 OK\r\n[\s\S]*content-type: text\/html; charset=utf-8\r\n/i,
    )
    expect(response.block.subarray(split).equals(raw)).toBe(true)
    expect(response.headers.get('warc-payload-digest')).toBe(`sha256:${sha256(raw)}`)
    for (const r of records.slice(1)) expect(r.headers.get('warc-block-digest')).toBe(`sha256:${sha256(r.block)}`)
    expect(request.headers.get('warc-concurrent-to')).toBe(response.headers.get('warc-record-id'))
    expect(request.block.toString('utf8')).toBe('GET /semi/story.html HTTP/1.1\r\nhost: evil-portal.example\r\n\r\n')
    // The archive's own WARC reader (warcio underneath) reads it back to the same capture.
    const back = []
    for await (const c of importWarc(file)) back.push(c)
    expect(back).toHaveLength(1)
    expect(back[0]?.url).toBe(URLS.hostile)
    expect(back[0]?.status).toBe(200)
    expect(Buffer.from(back[0]?.body as Uint8Array).equals(raw)).toBe(true)
    await json('/api/captures/99999/warc', 404)
  })

  it('exports a 304 as a server-not-modified revisit, and links it from the capture page', async () => {
    const tl = await json<Timeline>(`/api/timeline?url=${enc(URLS.edited)}`)
    const notModified = tl.captures.find((c) => c.outcome === 'not-modified') as Capture
    const res = await get(`/api/captures/${notModified.id}/warc`)
    expect(res.status).toBe(200)
    const records = parseWarc(gunzipSync(Buffer.from(await res.arrayBuffer())))
    expect(records.map((r) => r.headers.get('warc-type'))).toEqual(['warcinfo', 'revisit', 'request'])
    const revisit = records[1] as WarcRecord
    expect(revisit.headers.get('warc-profile')).toBe('http://netpreserve.org/warc/1.1/revisit/server-not-modified')
    expect(revisit.block.toString('utf8')).toMatch(/^HTTP\/1\.1 304 Not Modified\r\n/)
    expect(revisit.headers.get('warc-block-digest')).toBe(`sha256:${sha256(revisit.block)}`)
    await json(`/api/captures/${notModified.id}/raw`, 404)
    const page = await (await get(`/capture?id=${notModified.id}&lang=en`)).text()
    expect(page).toContain(`href="/api/captures/${notModified.id}/warc"`)
    expect(page).not.toContain(`href="/api/captures/${notModified.id}/raw"`)
  })

  it('offers the raw body and the WARC of a version from its page', async () => {
    const page = await (await get(`/version?id=${fx.editedVersionIds[0]}&lang=en`)).text()
    const v = await json<Version>(`/api/versions/${fx.editedVersionIds[0]}`)
    expect(page).toContain(`class="download" href="/api/captures/${v.captureId}/raw"`)
    expect(page).toContain(`class="download-warc" href="/api/captures/${v.captureId}/warc"`)
  })

  it('404s the raw body and the WARC of a failed fetch', async () => {
    const tl = await json<Timeline>(`/api/timeline?url=${enc(URLS.edited)}`)
    const failed = tl.captures.find((c) => c.outcome === 'failed') as Capture
    await json(`/api/captures/${failed.id}/raw`, 404)
    await json(`/api/captures/${failed.id}/warc`, 404)
    expect(await (await get(`/capture?id=${failed.id}`)).text()).not.toContain('/warc"')
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
  it('returns totals and counts by host, source and industry', async () => {
    type Count = { pages: number; versions: number; captures: number }
    const s = await json<{
      stats: { pages: number; versions: number; captures: number; blobs: number }
      hosts: Array<{ host: string } & Count>
      sources: Array<{ source: string } & Count>
      industries: Array<{ industry: string } & Count>
    }>('/api/stats')
    expect(s.stats).toMatchObject({ pages: 3, versions: 5, captures: 7, blobs: 5 })
    expect(s.hosts).toHaveLength(3)
    expect(s.hosts.find((h) => h.host === 'news.sipac.example')).toEqual({
      host: 'news.sipac.example',
      pages: 1,
      versions: 3,
      captures: 5,
    })
    expect(s.sources.map((x) => x.source).sort()).toEqual(['evil', 'hk', 'sipac'])
    expect(s.industries.find((i) => i.industry === 'ai')).toEqual({
      industry: 'ai',
      pages: 1,
      versions: 1,
      captures: 1,
    })
    expect(await (await get('/?lang=en')).text()).toContain('3 pages · 5 Versions · 7 Captures')
  })

  it('counts what the archive holds now: no cached counts', async () => {
    const own = await createFixture()
    try {
      const viewer = createViewer({ archive: own.archive })
      const hosts = async () =>
        ((await (await viewer.request('/api/stats')).json()) as { hosts: Array<{ host: string; captures: number }> })
          .hosts
      expect((await hosts()).find((h) => h.host === 'hk.example')?.captures).toBe(1)
      await own.archive.ingest({ url: URLS.traditional, status: 304, fetchedAt: '2026-01-06T00:00:00Z' }, null)
      await own.archive.ingest(
        { url: 'https://new.example/a.html', status: 404, fetchedAt: '2026-01-06T00:00:00Z' },
        null,
      )
      expect((await hosts()).find((h) => h.host === 'hk.example')?.captures).toBe(2)
      const home = await (await viewer.request('/?lang=en')).text()
      expect(home).toContain('4 pages · 5 Versions · 9 Captures')
      expect(home).toContain('>new.example</a>')
    } finally {
      await own.close()
    }
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

// --- Internal helpers ---

interface WarcRecord {
  /** Header names lower-cased. */
  headers: Map<string, string>
  block: Buffer
}

/** Split an uncompressed WARC file into records, checking the framing (version line, lengths, CRLFs). */
function parseWarc(file: Buffer): WarcRecord[] {
  const out: WarcRecord[] = []
  for (let pos = 0; pos < file.length; ) {
    const end = file.indexOf('\r\n\r\n', pos)
    expect(end).toBeGreaterThan(pos)
    const [version, ...lines] = file.subarray(pos, end).toString('utf8').split('\r\n')
    expect(version).toBe('WARC/1.1')
    const headers = new Map(
      lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as const),
    )
    expect(headers.get('warc-record-id')).toMatch(/^<urn:uuid:[0-9a-f-]{36}>$/)
    const length = Number(headers.get('content-length'))
    const block = file.subarray(end + 4, end + 4 + length)
    expect(block.length).toBe(length)
    expect(file.subarray(end + 4 + length, end + 8 + length).toString('latin1')).toBe('\r\n\r\n')
    out.push({ headers, block })
    pos = end + 8 + length
  }
  return out
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}
