/**
 * One visit of one URL, start to end: robots, politeness, retries, render mode and conditional headers from
 * the archive (all in the page loader) -> extract -> relevance filter -> `archive.ingest`. The answer says
 * how the visit ended and what to plan next; the caller owns the plan. The one-machine runner applies it to
 * the frontier (in the archive's SQLite file or PostgreSQL schema), the distributed worker to BullMQ jobs: the fetching, extraction and archiving code is
 * the same, only the queue differs.
 */
import type { Archive, CaptureInput, IngestResult } from '@parkwatch/archive'
import { normalizeUrl } from '@parkwatch/archive'
import type { Article, NotArticle } from '@parkwatch/extractor'
import { extract } from '@parkwatch/extractor'
import { AttemptsFailedError, errorKind, type FetchResult, type PageLoader, type SiteConfig } from '@parkwatch/scraper'
import type { ExtractPool } from './extract-pool.js'
import type { IngestWriter } from './ingest-batch.js'
import { isRelevant } from './relevance.js'

/** How one visit ended. */
export type VisitOutcome = 'new-version' | 'unchanged' | 'not-modified' | 'skipped' | 'error' | 'recovered' | 'released'

/** What a visit needs. */
export interface VisitDeps {
  archive: Archive
  loader: PageLoader
  /** Aborts the fetch; the visit then ends `released` (to be handed back to the queue). @default undefined */
  signal?: AbortSignal
  /** Extract on these worker threads (`FetchStack.extractor`); null or omitted: in this thread. @default undefined */
  extractor?: ExtractPool | null
  /** Writes captures in place of `archive.ingest` (the runner's batcher). @default undefined: `archive.ingest` */
  writer?: IngestWriter
}

/** The visit to make. */
export interface VisitTask {
  url: string
  site: SiteConfig
  /**
   * Wall-clock time (epoch ms) of an earlier attempt at this same visit that never finished (its process
   * died), or null. A capture of the URL stored after that moment means the visit was already done.
   */
  previousAttemptAt: number | null
}

/** How a visit ended and what to plan next. */
export interface VisitResult {
  outcome: VisitOutcome
  /** The skip reason (`robots`, `irrelevant`, `not-article:<reason>`, `redirected`) or error kind, else null. */
  detail: string | null
  /** Key of `RunSummary.errors` for an error: the error kind, or the typed error's code for internal ones. */
  errorKey: string | null
  /** Plan another visit of the URL (false: stop visiting it). */
  revisit: boolean
  /** A request went out (whatever the answer). */
  fetched: boolean
  /** Version number the capture points at, if any. */
  version: number | null
  /** Title of that version when it is new. */
  title: string | null
  /** A URL to visit as well, in this same pass: where the page redirected to. */
  follow: string | null
  /** What went wrong, for errors (the fetch error's or the refused ingest's message), else null. */
  message: string | null
}

/**
 * Make one visit. Never rejects: every failure becomes an outcome (a failed capture is stored for fetch
 * errors; a refused ingest is an `error` with detail `internal`).
 *
 * @example
 * ```ts
 * const r = await visitPage({ archive, loader: stack.loader }, { url, site, previousAttemptAt: null })
 * if (r.revisit) await frontier.schedule(url, nextVisitAt(site.revisit, subject, Date.now()), meta)
 * ```
 */
export async function visitPage(deps: VisitDeps, task: VisitTask): Promise<VisitResult> {
  const leave = deps.writer?.enter?.()
  try {
    return await visit(deps, task)
  } finally {
    leave?.()
  }
}

// --- Internal helpers ---

