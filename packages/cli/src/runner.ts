/**
 * The job runner: one pass over a set of sites. Discover entry points -> plan new URLs in the frontier ->
 * claim what is due -> load each page (robots, politeness, retries, render mode, conditional headers from
 * the archive) -> extract -> relevance filter -> `archive.ingest` -> plan the next visit. One page's
 * failure is recorded (a failed capture, or a skipped visit) and the pass goes on.
 */
import type { Archive } from '@parkwatch/archive'
import type { SiteConfig, SourcesConfig } from '@parkwatch/scraper'
import { discoverSite } from './discover.js'
import { createFetchStack, type FetchStack, type FetchStackOptions } from './fetch-stack.js'
import type { Claim, Frontier } from './frontier.js'
import { createIngestBatcher, DEFAULT_INGEST_BATCH, type IngestWriter } from './ingest-batch.js'
import { nextVisitAt, type RevisitAgeFrom } from './revisit.js'
import { type VisitOutcome, type VisitResult, visitPage } from './visit.js'

export type { VisitOutcome }

/** Something that happened during a pass, for progress bars and logs. */
export type RunEvent =
  | { type: 'discovered'; site: string; found: number; added: number; errors: number }
  | { type: 'discovery-error'; site: string; url: string; kind: string; message: string }
  | { type: 'visit'; site: string; url: string; outcome: VisitOutcome; detail: string | null; version: number | null }

/** Totals of a pass. */
export interface RunSummary {
  /** Article URLs seen in entry points this pass, and how many of them were new to the frontier. */
  discovered: number
  added: number
  /** Known URLs whose entry point showed an update since their last visit: their next visit came forward to this pass. */
  updated: number
  /** Visits claimed from the frontier. */
  visits: number
  /** Pages requested (whatever the answer: 200, 304 or an error after a response). */
  fetched: number
  newVersions: number
  unchanged: number
  notModified: number
  skipped: number
  /** Skipped visits by reason: `robots`, `irrelevant`, `not-article:<reason>`, `redirected`. */
  skippedBy: Record<string, number>
  /** Failed visits (and failed entry points) by error kind: `timeout`, `http-4xx`, `rate-limited`... */
  errors: Record<string, number>
  /** Visits a killed earlier run had already stored: completed without fetching again. */
  recovered: number
  /** Visits handed back to the frontier because the run was stopped. */
  released: number
  /** URLs whose visit produced a new version (version > 1 means an edit was caught). */
  changed: Array<{ url: string; title: string; version: number }>
  durationMs: number
}

/** Options of `runOnce`. */
export interface RunOptions extends FetchStackOptions {
  /** The sources file (or just its sites). */
  sources: SourcesConfig | readonly SiteConfig[]
  archive: Archive
  frontier: Frontier
  /** Only these site ids. @default every site */
  sites?: readonly string[]
  /** The pass's clock start (epoch ms); the clock then runs with real time. Tests and the demo move it forward. @default Date.now() */
  now?: number
  /** Read entry points for new URLs first. @default true */
  discover?: boolean
  /** A fetching layer to use (and not close); one is built from the options otherwise. @default undefined */
  stack?: FetchStack
  /**
   * Visits in progress at most; more are claimed whenever half of them have ended. Politeness spreads them
   * over hosts. @default 200
   */
  batchSize?: number
  /** Lease of each claim. @default DEFAULT_LEASE_MS */
  leaseMs?: number
  /** What revisit ages count from. @default 'first-seen' */
  ageFrom?: RevisitAgeFrom
  /** Stops the pass: no new claims, in-flight fetches aborted and returned to the frontier. @default undefined */
  signal?: AbortSignal
  /** Called for every event. @default undefined */
  onEvent?: (event: RunEvent) => void
  /**
   * Captures written per archive transaction (`archive.ingestMany`), when the backend stores a batch
   * atomically; 1 writes each capture on its own. A visit still completes only once its capture is stored.
   * @default DEFAULT_INGEST_BATCH (64)
   */
  ingestBatch?: number
}

