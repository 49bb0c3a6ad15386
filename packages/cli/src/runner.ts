/**
 * The job runner: one pass over a set of sites. Discover entry points -> plan new URLs in the frontier ->
 * claim what is due -> load each page (robots, politeness, retries, render mode, conditional headers from
 * the archive) -> extract -> relevance filter -> `archive.ingest` -> plan the next visit. One page's
 * failure is recorded (a failed capture, or a skipped visit) and the pass goes on.
 */
import type { Archive, CaptureInput, IngestResult } from '@parkwatch/archive'
import { normalizeUrl } from '@parkwatch/archive'
import type { Article, NotArticle } from '@parkwatch/extractor'
import { extract } from '@parkwatch/extractor'
import {
  AttemptsFailedError,
  errorKind,
  type FetchResult,
  type SiteConfig,
  type SourcesConfig,
} from '@parkwatch/scraper'
import { discoverSite } from './discover.js'
import { createFetchStack, type FetchStack, type FetchStackOptions } from './fetch-stack.js'
import type { Claim, Frontier } from './frontier.js'
import { isRelevant } from './relevance.js'
import { nextVisitAt, type RevisitAgeFrom } from './revisit.js'

/** Something that happened during a pass, for progress bars and logs. */
export type RunEvent =
  | { type: 'discovered'; site: string; found: number; added: number; errors: number }
  | { type: 'discovery-error'; site: string; url: string; kind: string; message: string }
  | { type: 'visit'; site: string; url: string; outcome: VisitOutcome; detail: string | null; version: number | null }

/** How one visit ended. */
export type VisitOutcome = 'new-version' | 'unchanged' | 'not-modified' | 'skipped' | 'error' | 'recovered' | 'released'

/** Totals of a pass. */
export interface RunSummary {
  /** Article URLs seen in entry points this pass, and how many of them were new to the frontier. */
  discovered: number
  added: number
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
  /** Visits claimed at once; politeness spreads them over hosts. @default 200 */
  batchSize?: number
  /** Lease of each claim. @default DEFAULT_LEASE_MS */
  leaseMs?: number
  /** What revisit ages count from. @default 'first-seen' */
  ageFrom?: RevisitAgeFrom
  /** Stops the pass: no new claims, in-flight fetches aborted and returned to the frontier. @default undefined */
  signal?: AbortSignal
  /** Called for every event. @default undefined */
  onEvent?: (event: RunEvent) => void
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

