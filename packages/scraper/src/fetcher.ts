/**
 * The HTTP fetcher: undici `request` on one keep-alive `Agent`, with connect/headers/body/total timeouts,
 * a body-size limit on the bytes received and on the decompressed size (a gzip bomb stops at the limit), manual
 * redirects with the chain recorded, gzip/deflate/br decoding and conditional GETs. It returns bytes and
 * headers only: decoding charsets and parsing articles belong to `@parkwatch/extractor`.
 */
import type { Readable } from 'node:stream'
import { promisify } from 'node:util'
import { brotliDecompress, gunzip, inflate } from 'node:zlib'
import { Agent, request } from 'undici'
import { z } from 'zod'
import {
  BlockedError,
  BodyTooLargeError,
  ContentEncodingError,
  FetchTimeoutError,
  HttpStatusError,
  InvalidUrlError,
  NetworkError,
  parseOptions,
  RateLimitedError,
  type RedirectHop,
  ServerError,
  TooManyRedirectsError,
} from './errors.js'
import { parseRetryAfter } from './retry.js'

/** The User-Agent sent when none is configured. */
export const DEFAULT_USER_AGENT = 'parkwatch/0.1 (+https://github.com/parkwatch/parkwatch)'

/** How long each phase of a request took, in milliseconds. */
export interface FetchTiming {
  /** When the first request was sent (ISO-8601). */
  startedAt: string
  /** DNS lookup of the final hop; null when not measured (undici does not expose it per request). */
  dnsMs: number | null
  /** TCP/TLS connect of the final hop; null when not measured or a kept-alive socket was reused. */
  connectMs: number | null
  /** From the first request to the final response's headers (redirect hops included). */
  ttfbMs: number
  /** From the first request to the last body byte. */
  totalMs: number
}

/** What one fetch returns: raw bytes plus everything needed to record a capture. */
export interface FetchResult {
  /** The URL asked for (normalised by WHATWG `URL`). */
  url: string
  /** The URL that answered after redirects. */
  finalUrl: string
  status: number
  /** Final response headers, lower-cased names; repeated headers joined with `, `. */
  headers: Record<string, string>
  /** The body, decompressed. Empty for a 304. */
  body: Uint8Array
  /**
   * The body as it came when the server sent it with `Content-Encoding: gzip` (and the fetcher decoded it):
   * an archive can keep these bytes instead of compressing `body` again. Null otherwise.
   */
  bodyGzip: Uint8Array | null
  /** When the final response's headers arrived (ISO-8601). */
  fetchedAt: string
  /** Redirect hops in order, absolute URLs. */
  redirects: RedirectHop[]
  timing: FetchTiming
  /** `http` for this fetcher, `browser` for the renderer. */
  mode: 'http' | 'browser'
  /** True for a 304 answer to a conditional request: the page is unchanged since the given validators. */
  notModified: boolean
  /** The `Content-Type` header, or null. */
  contentType: string | null
}

const fetcherOptionsSchema = z.strictObject({
  userAgent: z.string().min(1).optional(),
  connectTimeoutMs: z.number().int().positive().optional(),
  headersTimeoutMs: z.number().int().positive().optional(),
  bodyTimeoutMs: z.number().int().positive().optional(),
  totalTimeoutMs: z.number().int().positive().optional(),
  maxBodyBytes: z.number().int().positive().optional(),
  maxRedirects: z.number().int().nonnegative().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  decompress: z.boolean().optional(),
  connectionsPerOrigin: z.number().int().positive().optional(),
})

/** Options of `createFetcher`. */
export interface FetcherOptions {
  /** The `User-Agent` header. @default DEFAULT_USER_AGENT */
  userAgent?: string
  /** Time to open the TCP/TLS connection. @default 10_000 */
  connectTimeoutMs?: number
  /** Time from sending the request to receiving the response headers. @default 15_000 */
  headersTimeoutMs?: number
  /** Longest silence between two body chunks. @default 15_000 */
  bodyTimeoutMs?: number
  /** Hard cap on the whole fetch, redirects included (catches slow-drip servers). @default 60_000 */
  totalTimeoutMs?: number
  /** Largest decompressed body accepted; the download is aborted past it. @default 10 MiB */
  maxBodyBytes?: number
  /** Redirects followed before giving up. @default 10 */
  maxRedirects?: number
  /** Extra headers sent with every request (lower-case names win over the defaults). @default {} */
  headers?: Record<string, string>
  /** Ask for and decode gzip/deflate/br. @default true */
  decompress?: boolean
  /** Sockets kept per origin. @default 8 */
  connectionsPerOrigin?: number
}

