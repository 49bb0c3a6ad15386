/**
 * A real local HTTP server for tests (crawlee `http_crawler.test.ts`, cheerio `index.spec.ts`): `node:http`
 * on 127.0.0.1 with an OS-chosen port and a route table. Both undici and Playwright tests use it; nothing
 * is mocked and nothing leaves the machine.
 *
 * @example
 * ```ts
 * const server = await startFixtureServer({
 *   '/article': html('<h1>hi</h1>'),
 *   '/gbk': sendEncoded('gbk', '<meta charset="gbk"><p>苏州工业园区</p>', { declare: 'meta' }),
 *   '/old': redirect('/article'),
 *   '/slow': delay(5_000),
 *   '/blocked': status(403),
 * })
 * await fetch(`${server.url}/article`)
 * await server.close()
 * ```
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib'

/** Handles one request. May be async; errors become a 500. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>

/** A request the server saw, in arrival order. */
export interface RecordedRequest {
  method: string
  /** Path plus query, as sent. */
  path: string
  headers: IncomingMessage['headers']
  /** `performance.now()` when the request arrived, for spacing measurements. */
  at: number
}

/** A running fixture server. */
export interface FixtureServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string
  port: number
  /** Every request received so far. */
  requests: RecordedRequest[]
  /** How many requests hit `path` (the query string is ignored unless `path` has one). */
  hits(path: string): number
  /** Close the server, cutting open connections (slow routes included). */
  close(): Promise<void>
}

/**
 * Start a server on 127.0.0.1:0. Routes match the full path with query first, then the path alone;
 * anything else is a 404.
 */
export async function startFixtureServer(routes: Record<string, RouteHandler>): Promise<FixtureServer> {
  const requests: RecordedRequest[] = []
  const server = createServer((req, res) => {
    const path = req.url ?? '/'
    requests.push({ method: req.method ?? 'GET', path, headers: req.headers, at: performance.now() })
    const handler = routes[path] ?? routes[path.split('?')[0] ?? path]
    if (!handler) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
      return
    }
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' })
        res.end(String(error))
      })
  })
  // Keep-alive sockets would otherwise hold close() open for the client's idle timeout.
  server.keepAliveTimeout = 1_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    hits: (path) => requests.filter((r) => (path.includes('?') ? r.path : r.path.split('?')[0]) === path).length,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}

/** Options shared by the body-sending helpers. */
export interface SendOptions {
  /** @default 200 */
  status?: number
  /** Extra response headers. @default {} */
  headers?: Record<string, string>
}

/** Respond with a UTF-8 HTML page. */
export function html(body: string, options: SendOptions = {}): RouteHandler {
  return send(Buffer.from(body, 'utf8'), 'text/html; charset=utf-8', options)
}

/** Respond with bytes and a content type. */
export function send(body: Uint8Array | string, contentType: string, options: SendOptions = {}): RouteHandler {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body)
  return (_req, res) => {
    res.writeHead(options.status ?? 200, { 'content-type': contentType, ...options.headers })
    res.end(bytes)
  }
}

/** Options of `sendEncoded`. */
export interface EncodedOptions extends SendOptions {
  /** Where the charset is declared: the `Content-Type` header, only the page's own `<meta>`, or nowhere.
   * With `meta`, put the `<meta charset>` in the HTML yourself. @default 'header' */
  declare?: 'header' | 'meta' | 'none'
  /** @default 'text/html' */
  mediaType?: string
}

/** Respond with `text` encoded in a legacy charset (gbk, gb18030, big5, windows-1250, shift_jis...). */
export function sendEncoded(charset: string, text: string, options: EncodedOptions = {}): RouteHandler {
  const bytes = encodeLegacy(text, charset)
  const mediaType = options.mediaType ?? 'text/html'
  const declare = options.declare ?? 'header'
  return send(bytes, declare === 'header' ? `${mediaType}; charset=${charset}` : mediaType, options)
}

/** Redirect to `to` (relative or absolute) with a 301/302/303/307/308. */
export function redirect(to: string, code = 302): RouteHandler {
  return (_req, res) => {
    res.writeHead(code, { location: to }).end()
  }
}

/** Answer with a bare status and an optional body and headers. */
export function status(code: number, body = '', headers: Record<string, string> = {}): RouteHandler {
  return (_req, res) => {
    res.writeHead(code, { 'content-type': 'text/plain', ...headers }).end(body)
  }
}

/** Wait `ms` before running `then` (default: a small HTML page); the wait ends early if the client leaves. */
export function delay(ms: number, then: RouteHandler = html('<p>late</p>')): RouteHandler {
  return (req, res) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        res.off('close', onClose)
        Promise.resolve(then(req, res)).then(resolve, resolve)
      }, ms)
      const onClose = (): void => {
        clearTimeout(timer)
        resolve()
      }
      // `close` on the request fires when the client hangs up before we answered.
      res.once('close', onClose)
    })
}

