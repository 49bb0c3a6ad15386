import { describe, expect, it } from 'vitest'
import { formatStatus, type StatusReport } from '../src/commands-status.js'

const NOW = Date.parse('2026-11-23T08:00:00Z')

describe('formatStatus', () => {
  it('prints the archive, the frontier and a row per site with relative times and errors', () => {
    const report: StatusReport = {
      at: new Date(NOW).toISOString(),
      archive: {
        pages: 3,
        captures: 9,
        versions: 4,
        blobs: 5,
        rawBytes: 3 * 1024 * 1024,
        storedBlobBytes: 1024 * 1024,
      },
      frontier: {
        due: 0,
        later: 3,
        claimed: 1,
        done: 7,
        urls: 4,
        outcomes: { 'new-version': 4, 'error:timeout': 2, 'error:http-4xx': 1 },
      },
      sites: [
        {
          site: 'sipac',
          urls: 3,
          due: 0,
          later: 2,
          claimed: 1,
          nextDueAt: NOW + 5 * 60_000,
          lastDoneAt: NOW - 3 * 3_600_000,
          outcomes: { 'new-version': 3, 'error:timeout': 2 },
        },
        {
          site: 'xjnnet',
          urls: 1,
          due: 0,
          later: 1,
          claimed: 0,
          nextDueAt: NOW + 2 * 86_400_000,
          lastDoneAt: null,
          outcomes: { 'error:http-4xx': 1, 'new-version': 1 },
        },
      ],
    }
    const out = formatStatus(report, NOW)
    expect(out).toContain('  bodies    5 (1.0 MB stored for 3.0 MB fetched)\n')
    // Nothing due now: when the next visit is.
    expect(out).toContain('  due later    3, the next in 5m\n')
    expect(out).toContain('  visits done  7 (new-version 4, error:timeout 2, error:http-4xx 1)\n')
    const lines = out.split('\n')
    const header = lines.findIndex((l) => l.startsWith('  site '))
    expect(lines[header + 1]?.trim().split(/ {2,}/)).toEqual(['sipac', '3', '0', '2', '1', 'in 5m', '3h ago', '2'])
    expect(lines[header + 2]?.trim().split(/ {2,}/)).toEqual(['xjnnet', '1', '0', '1', '0', 'in 2d', '-', '1'])
  })

  it('leaves the site table out of an empty frontier', () => {
    const out = formatStatus(
      {
        at: new Date(NOW).toISOString(),
        archive: { pages: 0, captures: 0, versions: 0, blobs: 0, rawBytes: 0, storedBlobBytes: 0 },
        frontier: { due: 0, later: 0, claimed: 0, done: 0, urls: 0, outcomes: {} },
        sites: [],
      },
      NOW,
    )
    expect(out).not.toContain('sites')
    expect(out).toContain('  visits done  0\n')
  })
})
