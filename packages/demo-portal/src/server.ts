/**
 * One `node:http` server per demo host, on 127.0.0.1. Routing returns a `Resource`; this module adds what
 * every host shares (validators, 304s, HEAD, 404/405) and the per-host quirks: a delay on every response,
 * and 429 + Retry-After for the first request of each URL.
 */
import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'

/** What a route answers. */
export interface Resource {
  /** @default 200 */
  status?: number
  body: Uint8Array | string
  contentType: string
  /** Sent as `Last-Modified` (and compared with `If-Modified-Since`). */
  lastModified?: Date
  /** Strong ETag; derived from the body when absent (only for 200s). */
  etag?: string
  /** Extra headers (e.g. `location`). */
  headers?: Record<string, string>
}

/** Resolves a path (without query) to a resource, or null for 404. */
export type Router = (path: string) => Resource | null

/** Per-host misbehaviour. */
export interface Quirks {
  /** Delay before every response, in ms. @default 0 */
  delayMs?: number
  /** Answer `429` with `Retry-After: 1` to the first request of each URL (robots.txt excepted). @default false */
  rateLimitFirst?: boolean
  /** Called for every request as it arrives (path with query, method, epoch ms). @default undefined */
  onRequest?: (method: string, path: string, at: number) => void
}

/** A listening host. */
export interface HostServer {
  port: number
  url: string
  close(): Promise<void>
}

/** Start a server on 127.0.0.1:`port` (0 = ephemeral). */
export async function startHost(router: Router, quirks: Quirks, port: number): Promise<HostServer> {
  const seen = new Set<string>()
  const server = createServer((req, res) => {
    quirks.onRequest?.(req.method ?? 'GET', req.url ?? '/', Date.now())
    const handle = (): void => {
      const url = req.url ?? '/'
      const path = url.split('?')[0] ?? '/'
      if (quirks.rateLimitFirst && path !== '/robots.txt' && !seen.has(url)) {
        seen.add(url)
        res.writeHead(429, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '1' }).end('Too Many Requests')
        return
      }
      respond(req, res, router)
    }
    const delay = quirks.delayMs ?? 0
    if (delay <= 0) return handle()
    const timer = setTimeout(handle, delay)
    // A client that gives up must not keep a timer (and the process) alive.
    res.once('close', () => clearTimeout(timer))
  })
  return listen(server, port)
}

/** Start a server with a raw handler (the control server). */
export async function startRaw(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  port: number,
): Promise<HostServer> {
  return listen(createServer(handler), port)
}

/** A strong ETag for bytes. */
export function etagOf(body: Uint8Array | string): string {
  return `"${createHash('sha1').update(body).digest('base64url').slice(0, 20)}"`
}

// --- Internal helpers ---

function respond(req: IncomingMessage, res: ServerResponse, router: Router): void {
  const method = req.method ?? 'GET'
  if (method !== 'GET' && method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('Method Not Allowed')
    return
  }
  let resource: Resource | null
  try {
    resource = router((req.url ?? '/').split('?')[0] ?? '/')
  } catch (error) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error))
    return
  }
  if (!resource) {
    res
      .writeHead(404, { 'content-type': 'text/html; charset=utf-8' })
      .end('<h1>404 Not Found</h1><p>页面不存在或已被删除</p>')
    return
  }
  const status = resource.status ?? 200
  const headers: Record<string, string> = { 'content-type': resource.contentType, ...resource.headers }
  if (status === 200) {
    headers.etag = resource.etag ?? etagOf(resource.body)
    if (resource.lastModified) headers['last-modified'] = resource.lastModified.toUTCString()
    headers['cache-control'] = 'no-cache'
    if (isFresh(req, headers.etag, resource.lastModified)) {
      res.writeHead(304, headers).end()
      return
    }
  }
  let body = typeof resource.body === 'string' ? Buffer.from(resource.body, 'utf8') : resource.body
  // As the portals do (nginx/Apache with gzip on): text gzipped for a client that accepts it.
  if (status === 200 && body.byteLength >= GZIP_MIN_BYTES && COMPRESSIBLE_RE.test(resource.contentType)) {
    headers.vary = 'Accept-Encoding'
    if (/\bgzip\b/i.test(String(req.headers['accept-encoding'] ?? ''))) {
      body = gzipped(body)
      headers['content-encoding'] = 'gzip'
    }
  }
  headers['content-length'] = String(body.byteLength)
  res.writeHead(status, headers)
  res.end(method === 'HEAD' ? undefined : body)
}

const GZIP_MIN_BYTES = 1024
const COMPRESSIBLE_RE = /^(?:text\/|application\/(?:xml|rss\+xml|atom\+xml|json|javascript))/i
/** Gzipped bodies by a hash of their bytes, so a page is compressed once, not per request. */
const gzipCache = new Map<string, Buffer>()

function gzipped(body: Uint8Array): Buffer {
  const key = etagOf(body)
  let out = gzipCache.get(key)
  if (!out) {
    out = gzipSync(body, { level: 6 })
    if (gzipCache.size >= 2000) gzipCache.delete(gzipCache.keys().next().value as string)
    gzipCache.set(key, out)
  }
  return out
}

/** RFC 9110 §13.2.2: If-None-Match decides when present; If-Modified-Since only otherwise. */
function isFresh(req: IncomingMessage, etag: string, lastModified: Date | undefined): boolean {
  const inm = req.headers['if-none-match']
  if (inm !== undefined) return inm.split(',').some((tag) => tag.trim() === etag || tag.trim() === '*')
  const ims = req.headers['if-modified-since']
  if (!ims || !lastModified) return false
  const since = Date.parse(ims)
  // HTTP dates have one-second precision.
  return !Number.isNaN(since) && Math.floor(lastModified.getTime() / 1000) <= Math.floor(since / 1000)
}

function listen(server: Server, port: number): Promise<HostServer> {
  // Keep-alive sockets would otherwise hold close() open for the client's idle timeout.
  server.keepAliveTimeout = 1_000
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject)
      const actual = (server.address() as AddressInfo).port
      resolve({
        port: actual,
        url: `http://127.0.0.1:${actual}`,
        close: () =>
          new Promise<void>((done, fail) => {
            server.closeAllConnections()
            server.close((error) => (error ? fail(error) : done()))
          }),
      })
    })
  })
}
