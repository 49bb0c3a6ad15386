import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { WARCParser, WARCRecord, WARCSerializer } from 'warcio'
import { createArchive } from '../src/archive.js'
import { sqliteBackend } from '../src/backends/sqlite.js'
import { versionChange } from '../src/change.js'
import type { Capture, Version } from '../src/types.js'
import { base32, digestHex } from '../src/warc/util.js'
import {
  exportJsonl,
  exportWarc,
  type ImportedCapture,
  importWarc,
  type SkippedRecord,
  WarcError,
} from '../src/warc.js'
import { makeArticle, makeCapture } from './fixtures.js'

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
const HTML_A = utf8(
  '<html><head><meta charset="utf-8"><title>园区新闻</title></head><body><p>苏州工业园区生物医药企业36个。</p></body></html>',
)
const HTML_B = utf8('<html><body><p>纳米技术应用产业保持较快增长。</p></body></html>')

let nextId = 1
function capture(
  url: string,
  fetchedAt: string,
  status: number | null,
  body: Uint8Array | null,
  headers: Array<[string, string]> = [],
): Capture {
  return {
    id: nextId++,
    pageId: 1,
    url,
    requestedUrl: url,
    finalUrl: null,
    redirects: [],
    method: 'http',
    outcome: status === null ? 'failed' : status === 304 ? 'not-modified' : 'ok',
    status,
    headers,
    etag: null,
    lastModified: null,
    fetchedAt,
    timing: null,
    error: status === null ? 'ETIMEDOUT: timeout' : null,
    bodyHash: body ? sha256(body) : null,
    bodySize: body ? body.length : null,
    versionId: null,
    versionNumber: null,
  }
}

const URL_A = 'http://www.sipac.gov.cn/news/2026/0301.html'
const URL_B = 'https://news.example.cn/park/biotech?id=7'
const wireHeaders: Array<[string, string]> = [
  ['content-type', 'text/html; charset=utf-8'],
  ['content-encoding', 'gzip'],
  ['transfer-encoding', 'chunked'],
  ['etag', '"abc"'],
]
const items = [
  { capture: capture(URL_A, '2026-03-01T01:00:00.000Z', 200, HTML_A, wireHeaders), body: HTML_A },
  { capture: capture(URL_B, '2026-03-01T01:05:00.250Z', 200, HTML_B, [['content-type', 'text/html']]), body: HTML_B },
  // Same body again: a revisit (identical payload).
  { capture: capture(URL_A, '2026-03-01T02:00:00.000Z', 200, HTML_A, wireHeaders), body: HTML_A },
  // Not modified: a revisit (server-not-modified), no body.
  { capture: capture(URL_A, '2026-03-01T03:00:00.000Z', 304, null, [['etag', '"abc"']]), body: null },
  // A failed fetch has no HTTP response to write.
  { capture: capture(URL_B, '2026-03-01T04:00:00.000Z', null, null), body: null },
]

async function collect<T, R>(gen: AsyncGenerator<T, R, undefined>): Promise<{ items: T[]; result: R }> {
  const out: T[] = []
  for (;;) {
    const step = await gen.next()
    if (step.done) return { items: out, result: step.value }
    out.push(step.value)
  }
}

async function exportAll(): Promise<{
  chunks: Uint8Array[]
  file: Buffer
  summary: Awaited<ReturnType<typeof collect>>['result']
}> {
  const { items: chunks, result } = await collect(exportWarc(items, { filename: 'park.warc.gz' }))
  return { chunks, file: Buffer.concat(chunks), summary: result }
}