/** Accept the request and never answer (a host that hangs). */
export function never(): RouteHandler {
  return () => {}
}

/** Respond with `body` compressed with gzip, deflate or br (`Content-Encoding` set accordingly). */
export function compressed(
  encoding: 'gzip' | 'deflate' | 'br',
  body: string | Uint8Array,
  options: SendOptions = {},
): RouteHandler {
  const raw = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body)
  const packed =
    encoding === 'gzip' ? gzipSync(raw) : encoding === 'deflate' ? deflateSync(raw) : brotliCompressSync(raw)
  return send(packed, 'text/html; charset=utf-8', {
    ...options,
    headers: { 'content-encoding': encoding, vary: 'accept-encoding', ...options.headers },
  })
}

/** Validators of a `conditional` route. */
export interface Validators {
  /** Sent as `ETag`; an `If-None-Match` listing it (or `*`) gets a 304. */
  etag?: string
  /** Sent as `Last-Modified`; an `If-Modified-Since` at or after it gets a 304 (when no ETag matched). */
  lastModified?: Date
}

/**
 * Serve `body` with validators and answer conditional requests with 304, as RFC 9110 says: `If-None-Match`
 * decides when present, `If-Modified-Since` otherwise. `body` may be a function so a test can edit the page.
 */
export function conditional(body: string | (() => string), validators: () => Validators): RouteHandler {
  return (req, res) => {
    const { etag, lastModified } = validators()
    const headers: Record<string, string> = { 'content-type': 'text/html; charset=utf-8' }
    if (etag) headers.etag = etag
    if (lastModified) headers['last-modified'] = lastModified.toUTCString()
    const inm = req.headers['if-none-match']
    const ims = req.headers['if-modified-since']
    let fresh = false
    if (inm !== undefined) {
      fresh = !!etag && inm.split(',').some((tag) => tag.trim() === etag || tag.trim() === '*')
    } else if (ims && lastModified) {
      // HTTP dates have one-second precision.
      fresh = Math.floor(lastModified.getTime() / 1000) <= Math.floor(Date.parse(ims) / 1000)
    }
    if (fresh) {
      res.writeHead(304, headers).end()
      return
    }
    res.writeHead(200, headers).end(typeof body === 'function' ? body() : body)
  }
}

/** Run the handlers in turn, one per request; the last one repeats (e.g. `[status(429), html(page)]`). */
export function sequence(handlers: RouteHandler[]): RouteHandler {
  let i = 0
  return (req, res) => {
    const handler = handlers[Math.min(i++, handlers.length - 1)]
    if (!handler) throw new Error('sequence() needs at least one handler')
    return handler(req, res)
  }
}

/**
 * Encode `text` in a legacy charset. Node ships decoders for them but no encoders, so the reverse table is
 * built once per charset from `TextDecoder` over every single- and double-byte code. GB18030's four-byte
 * sequences are computed for characters outside the BMP (`𠮷`), which GBK cannot encode at all.
 */
export function encodeLegacy(text: string, charset: string): Uint8Array {
  const name = new TextDecoder(charset).encoding
  if (name === 'utf-8') return Buffer.from(text, 'utf8')
  const table = reverseTable(name)
  const out: number[] = []
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0
    if (code < 0x80) {
      out.push(code)
      continue
    }
    const bytes = table.get(ch) ?? (name === 'gb18030' && code >= 0x10000 ? gb18030FourBytes(code) : undefined)
    if (!bytes) throw new Error(`cannot encode ${JSON.stringify(ch)} in ${name}`)
    out.push(...bytes)
  }
  return Uint8Array.from(out)
}

// --- Internal helpers ---

const tables = new Map<string, Map<string, number[]>>()

/** GB18030 maps U+10000.. linearly onto the four-byte codes from 0x90308130 (linear index 189000). */
function gb18030FourBytes(code: number): number[] {
  let n = 189_000 + code - 0x10000
  const b4 = n % 10
  n = (n - b4) / 10
  const b3 = n % 126
  n = (n - b3) / 126
  const b2 = n % 10
  const b1 = (n - b2) / 10
  return [0x81 + b1, 0x30 + b2, 0x81 + b3, 0x30 + b4]
}

function reverseTable(charset: string): Map<string, number[]> {
  const cached = tables.get(charset)
  if (cached) return cached
  const decoder = new TextDecoder(charset, { fatal: true })
  const table = new Map<string, number[]>()
  const add = (bytes: number[]): void => {
    try {
      const ch = decoder.decode(Uint8Array.from(bytes))
      // Keep the first (canonical) byte sequence for each character.
      if ([...ch].length === 1 && !table.has(ch)) table.set(ch, bytes)
    } catch {
      // not a valid sequence in this charset
    }
  }
  for (let b = 0x80; b <= 0xff; b++) add([b])
  for (let lead = 0x81; lead <= 0xfe; lead++) {
    for (let trail = 0x40; trail <= 0xfe; trail++) add([lead, trail])
  }
  tables.set(charset, table)
  return table
}
