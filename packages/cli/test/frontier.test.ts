import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createArchive, sqliteBackend } from '@parkwatch/archive'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FRONTIER_SCHEMA_VERSION, type Frontier, FrontierError, openFrontier } from '../src/index.js'

const T0 = Date.parse('2026-01-01T00:00:00Z')
const meta = { site: 'demo' }

describe('frontier', () => {
  let dir: string
  let file: string
  let frontier: Frontier

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pw-frontier-'))
    file = join(dir, 'archive.sqlite')
    frontier = openFrontier({ file })
  })
  afterEach(() => {
    frontier.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('keys visits by (url, due time): idempotent per pair, several visits per url', () => {
    expect(frontier.schedule('http://a/1', T0, meta)).toBe(true)
    expect(frontier.schedule('http://a/1', T0, meta)).toBe(false)
    expect(frontier.schedule('http://a/1', T0 + 60_000, meta)).toBe(true)
    expect(frontier.visits('http://a/1').map((v) => v.dueAt)).toEqual([T0, T0 + 60_000])
  })

  it('adds discovered urls only when the url is unknown in any state', () => {
    expect(frontier.addNew([{ url: 'http://a/1', dueAt: T0, meta }])).toBe(1)
    const [claim] = frontier.claim({ now: T0, limit: 10 })
    frontier.complete(claim?.id as number, { outcome: 'unchanged', nextDueAt: T0 + 1000 })
    // Discovered again in a later pass: no new row, the planned revisit stands.
    expect(
      frontier.addNew([
        { url: 'http://a/1', dueAt: T0 + 500, meta },
        { url: 'http://a/2', dueAt: T0 + 500, meta },
      ]),
    ).toBe(1)
    expect(frontier.visits('http://a/1').map((v) => [v.dueAt, v.state])).toEqual([
      [T0, 'done'],
      [T0 + 1000, 'due'],
    ])
  })

  it('claims only due visits, oldest first, each once while leased', () => {
    frontier.schedule('http://a/late', T0 + 10_000, meta)
    frontier.schedule('http://a/2', T0 - 1, meta)
    frontier.schedule('http://a/1', T0 - 2, meta)
    const first = frontier.claim({ now: T0, limit: 10 })
    expect(first.map((c) => c.url)).toEqual(['http://a/1', 'http://a/2'])
    expect(first.every((c) => c.previousClaimAt === null && c.visit === 1)).toBe(true)
    expect(frontier.claim({ now: T0, limit: 10 })).toEqual([])
    expect(frontier.counts(T0)).toMatchObject({ due: 0, later: 1, claimed: 2, done: 0, urls: 3 })
  })

  it('filters claims by site', () => {
    frontier.schedule('http://a/1', T0, { site: 'a' })
    frontier.schedule('http://b/1', T0, { site: 'b' })
    expect(frontier.claim({ now: T0, limit: 10, sites: ['b'] }).map((c) => c.url)).toEqual(['http://b/1'])
  })

  it('completes with the next visit carrying the url’s history, and stops without one', () => {
    frontier.schedule('http://a/1', T0, { site: 'demo', firstSeenAt: T0 - 5, publishedAt: 42, extra: { title: 't' } })
    const [c1] = frontier.claim({ now: T0, limit: 1 })
    expect(frontier.complete(c1?.id as number, { outcome: 'new-version', nextDueAt: T0 + 900_000 })).toBe(true)
    expect(frontier.complete(c1?.id as number, { outcome: 'again' })).toBe(false)
    const [c2] = frontier.claim({ now: T0 + 900_000, limit: 1 })
    expect(c2).toMatchObject({
      url: 'http://a/1',
      visit: 2,
      firstSeenAt: T0 - 5,
      publishedAt: 42,
      extra: { title: 't' },
    })
    frontier.complete(c2?.id as number, { outcome: 'skipped:irrelevant' })
    expect(frontier.counts(T0 + 10 ** 10)).toMatchObject({
      due: 0,
      later: 0,
      done: 2,
      outcomes: { 'new-version': 1, 'skipped:irrelevant': 1 },
    })
  })

  it('gives a released visit back at once', () => {
    frontier.schedule('http://a/1', T0, meta)
    const [c] = frontier.claim({ now: T0, limit: 1 })
    expect(frontier.release(c?.id as number)).toBe(true)
    const [again] = frontier.claim({ now: T0, limit: 1 })
    expect(again?.id).toBe(c?.id)
    expect(again?.previousClaimAt).toBeNull()
  })

  it('takes over a claim after its lease ran out, remembering the earlier claim', async () => {
    frontier.schedule('http://a/1', T0, meta)
    const [c] = frontier.claim({ now: T0, limit: 1, leaseMs: 1 })
    const other = openFrontier({ file })
    try {
      await new Promise((r) => setTimeout(r, 5))
      const [taken] = other.claim({ now: T0, limit: 1 })
      expect(taken?.id).toBe(c?.id)
      expect(typeof taken?.previousClaimAt).toBe('number')
    } finally {
      other.close()
    }
  })

  it('takes over the claims of a dead process on this host without waiting for the lease', () => {
    const child = spawnSync(process.execPath, ['-e', 'process.exit(0)'])
    const deadPid = child.pid as number
    const dead = openFrontier({ file, owner: `${hostname()}:${deadPid}:x` })
    dead.schedule('http://a/1', T0, meta)
    expect(dead.claim({ now: T0, limit: 1, leaseMs: 3_600_000 })).toHaveLength(1)
    dead.close()
    const [taken] = frontier.claim({ now: T0, limit: 1 })
    expect(taken?.url).toBe('http://a/1')
    expect(taken?.previousClaimAt).not.toBeNull()
  })

  it('shares the archive’s SQLite file without disturbing it', async () => {
    const archive = createArchive({ backend: sqliteBackend({ dir }) })
    await archive.ingest({ url: 'http://a/1', status: 200, body: 'x', fetchedAt: T0 }, null)
    frontier.schedule('http://a/1', T0, meta)
    const report = await archive.verify()
    await archive.close()
    expect(report.ok).toBe(true)
  })

  it('refuses a file written by a newer parkwatch', async () => {
    frontier.close()
    const { createRequire } = await import('node:module')
    const req = createRequire(createRequire(import.meta.url).resolve('@parkwatch/archive/package.json'))
    const Database = req('better-sqlite3') as new (f: string) => { exec(s: string): void; close(): void }
    const db = new Database(file)
    db.exec(`UPDATE parkwatch_meta SET value = '${FRONTIER_SCHEMA_VERSION + 1}' WHERE key = 'frontier_schema_version'`)
    db.close()
    expect(() => openFrontier({ file })).toThrow(FrontierError)
    frontier = openFrontier({ file: join(dir, 'other.sqlite') })
  })

  it('checks its options', () => {
    expect(() => openFrontier({ file, busyTimeoutMs: -1 })).toThrow(/busyTimeoutMs/)
    expect(() => frontier.claim({ now: T0, limit: 0 })).toThrow(/limit/)
  })
})