describe('exportWarc', () => {
  it('writes one gzip member per record, each a WARC/1.1 record', async () => {
    const { chunks, summary } = await exportAll()
    expect(summary).toMatchObject({ records: 9, responses: 2, revisits: 2, requests: 4, skippedCaptures: 1 })
    expect(chunks).toHaveLength(9)
    for (const chunk of chunks) {
      expect([chunk[0], chunk[1]]).toEqual([0x1f, 0x8b])
      const text = gunzipSync(chunk).toString('latin1')
      expect(text.startsWith('WARC/1.1\r\n')).toBe(true)
      expect(text.endsWith('\r\n\r\n')).toBe(true)
    }
  })

  it('reads back through warcio with the right records, headers and digests', async () => {
    const { file } = await exportAll()
    const records: Array<{
      type: string
      headers: Map<string, string>
      raw: Uint8Array
      content: Uint8Array
      http: Map<string, string> | null
      status: unknown
    }> = []
    for await (const record of WARCParser.iterRecords([file])) {
      const headers = new Map<string, string>()
      for (const [k, v] of record.warcHeaders.headers as Iterable<[string, string]>) headers.set(k.toLowerCase(), v)
      const http = record.httpHeaders
        ? new Map<string, string>(record.httpHeaders.headers as Iterable<[string, string]>)
        : null
      const raw = await record.readFully(false)
      const content = await record.readFully(true)
      records.push({ type: record.warcType, headers, raw, content, http, status: record.httpHeaders?.statusCode })
    }
    expect(records.map((r) => r.type)).toEqual([
      'warcinfo',
      'response',
      'request',
      'response',
      'request',
      'revisit',
      'request',
      'revisit',
      'request',
    ])
    expect(records[0]?.headers.get('warc-filename')).toBe('park.warc.gz')

    const first = records[1]
    expect(first?.headers.get('warc-target-uri')).toBe(URL_A)
    expect(first?.headers.get('warc-date')).toBe('2026-03-01T01:00:00Z')
    expect(first?.headers.get('content-type')).toBe('application/http;msgtype=response')
    expect(first?.headers.get('warc-payload-digest')).toBe(`sha256:${sha256(HTML_A)}`)
    expect(first?.status).toBe(200)
    // The stored body is already decoded: the wire encodings are kept under X-Archive-Orig-*.
    expect(first?.http?.get('content-encoding')).toBeUndefined()
    expect(first?.http?.get('transfer-encoding')).toBeUndefined()
    expect(first?.http?.get('x-archive-orig-content-encoding')).toBe('gzip')
    expect(first?.http?.get('content-length')).toBe(String(HTML_A.length))
    expect(first?.http?.get('etag')).toBe('"abc"')
    expect(Buffer.from(first?.content ?? []).equals(Buffer.from(HTML_A))).toBe(true)
    expect(records[3]?.headers.get('warc-date')).toBe('2026-03-01T01:05:00.250Z')

    // Every request is concurrent to the response before it.
    for (const i of [2, 4, 6, 8]) {
      expect(records[i]?.headers.get('warc-concurrent-to')).toBe(records[i - 1]?.headers.get('warc-record-id'))
    }

    const revisit = records[5]
    expect(revisit?.headers.get('warc-profile')).toBe(
      'http://netpreserve.org/warc/1.1/revisit/identical-payload-digest',
    )
    expect(revisit?.headers.get('warc-refers-to')).toBe(first?.headers.get('warc-record-id'))
    expect(revisit?.headers.get('warc-refers-to-target-uri')).toBe(URL_A)
    expect(revisit?.headers.get('warc-refers-to-date')).toBe('2026-03-01T01:00:00Z')
    expect(revisit?.headers.get('warc-payload-digest')).toBe(first?.headers.get('warc-payload-digest'))
    expect(revisit?.content.length).toBe(0)
    expect(records[7]?.headers.get('warc-profile')).toBe('http://netpreserve.org/warc/1.1/revisit/server-not-modified')
    expect(records[7]?.status).toBe(304)

    // Block digests cover the whole block (HTTP headers + payload) as a reader sees it.
    for (const r of records.slice(1)) {
      const headerLength = Number(r.headers.get('content-length'))
      expect(r.headers.get('warc-block-digest')).toMatch(/^sha256:[0-9a-f]{64}$/)
      expect(headerLength).toBeGreaterThan(0)
    }
  })

  it('has block digests an independent hash of the record agrees with', async () => {
    const { chunks } = await exportAll()
    for (const chunk of chunks.slice(1)) {
      const record = gunzipSync(chunk)
      const split = record.indexOf('\r\n\r\n')
      const head = record.subarray(0, split).toString('utf8')
      const length = Number(/\r\nContent-Length: (\d+)/.exec(head)?.[1])
      const block = record.subarray(split + 4, split + 4 + length)
      expect(/\r\nWARC-Block-Digest: sha256:([0-9a-f]+)/.exec(head)?.[1]).toBe(sha256(block))
      expect(record.length).toBe(split + 4 + length + 4)
    }
  })

  it('writes plain records when gzip is off', async () => {
    const { items: chunks } = await collect(exportWarc(items.slice(0, 1), { gzip: false, warcinfo: false }))
    expect(Buffer.concat(chunks).toString('latin1').startsWith('WARC/1.1\r\nWARC-Type: response\r\n')).toBe(true)
  })

  it('rejects a body whose size does not match the capture', async () => {
    const bad = [{ capture: capture(URL_A, '2026-03-01T01:00:00Z', 200, HTML_A), body: HTML_B }]
    await expect(collect(exportWarc(bad))).rejects.toBeInstanceOf(WarcError)
  })
})

