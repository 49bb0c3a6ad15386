/**
 * @file The contract every `ArchiveBackend` passes (the shape of unstorage's `testDriver` and undici's
 * `cacheStoreTests`). It drives the backend through `createArchive`, so what it checks is what callers see.
 *
 * @example
 * describeBackend('sqlite', { create: () => sqliteBackend({ dir: tmp() }) })
 */
import { gzipSync } from 'node:zlib'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type Archive, createArchive } from '../../src/archive.js'
import { versionChange } from '../../src/change.js'
import { diffVersions } from '../../src/diff.js'
import { BodyTooLargeError, InvalidHeaderError, InvalidUrlError, NotFoundError } from '../../src/errors.js'
import type { ArchiveBackend } from '../../src/types.js'
import { makeArticle, makeCapture } from '../fixtures.js'

/** What a test added through `extra` gets. */
export interface ContractContext {
  backend: ArchiveBackend
  archive: Archive
}

/** Options of `describeBackend`. */
export interface DescribeBackendOptions {
  /** Make a fresh, empty backend (called once per suite). */
  create: () => ArchiveBackend | Promise<ArchiveBackend>
  /** Skip the whole suite (e.g. no database URL). @default false */
  skip?: boolean
  /** Capabilities to test; set `fullText: false` to skip the search tests. @default { fullText: true } */
  flags?: { fullText?: boolean }
  /** More tests for this backend, run inside the same `describe` with the same context. */
  extra?: (ctx: ContractContext) => void
}

const MAX_BODY = 64 * 1024