/**
 * Run one pass and return its summary. Never throws for a page or an entry point; throws only for
 * problems of the whole run (the archive or frontier unusable).
 *
 * @example
 * ```ts
 * const archive = createArchive({ backend: sqliteBackend({ dir: 'data' }) })
 * const frontier = openFrontier({ file: 'data/archive.sqlite' })
 * const summary = await runOnce({ sources: await loadSources('sources.yaml'), archive, frontier })
 * console.log(summary.newVersions, summary.errors)
 * ```
 */
export async function runOnce(options: RunOptions): Promise<RunSummary> {
  const wallStart = Date.now()
  const start = options.now ?? wallStart
  const clock = (): number => start + (Date.now() - wallStart)
  const allSites = 'sites' in options.sources ? options.sources.sites : (options.sources as readonly SiteConfig[])
  const sites = options.sites ? allSites.filter((s) => options.sites?.includes(s.id)) : [...allSites]
  const byId = new Map(sites.map((s) => [s.id, s]))
  const { archive, frontier, signal } = options
  const emit = options.onEvent ?? (() => {})
  const summary = emptySummary()
  const stack = options.stack ?? createFetchStack(sites, options)
  // Only a backend with an atomic `ingestMany` is batched: a refused batch is then known to have stored
  // nothing, and each of its captures can be written again alone.
  const perTransaction = archive.backend.ingestMany ? (options.ingestBatch ?? DEFAULT_INGEST_BATCH) : 1
  const writer = perTransaction > 1 ? createIngestBatcher(archive, { maxBatch: perTransaction }) : undefined

  try {
    if (options.discover !== false) {
      await Promise.all(
        sites.map(async (site) => {
          const d = await discoverSite(site, stack.loader, signal ? { signal } : {})
          const now = clock()
          const added = await frontier.addNew(
            d.found.map((f) => ({
              url: f.url,
              dueAt: now,
              meta: {
                site: site.id,
                firstSeenAt: now,
                publishedAt: f.publishedAt,
                extra: { title: f.title, foundOn: f.foundOn },
              },
            })),
          )
          // Known articles the feed or sitemap says were updated since their last visit: visit them now.
          // Awaited before `+=`: the sites run in parallel and `+=` would read the total before the await.
          const updated = await frontier.pullForward(
            d.found.flatMap((f) => (f.updatedAt === null ? [] : [{ url: f.url, updatedAt: f.updatedAt }])),
            now,
          )
          summary.updated += updated
          summary.discovered += d.found.length
          summary.added += added
          for (const e of d.errors) {
            bump(summary.errors, e.kind)
            emit({ type: 'discovery-error', site: site.id, ...e })
          }
          emit({ type: 'discovered', site: site.id, found: d.found.length, added, errors: d.errors.length })
        }),
      )
    }

    // The pass takes what is due when fetching starts. Claiming up to a moving "now" instead would let a
    // short revisit interval (10 s in the demo) bring early pages back within the same long pass, forever.
    const cutoff = clock()
    const ctx: VisitContext = { archive, writer, frontier, stack, byId, clock, cutoff, emit, summary, options }
    // A sliding window of claimed visits: up to `batchSize` in progress, topped up once half of them have
    // ended, so the fetch stack never drains to nothing while the slowest visit of a batch finishes. When
    // nothing more is due, wait for the visits in progress: one may plan another for the pass (a redirect
    // target), so the pass ends only when a claim finds nothing and nothing is in progress.
    const window = options.batchSize ?? 200
    const low = Math.floor(window / 2)
    const inProgress = new Set<Promise<void>>()
    let ended: (() => void) | null = null
    while (!signal?.aborted) {
      const batch = await frontier.claim({
        now: cutoff,
        limit: window - inProgress.size,
        sites: sites.map((s) => s.id),
        ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
      })
      summary.visits += batch.length
      for (const claim of batch) {
        const done: Promise<void> = visit(ctx, claim).then(() => {
          inProgress.delete(done)
          ended?.()
        })
        inProgress.add(done)
      }
      if (batch.length === 0) {
        if (inProgress.size === 0) break
        await Promise.all(inProgress)
        continue
      }
      while (inProgress.size > low && !signal?.aborted) {
        await new Promise<void>((resolve) => {
          ended = resolve
        })
        ended = null
      }
    }
    await Promise.all(inProgress)
  } finally {
    if (!options.stack) await stack.close()
  }
  summary.durationMs = Date.now() - wallStart
  return summary
}

