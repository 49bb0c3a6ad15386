/**
 * The fetching layer assembled for a set of sites: one fetcher, one robots.txt cache, one politeness
 * scheduler with each site's rate and concurrency applied to its hosts, a browser renderer created only
 * when a site may need it (chromium starts on first use anyway), and the page loader over all of them.
 * The job runner builds one per run; the scheduler daemon keeps one for its whole life.
 */
import {
  type BrowserRenderer,
  createBrowserRenderer,
  createFetcher,
  createPageLoader,
  createPoliteness,
  createRobots,
  type Fetcher,
  type HostLimits,
  type PageLoader,
  type Politeness,
  type RetryOptions,
  type RobotsCache,
  type SiteConfig,
} from '@parkwatch/scraper'
import { createExtractPool, defaultExtractThreads, type ExtractPool } from './extract-pool.js'

/** Options of `createFetchStack`. */
export interface FetchStackOptions {
  /** The `User-Agent` sent everywhere (robots.txt rules are matched against it). @default the scraper's */
  userAgent?: string
  /** Requests in flight across all hosts. @default 8 */
  concurrency?: number
  /** Obey robots.txt. Turn off only for hosts you own. @default true */
  robots?: boolean
  /** Cap on a robots.txt Crawl-delay. @default 60_000 (the scraper's) */
  maxCrawlDelayMs?: number
  /**
   * Per-host rate limits and queues. Off = every request at once (benchmarks). A function builds the
   * scheduler from the robots.txt cache (the distributed worker's keeps each host's limits in Redis).
   * @default true
   */
  politeness?: boolean | ((robots: RobotsCache | null) => Politeness)
  /** Use chromium for `browser` and `auto` sites; without it a JavaScript shell is recorded as an error. @default true */
  browser?: boolean
  /** Backoff settings. @default the scraper's (4 attempts, 500 ms base, Retry-After up to 120 s) */
  retry?: RetryOptions
  /** Total time limit of one HTTP fetch. @default 60_000 (the scraper's) */
  totalTimeoutMs?: number
  /** Largest response body accepted; a larger one is a `too-large` failure. @default the scraper's (10 MiB) */
  maxBodyBytes?: number
  /**
   * Worker threads extracting articles off the main thread; 0 extracts in the main thread. Measured on 2
   * cores (`bench/run.mjs`): the pool is what lets fetching, extraction and archiving overlap.
   * @default defaultExtractThreads(): one per core when there are 2 or more, else 0
   */
  extractThreads?: number
}

/** A ready fetching layer. */
export interface FetchStack {
  loader: PageLoader
  fetcher: Fetcher
  robots: RobotsCache | null
  /** The extraction threads, or null to extract in the main thread. */
  extractor: ExtractPool | null
  /** Release sockets, the browser and the extraction threads. */
  close(): Promise<void>
}

/**
 * Build the fetching layer for `sites`.
 *
 * @example
 * ```ts
 * const stack = createFetchStack(sources.sites, { userAgent: 'parkwatch/0.1 (+https://example.org/bot)' })
 * const { result } = await stack.loader.load(url, { render: 'auto' })
 * await stack.close()
 * ```
 */
export function createFetchStack(sites: readonly SiteConfig[], options: FetchStackOptions = {}): FetchStack {
  const fetcher = createFetcher({
    ...(options.userAgent ? { userAgent: options.userAgent } : {}),
    ...(options.totalTimeoutMs ? { totalTimeoutMs: options.totalTimeoutMs } : {}),
    ...(options.maxBodyBytes ? { maxBodyBytes: options.maxBodyBytes } : {}),
  })
  const robots =
    options.robots === false
      ? null
      : createRobots({
          fetcher,
          ...(options.maxCrawlDelayMs !== undefined ? { maxCrawlDelayMs: options.maxCrawlDelayMs } : {}),
        })
  const politeness =
    options.politeness === false
      ? undefined
      : typeof options.politeness === 'function'
        ? options.politeness(robots)
        : createPoliteness({
            concurrency: options.concurrency ?? 8,
            hosts: hostLimits(sites),
            ...(robots ? { crawlDelay: (url: string) => robots.crawlDelay(url) } : {}),
          })
  const needsBrowser = options.browser !== false && sites.some((s) => s.render !== 'http')
  const renderer: BrowserRenderer | undefined = needsBrowser
    ? createBrowserRenderer(options.userAgent ? { userAgent: options.userAgent } : {})
    : undefined
  const loader = createPageLoader({
    fetcher,
    ...(robots ? { robots } : {}),
    ...(politeness ? { politeness } : {}),
    ...(renderer ? { renderer } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
  })
  const threads = options.extractThreads ?? defaultExtractThreads()
  // The pool starts its threads on the first page, so a stack that never extracts costs nothing.
  const extractor = threads > 0 ? createExtractPool({ threads }) : null
  return {
    loader,
    fetcher,
    robots,
    extractor,
    async close() {
      politeness?.clear()
      await renderer?.close().catch(() => {})
      await extractor?.close()
      await fetcher.close()
    },
  }
}

// --- Internal helpers ---

/** Each site's rate and concurrency for every host its entry points live on. */
export function hostLimits(sites: readonly SiteConfig[]): Record<string, HostLimits> {
  const out: Record<string, HostLimits> = {}
  for (const site of sites) {
    for (const entry of site.entries) {
      const host = new URL(entry.url).host
      // Two sites sharing a host get the stricter limits: politeness is owed to the host, not the site.
      const prev = out[host]
      out[host] = prev
        ? {
            rate: Math.min(prev.rate ?? site.rate, site.rate),
            concurrency: Math.min(prev.concurrency ?? 1, site.concurrency),
          }
        : { rate: site.rate, concurrency: site.concurrency }
    }
  }
  return out
}