/** Register the shared contract suite for one backend. */
export function describeBackend(name: string, opts: DescribeBackendOptions): void {
  describe.skipIf(opts.skip ?? false)(`backend: ${name}`, () => {
    const ctx = {} as ContractContext
    beforeAll(async () => {
      ctx.backend = await opts.create()
      ctx.archive = createArchive({ backend: ctx.backend, maxBodyBytes: MAX_BODY })
    })
    afterEach(() => ctx.backend.clear())
    afterAll(() => ctx.backend?.close())

    const A = 'https://news.example.com/sip/2026/a.html'
    const B = 'https://news.example.com/sip/2026/b.html'

    it('returns null for an unknown url', async () => {
      expect(await ctx.archive.getPage(A)).toBeNull()
      expect(await ctx.archive.timeline(A)).toBeNull()
      expect(await ctx.archive.getVersion(A, 1)).toBeNull()
      expect(await ctx.archive.conditionalHeaders(A)).toBeNull()
      expect(await ctx.archive.getCapture(123456)).toBeNull()
      await expect(ctx.archive.getBody(123456)).rejects.toBeInstanceOf(NotFoundError)
    })

    it('stores the first capture as page, capture and version 1', async () => {
      const article = makeArticle()
      const r = await ctx.archive.ingest(makeCapture(`${A}?utm_source=x#top`, 'v1', { source: 'sipac' }), article)
      expect(r.isNewVersion).toBe(true)
      expect(r.page).toMatchObject({ url: A, host: 'news.example.com', source: 'sipac', captureCount: 1 })
      expect(r.page.versionCount).toBe(1)
      expect(r.version).toMatchObject({ number: 1, title: article.title, captureId: r.capture.id })
      expect(r.version?.article).toEqual(article)
      expect(r.capture).toMatchObject({ url: A, outcome: 'ok', status: 200, versionId: r.version?.id })
      expect(r.capture.requestedUrl).toBe(`${A}?utm_source=x#top`)
      expect(await ctx.archive.getPage(`${A}?utm_medium=y`)).toEqual(r.page)
    })

    it('numbers versions 1, 2, 3 per url', async () => {
      const numbers: number[] = []
      for (const [url, title] of [
        [A, 'one'],
        [B, 'one'],
        [A, 'two'],
        [A, 'three'],
        [B, 'two'],
      ] as const) {
        const r = await ctx.archive.ingest(makeCapture(url, title), makeArticle({ title }))
        numbers.push(r.version?.number ?? 0)
      }
      expect(numbers).toEqual([1, 1, 2, 3, 2])
      expect((await ctx.archive.getVersion(A, 2))?.title).toBe('two')
      expect((await ctx.archive.getPage(B))?.versionCount).toBe(2)
    })

    it('skips a version when the content hash is unchanged', async () => {
      const first = await ctx.archive.ingest(makeCapture(A, 'x'), makeArticle())
      // Reflowed whitespace and full-width punctuation are not a change.
      const reflowed = makeArticle({
        paragraphs: ['苏州工业园区今天发布了生物医药产业的新政策.', '  园区将加大对创新企业的支持。 '],
      })
      const second = await ctx.archive.ingest(makeCapture(A, 'x, re-rendered'), reflowed)
      expect(second.isNewVersion).toBe(false)
      expect(second.version?.id).toBe(first.version?.id)
      expect(second.capture.versionId).toBe(first.version?.id)
      expect(second.page).toMatchObject({ captureCount: 2, versionCount: 1 })
    })

    it('creates a new version when content returns to an older state', async () => {
      await ctx.archive.ingest(makeCapture(A, '1'), makeArticle({ title: 'x' }))
      await ctx.archive.ingest(makeCapture(A, '2'), makeArticle({ title: 'y' }))
      const back = await ctx.archive.ingest(makeCapture(A, '3'), makeArticle({ title: 'x' }))
      expect(back).toMatchObject({ isNewVersion: true, version: { number: 3 } })
    })

    it('records 304, failed fetches and non-articles as captures of the newest version', async () => {
      const none = await ctx.archive.ingest(makeCapture(A, '', { status: null, body: null, error: 'ETIMEDOUT' }), null)
      expect(none).toMatchObject({
        version: null,
        isNewVersion: false,
        capture: { outcome: 'failed', versionId: null },
      })
      const v1 = await ctx.archive.ingest(makeCapture(A, 'v1'), makeArticle())
      const n304 = await ctx.archive.ingest(makeCapture(A, '', { status: 304, body: null }), null)
      expect(n304.capture).toMatchObject({ outcome: 'not-modified', status: 304, versionId: v1.version?.id })
      expect(n304.capture.bodyHash).toBeNull()
      const failed = await ctx.archive.ingest(
        makeCapture(A, '', { status: 503, body: 'busy', error: { code: 'HTTP_503', message: 'unavailable' } }),
        null,
      )
      expect(failed.capture).toMatchObject({ outcome: 'failed', error: 'HTTP_503: unavailable', versionNumber: 1 })
      const listing = await ctx.archive.ingest(makeCapture(A, 'listing'), null)
      expect(listing).toMatchObject({ isNewVersion: false, capture: { outcome: 'ok', versionNumber: 1 } })
      expect(listing.page).toMatchObject({ captureCount: 5, versionCount: 1 })
    })

    it('keeps capture fields as given', async () => {
      const r = await ctx.archive.ingest(
        makeCapture('HTTP://News.Example.com:80/sip/2026/a.html', 'x', {
          finalUrl: `${A}?from=redirect`,
          redirects: ['https://news.example.com/r1', `${A}?from=redirect`],
          method: 'browser',
          headers: [
            ['Content-Type', 'text/html'],
            ['Set-Cookie', 'a=1'],
            ['Set-Cookie', 'b=2'],
            ['ETag', '"abc"'],
          ],
          timing: { totalMs: 120, ttfbMs: 40 },
        }),
        makeArticle(),
      )
      const stored = await ctx.archive.getCapture(r.capture.id)
      expect(stored).toEqual(r.capture)
      expect(stored).toMatchObject({
        url: 'http://news.example.com/sip/2026/a.html',
        requestedUrl: 'HTTP://News.Example.com:80/sip/2026/a.html',
        finalUrl: `${A}?from=redirect`,
        redirects: ['https://news.example.com/r1', `${A}?from=redirect`],
        method: 'browser',
        etag: '"abc"',
        timing: { totalMs: 120, ttfbMs: 40 },
      })
      expect(stored?.headers).toEqual([
        ['content-type', 'text/html'],
        ['set-cookie', 'a=1'],
        ['set-cookie', 'b=2'],
        ['etag', '"abc"'],
      ])
      expect(new Date(stored?.fetchedAt ?? '').toISOString()).toBe(stored?.fetchedAt)
    })

    it('stores a body once and gives it back byte for byte', async () => {
      const body = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('<p>园区</p>'), 0x00, 0xff])
      const one = await ctx.archive.ingest(makeCapture(A, '', { body }), makeArticle())
      const before = await ctx.archive.stats()
      const two = await ctx.archive.ingest(makeCapture(B, '', { body }), makeArticle())
      const after = await ctx.archive.stats()
      expect(one.capture.bodyHash).toBe(two.capture.bodyHash)
      expect(one.capture.bodySize).toBe(body.byteLength)
      expect(after).toMatchObject({ blobs: 1, captures: 2, rawBytes: 2 * body.byteLength })
      expect(after.storedBlobBytes).toBe(before.storedBlobBytes)
      expect(await ctx.archive.getBody(two.capture.id)).toEqual(body)
      const n304 = await ctx.archive.ingest(makeCapture(A, '', { status: 304, body: null }), null)
      expect(await ctx.archive.getBody(n304.capture.id)).toBeNull()
    })

    it("gives back the body of a capture that came with its response's gzip bytes, one or in a batch", async () => {
      const body = new TextEncoder().encode(`<html><body>${'苏州工业园区人工智能产业园。'.repeat(30)}</body></html>`)
      const other = new TextEncoder().encode(`<html><body>${'园区纳米城。'.repeat(30)}</body></html>`)
      const one = await ctx.archive.ingest(makeCapture(A, '', { body, bodyGzip: gzipSync(body) }), makeArticle())
      const [two] = await ctx.archive.ingestMany([
        { capture: makeCapture(B, '', { body: other, bodyGzip: gzipSync(other) }), article: makeArticle() },
      ])
      expect(one.capture).toMatchObject({ bodySize: body.byteLength })
      expect(await ctx.archive.getBody(one.capture.id)).toEqual(body)
      expect(await ctx.archive.getBody(two?.capture.id as number)).toEqual(other)
      expect((await ctx.archive.verify()).issues.filter((i) => i.severity === 'error')).toEqual([])
    })

    it('answers conditional-GET validators from the newest capture that had them', async () => {
      await ctx.archive.ingest(makeCapture(A, '1', { headers: { etag: '"v1"' } }), makeArticle())
      await ctx.archive.ingest(
        makeCapture(A, '2', { headers: { ETag: '"v2"', 'Last-Modified': 'Sun, 01 Mar 2026 08:00:00 GMT' } }),
        makeArticle(),
      )
      await ctx.archive.ingest(makeCapture(A, '', { status: 304, body: null, headers: {} }), null)
      expect(await ctx.archive.conditionalHeaders(`${A}#x`)).toMatchObject({
        etag: '"v2"',
        lastModified: 'Sun, 01 Mar 2026 08:00:00 GMT',
      })
    })

    it('lists and counts pages by host, source, industry, dates and change time, newest change first', async () => {
      const t = (iso: string): Date => new Date(iso)
      await ctx.archive.ingest(
        makeCapture(A, 'a', { source: 's1', fetchedAt: t('2026-04-01T00:00:00Z') }),
        makeArticle({ industries: ['ai'], publishedAt: '2026-03-30T08:00:00+08:00' }),
      )
      await ctx.archive.ingest(
        makeCapture(B, 'b', { source: 's2', fetchedAt: t('2026-04-02T00:00:00Z') }),
        makeArticle({ industries: ['nanotech', 'ai'], publishedAt: '2026-03-31T08:00:00+08:00' }),
      )
      await ctx.archive.ingest(
        makeCapture('https://other.example.org/c', 'c', { fetchedAt: t('2026-04-03T00:00:00Z') }),
        makeArticle({ industries: ['semiconductors'], publishedAt: null }),
      )
      // Unchanged recapture: A's last change stays at 04-01.
      await ctx.archive.ingest(
        makeCapture(A, 'a', { fetchedAt: t('2026-04-04T00:00:00Z') }),
        makeArticle({ industries: ['ai'], publishedAt: '2026-03-30T08:00:00+08:00' }),
      )
      const urls = async (q: Parameters<Archive['listPages']>[0]): Promise<string[]> =>
        (await ctx.archive.listPages(q)).map((p) => p.url)
      expect(await urls({})).toEqual(['https://other.example.org/c', B, A])
      expect(await urls({ host: 'news.example.com' })).toEqual([B, A])
      expect(await urls({ source: 's1' })).toEqual([A])
      expect(await urls({ source: 'other.example.org' })).toEqual(['https://other.example.org/c'])
      expect(await urls({ industry: 'ai' })).toEqual([B, A])
      expect(await urls({ publishedFrom: '2026-03-31T00:00:00Z' })).toEqual([B])
      expect(await urls({ publishedTo: '2026-03-31T00:00:00Z' })).toEqual([A])
      expect(await urls({ changedSince: t('2026-04-02T00:00:00Z') })).toEqual(['https://other.example.org/c', B])
      expect(await urls({ limit: 1, offset: 1 })).toEqual([B])
      expect(await ctx.archive.countPages({ industry: 'ai' })).toBe(2)
      expect(await ctx.archive.countPages({ limit: 1 })).toBe(3)
      expect((await ctx.archive.getPage(B))?.industries.sort()).toEqual(['ai', 'nanotech'])
    })

    it("returns a page's timeline in order", async () => {
      await ctx.archive.ingest(makeCapture(A, '1'), makeArticle({ title: 'one' }))
      await ctx.archive.ingest(makeCapture(A, '', { status: 304, body: null }), null)
      await ctx.archive.ingest(makeCapture(A, '2'), makeArticle({ title: 'two' }))
      const tl = await ctx.archive.timeline(A)
      expect(tl?.page.url).toBe(A)
      expect(tl?.captures.map((c) => c.versionNumber)).toEqual([1, 1, 2])
      expect(tl?.captures.map((c) => c.outcome)).toEqual(['ok', 'not-modified', 'ok'])
      expect(tl?.versions.map((v) => [v.number, v.title])).toEqual([
        [1, 'one'],
        [2, 'two'],
      ])
      const v2 = tl?.versions[1]
      expect(v2 && (await ctx.archive.getVersionById(v2.id))).toEqual(v2)
    })

    it('answers a timeline asked for again with the captures added since, each as it was', async () => {
      await ctx.archive.ingest(makeCapture(A, '1'), makeArticle({ title: 'one' }))
      await ctx.archive.ingest(makeCapture(A, '1'), makeArticle({ title: 'one' }))
      const first = await ctx.archive.timeline(A)
      await ctx.archive.ingest(makeCapture(A, '2'), makeArticle({ title: 'two' }))
      await ctx.archive.ingest(makeCapture(A, '', { status: 304, body: null }), null)
      const second = await ctx.archive.timeline(A)
      expect(second?.captures.map((c) => c.versionNumber)).toEqual([1, 1, 2, 2])
      expect(second?.captures.slice(0, 2)).toEqual(first?.captures)
      const last = second?.captures[3]
      expect(last && (await ctx.archive.getCapture(last.id))).toEqual(last)
    })

    it('never creates two versions for one change under concurrent ingest', async () => {
      const same = await Promise.all(
        Array.from({ length: 12 }, (_, i) => ctx.archive.ingest(makeCapture(A, `same ${i % 2}`), makeArticle())),
      )
      expect(same.filter((r) => r.isNewVersion)).toHaveLength(1)
      const titles = ['a', 'b', 'c', 'd', 'e', 'f']
      await Promise.all(titles.map((title) => ctx.archive.ingest(makeCapture(B, title), makeArticle({ title }))))
      const tl = await ctx.archive.timeline(B)
      expect(tl?.versions.map((v) => v.number)).toEqual([1, 2, 3, 4, 5, 6])
      expect(tl?.versions.map((v) => v.title).sort()).toEqual(titles)
      expect((await ctx.archive.stats()).captures).toBe(18)
    })

    it('ingests a batch in order, validating every item before writing any', async () => {
      const rs = await ctx.archive.ingestMany([
        { capture: makeCapture(A, '1'), article: makeArticle({ title: 'one' }) },
        { capture: makeCapture(A, '1'), article: makeArticle({ title: 'one' }) },
        { capture: makeCapture(A, '2'), article: makeArticle({ title: 'two' }) },
        { capture: makeCapture(A, '', { status: 304, body: null }), article: null },
      ])
      expect(rs.map((r) => [r.isNewVersion, r.version?.number])).toEqual([
        [true, 1],
        [false, 1],
        [true, 2],
        [false, 2],
      ])
      expect(rs[3]?.page).toMatchObject({ captureCount: 4, versionCount: 2 })
      const before = await ctx.archive.stats()
      await expect(
        ctx.archive.ingestMany([
          { capture: makeCapture(B, 'fine'), article: makeArticle() },
          { capture: makeCapture('not a url', 'bad'), article: null },
        ]),
      ).rejects.toBeInstanceOf(InvalidUrlError)
      expect(await ctx.archive.stats()).toEqual(before)
      expect(await ctx.archive.getPage(B)).toBeNull()
    })

    it('rejects bad input with typed errors and stores nothing', async () => {
      await ctx.archive.ingest(makeCapture(A, 'ok'), makeArticle())
      const before = await ctx.archive.stats()
      await expect(ctx.archive.ingest(makeCapture('not a url', 'x'), makeArticle())).rejects.toBeInstanceOf(
        InvalidUrlError,
      )
      await expect(ctx.archive.ingest(makeCapture('ftp://x.example/a', 'x'), null)).rejects.toMatchObject({
        code: 'ARCHIVE_INVALID_URL',
      })
      await expect(
        ctx.archive.ingest(makeCapture(B, '', { body: new Uint8Array(MAX_BODY + 1) }), makeArticle()),
      ).rejects.toBeInstanceOf(BodyTooLargeError)
      await expect(
        ctx.archive.ingest(makeCapture(B, 'x', { headers: { etag: new Uint8Array([0x22, 0xc3, 0x28, 0x22]) } }), null),
      ).rejects.toBeInstanceOf(InvalidHeaderError)
      await expect(
        ctx.archive.ingest(makeCapture(B, 'x', { headers: { 'x-a': 'one\r\nInjected: yes' } }), null),
      ).rejects.toMatchObject({ code: 'ARCHIVE_INVALID_HEADER' })
      expect(await ctx.archive.stats()).toEqual(before)
      expect(await ctx.archive.getPage(B)).toBeNull()
    })

    it('verifies a healthy archive', async () => {
      await ctx.archive.ingest(makeCapture(A, '1'), makeArticle({ title: 'one' }))
      await ctx.archive.ingest(makeCapture(A, '', { status: 304, body: null }), null)
      await ctx.archive.ingest(makeCapture(B, '2'), makeArticle({ title: 'two' }))
      const report = await ctx.archive.verify()
      expect(report.issues).toEqual([])
      expect(report).toMatchObject({ ok: true, blobsChecked: 2 })
    })

    it('clears everything', async () => {
      await ctx.archive.ingest(makeCapture(A, '1'), makeArticle())
      await ctx.backend.clear()
      expect(await ctx.archive.stats()).toEqual({
        pages: 0,
        captures: 0,
        versions: 0,
        blobs: 0,
        rawBytes: 0,
        storedBlobBytes: 0,
      })
    })

    it('finds a page by its numeric id', async () => {
      const a = await ctx.archive.ingest(makeCapture(A, 'a'), makeArticle())
      const b = await ctx.archive.ingest(makeCapture(B, 'b'), null)
      expect(await ctx.archive.getPageById(a.page.id)).toEqual(await ctx.archive.getPage(A))
      expect((await ctx.archive.getPageById(b.page.id))?.url).toBe(B)
      expect(await ctx.archive.getPageById(b.page.id + 1000)).toBeNull()
      await expect(ctx.archive.getPageById(1.5)).rejects.toBeInstanceOf(TypeError)
    })

    it('counts pages, versions and captures per host, source and industry in one call', async () => {
      const C = 'https://other.example.org/c'
      await ctx.archive.ingest(makeCapture(A, 'a1', { source: 's1' }), makeArticle({ title: 'a1', industries: ['ai'] }))
      await ctx.archive.ingest(makeCapture(A, 'a2', { source: 's1' }), makeArticle({ title: 'a2', industries: ['ai'] }))
      await ctx.archive.ingest(makeCapture(A, '', { status: 304, body: null }), null)
      await ctx.archive.ingest(makeCapture(B, 'b', { source: 's2' }), makeArticle({ industries: ['nanotech', 'ai'] }))
      await ctx.archive.ingest(makeCapture(C, 'c', { source: 's2' }), null)
      const all = await ctx.archive.facets()
      expect(all).toEqual({
        pages: 3,
        versions: 3,
        captures: 5,
        hosts: [
          { value: 'news.example.com', pages: 2, versions: 3, captures: 4 },
          { value: 'other.example.org', pages: 1, versions: 0, captures: 1 },
        ],
        sources: [
          { value: 's2', pages: 2, versions: 1, captures: 2 },
          { value: 's1', pages: 1, versions: 2, captures: 3 },
        ],
        industries: [
          { value: 'ai', pages: 2, versions: 3, captures: 4 },
          { value: 'nanotech', pages: 1, versions: 1, captures: 1 },
        ],
      })
      const ai = await ctx.archive.facets({ industry: 'nanotech', limit: 1 })
      expect(ai).toMatchObject({ pages: 1, versions: 1, captures: 1, sources: [{ value: 's2', pages: 1 }] })
      expect(await ctx.archive.facets({ host: 'nowhere.example' })).toEqual({
        pages: 0,
        versions: 0,
        captures: 0,
        hosts: [],
        sources: [],
        industries: [],
      })
    })

    it('filters pages by their number of versions', async () => {
      await ctx.archive.ingest(makeCapture(A, '1'), makeArticle({ title: 'one' }))
      await ctx.archive.ingest(makeCapture(A, '2'), makeArticle({ title: 'two' }))
      await ctx.archive.ingest(makeCapture(B, '1'), makeArticle({ title: 'one' }))
      expect((await ctx.archive.listPages({ minVersions: 2 })).map((p) => p.url)).toEqual([A])
      expect(await ctx.archive.countPages({ minVersions: 1 })).toBe(2)
      expect((await ctx.archive.facets({ minVersions: 2 })).pages).toBe(1)
      await expect(ctx.archive.listPages({ minVersions: -1 })).rejects.toBeInstanceOf(TypeError)
    })

    it('stores how much each version changed and shows the newest change on its page', async () => {
      const v1 = makeArticle({ title: '园区发布新政', paragraphs: ['第一段不变。', '第二段写的是三亿元。'] })
      const v2 = makeArticle({
        title: '园区发布新政（更新）',
        paragraphs: ['第一段不变。', '第二段写的是五亿元。', '新增一段。'],
      })
      const first = await ctx.archive.ingest(makeCapture(A, '1'), v1)
      expect(first.version?.change).toEqual(versionChange(null, v1))
      expect(first.version?.change).toMatchObject({ charsAdded: 16, paragraphsAdded: 2, metadata: [] })
      expect(first.page.lastChange).toEqual(first.version?.change)
      const second = await ctx.archive.ingest(makeCapture(A, '2'), v2)
      const { summary } = diffVersions(v1, v2)
      expect(second.version?.change).toEqual({
        charsAdded: summary.charsAdded,
        charsRemoved: summary.charsRemoved,
        paragraphsAdded: 1,
        paragraphsRemoved: 0,
        paragraphsChanged: 1,
        paragraphsMoved: 0,
        paragraphsUnchanged: 1,
        metadata: ['title'],
      })
      expect(summary.charsAdded).toBeGreaterThan(0)
      // An unchanged re-capture and a 304 leave the newest change as it was.
      await ctx.archive.ingest(makeCapture(A, '2'), v2)
      await ctx.archive.ingest(makeCapture(A, '', { status: 304, body: null }), null)
      const [page] = await ctx.archive.listPages({})
      expect(page?.lastChange).toEqual(second.version?.change)
      expect((await ctx.archive.getPage(A))?.lastChange).toEqual(second.version?.change)
      const tl = await ctx.archive.timeline(A)
      expect(tl?.versions.map((v) => v.change)).toEqual([first.version?.change, second.version?.change])
      expect((await ctx.archive.getVersion(A, 2))?.change).toEqual(second.version?.change)
      expect(
        (await ctx.archive.ingest(makeCapture(B, '', { status: 304, body: null }), null)).page.lastChange,
      ).toBeNull()
    })

    it('ingests a batch that mixes new and known pages with the same results as one by one', async () => {
      await ctx.archive.ingest(makeCapture(A, '1'), makeArticle({ title: 'one', industries: ['ai'] }))
      const C = 'https://news.example.com/sip/2026/c.html'
      const rs = await ctx.archive.ingestMany([
        { capture: makeCapture(B, 'b1', { source: 'feed' }), article: makeArticle({ title: 'b one' }) },
        { capture: makeCapture(A, '1'), article: makeArticle({ title: 'one', industries: ['ai'] }) },
        { capture: makeCapture(A, '2'), article: makeArticle({ title: 'two', industries: ['semiconductors'] }) },
        { capture: makeCapture(B, '', { status: 304, body: null }), article: null },
        { capture: makeCapture(C, 'c', { status: 503, body: null, error: 'busy' }), article: null },
        { capture: makeCapture(A, '3'), article: makeArticle({ title: 'three', industries: ['ai'] }) },
      ])
      expect(
        rs.map((r) => [r.isNewVersion, r.version?.number ?? null, r.page.captureCount, r.page.versionCount]),
      ).toEqual([
        [true, 1, 1, 1],
        [false, 1, 2, 1],
        [true, 2, 3, 2],
        [false, 1, 2, 1],
        [false, null, 1, 0],
        [true, 3, 4, 3],
      ])
      expect(rs[2]?.version?.change.metadata).toEqual(['title', 'industries'])
      expect(rs[5]?.page).toMatchObject({ title: 'three', industries: ['ai'], lastChange: rs[5]?.version?.change })
      expect(rs[1]?.capture.versionId).toBe(rs[0]?.version ? (await ctx.archive.getVersion(A, 1))?.id : -1)
      expect(await ctx.archive.getPage(A)).toEqual(rs[5]?.page)
      expect((await ctx.archive.timeline(B))?.captures.map((c) => c.versionNumber)).toEqual([1, 1])
      expect(await ctx.archive.countPages({ industry: 'semiconductors' })).toBe(0)
      expect(await ctx.archive.countPages({ industry: 'ai' })).toBe(1)
      for (const r of rs) expect(await ctx.archive.getCapture(r.capture.id)).toEqual(r.capture)
      expect((await ctx.archive.verify()).issues).toEqual([])
      expect(await ctx.archive.ingestMany([])).toEqual([])
    })

    describe('full-text search', () => {
      const seed = async (): Promise<void> => {
        await ctx.archive.ingest(
          makeCapture(A, 'a'),
          makeArticle({ title: '园区集成电路产业', paragraphs: ['纳米技术应用创新中心在苏州工业园区揭牌。'] }),
        )
        // Traditional-script page: found by simplified queries and the other way round.
        await ctx.archive.ingest(
          makeCapture(B, 'b'),
          makeArticle({ title: '蘇州園區生物醫藥', paragraphs: ['蘇州工業園區的生物醫藥企業發佈新藥研發進展。'] }),
        )
        await ctx.archive.ingest(
          makeCapture(A, 'a2'),
          makeArticle({
            title: '园区集成电路产业（更新）',
            paragraphs: ['纳米技术应用创新中心在苏州工业园区揭牌，并签约。'],
          }),
        )
      }

      // Both real backends search; a backend without it opts out explicitly with `flags.fullText: false`.
      it.skipIf(opts.flags?.fullText === false)('finds versions by text in both scripts', async () => {
        expect(ctx.backend.flags.fullText).toBe(true)
        await seed()
        const urls = async (text: string, extra: object = {}): Promise<string[]> =>
          (await ctx.archive.search({ text, ...extra })).map((h) => `${h.url}#${h.versionNumber}`)
        expect(await urls('纳米技术')).toEqual([`${A}#2`, `${A}#1`])
        expect(await urls('纳米技术', { latestOnly: true })).toEqual([`${A}#2`])
        expect(await urls('生物医药企业')).toEqual([`${B}#1`])
        expect(await urls('生物醫藥企業')).toEqual([`${B}#1`])
        expect(await urls('蘇州工業園區', { latestOnly: true })).toEqual([`${A}#2`, `${B}#1`])
        expect(await urls('园区 签约')).toEqual([`${A}#2`])
        // Two-character words are shorter than a trigram and still found.
        expect(await urls('新药')).toEqual([`${B}#1`])
        expect(await urls('量子计算')).toEqual([])
        expect(await urls('苏州', { host: 'other.example.org' })).toEqual([])
        const [hit] = await ctx.archive.search({ text: '創新中心' })
        expect(hit?.snippet).toContain('[创新中心]')
        expect(hit?.title).toBe('园区集成电路产业（更新）')
      })

      it.skipIf(opts.flags?.fullText === false)('finds one- and two-character terms anywhere in a text', async () => {
        await seed()
        // The last characters of a text, with no punctuation after them.
        const C = 'https://news.example.com/sip/2026/c.html'
        await ctx.archive.ingest(makeCapture(C, 'c'), makeArticle({ title: '快讯', paragraphs: ['园区企业研发芯片'] }))
        const urls = async (text: string): Promise<string[]> =>
          (await ctx.archive.search({ text })).map((h) => `${h.url}#${h.versionNumber}`)
        expect(await urls('芯片')).toEqual([`${C}#1`])
        expect(await urls('片')).toEqual([`${C}#1`])
        expect(await urls('快讯')).toEqual([`${C}#1`])
        expect(await urls('快')).toEqual([`${C}#1`])
        expect(await urls('揭牌 签约')).toEqual([`${A}#2`])
        expect(await urls('量子')).toEqual([])
        expect(await urls('芯片 量子')).toEqual([])
        expect(await urls('芯片 纳米技术')).toEqual([])
        const [hit] = await ctx.archive.search({ text: '芯片' })
        expect(hit?.snippet).toBe('快讯 园区企业研发[芯片]')
      })
    })

    opts.extra?.(ctx)
  })
}
