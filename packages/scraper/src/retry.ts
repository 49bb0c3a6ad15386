/**
 * Retries with exponential backoff and full jitter (AWS architecture blog's "full jitter": a uniform
 * random wait in `[0, min(cap, base * 2^n))`), so many failed requests do not come back in lockstep.
 * Only errors whose class says `retryable` are retried; a server's `Retry-After` replaces the backoff,
 * capped so a hostile value cannot park a worker for a day.
 */
import { z } from 'zod'
import {
  AttemptsFailedError,
  type FailedAttempt,
  isRetryable,
  parseOptions,
  RateLimitedError,
  ServerError,
} from './errors.js'

const retryOptionsSchema = z.strictObject({
  maxAttempts: z.number().int().min(1).optional(),
  baseDelayMs: z.number().nonnegative().optional(),
  maxDelayMs: z.number().nonnegative().optional(),
  maxRetryAfterMs: z.number().nonnegative().optional(),
  random: z.function().optional(),
  sleep: z.function().optional(),
  signal: z.instanceof(AbortSignal).optional(),
  onRetry: z.function().optional(),
})

/** Options of `retry`. */
export interface RetryOptions {
  /** Attempts in total, the first one included. @default 4 */
  maxAttempts?: number
  /** Backoff base: the n-th retry waits up to `baseDelayMs * 2^(n-1)`. @default 500 */
  baseDelayMs?: number
  /** Cap of the exponential backoff. @default 30_000 */
  maxDelayMs?: number
  /** Cap of a server's `Retry-After`. @default 120_000 */
  maxRetryAfterMs?: number
  /** Source of randomness in [0, 1); injectable for tests. @default Math.random */
  random?: () => number
  /** How to wait; injectable for tests. @default a timer that rejects when `signal` aborts */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  /** Stops retrying: the wait rejects with the signal's reason. @default undefined */
  signal?: AbortSignal
  /** Called before each wait, e.g. to log. @default undefined */
  onRetry?: (attempt: FailedAttempt) => void
}

/** The value of a successful `retry`, with the failures that came before it. */
export interface RetryResult<T> {
  value: T
  /** Failed attempts before the success, oldest first (empty when the first attempt worked). */
  failures: FailedAttempt[]
  /** Attempts made, the successful one included. */
  attempts: number
}

/**
 * Run `task` until it succeeds, a non-retryable error is thrown, or `maxAttempts` is reached.
 *
 * @param task - receives the 1-based attempt number.
 * @throws {AttemptsFailedError} with every attempt's error; `exhausted` says whether attempts ran out.
 * @example
 * ```ts
 * const { value, failures } = await retry(() => fetcher.fetch(url), { maxAttempts: 3 })
 * ```
 */
export async function retry<T>(
  task: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<RetryResult<T>> {
  parseOptions(retryOptionsSchema, options, 'retry options')
  const maxAttempts = options.maxAttempts ?? 4
  const random = options.random ?? Math.random
  const sleep = options.sleep ?? defaultSleep
  const failures: FailedAttempt[] = []
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted()
    try {
      const value = await task(attempt)
      return { value, failures, attempts: attempt }
    } catch (error) {
      const record: FailedAttempt = { attempt, error, at: new Date().toISOString(), delayMs: null }
      failures.push(record)
      const retryable = isRetryable(error)
      if (!retryable || attempt >= maxAttempts) throw new AttemptsFailedError(failures, retryable)
      record.delayMs = retryDelay(error, attempt, { ...options, random })
      options.onRetry?.(record)
      await sleep(record.delayMs, options.signal)
    }
  }
}

/**
 * The wait before retry number `attempt` (1 = the first retry): the server's `Retry-After` when the error
 * carries one (capped at `maxRetryAfterMs`), else full-jitter exponential backoff.
 */
export function retryDelay(
  error: unknown,
  attempt: number,
  options: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'maxRetryAfterMs' | 'random'> = {},
): number {
  const retryAfter = error instanceof RateLimitedError || error instanceof ServerError ? error.retryAfterMs : null
  if (retryAfter != null) return Math.min(retryAfter, options.maxRetryAfterMs ?? 120_000)
  const ceiling = Math.min(options.maxDelayMs ?? 30_000, (options.baseDelayMs ?? 500) * 2 ** (attempt - 1))
  return Math.floor((options.random ?? Math.random)() * ceiling)
}

/**
 * `Retry-After` in milliseconds from now: delay-seconds (`120`) or an HTTP date. Null when unparsable;
 * a date in the past gives 0.
 *
 * @param now - the current time in ms since the epoch. @default Date.now()
 */
export function parseRetryAfter(value: string, now: number = Date.now()): number | null {
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const date = Date.parse(trimmed)
  if (Number.isNaN(date)) return null
  return Math.max(0, date - now)
}

// --- Internal helpers ---

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