/** Per-request options of `Fetcher.fetch`. */
export interface FetchRequestOptions {
  /** ETag of the last capture: sent as `If-None-Match`. @default undefined */
  ifNoneMatch?: string
  /** `Last-Modified` of the last capture (header string or Date): sent as `If-Modified-Since`. @default undefined */
  ifModifiedSince?: string | Date
  /** Extra headers for this request only. @default {} */
  headers?: Record<string, string>
  /** Cancels the fetch; the signal's reason is thrown. @default undefined */
  signal?: AbortSignal
  /**
   * Called before each redirect is followed; throwing stops the fetch with that error. The page loader
   * uses it to check robots.txt for every hop, since a redirect may lead to a disallowed path or host.
   * @default undefined
   */
  onRedirect?: (hop: RedirectHop) => void | Promise<void>
}

/** A configured HTTP client. Call `close()` when done to release sockets. */
export interface Fetcher {
  /**
   * GET `url`, following redirects.
   * @throws {InvalidUrlError | FetchTimeoutError | NetworkError | ServerError | RateLimitedError |
   *   BlockedError | HttpStatusError | BodyTooLargeError | TooManyRedirectsError | ContentEncodingError}
   */
  fetch(url: string, options?: FetchRequestOptions): Promise<FetchResult>
  /** The User-Agent this fetcher sends. */
  readonly userAgent: string
  /** Close the connection pool. */
  close(): Promise<void>
}

/**
 * Create an HTTP fetcher.
 *
 * @throws {InvalidOptionsError} listing every bad option.
 * @example
 * ```ts
 * const fetcher = createFetcher({ userAgent: 'parkwatch/1.0', maxBodyBytes: 5_000_000 })
 * const res = await fetcher.fetch('https://example.com/news/1.html', { ifNoneMatch: '"abc"' })
 * if (res.notModified) console.log('unchanged')
 * await fetcher.close()
 * ```
 */
export function createFetcher(options: FetcherOptions = {}): Fetcher {
  const opts = parseOptions(fetcherOptionsSchema, options, 'fetcher options')
  const cfg = {
    userAgent: opts.userAgent ?? DEFAULT_USER_AGENT,
    connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
    headersTimeoutMs: opts.headersTimeoutMs ?? 15_000,
    bodyTimeoutMs: opts.bodyTimeoutMs ?? 15_000,
    totalTimeoutMs: opts.totalTimeoutMs ?? 60_000,
    maxBodyBytes: opts.maxBodyBytes ?? 10 * 1024 * 1024,
    maxRedirects: opts.maxRedirects ?? 10,
    headers: lowerKeys(opts.headers ?? {}),
    decompress: opts.decompress ?? true,
  }
  const agent = new Agent({
    connect: { timeout: cfg.connectTimeoutMs },
    headersTimeout: cfg.headersTimeoutMs,
    bodyTimeout: cfg.bodyTimeoutMs,
    connections: opts.connectionsPerOrigin ?? 8,
  })
  const baseHeaders: Record<string, string> = {
    'user-agent': cfg.userAgent,
    accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
    'accept-language': 'zh-CN,zh;q=0.9,en;q=0.6',
    ...(cfg.decompress ? { 'accept-encoding': 'gzip, deflate, br' } : {}),
    ...cfg.headers,
  }

  async function fetchOnce(url: string, reqOpts: FetchRequestOptions = {}): Promise<FetchResult> {
    const start = checkUrl(url)
    const headers: Record<string, string> = { ...baseHeaders, ...lowerKeys(reqOpts.headers ?? {}) }
    if (reqOpts.ifNoneMatch) headers['if-none-match'] = reqOpts.ifNoneMatch
    if (reqOpts.ifModifiedSince) {
      headers['if-modified-since'] =
        reqOpts.ifModifiedSince instanceof Date ? reqOpts.ifModifiedSince.toUTCString() : reqOpts.ifModifiedSince
    }

    // One controller aborts everything: the caller's signal and our total timer both feed it, and the
    // reason tells us which one fired so the right error is thrown.
    const controller = new AbortController()
    const totalTimer = setTimeout(() => controller.abort(TOTAL_TIMEOUT), cfg.totalTimeoutMs)
    const onCallerAbort = (): void => controller.abort(reqOpts.signal?.reason)
    reqOpts.signal?.addEventListener('abort', onCallerAbort, { once: true })
    if (reqOpts.signal?.aborted) onCallerAbort()

    const t0 = performance.now()
    const startedAt = new Date().toISOString()
    const redirects: RedirectHop[] = []
    let current = start
    try {
      for (;;) {
        const res = await request(current, {
          method: 'GET',
          headers,
          dispatcher: agent,
          signal: controller.signal,
        })
        const resHeaders = flattenHeaders(res.headers)
        if (res.statusCode >= 300 && res.statusCode < 400 && res.statusCode !== 304 && resHeaders.location) {
          // Redirect bodies are tiny and useless; dump() drains them so the socket can be reused.
          await res.body.dump().catch(() => {})
          const location = resolveLocation(resHeaders.location, current)
          redirects.push({ url: current, status: res.statusCode, location })
          if (redirects.length > cfg.maxRedirects) {
            throw new TooManyRedirectsError(start, cfg.maxRedirects, redirects)
          }
          await reqOpts.onRedirect?.({ url: current, status: res.statusCode, location })
          current = location
          continue
        }
        const ttfbMs = performance.now() - t0
        const fetchedAt = new Date().toISOString()
        if (res.statusCode !== 304 && (res.statusCode < 200 || res.statusCode >= 300)) {
          await res.body.dump().catch(() => {})
          throw statusError(current, res.statusCode, resHeaders)
        }
        const { body, gzip } =
          res.statusCode === 304
            ? { body: new Uint8Array(0), gzip: null }
            : await readBody(res.body, resHeaders, current, cfg.maxBodyBytes, cfg.decompress)
        return {
          url: start,
          finalUrl: current,
          status: res.statusCode,
          headers: resHeaders,
          body,
          bodyGzip: gzip,
          fetchedAt,
          redirects,
          timing: { startedAt, dnsMs: null, connectMs: null, ttfbMs, totalMs: performance.now() - t0 },
          mode: 'http',
          notModified: res.statusCode === 304,
          contentType: resHeaders['content-type'] ?? null,
        }
      }
    } catch (error) {
      throw mapError(error, current, controller.signal, cfg)
    } finally {
      clearTimeout(totalTimer)
      reqOpts.signal?.removeEventListener('abort', onCallerAbort)
    }
  }

  return {
    fetch: fetchOnce,
    userAgent: cfg.userAgent,
    close: () => agent.close(),
  }
}

