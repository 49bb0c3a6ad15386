/**
 * The persistent frontier: every planned visit of a URL is one row keyed by (URL, due time), never by URL
 * alone, so a page's history of visits is kept and a revisit is just another row. Rows move `due` ->
 * `claimed` (leased to one process) -> `done` (with the outcome). It lives in the archive's database, so
 * one store holds the archive and the work still to do:
 *
 * - `openFrontier` (`frontier-sqlite.ts`): own tables in the archive's SQLite file (schema-version row in
 *   `parkwatch_meta`, WAL); one writer at a time, each call one short transaction.
 * - `openPostgresFrontier` (`frontier-postgres.ts`): own tables in the archive's PostgreSQL schema; claims
 *   use `FOR UPDATE SKIP LOCKED`, so processes on any number of machines share it.
 *
 * Both implement `Frontier` (every method returns a Promise) and pass one contract suite.
 *
 * Crash safety: a claim is a lease. A run killed with SIGKILL leaves its rows `claimed`; the next run sees
 * that the owning process is gone (same host) or that the lease ran out (any host) and claims them again,
 * remembering when they were first claimed so the runner can tell whether the capture was already stored.
 */

/** Version of the SQLite frontier's tables, kept in `parkwatch_meta` (the archive owns `PRAGMA user_version`). */
export const FRONTIER_SCHEMA_VERSION = 1

/** How far in the future an entry point's update date may be and still pull a visit forward (clock skew). */
export const MAX_UPDATE_SKEW_MS: number = 10 * 60_000

/** Default lease of a claim: long enough for retries with Retry-After waits, short enough to recover. */
export const DEFAULT_LEASE_MS: number = 10 * 60_000

/** What the frontier knows about a visit besides its URL and due time. */
export interface VisitMeta {
  /** Id of the site (sources file) the URL belongs to. */
  site: string
  /** When parkwatch first saw the URL (epoch ms); revisit ages count from here. @default the due time */
  firstSeenAt?: number
  /** Publication time from the feed, sitemap or article (epoch ms), when known. @default null */
  publishedAt?: number | null
  /** Free-form extras (title from the feed, the page it was found on). @default {} */
  extra?: Record<string, unknown>
}

/** A claimed visit, handed to one worker. */
export interface Claim {
  id: number
  url: string
  /** When the visit was due (epoch ms). */
  dueAt: number
  site: string
  firstSeenAt: number
  publishedAt: number | null
  /** 1 for the first visit of the URL, 2 for the first revisit, ... */
  visit: number
  extra: Record<string, unknown>
  /**
   * Wall-clock time of an earlier claim of this same row that never completed (its process died), or
   * null. A capture of the URL stored after this moment means the visit was done before the crash.
   */
  previousClaimAt: number | null
}

/** How a visit ended, stored on its row. */
export interface Completion {
  /** `new-version`, `unchanged`, `not-modified`, `skipped:<reason>`, `error:<kind>`, `recovered`... */
  outcome: string
  /** The next visit, or null/undefined to stop visiting the URL. */
  nextDueAt?: number | null
  /** A publication time learnt from the article, kept on the next visit's row. @default unchanged */
  publishedAt?: number | null
}

/** Options of `Frontier.claim`. */
export interface ClaimOptions {
  /** Visits due up to this time (epoch ms, the caller's clock) are claimed. */
  now: number
  /** At most this many (an integer >= 1). */
  limit: number
  /** How long the claims are leased (wall clock). @default DEFAULT_LEASE_MS */
  leaseMs?: number
  /** Only visits of these site ids (an empty list matches nothing). @default every site */
  sites?: readonly string[]
}

/** Figures for progress and summaries. */
export interface FrontierCounts {
  /** Rows waiting whose due time has come. */
  due: number
  /** Rows waiting for a later time. */
  later: number
  claimed: number
  done: number
  /** Distinct URLs known. */
  urls: number
  /** Done rows per outcome. */
  outcomes: Record<string, number>
}

