/**
 * @file `@parkwatch/cli`: the job runner (`runOnce`), the persistent frontier in the archive's database
 * (`openFrontier` for SQLite, `openPostgresFrontier` for PostgreSQL), the revisit policy (`nextVisitAt`)
 * and the `parkwatch` command built on them (`main`).
 *
 * @example
 * ```ts
 * import { createArchive, sqliteBackend } from '@parkwatch/archive'
 * import { loadSources } from '@parkwatch/scraper'
 * import { openFrontier, runOnce } from '@parkwatch/cli'
 * const archive = createArchive({ backend: sqliteBackend({ dir: 'data' }) })
 * const frontier = openFrontier({ file: 'data/archive.sqlite' })
 * const summary = await runOnce({ sources: await loadSources('sources.yaml'), archive, frontier })
 * await frontier.close()
 * ```
 */
export type { Discovered, SiteDiscovery } from './discover.js'
export { discoverSite } from './discover.js'
export type { HostGate, HostGateOptions, HostRule } from './distributed/host-gate.js'
export { createHostGate } from './distributed/host-gate.js'
export type { DeadLetter, QueueStatus } from './distributed/inspect.js'
export { queueIdle, queueStatus, retryDeadLetters } from './distributed/inspect.js'
export type { DiscoverJobData, RetryPolicy, VisitJobData } from './distributed/queue.js'
export {
  connectRedis,
  DEFAULT_PREFIX,
  openQueue,
  QUEUE_NAME,
  queueFirstVisits,
  visitJobId,
} from './distributed/queue.js'
export type { ScheduleResult, ScheduleSourcesOptions } from './distributed/schedule.js'
export { loadQueuedSources, scheduleSources } from './distributed/schedule.js'
export type { DistributedWorker, WorkerOptions } from './distributed/worker.js'
export { startWorker } from './distributed/worker.js'
export { FrontierError, ParkwatchError, UsageError } from './errors.js'
export type { ExtractPool, ExtractPoolOptions, PoolExtractOptions } from './extract-pool.js'
export { createExtractPool, defaultExtractThreads, ExtractWorkerError } from './extract-pool.js'
export type { FetchStack, FetchStackOptions } from './fetch-stack.js'
export { createFetchStack } from './fetch-stack.js'
export type {
  Claim,
  ClaimOptions,
  Completion,
  Frontier,
  FrontierCounts,
  FrontierVisit,
  SiteCounts,
  VisitMeta,
} from './frontier.js'
export { DEFAULT_LEASE_MS, FRONTIER_SCHEMA_VERSION, MAX_UPDATE_SKEW_MS } from './frontier.js'
export type { PostgresFrontierOptions } from './frontier-postgres.js'
export { openPostgresFrontier, POSTGRES_FRONTIER_SCHEMA_VERSION } from './frontier-postgres.js'
export type { FrontierOptions, SqliteFrontier } from './frontier-sqlite.js'
export { openFrontier } from './frontier-sqlite.js'
export type { IngestBatcherOptions, IngestWriter } from './ingest-batch.js'
export { createIngestBatcher, DEFAULT_INGEST_BATCH } from './ingest-batch.js'
export { isRelevant } from './relevance.js'
export type { NextVisitOptions, RevisitAgeFrom, RevisitSubject } from './revisit.js'
export { DEFAULT_REVISIT, nextVisitAt, visitPlan } from './revisit.js'
export type { RunEvent, RunOptions, RunSummary, VisitOutcome } from './runner.js'
export { emptySummary, runOnce, tallyVisit } from './runner.js'
export type { VisitDeps, VisitResult, VisitTask } from './visit.js'
export { visitPage } from './visit.js'
export type { ImportDeps, ImportSummary } from './warc-import.js'
export { emptyImportSummary, importWarcFile, startsLikeWarc } from './warc-import.js'