// --- Internal helpers ---

interface VisitContext {
  archive: Archive
  writer: IngestWriter | undefined
  frontier: Frontier
  stack: FetchStack
  byId: Map<string, SiteConfig>
  clock: () => number
  /** Visits due up to here belong to this pass. */
  cutoff: number
  emit: (event: RunEvent) => void
  summary: RunSummary
  options: RunOptions
}

/** One visit, start to end, applied to the frontier and the summary. Never rejects. */
async function visit(ctx: VisitContext, claim: Claim): Promise<void> {
  const { frontier, summary, options } = ctx
  const site = ctx.byId.get(claim.site) as SiteConfig
  const result = await visitPage(
    {
      archive: ctx.archive,
      loader: ctx.stack.loader,
      extractor: ctx.stack.extractor,
      ...(ctx.writer ? { writer: ctx.writer } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    },
    { url: claim.url, site, previousAttemptAt: claim.previousClaimAt },
  )
  tallyVisit(summary, claim.url, result)
  ctx.emit({
    type: 'visit',
    site: site.id,
    url: claim.url,
    outcome: result.outcome,
    detail: result.detail,
    version: result.version,
  })
  if (result.outcome === 'released') {
    await frontier.release(claim.id)
    return
  }
  if (result.follow) {
    const meta = { site: site.id, firstSeenAt: ctx.clock(), publishedAt: claim.publishedAt }
    await frontier.addNew([{ url: result.follow, dueAt: ctx.cutoff, meta }])
  }
  const nextDueAt = result.revisit
    ? nextVisitAt(site.revisit, claim, ctx.clock(), options.ageFrom ? { ageFrom: options.ageFrom } : {})
    : null
  const outcome = result.detail ? `${result.outcome}:${result.detail}` : result.outcome
  try {
    await frontier.complete(claim.id, { outcome, nextDueAt })
  } catch {
    await frontier.release(claim.id)
  }
}

/** Count one visit's result into a summary (the runner's and the distributed worker's). */
export function tallyVisit(summary: RunSummary, url: string, result: VisitResult): void {
  if (result.fetched) summary.fetched++
  switch (result.outcome) {
    case 'new-version':
      summary.newVersions++
      summary.changed.push({ url, title: result.title ?? '', version: result.version ?? 0 })
      break
    case 'unchanged':
      summary.unchanged++
      break
    case 'not-modified':
      summary.notModified++
      break
    case 'skipped':
      summary.skipped++
      bump(summary.skippedBy, result.detail ?? 'other')
      break
    case 'error':
      bump(summary.errors, result.errorKey ?? 'other')
      break
    case 'recovered':
      summary.recovered++
      break
    case 'released':
      summary.released++
      break
  }
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1
}

/** A summary with every count at zero. */
export function emptySummary(): RunSummary {
  return {
    discovered: 0,
    added: 0,
    updated: 0,
    visits: 0,
    fetched: 0,
    newVersions: 0,
    unchanged: 0,
    notModified: 0,
    skipped: 0,
    skippedBy: {},
    errors: {},
    recovered: 0,
    released: 0,
    changed: [],
    durationMs: 0,
  }
}
