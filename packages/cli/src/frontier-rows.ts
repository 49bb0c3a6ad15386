/**
 * What the SQLite and the PostgreSQL frontier share, so both follow the same rules: the row shape they read
 * back, how a row becomes a `Claim`, how `pullForward` decides for one URL, and who owns a claim. Internal:
 * not exported from the package.
 */
import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import { type Claim, MAX_UPDATE_SKEW_MS } from './frontier.js'

/** Name of the frontier's table in both stores. */
export const FRONTIER_TABLE = 'parkwatch_frontier'

/** A frontier row as both stores read it back (times in epoch ms, `extra` as JSON text). */
export interface FrontierRow {
  id: number
  url: string
  due_at: number
  site: string
  state: 'due' | 'claimed' | 'done'
  first_seen_at: number
  published_at: number | null
  visit: number
  claimed_at: number | null
  done_at: number | null
  extra: string | null
  outcome: string | null
}

/** The visit `pullForward` plans for one URL, and the later visits it closes as `superseded`. */
export interface PulledVisit {
  dueAt: number
  site: string
  firstSeenAt: number
  publishedAt: number | null
  visit: number
  extra: string | null
  supersede: number[]
}

/** `<hostname>:<pid>:<random>`: the host and pid let another process on this host see that it died. */
export function defaultOwner(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`
}

/** @throws {TypeError} unless `limit` is an integer >= 1. */
export function checkClaimLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new TypeError(`Expected \`limit\` to be an integer >= 1, got \`${limit}\``)
  }
}

/** Of `owners` (of claimed rows), those on this host whose process no longer exists, `self` excepted. */
export function deadOwners(owners: readonly string[], self: string): string[] {
  const here = hostname()
  return owners.filter((other) => {
    if (other === self) return false
    const [host, pid] = other.split(':')
    return host === here && pid !== undefined && pid !== '' && !processAlive(Number(pid))
  })
}

/**
 * What `pullForward` does for one URL given all its rows (oldest due time first): the visit to plan, or
 * null to leave the URL alone (see `Frontier.pullForward`). `wall` is the wall clock now.
 */
export function planPull(
  rows: readonly FrontierRow[],
  updatedAt: number,
  dueAt: number,
  wall: number,
): PulledVisit | null {
  if (!Number.isFinite(updatedAt) || updatedAt > wall + MAX_UPDATE_SKEW_MS) return null
  if (rows.some((r) => r.state === 'claimed' || (r.state === 'due' && r.due_at <= dueAt))) return null
  const last = lastVisit(rows)
  if (!last || last.outcome?.startsWith('skipped') || updatedAt <= (last.claimed_at ?? last.done_at ?? 0)) return null
  const later = rows.filter((r) => r.state === 'due')
  const base = later[0] ?? last
  return {
    dueAt: Math.round(dueAt),
    site: base.site,
    firstSeenAt: base.first_seen_at,
    publishedAt: base.published_at,
    visit: later[0] ? base.visit : last.visit + 1,
    extra: base.extra,
    supersede: later.map((r) => r.id),
  }
}

/** The claim handed out for `row`, read as it was before this claim leased it. */
export function toClaim(row: FrontierRow): Claim {
  return {
    id: row.id,
    url: row.url,
    dueAt: row.due_at,
    site: row.site,
    firstSeenAt: row.first_seen_at,
    publishedAt: row.published_at,
    visit: row.visit,
    extra: row.extra ? (JSON.parse(row.extra) as Record<string, unknown>) : {},
    // A row still carrying `claimed_at` was claimed before and never completed or released.
    previousClaimAt: row.state === 'claimed' ? row.claimed_at : null,
  }
}

// --- Internal helpers ---

/** The visit that ended last (latest `done_at`), or null when none has; `superseded` rows never ran. */
function lastVisit(rows: readonly FrontierRow[]): FrontierRow | null {
  let last: FrontierRow | null = null
  for (const r of rows) {
    if (r.state !== 'done' || r.outcome === 'superseded') continue
    if (!last || (r.done_at ?? 0) >= (last.done_at ?? 0)) last = r
  }
  return last
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