/**
 * The typed error for a non-success status: 429 -> `RateLimitedError`, 5xx -> `ServerError`,
 * 401/403 -> `BlockedError`, anything else -> `HttpStatusError`. `Retry-After` is parsed for 429 and 5xx.
 */
export function statusError(
  url: string,
  status: number,
  headers: Record<string, string>,
): ServerError | RateLimitedError | BlockedError | HttpStatusError {
  const retryAfterMs = headers['retry-after'] ? parseRetryAfter(headers['retry-after']) : null
  if (status === 429) return new RateLimitedError({ url, status, headers, retryAfterMs })
  if (status >= 500) return new ServerError({ url, status, headers, retryAfterMs })
  if (status === 401 || status === 403) return new BlockedError({ url, status, headers })
  return new HttpStatusError({ url, status, headers })
}

// --- Internal helpers ---

/** Marker abort reason for our own total timer. */
const TOTAL_TIMEOUT: unique symbol = Symbol('total-timeout')

/** Codes that mean the connection or the server broke: worth another try later. Other undici codes
 * (`UND_ERR_INVALID_ARG`...) are programming errors and pass through unchanged. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
])

function checkUrl(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch (cause) {
    throw new InvalidUrlError(url, 'not an absolute URL', { cause })
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new InvalidUrlError(url, `protocol ${parsed.protocol} is not http or https`)
  }
  // Fragments are never sent; dropping them keeps result URLs stable keys.
  parsed.hash = ''
  return parsed.href
}

function resolveLocation(location: string, base: string): string {
  let resolved: string
  try {
    resolved = new URL(location, base).href
  } catch (cause) {
    throw new InvalidUrlError(location, `bad Location header from ${base}`, { cause })
  }
  return checkUrl(resolved)
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value
  }
  return out
}

function lowerKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]))
}

async function readBody(
  raw: Readable,
  headers: Record<string, string>,
  url: string,
  limit: number,
  decompress: boolean,
): Promise<{ body: Uint8Array; gzip: Uint8Array | null }> {
  const declared = Number(headers['content-length'])
  const encoding = (headers['content-encoding'] ?? '').trim().toLowerCase()
  const identity = !decompress || encoding === '' || encoding === 'identity'
  // A declared length over the limit fails at once, before a byte is read.
  if (identity && Number.isFinite(declared) && declared > limit) {
    discard(raw)
    throw new BodyTooLargeError(url, limit)
  }
  const decode = identity ? null : DECODERS.get(encoding)
  if (!identity && !decode) {
    discard(raw)
    throw new ContentEncodingError(url, encoding)
  }
  // Encoded bytes never decode to fewer bytes than they take, bar a few bytes of framing per block: a
  // compressed body this much over the limit can only decode to more than the limit.
  const wire = await readAll(raw, decode ? limit + (limit >>> 10) + 1024 : limit, url, limit)
  if (!decode) return { body: wire, gzip: null }
  try {
    // One call on libuv's pool with an output buffer sized from the input (HTML compresses 3-6x): a page costs
    // one or two pool hops instead of one per 16 KB of output through a stream, and `maxOutputLength` stops a
    // gzip bomb at the limit without inflating the rest.
    const chunkSize = Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, 2 ** Math.ceil(Math.log2(wire.byteLength * 4 + 1))))
    const out = await decode(wire, { chunkSize, maxOutputLength: limit })
    const body = new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
    return { body, gzip: encoding === 'gzip' || encoding === 'x-gzip' ? wire : null }
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (code === 'ERR_BUFFER_TOO_LARGE') throw new BodyTooLargeError(url, limit)
    if (typeof code === 'string' && code.startsWith('Z_')) {
      throw new ContentEncodingError(url, encoding, { cause: error })
    }
    throw error
  }
}

/** Every byte of `raw`, failing with `BodyTooLargeError` (for `limit`) past `cap` bytes. */
async function readAll(raw: Readable, cap: number, url: string, limit: number): Promise<Uint8Array> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of raw) {
    const buf = chunk as Buffer
    size += buf.length
    if (size > cap) {
      discard(raw)
      throw new BodyTooLargeError(url, limit)
    }
    chunks.push(buf)
  }
  const out = Buffer.concat(chunks, size)
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
}

