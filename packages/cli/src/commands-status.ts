/**
 * @file `parkwatch status`: what the archive holds and what the frontier has planned, per site: URLs known,
 * visits due now and later, when the next one is due, when the last one ended, how visits ended.
 */
import type { ArchiveStats } from '@parkwatch/archive'
import { type CommandIo, openStores, requireArchive, type StoreOptions } from './commands.js'
import type { FrontierCounts, SiteCounts } from './frontier.js'
import { breakdown, table } from './report.js'

/** Options of `commandStatus`. */
export interface StatusCommandOptions extends StoreOptions {
  /** Print one JSON object instead of tables. @default false */
  json?: boolean
  /** The moment "due now" is measured against (epoch ms). @default Date.now() */
  now?: number
}

/** What `parkwatch status --json` prints. */
export interface StatusReport {
  /** When the figures were taken (ISO 8601). */
  at: string
  archive: ArchiveStats
  frontier: FrontierCounts
  sites: SiteCounts[]
}

/**
 * `parkwatch status`: read-only figures of the archive and its frontier (the frontier's tables are created
 * if the archive has none yet). Exits 0; 2 when `--data` holds no archive.
 */
export async function commandStatus(options: StatusCommandOptions, io: CommandIo): Promise<number> {
  const now = options.now ?? Date.now()
  requireArchive(options, 'status')
  const { archive, frontier, close } = await openStores(options, 'status')
  try {
    const report: StatusReport = {
      at: new Date(now).toISOString(),
      archive: await archive.stats(),
      frontier: await frontier.counts(now),
      sites: await frontier.sites(now),
    }
    io.out.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report, now))
    return 0
  } finally {
    await close()
  }
}

/** The tables `parkwatch status` prints. */
export function formatStatus(report: StatusReport, now: number): string {
  const { archive: a, frontier: f } = report
  const archive = table('archive', [
    ['pages', String(a.pages)],
    ['captures', String(a.captures)],
    ['versions', String(a.versions)],
    ['bodies', `${a.blobs} (${megabytes(a.storedBlobBytes)} stored for ${megabytes(a.rawBytes)} fetched)`],
  ])
  const next = report.sites.reduce<number | null>(
    (min, s) => (s.nextDueAt !== null && (min === null || s.nextDueAt < min) ? s.nextDueAt : min),
    null,
  )
  const frontier = table('frontier', [
    ['URLs known', String(f.urls)],
    ['due now', String(f.due)],
    ['due later', `${f.later}${next !== null && f.due === 0 ? `, the next ${when(next, now)}` : ''}`],
    ['in progress', String(f.claimed)],
    ['visits done', `${f.done}${breakdown(f.outcomes)}`],
  ])
  if (report.sites.length === 0) return `${archive}${frontier}`
  const head = ['site', 'URLs', 'due', 'later', 'in progress', 'next due', 'last visit', 'errors']
  const rows = report.sites.map((s) => [
    s.site,
    String(s.urls),
    String(s.due),
    String(s.later),
    String(s.claimed),
    s.nextDueAt === null ? '-' : when(s.nextDueAt, now),
    s.lastDoneAt === null ? '-' : when(s.lastDoneAt, now),
    String(errors(s.outcomes)),
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)))
  const line = (cells: readonly string[]): string =>
    `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ')}`
  return `${archive}${frontier}sites\n${[head, ...rows].map(line).join('\n')}\n`
}

// --- Internal helpers ---

/** Visits that ended in an error (`error:<kind>` outcomes). */
function errors(outcomes: Record<string, number>): number {
  let n = 0
  for (const [outcome, count] of Object.entries(outcomes)) if (outcome.startsWith('error:')) n += count
  return n
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

/** `now`, `in 5m`, `3h ago`…: a moment relative to `now`. */
function when(at: number, now: number): string {
  const delta = at - now
  const abs = Math.abs(delta)
  if (abs < 1_000) return 'now'
  const span =
    abs < 60_000
      ? `${Math.round(abs / 1_000)}s`
      : abs < 3_600_000
        ? `${Math.round(abs / 60_000)}m`
        : abs < 86_400_000
          ? `${Math.round(abs / 3_600_000)}h`
          : `${Math.round(abs / 86_400_000)}d`
  return delta > 0 ? `in ${span}` : `${span} ago`
}
