/**
 * @file The JSON API (documented in the README): every screen's data, read-only. Ids and parameters are
 * validated by `params.ts`; errors come back as `{ error: { code, message } }` with 400 / 404.
 */
import { type Archive, type Capture, exportWarc } from '@parkwatch/archive'
import type { Context, Hono } from 'hono'
import type { DataSource } from './data.js'
import { ViewerNotFoundError } from './errors.js'
import {
  MAX_LIMIT,
  parseFlag,
  parseId,
  parseInteger,
  parsePageFilters,
  parseQuery,
  parseToken,
  parseUrl,
} from './params.js'

/** CSP for anything that is archived bytes: a sandboxed document that may load nothing. */
export const RAW_CSP: string =
  "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'"

/**
 * Register the `/api/*` routes on `app` (paths are prefixed with `base`).
 *
 * @example
 * registerApi(app, '', archive, createDataSource(archive))
 */
export function registerApi(app: Hono, base: string, archive: Archive, data: DataSource): void {
  const q = (c: Context) => (name: string) => c.req.query(name)

  app.get(`${base}/api/pages`, async (c) => c.json(await data.listPages(parsePageFilters(q(c)))))

  app.get(`${base}/api/pages/:id`, async (c) => c.json(await data.pageById(parseId(c.req.param('id'), 'id'))))

  app.get(`${base}/api/page`, async (c) => c.json(await data.pageByUrl(parseUrl(c.req.query('url')))))

  app.get(`${base}/api/timeline`, async (c) => {
    const url = await urlOrId(c, data)
    const tl = await archive.timeline(url)
    if (tl === null) throw new ViewerNotFoundError('page', url)
    return c.json(tl)
  })

  app.get(`${base}/api/versions/:id`, async (c) => {
    const id = parseId(c.req.param('id'), 'id')
    const v = await archive.getVersionById(id)
    if (v === null) throw new ViewerNotFoundError('version', id)
    return c.json(v)
  })

  app.get(`${base}/api/diff`, async (c) => {
    const url = parseUrl(c.req.query('url'))
    const from = parseId(c.req.query('from'), 'from')
    const to = parseId(c.req.query('to'), 'to')
    const r = await data.diff(url, from, to, parseFlag(c.req.query('ignorePunct'), 'ignorePunct'))
    const brief = (v: typeof r.from) => ({ id: v.id, number: v.number, createdAt: v.createdAt, title: v.title })
    return c.json({
      url: r.page.url,
      pageId: r.page.id,
      from: brief(r.from),
      to: brief(r.to),
      ignorePunct: r.ignorePunct,
      diff: r.diff,
    })
  })

  app.get(`${base}/api/search`, async (c) => {
    const text = parseQuery(c.req.query('q'))
    const host = parseToken(c.req.query('host'), 'host')
    const limit = parseInteger(c.req.query('limit'), 'limit', 1, MAX_LIMIT, 20)
    const latestOnly = parseFlag(c.req.query('latestOnly'), 'latestOnly')
    const hits = await archive.search({ text, limit, latestOnly, ...(host ? { host: host.toLowerCase() } : {}) })
    return c.json({ q: text, hits })
  })

  app.get(`${base}/api/captures/:id`, async (c) => c.json(await captureOr404(archive, c.req.param('id'))))

  app.get(`${base}/api/captures/:id/raw`, async (c) => {
    const capture = await captureOr404(archive, c.req.param('id'))
    const body = await archive.getBody(capture.id)
    if (body === null) throw new ViewerNotFoundError('body', capture.id)
    const ext = isHtml(capture) ? 'html' : 'bin'
    return c.body(new Uint8Array(body), 200, {
      'Content-Type': 'application/octet-stream',
      'Content-Disposition': `attachment; filename="capture-${capture.id}.${ext}"`,
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': RAW_CSP,
      'Cache-Control': 'private, max-age=3600',
    })
  })

  app.get(`${base}/api/captures/:id/warc`, async (c) => {
    const capture = await captureOr404(archive, c.req.param('id'))
    // A failed fetch has no HTTP response to record: WARC has no record type for it.
    if (capture.outcome === 'failed') throw new ViewerNotFoundError('body', capture.id)
    const body = capture.bodyHash === null ? null : await archive.getBody(capture.id)
    const name = `capture-${capture.id}.warc.gz`
    const chunks: Uint8Array[] = []
    for await (const chunk of exportWarc([{ capture, body }], { filename: name })) chunks.push(chunk)
    return c.body(new Uint8Array(Buffer.concat(chunks)), 200, {
      'Content-Type': 'application/octet-stream',
      'Content-Disposition': `attachment; filename="${name}"`,
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': RAW_CSP,
      'Cache-Control': 'private, max-age=3600',
    })
  })

  app.get(`${base}/api/stats`, async (c) => {
    // `stats` lists the blob store (for blob counts and sizes): only this endpoint pays for it, not the home page.
    const [stats, { hosts, sources, industries }] = await Promise.all([archive.stats(), data.facets()])
    return c.json({ stats, hosts, sources, industries })
  })
}

/** Load a capture from a path id, or throw 400 / 404. */
export async function captureOr404(archive: Archive, rawId: string | undefined): Promise<Capture> {
  const id = parseId(rawId, 'id')
  const capture = await archive.getCapture(id)
  if (capture === null) throw new ViewerNotFoundError('capture', id)
  return capture
}

/** The capture's `Content-Type` header, lower-cased, or ''. */
export function contentTypeOf(capture: Capture): string {
  return (capture.headers.find(([k]) => k === 'content-type')?.[1] ?? '').toLowerCase()
}

/** Whether the capture's body is HTML (by its header, or by default when there is none). */
export function isHtml(capture: Capture): boolean {
  const ct = contentTypeOf(capture)
  return ct === '' || ct.includes('html')
}

// --- Internal helpers ---

/** `?url=` or `?id=` (a page id). */
async function urlOrId(c: Context, data: DataSource): Promise<string> {
  const id = c.req.query('id')
  if (id !== undefined && c.req.query('url') === undefined) return (await data.pageById(parseId(id, 'id'))).url
  return parseUrl(c.req.query('url'))
}