/**
 * Abandon a body. undici reports a body destroyed before it ended as an `error` event (a `RequestAbortedError`),
 * and with no listener yet that event would be an uncaught exception.
 */
function discard(raw: Readable): void {
  raw.on('error', () => {})
  raw.destroy()
}

type Decode = (input: Uint8Array, options: { chunkSize: number; maxOutputLength: number }) => Promise<Buffer>

/**
 * One-shot decoders by `Content-Encoding`. HTTP "deflate" is zlib-wrapped per RFC 9110; the rare raw-deflate
 * server is not worth a sniffing pass.
 */
const DECODERS: ReadonlyMap<string, Decode> = new Map([
  ['gzip', promisify(gunzip)],
  ['x-gzip', promisify(gunzip)],
  ['deflate', promisify(inflate)],
  ['br', promisify(brotliDecompress)],
])
const MIN_CHUNK = 16 * 1024
const MAX_CHUNK = 1024 * 1024

function mapError(
  error: unknown,
  url: string,
  signal: AbortSignal,
  cfg: { connectTimeoutMs: number; headersTimeoutMs: number; bodyTimeoutMs: number; totalTimeoutMs: number },
): unknown {
  if (signal.aborted) {
    if (signal.reason === TOTAL_TIMEOUT)
      return new FetchTimeoutError(url, 'total', cfg.totalTimeoutMs, { cause: error })
    // The caller cancelled: give back their reason, as fetch() does.
    return signal.reason
  }
  const code = (error as { code?: unknown } | null)?.code
  if (code === 'UND_ERR_CONNECT_TIMEOUT')
    return new FetchTimeoutError(url, 'connect', cfg.connectTimeoutMs, { cause: error })
  if (code === 'UND_ERR_HEADERS_TIMEOUT')
    return new FetchTimeoutError(url, 'headers', cfg.headersTimeoutMs, { cause: error })
  if (code === 'UND_ERR_BODY_TIMEOUT') return new FetchTimeoutError(url, 'body', cfg.bodyTimeoutMs, { cause: error })
  // HPE_*: llhttp could not parse the response (a broken server); ERR_TLS/ERR_SSL/CERT_*: TLS failures.
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || /^(HPE_|ERR_TLS|ERR_SSL|CERT_)/.test(code))) {
    return new NetworkError(url, code, { cause: error })
  }
  // undici leaves `code` unset on some parser errors ("Response does not match the HTTP/1.1 protocol").
  if ((error as Error | null)?.name === 'HTTPParserError') return new NetworkError(url, 'HPE_INVALID', { cause: error })
  // Our own typed errors, and genuine bugs, pass through unchanged.
  return error
}
