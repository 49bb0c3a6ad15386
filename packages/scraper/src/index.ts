/**
 * @file `@parkwatch/scraper`: the fetching layer of parkwatch. It discovers article URLs (feeds, sitemaps,
 * list pages), fetches them politely (robots.txt, per-host queues, retries, conditional requests) over
 * HTTP or in chromium, and returns bytes plus metadata. It never parses articles and never writes storage.
 *
 * @example
 * ```ts
 * import { createFetcher, createPageLoader, createPoliteness, createRobots, loadSources } from '@parkwatch/scraper'
 * const { sites } = await loadSources('sources.yaml')
 * const fetcher = createFetcher({ userAgent: 'parkwatch/0.1 (+https://example.org/bot)' })
 * const robots = createRobots({ fetcher })
 * const politeness = createPoliteness({ perHost: { rate: 1 }, crawlDelay: (url) => robots.crawlDelay(url) })
 * const loader = createPageLoader({ fetcher, robots, politeness })
 * const { result } = await loader.load('https://news.example.com/a.html', { render: 'http' })
 * await fetcher.close()
 * ```
 */

export type { BrowserRenderer, BrowserRendererOptions } from './browser.js'
export { createBrowserRenderer, DEFAULT_CHROMIUM_ARGS } from './browser.js'
export type { Feed, FeedItem, ParseFeedOptions } from './discover/feeds.js'
export { parseFeed } from './discover/feeds.js'
export type { FoundLink } from './discover/links.js'
export { extractLinks } from './discover/links.js'
export type { DiscoveredLink, ListCrawlOptions, ListCrawlResult } from './discover/list-pages.js'
export { crawlListPages, findArticleLinks } from './discover/list-pages.js'
export type { LoadDocument, LoadedDocument } from './discover/shared.js'
export { decodeXml, normalizeDate, sameSite, siteOf } from './discover/shared.js'
export type {
  ExpandedSitemap,
  ExpandSitemapOptions,
  ParseSitemapOptions,
  Sitemap,
  SitemapEntry,
} from './discover/sitemaps.js'
export { expandSitemap, parseSitemap } from './discover/sitemaps.js'
export type { ErrorKind, FailedAttempt, FieldIssue, HttpErrorInit, RedirectHop, TimeoutPhase } from './errors.js'
export {
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
  TooManyRedirectsError,
} from './errors.js'
export type { Fetcher, FetcherOptions, FetchRequestOptions, FetchResult, FetchTiming } from './fetcher.js'
export { createFetcher, DEFAULT_USER_AGENT, statusError } from './fetcher.js'
export type { JsShellOptions } from './js-shell.js'
export { isJavaScriptShell, visibleText } from './js-shell.js'
export type { LoadOptions, LoadOutcome, PageLoader, PageLoaderOptions } from './loader.js'
export { createPageLoader } from './loader.js'
export type { HostLimits, HostStats, Politeness, PolitenessOptions } from './politeness.js'
export { createPoliteness } from './politeness.js'
export type { RetryOptions, RetryResult } from './retry.js'
export { parseRetryAfter, retry, retryDelay } from './retry.js'
export type { Robot, RobotsCache, RobotsEntry, RobotsOptions } from './robots.js'
export { createRobots } from './robots.js'
export type {
  EntryPoint,
  FeedEntry,
  ListEntry,
  RelevanceFilter,
  RenderMode,
  RevisitPolicy,
  RevisitStep,
  SiteConfig,
  SitemapEntryPoint,
  SourcesConfig,
} from './sources.js'
export { DEFAULT_REVISIT, INDUSTRIES, loadSources, parseDuration, parseSources } from './sources.js'
