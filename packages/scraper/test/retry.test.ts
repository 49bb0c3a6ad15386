import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type FixtureServer,
  html,
  sequence,
  startFixtureServer,
  status,
} from '../../../tests/helpers/fixture-server.js'
import {
  AttemptsFailedError,
  createFetcher,
  type Fetcher,
  HttpStatusError,
  parseRetryAfter,
  RateLimitedError,
  retry,
  retryDelay,
  ServerError,
} from '../src/index.js'

describe('retry', () => {
  let server: FixtureServer
  let fetcher: Fetcher
  const future = new Date(Date.now() + 60_000).toUTCString()
  beforeAll(async () => {
    server = await startFixtureServer({
      '/flaky': sequence([status(503), status(502), html('<p>ok</p>')]),
      '/limited': sequence([status(429, '', { 'retry-after': '2' }), html('<p>ok</p>')]),
      '/limited-date': sequence([status(429, '', { 'retry-after': future }), html('<p>ok</p>')]),
      '/limited-real': sequence([status(429, '', { 'retry-after': '1' }), html('<p>ok</p>')]),
      '/missing': status(404),
      '/down': status(500),
    })
    fetcher = createFetcher()
  })
  afterAll(async () => {
    await fetcher.close()
    await server.close()
  })

  /** A sleep that records the waits instead of waiting (a clock mock). */
  const recorder = () => {
    const waits: number[] = []
    return { waits, sleep: async (ms: number) => void waits.push(ms) }
  }

  it('retries 5xx with full-jitter exponential backoff and records each failure', async () => {
    const { waits, sleep } = recorder()
    const result = await retry(() => fetcher.fetch(`${server.url}/flaky`), {
      baseDelayMs: 100,
      random: () => 0.5,
      sleep,
    })
    expect(result.value.status).toBe(200)
    expect(result.attempts).toBe(3)
    // random 0.5 of min(cap, 100 * 2^(n-1)): 50 then 100.
    expect(waits).toEqual([50, 100])
    expect(result.failures.map((f) => [f.attempt, (f.error as ServerError).status, f.delayMs])).toEqual([
      [1, 503, 50],
      [2, 502, 100],
    ])
    expect(server.hits('/flaky')).toBe(3)
  })

  it('honours Retry-After in seconds and as an HTTP date, capped', async () => {
    const seconds = recorder()
    await retry(() => fetcher.fetch(`${server.url}/limited`), { sleep: seconds.sleep })
    expect(seconds.waits).toEqual([2_000])
    const date = recorder()
    await retry(() => fetcher.fetch(`${server.url}/limited-date`), { sleep: date.sleep, maxRetryAfterMs: 10_000 })
    expect(date.waits).toEqual([10_000])
  })

  it('waits for Retry-After in real time before the next request', async () => {
    await retry(() => fetcher.fetch(`${server.url}/limited-real`))
    const times = server.requests.filter((r) => r.path === '/limited-real').map((r) => r.at)
    expect(times).toHaveLength(2)
    expect((times[1] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(950)
  })

  it('does not retry other 4xx', async () => {
    const { waits, sleep } = recorder()
    const error = await retry(() => fetcher.fetch(`${server.url}/missing`), { sleep }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AttemptsFailedError)
    const failed = error as AttemptsFailedError
    expect(failed).toMatchObject({ exhausted: false, kind: 'http-4xx', code: 'SCRAPER_ATTEMPTS_FAILED' })
    expect(failed.lastError).toBeInstanceOf(HttpStatusError)
    expect(failed.cause).toBe(failed.lastError)
    expect(failed.attempts).toHaveLength(1)
    expect(waits).toEqual([])
    expect(server.hits('/missing')).toBe(1)
  })

  it('gives up after maxAttempts, keeping every error', async () => {
    const { sleep } = recorder()
    const retries: number[] = []
    const error = (await retry(() => fetcher.fetch(`${server.url}/down`), {
      maxAttempts: 3,
      sleep,
      onRetry: (a) => retries.push(a.attempt),
    }).catch((e: unknown) => e)) as AttemptsFailedError
    expect(error).toMatchObject({ exhausted: true, kind: 'http-5xx' })
    expect(error.attempts.map((a) => a.attempt)).toEqual([1, 2, 3])
    expect(error.attempts.at(-1)?.delayMs).toBeNull()
    expect(retries).toEqual([1, 2])
    expect(server.hits('/down')).toBe(3)
  })

  it('does not retry unknown errors (bugs) and stops on abort', async () => {
    const bug = new TypeError('bug')
    const error = (await retry(() => Promise.reject(bug)).catch((e: unknown) => e)) as AttemptsFailedError
    expect(error.lastError).toBe(bug)
    expect(error.kind).toBe('other')
    const controller = new AbortController()
    const reason = new Error('shutdown')
    const pending = retry(
      async () => {
        throw new ServerError({ url: 'http://x.test/', status: 503 })
      },
      { signal: controller.signal, baseDelayMs: 60_000, random: () => 1 },
    )
    setTimeout(() => controller.abort(reason), 20)
    await expect(pending).rejects.toBe(reason)
  })
})

describe('retryDelay and parseRetryAfter', () => {
  it('keeps full jitter within the capped exponential ceiling', () => {
    const error = new ServerError({ url: 'http://x.test/', status: 500 })
    expect(retryDelay(error, 1, { baseDelayMs: 100, random: () => 0.999 })).toBe(99)
    expect(retryDelay(error, 4, { baseDelayMs: 100, random: () => 0.5 })).toBe(400)
    expect(retryDelay(error, 20, { baseDelayMs: 100, maxDelayMs: 1_000, random: () => 0.5 })).toBe(500)
    expect(retryDelay(error, 3, { random: () => 0 })).toBe(0)
    const limited = new RateLimitedError({ url: 'http://x.test/', status: 429, retryAfterMs: 5_000 })
    expect(retryDelay(limited, 1, { random: () => 0 })).toBe(5_000)
  })

  it('parses delay-seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z')
    expect(parseRetryAfter('120', now)).toBe(120_000)
    expect(parseRetryAfter(' 0 ', now)).toBe(0)
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000)
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0)
    expect(parseRetryAfter('soon', now)).toBeNull()
  })
})
