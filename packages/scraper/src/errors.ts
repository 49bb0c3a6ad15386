/**
 * Errors of `@parkwatch/scraper`. The class tells the caller what to do (crawlee's `RetryRequestError` /
 * `NonRetryableError` idea): `retryable` errors go back to the queue with a backoff, the others are final
 * and are recorded as a failed capture. Every error has a stable `code` (undici's `UND_ERR_*` style) and a
 * short `kind` used to group failures in run summaries ("timeout", "network", "http-5xx", ...).
 */
import type { z } from 'zod'

/** Short labels that group failures in summaries; stable, safe to store. */
export type ErrorKind =
  | 'timeout'
  | 'network'
  | 'http-5xx'
  | 'rate-limited'
  | 'blocked'
  | 'http-4xx'
  | 'robots'
  | 'too-large'
  | 'redirects'
  | 'invalid-url'
  | 'bad-encoding'
  | 'bad-document'
  | 'browser'
  | 'invalid-options'
  | 'bad-sources'
  | 'other'

/** Base class of every scraper error. */
export class ScraperError extends Error {
  /** Stable machine-readable code. */
  readonly code: string = 'SCRAPER_ERR'
  /** Label for summaries. */
  readonly kind: ErrorKind = 'other'
  /** Whether trying again later may succeed. */
  readonly retryable: boolean = false
  /** The URL the failure is about, when there is one. */
  readonly url: string | null

  constructor(message: string, url: string | null = null, options?: ErrorOptions) {
    super(`[scraper] ${message}`, options)
    this.name = 'ScraperError'
    this.url = url
  }
}

/** A phase of a request that has its own time limit. */
export type TimeoutPhase = 'connect' | 'headers' | 'body' | 'total' | 'navigation'

/** The server did not connect, answer or finish in time. Retryable. */
export class FetchTimeoutError extends ScraperError {
  override readonly code = 'SCRAPER_TIMEOUT'
  override readonly kind = 'timeout'
  override readonly retryable = true
  constructor(
    url: string,
    readonly phase: TimeoutPhase,
    readonly timeoutMs: number,
    options?: ErrorOptions,
  ) {
    super(`${phase} timeout after ${timeoutMs} ms for ${url}`, url, options)
    this.name = 'FetchTimeoutError'
  }
}

/** DNS failure, refused or reset connection, TLS failure... Retryable. */
export class NetworkError extends ScraperError {
  override readonly code = 'SCRAPER_NETWORK'
  override readonly kind = 'network'
  override readonly retryable = true
  constructor(
    url: string,
    /** The underlying system or undici code, e.g. `ECONNREFUSED`, `UND_ERR_SOCKET`. */
    readonly causeCode: string | null,
    options?: ErrorOptions,
  ) {
    super(`network error${causeCode ? ` (${causeCode})` : ''} for ${url}`, url, options)
    this.name = 'NetworkError'
  }
}

/** Fields every HTTP status error shares. */
export interface HttpErrorInit {
  /** The URL whose response had the status (after redirects). */
  url: string
  status: number
  /** Response headers, lower-cased names. */
  headers?: Record<string, string>
  /** `Retry-After` converted to milliseconds, when the server sent one. */
  retryAfterMs?: number | null
}

/** A 5xx answer. Retryable (503 often carries `Retry-After`). */
export class ServerError extends ScraperError {
  override readonly code = 'SCRAPER_HTTP_5XX'
  override readonly kind = 'http-5xx'
  override readonly retryable = true
  readonly status: number
  readonly headers: Record<string, string>
  readonly retryAfterMs: number | null
  constructor(init: HttpErrorInit, options?: ErrorOptions) {
    super(`HTTP ${init.status} for ${init.url}`, init.url, options)
    this.name = 'ServerError'
    this.status = init.status
    this.headers = init.headers ?? {}
    this.retryAfterMs = init.retryAfterMs ?? null
  }
}

/** A 429 answer. Retryable after `retryAfterMs` when the server said how long to wait. */
export class RateLimitedError extends ScraperError {
  override readonly code = 'SCRAPER_RATE_LIMITED'
  override readonly kind = 'rate-limited'
  override readonly retryable = true
  readonly status: number
  readonly headers: Record<string, string>
  readonly retryAfterMs: number | null
  constructor(init: HttpErrorInit, options?: ErrorOptions) {
    super(
      `HTTP ${init.status} (rate limited${init.retryAfterMs != null ? `, retry after ${init.retryAfterMs} ms` : ''}) for ${init.url}`,
      init.url,
      options,
    )
    this.name = 'RateLimitedError'
    this.status = init.status
    this.headers = init.headers ?? {}
    this.retryAfterMs = init.retryAfterMs ?? null
  }
}

/** A 401 or 403 answer: the site refuses us. Not retryable. */
export class BlockedError extends ScraperError {
  override readonly code = 'SCRAPER_BLOCKED'
  override readonly kind = 'blocked'
  readonly status: number
  readonly headers: Record<string, string>
  constructor(init: HttpErrorInit, options?: ErrorOptions) {
    super(`HTTP ${init.status} (blocked) for ${init.url}`, init.url, options)
    this.name = 'BlockedError'
    this.status = init.status
    this.headers = init.headers ?? {}
  }
}

