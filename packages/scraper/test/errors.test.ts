import { describe, expect, it } from 'vitest'
import {
  AttemptsFailedError,
  BlockedError,
  BodyTooLargeError,
  BrowserError,
  ContentEncodingError,
  DocumentParseError,
  errorKind,
  FetchTimeoutError,
  HttpStatusError,
  InvalidOptionsError,
  InvalidUrlError,
  isRetryable,
  NetworkError,
  RateLimitedError,
  RobotsDisallowedError,
  ScraperError,
  ServerError,
  SourcesFileError,
  statusError,
  TooManyRedirectsError,
} from '../src/index.js'

const url = 'http://x.test/a'
const all: ScraperError[] = [
  new FetchTimeoutError(url, 'headers', 10),
  new NetworkError(url, 'ECONNRESET'),
  new ServerError({ url, status: 502 }),
  new RateLimitedError({ url, status: 429, retryAfterMs: 1000 }),
  new BlockedError({ url, status: 403 }),
  new HttpStatusError({ url, status: 404 }),
  new RobotsDisallowedError(url, 'parkwatch'),
  new BodyTooLargeError(url, 10),
  new TooManyRedirectsError(url, 3, []),
  new InvalidUrlError('x', 'not absolute'),
  new ContentEncodingError(url, 'zstd'),
  new DocumentParseError(url, 'feed', 'no root'),
  new BrowserError(url, 'crashed'),
  new InvalidOptionsError('fetcher options', [{ path: 'a', message: 'b' }]),
  new SourcesFileError('s.yaml', [{ path: 'sites', message: 'expected at least one site', line: 1 }]),
]

describe('errors', () => {
  it('retries exactly timeouts, network errors, 5xx and 429', () => {
    const retryable = all.filter(isRetryable).map((e) => e.name)
    expect(retryable).toEqual(['FetchTimeoutError', 'NetworkError', 'ServerError', 'RateLimitedError'])
    expect(isRetryable(new Error('plain'))).toBe(false)
  })

  it('gives every class a distinct stable code, a kind, a name and the [scraper] prefix', () => {
    const codes = all.map((e) => e.code)
    expect(new Set(codes).size).toBe(all.length)
    for (const error of all) {
      expect(error.code).toMatch(/^SCRAPER_[A-Z0-9_]+$/)
      expect(error).toBeInstanceOf(ScraperError)
      expect(error.name).toBe(error.constructor.name)
      expect(error.message.startsWith('[scraper] ')).toBe(true)
      expect(errorKind(error)).toBe(error.kind)
    }
    expect(all.map((e) => e.kind).slice(0, 6)).toEqual([
      'timeout',
      'network',
      'http-5xx',
      'rate-limited',
      'blocked',
      'http-4xx',
    ])
    expect(errorKind('string')).toBe('other')
  })

  it('maps statuses the way the queue needs them', () => {
    expect(statusError(url, 429, { 'retry-after': '3' })).toMatchObject({
      name: 'RateLimitedError',
      retryAfterMs: 3000,
    })
    expect(statusError(url, 503, {})).toMatchObject({ name: 'ServerError', retryAfterMs: null })
    expect(statusError(url, 401, {})).toBeInstanceOf(BlockedError)
    expect(statusError(url, 410, {})).toBeInstanceOf(HttpStatusError)
  })

  it('formats file issues with their lines and keeps the cause chain', () => {
    expect(all.at(-1)?.message).toBe(
      '[scraper] bad sources file s.yaml:\n  - sites (line 1): expected at least one site',
    )
    const inner = new NetworkError(url, 'ECONNREFUSED')
    const failed = new AttemptsFailedError(
      [{ attempt: 1, error: inner, at: new Date(0).toISOString(), delayMs: null }],
      true,
    )
    expect(failed.cause).toBe(inner)
    expect(failed.url).toBe(url)
    expect(failed.kind).toBe('network')
    expect(failed.message).toContain('gave up after 1 attempt(s)')
  })
})
