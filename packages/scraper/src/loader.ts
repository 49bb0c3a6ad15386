/**
 * The page loader ties the fetching layer together for one URL: robots.txt check, per-host politeness,
 * retries with backoff, and the render mode (`http`, `browser`, or `auto`: HTTP first, the browser when
 * the answer is a JavaScript shell). The job runner calls `load` and records whatever comes back, a
 * result or a typed error, as a capture.
 */
import { decodeHtml } from '@parkwatch/extractor'
import type { BrowserRenderer } from './browser.js'
import { BrowserError, type FailedAttempt } from './errors.js'
import type { Fetcher, FetchRequestOptions, FetchResult } from './fetcher.js'
import { isJavaScriptShell } from './js-shell.js'
import type { Politeness } from './politeness.js'
import { type RetryOptions, retry } from './retry.js'
import type { RobotsCache } from './robots.js'
import type { RenderMode } from './sources.js'

/** Parts of the fetching layer the loader uses. */
export interface PageLoaderOptions {
  fetcher: Fetcher
  /** robots.txt rules; omit only for sources you own (benchmarks, the demo portal). @default undefined: no robots check */
  robots?: RobotsCache
  /** Per-host scheduling; omit to fetch immediately (politeness off). @default undefined */
  politeness?: Politeness
  /** Needed for `browser` and `auto` modes. @default undefined */
  renderer?: BrowserRenderer
  /** Backoff settings for every load. @default {} (see `RetryOptions`) */
  retry?: RetryOptions
}

/** Per-URL options of `PageLoader.load`. */
export interface LoadOptions extends Pick<FetchRequestOptions, 'ifNoneMatch' | 'ifModifiedSince'> {
  /** @default 'http' */
  render?: RenderMode
  /** Charset override, used to read the page when `auto` checks for a JavaScript shell. @default null */
  charset?: string | null
  /** Cancels waits and requests. @default undefined */
  signal?: AbortSignal
}

/** A loaded page and how it was obtained. */
export interface LoadOutcome {
  result: FetchResult
  /** Failed attempts before the success (retried errors), oldest first, across both modes. */
  failures: FailedAttempt[]
  /** Requests made for this page (HTTP and browser together). */
  attempts: number
  /** Why `auto` switched to the browser, or null when it did not. */
  escalated: 'js-shell' | null
}

/** Loads pages politely. */
export interface PageLoader {
  /**
   * Load `url` according to `options.render`.
   * @throws {RobotsDisallowedError} when robots.txt forbids the URL (nothing is fetched).
   * @throws {AttemptsFailedError} when every attempt failed; `kind` and `lastError` tell why (a redirect
   *   into a disallowed path ends here with `kind: 'robots'`, the target never requested).
   * @throws {BrowserError} when the browser is needed but no renderer was given.
   */
  load(url: string, options?: LoadOptions): Promise<LoadOutcome>
}

/**
 * Create a page loader from the fetching layer's parts.
 *
 * @example
 * ```ts
 * const loader = createPageLoader({ fetcher, robots, politeness, renderer })
 * const { result, escalated } = await loader.load(url, { render: 'auto', ifNoneMatch: last?.etag })
 * ```
 */
export function createPageLoader(options: PageLoaderOptions): PageLoader {
  const { fetcher, robots, politeness, renderer } = options

  function scheduled<T>(url: string, task: () => Promise<T>): Promise<T> {
    return politeness ? politeness.schedule(url, task) : task()
  }

  // Retries wrap the scheduling (not the reverse) so a backoff wait never holds one of the host's slots.
  async function attempt(
    url: string,
    task: () => Promise<FetchResult>,
    signal: AbortSignal | undefined,
  ): Promise<{ value: FetchResult; failures: FailedAttempt[]; attempts: number }> {
    return retry(() => scheduled(url, task), { ...options.retry, ...(signal ? { signal } : {}) })
  }

  async function viaBrowser(url: string, signal: AbortSignal | undefined) {
    if (!renderer) throw new BrowserError(url, 'render mode needs a browser renderer, and none was configured')
    const r = renderer
    return attempt(url, () => r.render(url), signal)
  }

  return {
    async load(url, loadOptions = {}) {
      const mode = loadOptions.render ?? 'http'
      await robots?.assertAllowed(url)
      if (mode === 'browser') {
        const browser = await viaBrowser(url, loadOptions.signal)
        return { result: browser.value, failures: browser.failures, attempts: browser.attempts, escalated: null }
      }
      const request: FetchRequestOptions = {}
      if (loadOptions.ifNoneMatch) request.ifNoneMatch = loadOptions.ifNoneMatch
      if (loadOptions.ifModifiedSince) request.ifModifiedSince = loadOptions.ifModifiedSince
      if (loadOptions.signal) request.signal = loadOptions.signal
      if (robots) request.onRedirect = (hop) => robots.assertAllowed(hop.location)
      const http = await attempt(url, () => fetcher.fetch(url, request), loadOptions.signal)
      const outcome: LoadOutcome = {
        result: http.value,
        failures: http.failures,
        attempts: http.attempts,
        escalated: null,
      }
      if (mode !== 'auto' || http.value.notModified || !looksLikeHtml(http.value)) return outcome
      const text = decodeHtml(http.value.body, {
        contentType: http.value.contentType,
        charset: loadOptions.charset ?? null,
      })
      if (!isJavaScriptShell(text.text)) return outcome
      const browser = await viaBrowser(http.value.finalUrl, loadOptions.signal)
      return {
        result: { ...browser.value, url: http.value.url },
        failures: [...http.failures, ...browser.failures],
        attempts: http.attempts + browser.attempts,
        escalated: 'js-shell',
      }
    },
  }
}

// --- Internal helpers ---

function looksLikeHtml(result: FetchResult): boolean {
  const type = (result.contentType ?? '').toLowerCase()
  return type === '' || type.includes('html')
}