/** Any other non-success status (404, 410, a 3xx without `Location`...). Not retryable. */
export class HttpStatusError extends ScraperError {
  override readonly code = 'SCRAPER_HTTP_STATUS'
  override readonly kind = 'http-4xx'
  readonly status: number
  readonly headers: Record<string, string>
  constructor(init: HttpErrorInit, options?: ErrorOptions) {
    super(`HTTP ${init.status} for ${init.url}`, init.url, options)
    this.name = 'HttpStatusError'
    this.status = init.status
    this.headers = init.headers ?? {}
  }
}

/**
 * robots.txt disallows the URL for our user agent (or robots.txt is unreachable). Not retryable now.
 *
 * `kind` is `robots` for a Disallow rule: a final answer. When robots.txt is unreachable, `kind` is that of
 * the failure given as `cause` (`timeout`, `network`, `http-5xx`): the host is down rather than closed to us,
 * so callers record it as that failure and try again later instead of dropping the URL for good.
 */
export class RobotsDisallowedError extends ScraperError {
  override readonly code = 'SCRAPER_ROBOTS_DISALLOWED'
  override readonly kind: ErrorKind
  constructor(
    url: string,
    readonly userAgent: string,
    /** `rule`: a Disallow line matched; `unreachable`: robots.txt answered 5xx or not at all. */
    readonly reason: 'rule' | 'unreachable' = 'rule',
    /** `cause`: for `unreachable`, the error of the robots.txt fetch. */
    options?: ErrorOptions,
  ) {
    const cause = options?.cause
    const why =
      reason === 'unreachable' ? ` (robots.txt unreachable${cause instanceof Error ? `: ${cause.message}` : ''})` : ''
    super(`robots.txt disallows ${url} for ${userAgent}${why}`, url, options)
    this.name = 'RobotsDisallowedError'
    this.kind = reason === 'unreachable' && cause instanceof ScraperError ? cause.kind : 'robots'
  }
}

/** The body (after decompression) was larger than the limit; the download was aborted. Not retryable. */
export class BodyTooLargeError extends ScraperError {
  override readonly code = 'SCRAPER_BODY_TOO_LARGE'
  override readonly kind = 'too-large'
  constructor(
    url: string,
    readonly limitBytes: number,
  ) {
    super(`body of ${url} is larger than ${limitBytes} bytes`, url)
    this.name = 'BodyTooLargeError'
  }
}

/** One hop of a redirect chain. */
export interface RedirectHop {
  /** Absolute URL that answered with a redirect. */
  url: string
  status: number
  /** Absolute URL the `Location` header pointed to. */
  location: string
}

/** More redirects than allowed (or a loop). Not retryable. */
export class TooManyRedirectsError extends ScraperError {
  override readonly code = 'SCRAPER_TOO_MANY_REDIRECTS'
  override readonly kind = 'redirects'
  constructor(
    url: string,
    readonly maxRedirects: number,
    readonly chain: readonly RedirectHop[],
  ) {
    super(`more than ${maxRedirects} redirects starting at ${url}`, url)
    this.name = 'TooManyRedirectsError'
  }
}

/** Not a parsable absolute http(s) URL (also used for a bad `Location`). Not retryable. */
export class InvalidUrlError extends ScraperError {
  override readonly code = 'SCRAPER_INVALID_URL'
  override readonly kind = 'invalid-url'
  constructor(
    url: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`invalid URL ${JSON.stringify(url)}: ${reason}`, url, options)
    this.name = 'InvalidUrlError'
  }
}

/** The `Content-Encoding` could not be decoded (corrupt gzip, unknown coding). Not retryable. */
export class ContentEncodingError extends ScraperError {
  override readonly code = 'SCRAPER_BAD_ENCODING'
  override readonly kind = 'bad-encoding'
  constructor(
    url: string,
    readonly encoding: string,
    options?: ErrorOptions,
  ) {
    super(`cannot decode Content-Encoding ${JSON.stringify(encoding)} of ${url}`, url, options)
    this.name = 'ContentEncodingError'
  }
}

/** A feed, sitemap or robots file could not be parsed as what it claims to be. Not retryable. */
export class DocumentParseError extends ScraperError {
  override readonly code = 'SCRAPER_BAD_DOCUMENT'
  override readonly kind = 'bad-document'
  constructor(
    url: string | null,
    /** What the document was expected to be: `feed`, `sitemap`... */
    readonly expected: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`not a valid ${expected}${url ? ` at ${url}` : ''}: ${reason}`, url, options)
    this.name = 'DocumentParseError'
  }
}

