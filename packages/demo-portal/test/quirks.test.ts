import { type IncomingHttpHeaders, request } from 'node:http'
import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DemoPortal, startDemoPortal } from '../src/index.js'
import { article, get, utf8 } from './helpers.js'

let portal: DemoPortal

beforeAll(async () => {
  portal = await startDemoPortal({ slowMs: 400 })
})
afterAll(() => portal.close())

describe('quirks', () => {
  it('answers 429 with Retry-After: 1 to the first request of each URL, then 200', async () => {
    const a = article(portal, 'xjnnet-nano')
    expect(a.url.startsWith(portal.expected.rateLimitedHost)).toBe(true)
    const first = await get(a.url)
    expect(first.status).toBe(429)
    expect(first.headers.get('retry-after')).toBe('1')
    expect((await get(a.url)).status).toBe(200)
    expect((await get(a.url)).status).toBe(200)
    // Another URL of the same host starts over; robots.txt is never rate limited.
    expect((await get(`${portal.expected.rateLimitedHost}/news/jiangsu/list_2.html`)).status).toBe(429)
    expect((await get(`${portal.expected.rateLimitedHost}/robots.txt`)).status).toBe(200)
  })

  it('logs every request with its host, path and arrival time', async () => {
    const a = article(portal, 'xjnnet-nano')
    const before = portal.requests.length
    const t0 = Date.now()
    await get(`${a.url}?probe=1`)
    const logged = portal.requests.slice(before)
    expect(logged).toHaveLength(1)
    expect(logged[0]).toMatchObject({ portal: 'xjnnet', method: 'GET', path: `${new URL(a.url).pathname}?probe=1` })
    expect(logged[0]?.at).toBeGreaterThanOrEqual(t0)
  })

  it('redirects the old URL with a 301 to the new one', async () => {
    const [redirect] = portal.expected.redirects
    if (!redirect) throw new Error('no redirect')
    const res = await get(redirect.from)
    expect(res.status).toBe(301)
    expect(res.headers.get('location')).toBe(redirect.to)
    const followed = await fetch(redirect.from)
    expect(followed.status).toBe(200)
    expect(followed.url).toBe(redirect.to)
  })

  it('answers 404 for the dead link and unknown paths', async () => {
    for (const url of portal.expected.notFound) expect((await get(url)).status).toBe(404)
    expect((await get(`${portal.hosts[0]?.url}/nope.html`)).status).toBe(404)
  })

  it('answers 304 to If-None-Match and If-Modified-Since, 200 to a stale validator', async () => {
    const a = article(portal, 'blog-semi')
    const first = await get(a.url)
    const etag = first.headers.get('etag') ?? ''
    const lastModified = first.headers.get('last-modified') ?? ''
    expect(new Date(lastModified).toISOString()).toBe(new Date(a.publishedAt).toISOString())

    const byEtag = await get(a.url, { headers: { 'if-none-match': etag } })
    expect(byEtag.status).toBe(304)
    expect(byEtag.bytes.byteLength).toBe(0)
    expect(byEtag.headers.get('etag')).toBe(etag)
    expect((await get(a.url, { headers: { 'if-modified-since': lastModified } })).status).toBe(304)
    expect((await get(a.url, { headers: { 'if-none-match': '"stale"' } })).status).toBe(200)
    // If-None-Match wins over If-Modified-Since (RFC 9110).
    expect(
      (await get(a.url, { headers: { 'if-none-match': '"stale"', 'if-modified-since': lastModified } })).status,
    ).toBe(200)
    const before = new Date(Date.parse(lastModified) - 60_000).toUTCString()
    expect((await get(a.url, { headers: { 'if-modified-since': before } })).status).toBe(200)
  })

  it('gzips text for a client that accepts it, and only then, as the portals do', async () => {
    const a = article(portal, 'blog-semi')
    const plain = await raw(a.url, {})
    expect(plain.headers['content-encoding']).toBeUndefined()
    expect(plain.headers.vary).toBe('Accept-Encoding')
    const packed = await raw(a.url, { 'accept-encoding': 'gzip, deflate, br' })
    expect(packed.headers['content-encoding']).toBe('gzip')
    expect(Number(packed.headers['content-length'])).toBe(packed.body.byteLength)
    expect(packed.body.byteLength).toBeLessThan(plain.body.byteLength / 2)
    expect(gunzipSync(packed.body)).toEqual(plain.body)
    // One representation's validators: a 304 answers either.
    const again = await raw(a.url, { 'accept-encoding': 'gzip', 'if-none-match': String(plain.headers.etag) })
    expect(again.status).toBe(304)
  })

  it('validates feeds and list pages too', async () => {
    const url = `${portal.hosts.find((h) => h.id === 'blog')?.url}/feed/`
    const etag = (await get(url)).headers.get('etag') ?? ''
    expect((await get(url, { headers: { 'if-none-match': etag } })).status).toBe(304)
  })

  it('delays every response of the slow host', async () => {
    const { url, delayMs } = portal.expected.slowHost
    expect(delayMs).toBe(400)
    await expect(fetch(`${url}/robots.txt`, { signal: AbortSignal.timeout(50) })).rejects.toThrow()
    expect((await get(`${url}/robots.txt`)).status).toBe(200)
  })

  it('serves HEAD without a body and refuses other methods', async () => {
    const a = article(portal, 'netease-bio')
    const head = await get(a.url, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.bytes.byteLength).toBe(0)
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(1000)
    expect((await get(a.url, { method: 'POST' })).status).toBe(405)
  })

  it('serves /admin/ behind the disallow rule', async () => {
    const admin = portal.expected.disallowed.find((u) => u.endsWith('/admin/')) ?? ''
    expect(utf8(await get(admin))).toContain('管理后台')
  })
})