  try {
    if (options.discover !== false) {
      await Promise.all(
        sites.map(async (site) => {
          const d = await discoverSite(site, stack.loader, signal ? { signal } : {})
          const now = clock()
          const added = frontier.addNew(
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
    const ctx: VisitContext = { archive, frontier, stack, byId, clock, cutoff, emit, summary, options }
    // Claim in batches until nothing is due; a visit may plan another for the pass (a redirect target).
    while (!signal?.aborted) {
      const batch = frontier.claim({
        now: cutoff,
        limit: options.batchSize ?? 200,
        sites: sites.map((s) => s.id),
        ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
      })
      if (batch.length === 0) break
      summary.visits += batch.length
      await Promise.all(batch.map((claim) => visit(ctx, claim)))
    }
  } finally {
    if (!options.stack) await stack.close()
  }
  summary.durationMs = Date.now() - wallStart
  return summary
}

// --- Internal helpers ---

interface VisitContext {
  archive: Archive
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

/** One visit, start to end. Never rejects: every failure becomes an outcome. */
async function visit(ctx: VisitContext, claim: Claim): Promise<void> {
  const { archive, frontier, summary, options } = ctx
  const site = ctx.byId.get(claim.site) as SiteConfig
  const finish = (outcome: VisitOutcome, detail: string | null, next: boolean, version: number | null = null) => {
    const nextDueAt = next
      ? nextVisitAt(site.revisit, claim, ctx.clock(), options.ageFrom ? { ageFrom: options.ageFrom } : {})
      : null
    frontier.complete(claim.id, { outcome: detail ? `${outcome}:${detail}` : outcome, nextDueAt })
    ctx.emit({ type: 'visit', site: site.id, url: claim.url, outcome, detail, version })
  }
  const skip = (reason: string) => {
    summary.skipped++
    bump(summary.skippedBy, reason)
    finish('skipped', reason, false)
  }

  try {
    // A claim taken over from a dead process: if its capture was stored after that claim, the visit is
    // done; completing it here is what keeps a resumed run from fetching the same visit twice.
    if (claim.previousClaimAt !== null) {
      const page = await archive.getPage(claim.url)
      if (page && Date.parse(page.lastCapturedAt) >= claim.previousClaimAt) {
        summary.recovered++
        return finish('recovered', null, true)
      }
    }
    const known = await archive.getPage(claim.url)
    const validators = known ? await archive.conditionalHeaders(claim.url) : null
    let loaded: FetchResult
    try {
      const outcome = await ctx.stack.loader.load(claim.url, {
        render: site.render,
        charset: site.charset,
        ...(validators?.etag ? { ifNoneMatch: validators.etag } : {}),
        ...(validators?.lastModified ? { ifModifiedSince: validators.lastModified } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      })
      loaded = outcome.result
    } catch (error) {
      if (options.signal?.aborted) {
        frontier.release(claim.id)
        summary.released++
        ctx.emit({ type: 'visit', site: site.id, url: claim.url, outcome: 'released', detail: null, version: null })
        return
      }
      const kind = errorKind(error)
      if (kind === 'robots') return skip('robots')
      summary.fetched++
      bump(summary.errors, kind)
      await archive.ingest(failedCapture(claim, site, error), null)
      // 4xx and friends will not heal by themselves; network trouble and 5xx might.
      return finish('error', kind, isTransient(error))
    }

    summary.fetched++
    if (loaded.notModified) {
      const r = await archive.ingest(toCapture(claim, site, loaded), null)
      summary.notModified++
      return finish('not-modified', null, true, r.version?.number ?? null)
    }

    // A redirect to another page: record the hop, then visit the target under its own URL (once).
    const target = loaded.finalUrl
    if (normalizeUrl(target) !== normalizeUrl(claim.url)) {
      await archive.ingest(toCapture(claim, site, loaded), null)
      const meta = { site: site.id, firstSeenAt: ctx.clock(), publishedAt: claim.publishedAt }
      frontier.addNew([{ url: target, dueAt: ctx.cutoff, meta }])
      return skip('redirected')
    }

    const result = extractPage(loaded, site)
    if (result.type === 'not-article' || !isRelevant(site.relevance, result)) {
      // Pages already in the archive keep being recorded (an article that became a login wall, or
      // lost its park mention in an edit, is history); new ones are skipped and never archived.
      if (known && known.versionCount > 0) {
        const r = await archive.ingest(toCapture(claim, site, loaded), result)
        return finish(ingestOutcome(summary, claim, r), null, true, r.version?.number ?? null)
      }
      return skip(result.type === 'not-article' ? `not-article:${result.reason}` : 'irrelevant')
    }
    const r = await archive.ingest(toCapture(claim, site, loaded), result)
    return finish(ingestOutcome(summary, claim, r), null, true, r.version?.number ?? null)
  } catch (error) {
    // The archive refused the capture (bad header bytes...) or extraction blew up: record and go on.
    bump(summary.errors, error instanceof Error && 'code' in error ? String(error.code) : 'other')
    try {
      finish('error', 'internal', true)
    } catch {
      frontier.release(claim.id)
    }
  }
}

/** Count an ingest and say how the visit ended. */
function ingestOutcome(summary: RunSummary, claim: Claim, r: IngestResult): VisitOutcome {
  if (!r.isNewVersion) {
    summary.unchanged++
    return 'unchanged'
  }
  summary.newVersions++
  summary.changed.push({ url: claim.url, title: r.version?.title ?? '', version: r.version?.number ?? 0 })
  return 'new-version'
}

function extractPage(loaded: FetchResult, site: SiteConfig): Article | NotArticle {
  // The sources file's charset override beats whatever the server or the page claims.
  const contentType = site.charset ? `text/html; charset=${site.charset}` : loaded.contentType
  return extract(loaded.body, {
    url: loaded.finalUrl,
    contentType,
    ...(site.relevance?.parks.length ? { parkNames: site.relevance.parks } : {}),
  })
}

function toCapture(claim: Claim, site: SiteConfig, r: FetchResult): CaptureInput {
  return {
    url: claim.url,
    source: site.id,
    finalUrl: r.finalUrl === r.url ? null : r.finalUrl,
    redirects: r.redirects.map((hop) => hop.location),
    method: r.mode,
    status: r.status,
    headers: r.headers,
    body: r.body.byteLength > 0 ? r.body : null,
    fetchedAt: r.fetchedAt,
    timing: { totalMs: r.timing.totalMs, ttfbMs: r.timing.ttfbMs },
  }
}

function failedCapture(claim: Claim, site: SiteConfig, error: unknown): CaptureInput {
  const last = error instanceof AttemptsFailedError ? error.lastError : error
  const response = last as { status?: unknown; headers?: unknown; code?: unknown }
  const message = last instanceof Error ? last.message : String(last)
  return {
    url: claim.url,
    source: site.id,
    method: site.render === 'browser' ? 'browser' : 'http',
    status: typeof response?.status === 'number' ? response.status : null,
    headers: isStringRecord(response?.headers) ? response.headers : {},
    fetchedAt: new Date(),
    error: { code: typeof response?.code === 'string' ? response.code : 'PARKWATCH_FETCH', message },
  }
}

function isTransient(error: unknown): boolean {
  const last = error instanceof AttemptsFailedError ? error.lastError : error
  return ['timeout', 'network', 'http-5xx', 'rate-limited', 'browser'].includes(errorKind(last))
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && Object.values(value).every((v) => typeof v === 'string')
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1
}

function emptySummary(): RunSummary {
  return {
    discovered: 0,
    added: 0,
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
