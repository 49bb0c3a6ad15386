/**
 * How a pass shows up on screen: a single updating progress line on a terminal, pino JSON lines otherwise
 * (a log collector should get one record per event, not carriage returns), and a summary table at the end.
 */
import { pino } from 'pino'
import type { RunEvent, RunSummary } from './runner.js'

/** Where the reporter writes; `process.stderr` for the CLI. */
export interface ReportStream {
  write(chunk: string): boolean
  /** True on a terminal: then progress is one line redrawn in place. */
  isTTY?: boolean
}

/** Receives run events and prints them. */
export interface Reporter {
  /** Pass to `runOnce({ onEvent })`. */
  onEvent(event: RunEvent): void
  /** A free-form line (pass started, portal advanced...). */
  info(message: string, fields?: Record<string, unknown>): void
  /** Erase the progress line (before printing a table). */
  done(): void
}

/**
 * A reporter on `stream`: an in-place progress line when `stream.isTTY`, pino JSON otherwise.
 *
 * @example
 * ```ts
 * const reporter = createReporter(process.stderr)
 * const summary = await runOnce({ ...options, onEvent: reporter.onEvent })
 * reporter.done()
 * process.stdout.write(formatSummary(summary))
 * ```
 */
export function createReporter(stream: ReportStream): Reporter {
  if (!stream.isTTY) {
    const log = pino({ base: null, timestamp: pino.stdTimeFunctions.isoTime }, stream)
    return {
      onEvent(event) {
        if (event.type === 'visit') {
          const level = event.outcome === 'error' ? 'warn' : 'info'
          log[level]({ ...event }, `${event.outcome}${event.detail ? ` (${event.detail})` : ''} ${event.url}`)
        } else if (event.type === 'discovery-error') log.warn({ ...event }, `discovery failed: ${event.url}`)
        else log.info({ ...event }, `${event.site}: ${event.found} URLs found, ${event.added} new`)
      },
      info: (message, fields = {}) => log.info(fields, message),
      done() {},
    }
  }
  const counts = { visits: 0, new: 0, same: 0, skipped: 0, errors: 0 }
  let drawn = false
  const draw = (tail: string): void => {
    const head = `visits ${counts.visits} · new ${counts.new} · same ${counts.same} · skipped ${counts.skipped} · errors ${counts.errors}`
    const width = (stream as { columns?: number }).columns ?? 100
    const line = `${head}  ${tail}`
    stream.write(`\r\x1b[K${line.length > width - 1 ? `${line.slice(0, width - 2)}…` : line}`)
    drawn = true
  }
  const clear = (): void => {
    if (drawn) stream.write('\r\x1b[K')
    drawn = false
  }
  return {
    onEvent(event) {
      if (event.type === 'visit') {
        counts.visits++
        if (event.outcome === 'new-version') counts.new++
        else if (event.outcome === 'unchanged' || event.outcome === 'not-modified' || event.outcome === 'recovered')
          counts.same++
        else if (event.outcome === 'skipped') counts.skipped++
        else if (event.outcome === 'error') counts.errors++
        draw(event.url)
      } else if (event.type === 'discovered') draw(`${event.site}: ${event.found} found, ${event.added} new`)
      else {
        counts.errors++
        draw(`discovery failed: ${event.url}`)
      }
    },
    info(message) {
      clear()
      stream.write(`${message}\n`)
    },
    done: clear,
  }
}

/**
 * The end-of-run table: totals, skipped by reason, errors by kind.
 *
 * @example
 * ```ts
 * process.stdout.write(formatSummary(summary))
 * ```
 */
export function formatSummary(summary: RunSummary, title = 'parkwatch run'): string {
  const rows: Array<[string, string]> = [
    [
      'discovered',
      `${summary.discovered} (${summary.added} new${summary.updated ? `, ${summary.updated} updated` : ''})`,
    ],
    ['visits', String(summary.visits)],
    ['fetched', String(summary.fetched)],
    ['new versions', String(summary.newVersions)],
    ['unchanged', String(summary.unchanged)],
    ['not modified (304)', String(summary.notModified)],
    ['skipped', `${summary.skipped}${breakdown(summary.skippedBy)}`],
    ['errors', `${sum(summary.errors)}${breakdown(summary.errors)}`],
  ]
  if (summary.recovered > 0) rows.push(['recovered after a crash', String(summary.recovered)])
  if (summary.released > 0) rows.push(['returned to the frontier', String(summary.released)])
  rows.push(['time', `${(summary.durationMs / 1000).toFixed(1)} s`])
  return table(title, rows)
}

/**
 * A two-column table with a title, for summaries and reports.
 *
 * @example
 * ```ts
 * table('archive verify', [['ok', 'yes']])
 * ```
 */
export function table(title: string, rows: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(...rows.map(([k]) => k.length))
  const lines = rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)
  return `${title}\n${lines.join('\n')}\n`
}

// --- Internal helpers ---

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0)
}

/** ` (a 3, b 1)`, most first; '' when there is nothing to count. */
export function breakdown(counts: Record<string, number>): string {
  const parts = Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
  return parts.length > 0 ? ` (${parts.join(', ')})` : ''
}