describe('importWarc', () => {
  it('round-trips our own export back into captures', async () => {
    const { file } = await exportAll()
    const skipped: SkippedRecord[] = []
    const { items: got } = await collect(importWarc(file, { source: 'sipac', onSkip: (r) => skipped.push(r) }))
    expect(got.map((c) => [c.url, c.status, c.fetchedAt])).toEqual([
      [URL_A, 200, '2026-03-01T01:00:00.000Z'],
      [URL_B, 200, '2026-03-01T01:05:00.250Z'],
      [URL_A, 200, '2026-03-01T02:00:00.000Z'],
      [URL_A, 304, '2026-03-01T03:00:00.000Z'],
    ])
    expect(got[0]?.body).toEqual(HTML_A)
    // The revisit's body comes from the response it refers to.
    expect(got[2]?.body).toEqual(HTML_A)
    expect(got[3]?.body).toBeNull()
    expect(got.every((c) => c.source === 'sipac' && c.method === 'http')).toBe(true)
    expect(skipped.map((s) => s.type)).toEqual(['request', 'request', 'request', 'request'])
  })

  it('imports a foreign WARC written by warcio: chunked + gzip bodies, sha1 base32 digests, revisits', async () => {
    const file = await foreignWarc()
    const skipped: SkippedRecord[] = []
    const { items: got } = await collect(importWarc(streamOf(file, 97), { onSkip: (r) => skipped.push(r) }))
    expect(got).toHaveLength(3)
    const [first, second, revisit] = got as [ImportedCapture, ImportedCapture, ImportedCapture]
    expect(first.url).toBe(URL_A)
    // Chunked transfer encoding and gzip content encoding are both undone.
    expect(Buffer.from(first.body ?? []).toString('utf8')).toBe(Buffer.from(HTML_A).toString('utf8'))
    expect(first.headers).toContainEqual(['content-encoding', 'gzip'])
    expect(first.method).toBe('browser')
    expect(first.fetchedAt).toBe('2026-02-01T08:00:00.000Z')
    expect(second.status).toBe(404)
    expect(Buffer.from(second.body ?? []).toString('utf8')).toBe('not here')
    expect(revisit.url).toBe(URL_A)
    expect(revisit.fetchedAt).toBe('2026-02-02T08:00:00.000Z')
    expect(Buffer.from(revisit.body ?? []).toString('utf8')).toBe(Buffer.from(HTML_A).toString('utf8'))
    expect(skipped.map((s) => [s.type, s.reason])).toEqual([
      ['request', 'not-a-capture'],
      ['metadata', 'not-a-capture'],
    ])
  })

  it('reads an uncompressed file and a whole-file gzip (wget --no-warc-compression, then gzip)', async () => {
    const { items: chunks } = await collect(exportWarc(items, { gzip: false }))
    const plain = Buffer.concat(chunks)
    for (const file of [plain, gzipSync(plain)]) {
      const { items: got } = await collect(importWarc(streamOf(file, 64)))
      expect(got.map((c) => c.status)).toEqual([200, 200, 200, 304])
      expect(got[2]?.body).toEqual(HTML_A)
    }
  })

  it('fails with WarcError on a truncated gzip file, after the captures before the cut', async () => {
    const { file } = await exportAll()
    const { items: chunks } = await collect(exportWarc(items, { gzip: false }))
    const wholeFile = gzipSync(Buffer.concat(chunks))
    // Per-record gzip cut inside its last member, and a whole-file gzip cut before its end.
    for (const cut of [file.subarray(0, file.length - 10), wholeFile.subarray(0, wholeFile.length - 200)]) {
      const got: number[] = []
      let failure: unknown = null
      try {
        for await (const capture of importWarc(streamOf(cut, 64))) got.push(capture.status)
      } catch (error) {
        failure = error
      }
      expect(failure).toBeInstanceOf(WarcError)
      expect((failure as WarcError).code).toBe('ARCHIVE_WARC')
      expect((failure as WarcError).message).toMatch(/truncated/)
      // What came before the cut came out whole, in order.
      expect(got.length).toBeGreaterThanOrEqual(2)
      expect(got).toEqual([200, 200, 200, 304].slice(0, got.length))
    }
  })

  it('resolves a revisit whose original is elsewhere through resolveDigest', async () => {
    const { chunks } = await exportAll()
    // Drop the warcinfo and the first response/request: the revisit's original is not in the file.
    const file = Buffer.concat(chunks.slice(3))
    const asked: string[] = []
    const { items: got } = await collect(
      importWarc(file, {
        resolveDigest: (digest) => {
          asked.push(digest)
          return digest === `sha256:${sha256(HTML_A)}` ? HTML_A : null
        },
      }),
    )
    expect(asked).toEqual([`sha256:${sha256(HTML_A)}`])
    expect(got.map((c) => c.url)).toEqual([URL_B, URL_A, URL_A])
    expect(got[1]?.body).toEqual(HTML_A)
  })

  it('reports an unresolvable revisit instead of inventing a body', async () => {
    const { chunks } = await exportAll()
    const skipped: SkippedRecord[] = []
    const { items: got } = await collect(importWarc(Buffer.concat(chunks.slice(3)), { onSkip: (r) => skipped.push(r) }))
    expect(got).toHaveLength(2)
    expect(skipped).toContainEqual(
      expect.objectContaining({ type: 'revisit', reason: 'revisit-unresolved', uri: URL_A }),
    )
  })

  it('throws a typed error when a payload does not match its digest', async () => {
    const record = WARCRecord.create(
      {
        url: URL_B,
        date: '2026-02-01T08:00:00Z',
        type: 'response',
        warcVersion: 'WARC/1.1',
        statusline: 'HTTP/1.1 200 OK',
        httpHeaders: { 'content-type': 'text/html' },
        warcHeaders: { 'WARC-Payload-Digest': `sha256:${sha256(HTML_A)}` },
      },
      [HTML_B],
    )
    const file = await WARCSerializer.serialize(record, { gzip: true })
    const error = await collect(importWarc(file)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WarcError)
    expect((error as WarcError).code).toBe('ARCHIVE_WARC_DIGEST')
    // With checking off, the record imports.
    const { items: got } = await collect(importWarc(file, { verifyDigests: false }))
    expect(got[0]?.body).toEqual(HTML_B)
  })

  it('throws a typed error on input that is not WARC', async () => {
    const error = await collect(importWarc(utf8('<html>not a warc</html>\r\n\r\n'))).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WarcError)
    expect((error as WarcError).code).toBe('ARCHIVE_WARC')
  })
})

