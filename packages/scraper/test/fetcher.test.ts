import { gunzipSync, gzipSync } from 'node:zlib'
import { decodeHtml } from '@parkwatch/extractor'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  compressed,
  conditional,
  delay,
  type FixtureServer,
  html,
  never,
  redirect,
  send,
  sendEncoded,
  startFixtureServer,
  status,
} from '../../../tests/helpers/fixture-server.js'
import {
  BlockedError,
  BodyTooLargeError,
  ContentEncodingError,
  createFetcher,
  FetchTimeoutError,
  HttpStatusError,
  InvalidOptionsError,
  InvalidUrlError,
  NetworkError,
  RateLimitedError,
  ServerError,
  TooManyRedirectsError,
} from '../src/index.js'

const PAGE = '<html><head><title>园区</title></head><body><p>苏州工业园区 生物医药</p></body></html>'
const text = (body: Uint8Array): string => new TextDecoder().decode(body)

describe('createFetcher', () => {
  let server: FixtureServer
  let etag = '"v1"'
  const lastModified = new Date('2026-01-02T03:04:05Z')

  beforeAll(async () => {
    server = await startFixtureServer({
      '/page': html(PAGE, { headers: { 'x-extra': 'yes' } }),
      '/gbk': sendEncoded('gbk', `<html><head><meta charset="gbk"></head><body>${PAGE}</body></html>`, {
        declare: 'meta',
      }),
      '/gzip': compressed('gzip', PAGE),
      '/deflate': compressed('deflate', PAGE),
      '/br': compressed('br', PAGE),
      '/bad-gzip': send(Buffer.from('this is not gzip at all'), 'text/html', {
        headers: { 'content-encoding': 'gzip' },
      }),
      '/cut-gzip': send(gzipSync(PAGE.repeat(50)).subarray(0, 60), 'text/html', {
        headers: { 'content-encoding': 'gzip' },
      }),
      '/odd-encoding': send(Buffer.from(PAGE), 'text/html', { headers: { 'content-encoding': 'constructor' } }),
      '/r1': redirect('/r2', 301),
      '/r2': redirect(`/r3`, 302),
      '/r3': redirect('/page', 307),
      '/loop': redirect('/loop'),
      '/to-ftp': redirect('ftp://example.invalid/x'),
      '/cond': conditional(PAGE, () => ({ etag, lastModified })),
      '/ua': (req, res) => {
        res.end(String(req.headers['user-agent']))
      },
      '/big': html('x'.repeat(200_000)),
      '/big-chunked': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' })
        for (let i = 0; i < 50; i++) res.write('y'.repeat(10_000))
        res.end()
      },
      '/bomb': compressed('gzip', 'z'.repeat(5_000_000)),
      '/500': status(500),
      '/503': status(503, 'busy', { 'retry-after': '7' }),
      '/429': status(429, 'slow down', { 'retry-after': '2' }),
      '/403': status(403),
      '/401': status(401),
      '/404': status(404),
      '/slow-headers': delay(2_000),
      '/hang': never(),
      '/reset': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html', 'content-length': '100000' }).write('<p>partial')
        setTimeout(() => res.socket?.destroy(), 20)
      },
      '/garbage': (req) => {
        req.socket.end('this is not HTTP at all\r\n\r\n')
      },
      '/drip': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' }).write('<p>first chunk</p>')
        // then silence: the body timeout must fire
      },
    })
  })
  afterAll(() => server.close())

  it('fetches a page with headers, timing and the User-Agent', async () => {
    const fetcher = createFetcher({ userAgent: 'parkwatch-test/1.0' })
    try {
      const res = await fetcher.fetch(`${server.url}/page#frag`)
      expect(res.url).toBe(`${server.url}/page`)
      expect(res.finalUrl).toBe(`${server.url}/page`)
      expect(res.status).toBe(200)
      expect(res.mode).toBe('http')
      expect(res.notModified).toBe(false)
      expect(res.headers['x-extra']).toBe('yes')
      expect(res.contentType).toBe('text/html; charset=utf-8')
      expect(text(res.body)).toBe(PAGE)
      expect(res.redirects).toEqual([])
      expect(res.timing.ttfbMs).toBeGreaterThanOrEqual(0)
      expect(res.timing.totalMs).toBeGreaterThanOrEqual(res.timing.ttfbMs)
      expect(Date.parse(res.fetchedAt)).not.toBeNaN()
      const ua = await fetcher.fetch(`${server.url}/ua`)
      expect(text(ua.body)).toBe('parkwatch-test/1.0')
    } finally {
      await fetcher.close()
    }
  })

  it('returns raw bytes that decode as GBK via the extractor', async () => {
    const fetcher = createFetcher()
    try {
      const res = await fetcher.fetch(`${server.url}/gbk`)
      expect(res.contentType).toBe('text/html')
      // GBK bytes are not valid UTF-8
      expect(text(res.body)).not.toContain('苏州工业园区')
      const decoded = decodeHtml(res.body, { contentType: res.contentType })
      expect(decoded.text).toContain('苏州工业园区 生物医药')
      expect(decoded.source).toBe('meta')
    } finally {
      await fetcher.close()
    }
  })

  it.each(['gzip', 'deflate', 'br'])('decodes %s bodies', async (encoding) => {
    const fetcher = createFetcher()
    try {
      const res = await fetcher.fetch(`${server.url}/${encoding}`)
      expect(res.headers['content-encoding']).toBe(encoding)
      expect(text(res.body)).toBe(PAGE)
      // Only a gzip body comes with the bytes as sent, for the archive to keep as they are.
      if (encoding === 'gzip') {
        expect(res.bodyGzip).not.toBeNull()
        // The fixture gzips with the defaults: the bytes as sent, not a recompression.
        expect(Buffer.from(res.bodyGzip as Uint8Array)).toEqual(gzipSync(Buffer.from(PAGE)))
        expect(text(gunzipSync(res.bodyGzip as Uint8Array))).toBe(PAGE)
      } else expect(res.bodyGzip).toBeNull()
    } finally {
      await fetcher.close()
    }
  })

  it('gives no gzip bytes for a plain body, or when it does not decompress', async () => {
    const plain = createFetcher()
    const raw = createFetcher({ decompress: false })
    try {
      expect((await plain.fetch(`${server.url}/page`)).bodyGzip).toBeNull()
      // Not decoded: the body is the gzip bytes themselves, and nothing else is offered.
      const res = await raw.fetch(`${server.url}/gzip`, { headers: { 'accept-encoding': 'gzip' } })
      expect(res.bodyGzip).toBeNull()
      expect(text(gunzipSync(res.body))).toBe(PAGE)
    } finally {
      await plain.close()
      await raw.close()
    }
  })

  it('fails a corrupt, cut or unknown encoding with ContentEncodingError', async () => {
    const fetcher = createFetcher()
    try {
      for (const path of ['/bad-gzip', '/cut-gzip', '/odd-encoding']) {
        await expect(fetcher.fetch(`${server.url}${path}`), path).rejects.toBeInstanceOf(ContentEncodingError)
      }
    } finally {
      await fetcher.close()
    }
  })

  it('follows redirects and records the chain with absolute URLs and statuses', async () => {
    const fetcher = createFetcher()
    try {
      const res = await fetcher.fetch(`${server.url}/r1`)
      expect(res.finalUrl).toBe(`${server.url}/page`)
      expect(res.redirects).toEqual([
        { url: `${server.url}/r1`, status: 301, location: `${server.url}/r2` },
        { url: `${server.url}/r2`, status: 302, location: `${server.url}/r3` },
        { url: `${server.url}/r3`, status: 307, location: `${server.url}/page` },
      ])
      expect(text(res.body)).toBe(PAGE)
    } finally {
      await fetcher.close()
    }
  })

  it('stops at the redirect limit', async () => {
    const fetcher = createFetcher({ maxRedirects: 2 })
    try {
      await expect(fetcher.fetch(`${server.url}/r1`)).rejects.toMatchObject({
        code: 'SCRAPER_TOO_MANY_REDIRECTS',
        kind: 'redirects',
      })
      const error = await fetcher.fetch(`${server.url}/loop`).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(TooManyRedirectsError)
      expect((error as TooManyRedirectsError).chain).toHaveLength(3)
      await expect(fetcher.fetch(`${server.url}/to-ftp`)).rejects.toBeInstanceOf(InvalidUrlError)
    } finally {
      await fetcher.close()
    }
  })

  it('sends conditional requests and reports 304 as notModified', async () => {
    const fetcher = createFetcher()
    try {
      const first = await fetcher.fetch(`${server.url}/cond`)
      expect(first.status).toBe(200)
      expect(first.headers.etag).toBe('"v1"')
      const same = await fetcher.fetch(`${server.url}/cond`, { ifNoneMatch: first.headers.etag })
      expect(same).toMatchObject({ status: 304, notModified: true })
      expect(same.body).toHaveLength(0)
      const byDate = await fetcher.fetch(`${server.url}/cond`, { ifModifiedSince: lastModified })
      expect(byDate.notModified).toBe(true)
      const byHeader = await fetcher.fetch(`${server.url}/cond`, { ifModifiedSince: first.headers['last-modified'] })
      expect(byHeader.notModified).toBe(true)
      etag = '"v2"'
      const changed = await fetcher.fetch(`${server.url}/cond`, { ifNoneMatch: first.headers.etag })
      expect(changed).toMatchObject({ status: 200, notModified: false })
      expect(text(changed.body)).toBe(PAGE)
      const older = await fetcher.fetch(`${server.url}/cond`, { ifModifiedSince: new Date('2020-01-01') })
      expect(older.status).toBe(200)
    } finally {
      await fetcher.close()
    }
  })

  it('aborts bodies over the size limit, declared or streamed, compressed or not', async () => {
    const fetcher = createFetcher({ maxBodyBytes: 100_000 })
    try {
      for (const path of ['/big', '/big-chunked', '/bomb']) {
        const error = await fetcher.fetch(`${server.url}${path}`).catch((e: unknown) => e)
        expect(error, path).toBeInstanceOf(BodyTooLargeError)
        expect(error).toMatchObject({ limitBytes: 100_000, retryable: false, kind: 'too-large' })
      }
      // The fetcher still works after aborting streams.
      expect((await fetcher.fetch(`${server.url}/page`)).status).toBe(200)
    } finally {
      await fetcher.close()
    }
  })

  it('maps statuses to typed errors that say whether to retry', async () => {
    const fetcher = createFetcher()
    const fail = (path: string): Promise<unknown> => fetcher.fetch(`${server.url}${path}`).catch((e: unknown) => e)
    try {
      const e500 = await fail('/500')
      expect(e500).toBeInstanceOf(ServerError)
      expect(e500).toMatchObject({ status: 500, retryable: true, kind: 'http-5xx', code: 'SCRAPER_HTTP_5XX' })
      expect(await fail('/503')).toMatchObject({ status: 503, retryAfterMs: 7_000 })
      const e429 = await fail('/429')
      expect(e429).toBeInstanceOf(RateLimitedError)
      expect(e429).toMatchObject({ retryAfterMs: 2_000, retryable: true, kind: 'rate-limited' })
      expect(await fail('/403')).toBeInstanceOf(BlockedError)
      expect(await fail('/401')).toMatchObject({ code: 'SCRAPER_BLOCKED', retryable: false })
      const e404 = await fail('/404')
      expect(e404).toBeInstanceOf(HttpStatusError)
      expect(e404).toMatchObject({ status: 404, retryable: false, kind: 'http-4xx' })
    } finally {
      await fetcher.close()
    }
  })

  it('times out on headers, body silence and the total budget', async () => {
    const fetcher = createFetcher({ headersTimeoutMs: 300, bodyTimeoutMs: 300, totalTimeoutMs: 5_000 })
    const total = createFetcher({ totalTimeoutMs: 400 })
    try {
      const headers = await fetcher.fetch(`${server.url}/slow-headers`).catch((e: unknown) => e)
      expect(headers).toBeInstanceOf(FetchTimeoutError)
      expect(headers).toMatchObject({ phase: 'headers', retryable: true, kind: 'timeout' })
      expect(await fetcher.fetch(`${server.url}/drip`).catch((e: unknown) => e)).toMatchObject({ phase: 'body' })
      expect(await total.fetch(`${server.url}/hang`).catch((e: unknown) => e)).toMatchObject({ phase: 'total' })
    } finally {
      await fetcher.close()
      await total.close()
    }
  })

  it('reports a refused connection as a retryable NetworkError', async () => {
    const closed = await startFixtureServer({})
    const url = `${closed.url}/gone`
    await closed.close()
    const fetcher = createFetcher()
    try {
      const error = await fetcher.fetch(url).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(NetworkError)
      expect(error).toMatchObject({ causeCode: 'ECONNREFUSED', retryable: true, kind: 'network' })
    } finally {
      await fetcher.close()
    }
  })

  it('reports a connection cut mid-body and a non-HTTP answer as NetworkErrors', async () => {
    const fetcher = createFetcher()
    try {
      const reset = await fetcher.fetch(`${server.url}/reset`).catch((e: unknown) => e)
      expect(reset).toBeInstanceOf(NetworkError)
      expect(reset).toMatchObject({ retryable: true, url: `${server.url}/reset` })
      const garbage = await fetcher.fetch(`${server.url}/garbage`).catch((e: unknown) => e)
      expect(garbage).toBeInstanceOf(NetworkError)
    } finally {
      await fetcher.close()
    }
  })

  it('passes the caller abort reason through', async () => {
    const fetcher = createFetcher()
    try {
      const controller = new AbortController()
      const pending = fetcher.fetch(`${server.url}/hang`, { signal: controller.signal })
      const reason = new Error('stop')
      setTimeout(() => controller.abort(reason), 50)
      await expect(pending).rejects.toBe(reason)
    } finally {
      await fetcher.close()
    }
  })

  it('rejects bad URLs and lists every bad option at once', async () => {
    const fetcher = createFetcher()
    await expect(fetcher.fetch('not a url')).rejects.toBeInstanceOf(InvalidUrlError)
    await expect(fetcher.fetch('file:///etc/passwd')).rejects.toMatchObject({ code: 'SCRAPER_INVALID_URL' })
    await fetcher.close()
    const error = (() => {
      try {
        createFetcher({ maxBodyBytes: -1, connectTimeoutMs: 1.5, bogus: true } as never)
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(InvalidOptionsError)
    const paths = (error as InvalidOptionsError).issues.map((i) => i.path).sort()
    expect(paths).toEqual(['bogus', 'connectTimeoutMs', 'maxBodyBytes'])
    expect((error as Error).message).toContain('maxBodyBytes')
  })
})
