import { describe, expect, it } from 'vitest'
import { createReporter, formatSummary } from '../src/report.js'
import type { RunSummary } from '../src/runner.js'

const sink = (isTTY: boolean) => {
  const chunks: string[] = []
  return { chunks, stream: { isTTY, columns: 200, write: (c: string) => chunks.push(c) > 0 } }
}

const visit = (outcome: 'new-version' | 'error', url: string) =>
  ({ type: 'visit', site: 's', url, outcome, detail: outcome === 'error' ? 'timeout' : null, version: 1 }) as const

describe('reporting', () => {
  it('redraws one progress line in place on a terminal', () => {
    const { chunks, stream } = sink(true)
    const reporter = createReporter(stream)
    reporter.onEvent(visit('new-version', 'http://a/1'))
    reporter.onEvent(visit('error', 'http://a/2'))
    expect(chunks.every((c) => c.startsWith('\r\x1b[K') && !c.includes('\n'))).toBe(true)
    expect(chunks.at(-1)).toMatch(/visits 2 · new 1 · same 0 · skipped 0 · errors 1 {2}http:\/\/a\/2/)
    reporter.done()
    expect(chunks.at(-1)).toBe('\r\x1b[K')
  })

  it('writes one JSON record per event otherwise', () => {
    const { chunks, stream } = sink(false)
    createReporter(stream).onEvent(visit('error', 'http://a/2'))
    const record = JSON.parse(chunks.join('')) as Record<string, unknown>
    expect(record).toMatchObject({ level: 40, type: 'visit', outcome: 'error', detail: 'timeout', url: 'http://a/2' })
    expect(typeof record.time).toBe('string')
  })

  it('prints a summary table with breakdowns', () => {
    const summary: RunSummary = {
      discovered: 10,
      added: 4,
      updated: 0,
      visits: 9,
      fetched: 8,
      newVersions: 3,
      unchanged: 2,
      notModified: 1,
      skipped: 2,
      skippedBy: { robots: 1, irrelevant: 1 },
      errors: { timeout: 2 },
      recovered: 0,
      released: 0,
      changed: [],
      durationMs: 1500,
    }
    const text = formatSummary(summary)
    expect(text).toMatch(/^parkwatch run\n/)
    expect(text).toMatch(/discovered {10}10 \(4 new\)/)
    expect(text).toMatch(/skipped +2 \(robots 1, irrelevant 1\)/)
    expect(text).toMatch(/errors +2 \(timeout 2\)/)
    expect(text).toMatch(/time +1\.5 s/)
    expect(text).not.toMatch(/recovered/)
  })
})