/** The browser could not render the page (launch failure, crash mid-page, navigation error). Not retryable. */
export class BrowserError extends ScraperError {
  override readonly code = 'SCRAPER_BROWSER'
  override readonly kind = 'browser'
  constructor(url: string | null, reason: string, options?: ErrorOptions) {
    super(`browser failed${url ? ` on ${url}` : ''}: ${reason}`, url, options)
    this.name = 'BrowserError'
  }
}

/** One invalid field of an options object or a file. */
export interface FieldIssue {
  /** Dotted path such as `sites[0].entries[1].pattern`; empty for the root. */
  path: string
  message: string
  /** 1-based line in the source file, when the problem comes from a file. */
  line?: number
}

/** Options passed to a factory were invalid; lists every bad field at once. */
export class InvalidOptionsError extends ScraperError {
  override readonly code = 'SCRAPER_INVALID_OPTIONS'
  override readonly kind = 'invalid-options'
  constructor(
    readonly what: string,
    readonly issues: readonly FieldIssue[],
  ) {
    super(`invalid ${what}:\n${formatIssues(issues)}`)
    this.name = 'InvalidOptionsError'
  }
}

/** The sources file is unreadable, not YAML, or does not match the schema; lists every problem at once. */
export class SourcesFileError extends ScraperError {
  override readonly code = 'SCRAPER_BAD_SOURCES'
  override readonly kind = 'bad-sources'
  constructor(
    readonly file: string,
    readonly issues: readonly FieldIssue[],
    options?: ErrorOptions,
  ) {
    super(`bad sources file ${file}:\n${formatIssues(issues)}`, null, options)
    this.name = 'SourcesFileError'
  }
}

/** Record of one failed attempt, kept by `retry`. */
export interface FailedAttempt {
  /** 1-based attempt number. */
  attempt: number
  error: unknown
  /** When the attempt failed (ISO-8601). */
  at: string
  /** How long `retry` waited before the next attempt; null after the last one. */
  delayMs: number | null
}

/** `retry` gave up: the last error was final, or the attempts ran out. `kind` is the last error's kind. */
export class AttemptsFailedError extends ScraperError {
  override readonly code = 'SCRAPER_ATTEMPTS_FAILED'
  override readonly kind: ErrorKind
  constructor(
    readonly attempts: readonly FailedAttempt[],
    /** True when the last error was retryable but no attempts were left. */
    readonly exhausted: boolean,
  ) {
    const last = attempts.at(-1)?.error
    super(
      `${exhausted ? 'gave up' : 'stopped'} after ${attempts.length} attempt(s): ${last instanceof Error ? last.message : String(last)}`,
      last instanceof ScraperError ? last.url : null,
      { cause: last },
    )
    this.name = 'AttemptsFailedError'
    this.kind = errorKind(last)
  }

  /** The error of the last attempt. */
  get lastError(): unknown {
    return this.attempts.at(-1)?.error
  }
}

/** Whether trying again may help: true only for retryable `ScraperError`s (unknown errors are bugs). */
export function isRetryable(error: unknown): boolean {
  return error instanceof ScraperError && error.retryable
}

/** The summary label of any thrown value (`other` for non-scraper errors). */
export function errorKind(error: unknown): ErrorKind {
  return error instanceof ScraperError ? error.kind : 'other'
}

// --- Option checking (zod), shared by the factories ---
// Options are checked once, at the factory, and every bad field is reported in one error (crawlee
// `parseArgument`), so a caller fixes all of them at once.
/**
 * Parse `value` with `schema` or throw an `InvalidOptionsError` naming every bad field.
 *
 * @param what - what is being checked, for the message, e.g. `fetcher options`.
 * @throws {InvalidOptionsError} listing each issue as `path: message`.
 */
export function parseOptions<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value ?? {})
  if (result.success) return result.data
  throw new InvalidOptionsError(what, toFieldIssues(result.error.issues))
}

/**
 * Zod issues as `{ path: 'sites[0].entries[1].url', message }` pairs, in zod's order.
 *
 * @param locate - finds the source line of a path (for files); omitted for in-memory options.
 */
export function toFieldIssues(
  issues: readonly z.core.$ZodIssue[],
  locate?: (path: readonly PropertyKey[]) => number | undefined,
): FieldIssue[] {
  const out: FieldIssue[] = []
  const push = (path: readonly PropertyKey[], message: string): void => {
    const line = locate?.(path)
    out.push(line === undefined ? { path: formatPath(path), message } : { path: formatPath(path), message, line })
  }
  for (const issue of issues) {
    // zod reports unknown keys of a strictObject as one issue at the parent; name each key instead.
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) push([...issue.path, key], 'unknown field')
      continue
    }
    push(issue.path, issue.message)
  }
  return out
}

/** `['sites', 0, 'entries', 1, 'url']` -> `sites[0].entries[1].url`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`
    else out += out ? `.${String(key)}` : String(key)
  }
  return out
}

// --- Internal helpers ---

function formatIssues(issues: readonly FieldIssue[]): string {
  return issues
    .map((issue) => `  - ${issue.path || '(root)'}${issue.line ? ` (line ${issue.line})` : ''}: ${issue.message}`)
    .join('\n')
}