async function visit(deps: VisitDeps, task: VisitTask): Promise<VisitResult> {
  const { archive, signal } = deps
  const store = deps.writer ?? archive
  const { url, site } = task
  let fetched = false
  const end = (outcome: VisitOutcome, fields: Partial<VisitResult> = {}): VisitResult => ({
    outcome,
    detail: null,
    errorKey: null,
    revisit: true,
    fetched,
    version: null,
    title: null,
    follow: null,
    message: null,
    ...fields,
  })
  const skip = (reason: string, follow: string | null = null) =>
    end('skipped', { detail: reason, revisit: false, follow })
  const ingested = (r: IngestResult) =>
    end(r.isNewVersion ? 'new-version' : 'unchanged', {
      version: r.version?.number ?? null,
      title: r.isNewVersion ? (r.version?.title ?? '') : null,
    })

  try {
    // A visit taken over from a dead process: if its capture was stored after that attempt began, the
    // visit is done; ending it here is what keeps a resumed run from fetching the same visit twice.
    const known = await archive.getPage(url)
    if (task.previousAttemptAt !== null && known && Date.parse(known.lastCapturedAt) >= task.previousAttemptAt) {
      return end('recovered')
    }
    const validators = known ? await archive.conditionalHeaders(url) : null
    let loaded: FetchResult
    try {
      const outcome = await deps.loader.load(url, {
        render: site.render,
        charset: site.charset,
        ...(validators?.etag ? { ifNoneMatch: validators.etag } : {}),
        ...(validators?.lastModified ? { ifModifiedSince: validators.lastModified } : {}),
        ...(signal ? { signal } : {}),
      })
      loaded = outcome.result
    } catch (error) {
      if (signal?.aborted) return end('released', { revisit: false })
      const kind = errorKind(error)
      if (kind === 'robots') return skip('robots')
      fetched = true
      await store.ingest(failedCapture(url, site, error), null)
      // 4xx and friends will not heal by themselves; network trouble and 5xx might.
      const message = error instanceof Error ? error.message : String(error)
      return end('error', { detail: kind, errorKey: kind, revisit: isTransient(error), message })
    }

    fetched = true
    if (loaded.notModified) {
      const r = await store.ingest(toCapture(url, site, loaded), null)
      return end('not-modified', { version: r.version?.number ?? null })
    }

    // A redirect to another page: record the hop, then visit the target under its own URL (once).
    if (normalizeUrl(loaded.finalUrl) !== normalizeUrl(url)) {
      await store.ingest(toCapture(url, site, loaded), null)
      return skip('redirected', loaded.finalUrl)
    }

    const result = await extractPage(loaded, site, deps.extractor ?? null)
    if (result.type === 'not-article' || !isRelevant(site.relevance, result)) {
      // Pages already in the archive keep being recorded (an article that became a login wall, or lost
      // its park mention in an edit, is history); new ones are skipped and never archived.
      if (known && known.versionCount > 0) return ingested(await store.ingest(toCapture(url, site, loaded), result))
      return skip(result.type === 'not-article' ? `not-article:${result.reason}` : 'irrelevant')
    }
    return ingested(await store.ingest(toCapture(url, site, loaded), result))
  } catch (error) {
    // The archive refused the capture (bad header bytes...) or extraction blew up: record and go on.
    const code = error instanceof Error && 'code' in error ? String(error.code) : 'other'
    const message = error instanceof Error ? error.message : String(error)
    return end('error', { detail: 'internal', errorKey: code, message })
  }
}

async function extractPage(
  loaded: FetchResult,
  site: SiteConfig,
  pool: ExtractPool | null,
): Promise<Article | NotArticle> {
  // The sources file's charset override beats whatever the server or the page claims.
  const contentType = site.charset ? `text/html; charset=${site.charset}` : loaded.contentType
  if (pool) {
    return pool.extract(loaded.body, {
      url: loaded.finalUrl,
      contentType,
      ...(site.relevance?.parks.length ? { parkNames: site.relevance.parks } : {}),
    })
  }
  return extract(loaded.body, {
    url: loaded.finalUrl,
    contentType,
    ...(site.relevance?.parks.length ? { parkNames: site.relevance.parks } : {}),
  })
}

function toCapture(url: string, site: SiteConfig, r: FetchResult): CaptureInput {
  return {
    url,
    source: site.id,
    finalUrl: r.finalUrl === r.url ? null : r.finalUrl,
    redirects: r.redirects.map((hop) => hop.location),
    method: r.mode,
    status: r.status,
    headers: r.headers,
    body: r.body.byteLength > 0 ? r.body : null,
    bodyGzip: r.bodyGzip,
    fetchedAt: r.fetchedAt,
    timing: { totalMs: r.timing.totalMs, ttfbMs: r.timing.ttfbMs },
  }
}

function failedCapture(url: string, site: SiteConfig, error: unknown): CaptureInput {
  const last = error instanceof AttemptsFailedError ? error.lastError : error
  const response = last as { status?: unknown; headers?: unknown; code?: unknown }
  const message = last instanceof Error ? last.message : String(last)
  return {
    url,
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
