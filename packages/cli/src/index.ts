/**
 * @file `@parkwatch/cli`: the job runner (`runOnce`), the persistent frontier (`openFrontier`), the revisit
 * policy (`nextVisitAt`) and the `parkwatch` command built on them (`main`).
 *
 * @example
 * ```ts
 * import { createArchive, sqliteBackend } from '@parkwatch/archive'
 * import { loadSources } from '@parkwatch/scraper'
 * import { openFrontier, runOnce } from '@parkwatch/cli'
 * const archive = createArchive({ backend: sqliteBackend({ dir: 'data' }) })
 * const frontier = openFrontier({ file: 'data/archive.sqlite' })
 * const summary = await runOnce({ sources: await loadSources('sources.yaml'), archive, frontier })
 * ```
 */
export type { Discovered, SiteDiscovery } from './discover.js'
export { discoverSite } from './discover.js'
export { FrontierError, ParkwatchError, UsageError } from './errors.js'
export type { FetchStack, FetchStackOptions } from './fetch-stack.js'
export { createFetchStack } from './fetch-stack.js'
export type { Claim, Completion, Frontier, FrontierCounts, FrontierOptions, VisitMeta } from './frontier.js'
export { DEFAULT_LEASE_MS, FRONTIER_SCHEMA_VERSION, openFrontier } from './frontier.js'
export { isRelevant } from './relevance.js'
export type { NextVisitOptions, RevisitAgeFrom, RevisitSubject } from './revisit.js'
export { DEFAULT_REVISIT, nextVisitAt, visitPlan } from './revisit.js'
export type { RunEvent, RunOptions, RunSummary, VisitOutcome } from './runner.js'
export { runOnce } from './runner.js'