describe('archive → WARC → archive', () => {
  it('carries every capture, body and validator over to a fresh archive', async () => {
    const dirs = [mkdtempSync(join(tmpdir(), 'pw-warc-a-')), mkdtempSync(join(tmpdir(), 'pw-warc-b-'))]
    const [from, to] = dirs.map((dir) => createArchive({ backend: sqliteBackend({ dir }) })) as [
      ReturnType<typeof createArchive>,
      ReturnType<typeof createArchive>,
    ]
    try {
      const page = 'https://www.sipac.gov.cn/news/a.html'
      await from.ingest(
        makeCapture(page, '<p>园区新闻 v1</p>', { headers: { etag: '"1"' } }),
        makeArticle({ title: 'v1' }),
      )
      await from.ingest(
        makeCapture(page, '<p>园区新闻 v1</p>', { headers: { etag: '"1"' } }),
        makeArticle({ title: 'v1' }),
      )
      await from.ingest(makeCapture(page, '', { status: 304, body: null }), null)
      await from.ingest(
        makeCapture(page, '<p>园区新闻 v2</p>', { headers: { etag: '"2"' } }),
        makeArticle({ title: 'v2' }),
      )
      const timeline = await from.timeline(page)
      const captures = timeline?.captures ?? []
      const input = (async function* () {
        for (const capture of captures) yield { capture, body: await from.getBody(capture.id) }
      })()
      const file = Buffer.concat((await collect(exportWarc(input))).items)
      for await (const capture of importWarc(file)) await to.ingest(capture, null)
      const copied = (await to.timeline(page))?.captures ?? []
      const pick = (c: (typeof captures)[number]): unknown[] => [c.status, c.bodyHash, c.fetchedAt, c.etag]
      expect(copied.map(pick)).toEqual(captures.map(pick))
      expect(await to.getBody(copied[3]?.id ?? 0)).toEqual(await from.getBody(captures[3]?.id ?? 0))
      // The unchanged re-capture became a revisit and still brought its body back.
      expect(copied[1]?.bodyHash).toBe(captures[0]?.bodyHash)
    } finally {
      await from.close()
      await to.close()
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('digests', () => {
  it('encodes base32 per RFC 4648 and reads both encodings', () => {
    expect(base32(utf8('foobar'))).toBe('MZXW6YTBOI')
    const digest = createHash('sha1').update(HTML_A).digest()
    expect(digestHex(`sha1:${base32(digest)}`)).toBe(`sha1:${digest.toString('hex')}`)
    expect(digestHex(`sha256:${sha256(HTML_A).toUpperCase()}`)).toBe(`sha256:${sha256(HTML_A)}`)
    expect(digestHex('md5:abc')).toBeNull()
  })
})

describe('exportJsonl', () => {
  it('writes one version per line that parses back unchanged', async () => {
    const versions: Version[] = [1, 2].map((n) => ({
      id: n,
      pageId: 1,
      url: URL_A,
      number: n,
      contentHash: 'h'.repeat(64),
      captureId: n,
      createdAt: '2026-03-01T01:00:00.000Z',
      title: `第${n}版`,
      article: makeArticle({ title: `第${n}版`, paragraphs: ['第一段\u2028含行分隔符', '第二段\n换行'] }),
      change: versionChange(null, makeArticle()),
    }))
    const { items: chunks, result } = await collect(exportJsonl(versions))
    expect(result).toBe(2)
    const lines = Buffer.concat(chunks).toString('utf8').split('\n')
    expect(lines).toHaveLength(3)
    expect(lines[2]).toBe('')
    expect(lines.slice(0, 2).map((l) => JSON.parse(l))).toEqual(versions)
  })
})

// --- Internal helpers ---

/** A browsertrix-style WARC made with warcio's own writer (WARC/1.0, sha1 base32 digests). */
async function foreignWarc(): Promise<Buffer> {
  const opts = { gzip: true, digest: { algo: 'sha-1' as const, prefix: 'sha1:', base32: true } }
  const gz = gzipSync(HTML_A)
  const chunked = Buffer.concat([Buffer.from(`${gz.length.toString(16)}\r\n`), gz, Buffer.from('\r\n0\r\n\r\n')])
  const info = WARCRecord.createWARCInfo(
    { filename: 'crawl.warc.gz', warcVersion: 'WARC/1.0' },
    { software: 'Browsertrix-Crawler 1.2.0 (with warcio.js 2.4)', format: 'WARC File Format 1.0' },
  )
  const response = WARCRecord.create(
    {
      url: URL_A,
      date: '2026-02-01T08:00:00Z',
      type: 'response',
      warcVersion: 'WARC/1.0',
      statusline: 'HTTP/1.1 200 OK',
      httpHeaders: {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Encoding': 'gzip',
        'Transfer-Encoding': 'chunked',
      },
    },
    [chunked],
  )
  const request = WARCRecord.create(
    {
      url: URL_A,
      date: '2026-02-01T08:00:00Z',
      type: 'request',
      warcVersion: 'WARC/1.0',
      statusline: 'GET /news/2026/0301.html HTTP/1.1',
      httpHeaders: { Host: 'www.sipac.gov.cn' },
    },
    [],
  )
  const missing = WARCRecord.create(
    {
      url: `${URL_A}?missing`,
      date: '2026-02-01T08:01:00Z',
      type: 'response',
      warcVersion: 'WARC/1.0',
      statusline: 'HTTP/1.1 404 Not Found',
      httpHeaders: { 'Content-Type': 'text/plain' },
    },
    [utf8('not here')],
  )
  const metadata = WARCRecord.create(
    {
      url: URL_A,
      date: '2026-02-01T08:01:00Z',
      type: 'metadata',
      warcVersion: 'WARC/1.0',
      warcHeaders: { 'Content-Type': 'application/json' },
    },
    [utf8('{"pages":1}')],
  )
  const first = await WARCSerializer.serialize(response, opts)
  const payloadDigest = `sha1:${base32(createHash('sha1').update(chunked).digest())}`
  const revisit = WARCRecord.create(
    {
      url: URL_A,
      date: '2026-02-02T08:00:00Z',
      type: 'revisit',
      warcVersion: 'WARC/1.0',
      statusline: 'HTTP/1.1 200 OK',
      httpHeaders: { 'Content-Type': 'text/html; charset=utf-8' },
      refersToUrl: URL_A,
      refersToDate: '2026-02-01T08:00:00Z',
      warcHeaders: {
        'WARC-Profile': 'http://netpreserve.org/warc/1.0/revisit/identical-payload-digest',
        'WARC-Payload-Digest': payloadDigest,
      },
    },
    [],
  )
  const parts = [
    await WARCSerializer.serialize(info, opts),
    first,
    await WARCSerializer.serialize(request, opts),
    await WARCSerializer.serialize(missing, opts),
    await WARCSerializer.serialize(metadata, opts),
    await WARCSerializer.serialize(revisit, opts),
  ]
  return Buffer.concat(parts)
}

/** The file as a stream of small chunks, so record boundaries fall mid-chunk as they do when reading a file. */
async function* streamOf(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size)
}