/** One site's share of the frontier, as `Frontier.sites` lists it. */
export interface SiteCounts {
  site: string
  /** Distinct URLs known. */
  urls: number
  /** Rows waiting whose due time has come. */
  due: number
  /** Rows waiting for a later time. */
  later: number
  claimed: number
  /** The earliest due time of a waiting row (epoch ms), or null when none waits. */
  nextDueAt: number | null
  /** When a visit of the site last ended (epoch ms), or null before the first. */
  lastDoneAt: number | null
  /** Done rows per outcome. */
  outcomes: Record<string, number>
}

/** One row of a URL, as `Frontier.visits` lists it. */
export interface FrontierVisit {
  id: number
  dueAt: number
  state: string
  outcome: string | null
}

/**
 * The frontier API, the same over SQLite and PostgreSQL. Every method returns a Promise; each call is one
 * short transaction (a claim, a completion and the next visit it plans are atomic). Wall-clock times
 * (leases, claim times) come from this process's `Date.now()`; due times follow the caller's clock.
 */
export interface Frontier {
  /** Where the rows live: the SQLite file, or `postgres://host:port/db (schema s)` without credentials. */
  readonly location: string
  /** This process's owner id, written on its claims. */
  readonly owner: string
  /** Plan a visit; idempotent per (url, dueAt). Resolves with true when the row was added. */
  schedule(url: string, dueAt: number, meta: VisitMeta): Promise<boolean>
  /**
   * Plan the first visit of URLs never seen before; URLs the frontier already knows (in any state) are left
   * alone, so discovering the same article every pass does not multiply its visits. Resolves with how many
   * were added.
   */
  addNew(items: ReadonlyArray<{ url: string; dueAt: number; meta: VisitMeta }>): Promise<number>
  /**
   * Pull visits forward for known URLs an entry point says changed after their last visit began (a feed's
   * `<updated>`, a sitemap's `<lastmod>`): a visit due at `dueAt` is planned, and later planned visits of the
   * URL are closed as `superseded` (the early one plans the next as usual), so the URL keeps one pending
   * visit. Left alone: URLs with a visit already due by `dueAt` or in progress, URLs never visited, URLs
   * whose last visit was a skip (robots, irrelevant, redirected: nothing was captured), and `updatedAt`
   * more than `MAX_UPDATE_SKEW_MS` in the future (a portal's clock or typo would pull every pass).
   * `updatedAt` is wall-clock epoch ms, compared with the wall-clock start of the last visit; `dueAt`
   * follows the caller's clock, as in `schedule`. Resolves with how many visits were pulled forward.
   */
  pullForward(items: ReadonlyArray<{ url: string; updatedAt: number }>, dueAt: number): Promise<number>
  /**
   * Lease up to `limit` due visits (due time <= `now`, oldest first), including claims whose lease ran out
   * or whose owning process on this host is gone. No two callers, in any process, get the same row while
   * its lease holds. Rejects with a `TypeError` for a bad `limit`.
   */
  claim(options: ClaimOptions): Promise<Claim[]>
  /** Finish a claimed visit and, when `nextDueAt` is given, plan the next one. False when not claimed. */
  complete(id: number, completion: Completion): Promise<boolean>
  /** Give a claimed visit back (shutdown, aborted fetch): it is due again at once. False when not claimed. */
  release(id: number): Promise<boolean>
  /** Current figures; `now` splits waiting rows into `due` and `later`. */
  counts(now: number): Promise<FrontierCounts>
  /** The same figures per site, plus when each is next due and last finished a visit; by site id. */
  sites(now: number): Promise<SiteCounts[]>
  /** Every row of a URL, oldest due time first (for tests and `--explain`-style tooling). */
  visits(url: string): Promise<FrontierVisit[]>
  /** Close the connection(s); the frontier is unusable afterwards. */
  close(): Promise<void>
}