describe('options', () => {
  it('rejects bad options with the value it got', async () => {
    await expect(startDemoPortal({ slowMs: -1 })).rejects.toThrow(
      'Expected `slowMs` to be an integer from 0 to 60000, got `-1`',
    )
    await expect(startDemoPortal({ revision: 9 })).rejects.toThrow(TypeError)
  })

  it('listens on fixed ports from portBase', async () => {
    // A just-freed ephemeral port and the five after it are almost always free; try a few bases anyway.
    let fixed: DemoPortal | null = null
    let base = 0
    for (let attempt = 0; attempt < 3 && !fixed; attempt++) {
      const probe = await startDemoPortal({ slowMs: 0 })
      base = Math.min(probe.hosts[0]?.port ?? 0, 65_000)
      await probe.close()
      fixed = await startDemoPortal({ portBase: base, slowMs: 0 }).catch(() => null)
    }
    if (!fixed) throw new Error('no free run of six ports found')
    try {
      expect(fixed.hosts.map((h) => h.port)).toEqual([0, 1, 2, 3, 4].map((i) => base + i))
      expect(fixed.controlUrl).toBe(`http://127.0.0.1:${base + 5}`)
    } finally {
      await fixed.close()
    }
  })
})

describe('cli', () => {
  it('prints usage for --help and rejects bad arguments with exit code 2', async () => {
    const { main } = await import('../src/cli.js')
    const log = console.log
    const error = console.error
    const out: string[] = []
    console.log = (...args: unknown[]) => void out.push(args.join(' '))
    console.error = console.log
    try {
      expect(await main(['--help'])).toBe(0)
      expect(out.join('\n')).toContain('--edits-every S')
      expect(await main(['--edits-every', 'soon'])).toBe(2)
      expect(await main(['--nope'])).toBe(2)
      expect(await main(['--slow-ms=-5'])).toBe(1)
    } finally {
      console.log = log
      console.error = error
    }
  })
})

/** A GET with exactly these headers (fetch would add and undo its own Accept-Encoding), body as sent. */
function raw(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
      .on('error', reject)
      .end()
  })
}
