/**
 * Entry points' update dates bring revisits forward: `discoverSite` reads Atom `<updated>`, RSS item dates
 * and sitemap `<lastmod>`, and `frontier.pullForward` plans a visit now for a known article updated since
 * its last visit began, replacing (not adding to) the visit planned for later.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createFetcher, createPageLoader, type Fetcher, parseSources } from '@parkwatch/scraper'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type FixtureServer, send, startFixtureServer } from '../../../tests/helpers/fixture-server.js'
import { discoverSite, type Frontier, MAX_UPDATE_SKEW_MS, openFrontier } from '../src/index.js'

const T0 = Date.parse('2026-01-01T00:00:00Z')
const DAY = 86_400_000
const meta = { site: 'demo' }

describe('frontier.pullForward', () => {
  let dir: string
  let frontier: Frontier

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pw-pull-'))
    frontier = openFrontier({ file: join(dir, 'archive.sqlite') })
  })
  afterEach(() => {
    frontier.close()
    rmSync(dir, { recursive: true, force: true })
  })

  /** A URL visited once (claimed now, wall clock), its next visit planned a day later. */
  const visited = (url: string, outcome = 'new-version'): number => {
    frontier.addNew([{ url, dueAt: T0, meta }])
    const [claim] = frontier.claim({ now: T0, limit: 1 })
    const claimedAt = Date.now()
    frontier.complete(claim?.id as number, { outcome, nextDueAt: outcome.startsWith('skipped') ? null : T0 + DAY })
    return claimedAt
  }

  it('plans a visit now for an article updated after its last visit began, superseding the later one', () => {
    const claimedAt = visited('http://a/1')
    expect(frontier.pullForward([{ url: 'http://a/1', updatedAt: claimedAt + 1_000 }], T0 + 60_000)).toBe(1)
    expect(frontier.visits('http://a/1').map((v) => [v.dueAt, v.state, v.outcome])).toEqual([
      [T0, 'done', 'new-version'],
      [T0 + 60_000, 'due', null],
      [T0 + DAY, 'done', 'superseded'],
    ])
    // The pulled visit stands in for the superseded one (same visit number), and plans the next as usual.
    const [claim] = frontier.claim({ now: T0 + 60_000, limit: 10 })
    expect(claim).toMatchObject({ url: 'http://a/1', visit: 2, dueAt: T0 + 60_000 })
    frontier.complete(claim?.id as number, { outcome: 'new-version', nextDueAt: T0 + 2 * DAY })
    expect(frontier.counts(T0 + 60_000)).toMatchObject({ due: 0, later: 1, claimed: 0 })
  })

  it('never duplicates a visit already due or in progress, and is idempotent', () => {
    const claimedAt = visited('http://a/1')
    const item = { url: 'http://a/1', updatedAt: claimedAt + 1_000 }
    expect(frontier.pullForward([item], T0 + 60_000)).toBe(1)
    // The same update seen again (a second feed, the next pass before the visit ran): nothing more.
    expect(frontier.pullForward([item], T0 + 60_000)).toBe(0)
    expect(frontier.pullForward([item], T0 + 120_000)).toBe(0)
    // In progress.
    frontier.claim({ now: T0 + 60_000, limit: 1 })
    expect(frontier.pullForward([item], T0 + 120_000)).toBe(0)
    // The revisit planned for later is due already by `dueAt`: nothing to pull.
    visited('http://a/2')
    expect(frontier.pullForward([{ url: 'http://a/2', updatedAt: Date.now() + 1_000 }], T0 + DAY)).toBe(0)
    expect(frontier.visits('http://a/2').map((v) => v.state)).toEqual(['done', 'due'])
  })

  it('ignores updates older than the last visit, unknown and unvisited urls, skips and future dates', () => {
    const claimedAt = visited('http://a/old')
    expect(frontier.pullForward([{ url: 'http://a/old', updatedAt: claimedAt - 60_000 }], T0 + 1)).toBe(0)
    expect(frontier.pullForward([{ url: 'http://a/unknown', updatedAt: Date.now() }], T0 + 1)).toBe(0)
    frontier.addNew([{ url: 'http://a/new', dueAt: T0 + 5, meta }])
    expect(frontier.pullForward([{ url: 'http://a/new', updatedAt: Date.now() }], T0 + 1)).toBe(0)
    const skippedAt = visited('http://a/robots', 'skipped:robots')
    expect(frontier.pullForward([{ url: 'http://a/robots', updatedAt: skippedAt + 1_000 }], T0 + 1)).toBe(0)
    const at = visited('http://a/future')
    expect(
      frontier.pullForward([{ url: 'http://a/future', updatedAt: at + MAX_UPDATE_SKEW_MS + 60_000 }], T0 + 1),
    ).toBe(0)
    expect(frontier.pullForward([{ url: 'http://a/future', updatedAt: Number.NaN }], T0 + 1)).toBe(0)
    expect(frontier.counts(T0 + 1).due).toBe(0)
  })

  it('brings back an article whose revisits had stopped, for one visit', () => {
    frontier.addNew([{ url: 'http://a/1', dueAt: T0, meta }])
    const [claim] = frontier.claim({ now: T0, limit: 1 })
    const claimedAt = Date.now()
    // Past the age limit: no next visit was planned.
    frontier.complete(claim?.id as number, { outcome: 'unchanged', nextDueAt: null })
    expect(frontier.pullForward([{ url: 'http://a/1', updatedAt: claimedAt + 1_000 }], T0 + 5)).toBe(1)
    expect(frontier.claim({ now: T0 + 5, limit: 1 })).toMatchObject([{ url: 'http://a/1', visit: 2 }])
  })
})

describe('discoverSite update dates', () => {
  let server: FixtureServer
  let fetcher: Fetcher

  beforeAll(async () => {
    server = await startFixtureServer({
      '/feed.atom': send(
        `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
          <entry><link href="/a"/><published>2026-01-01T00:00:00Z</published><updated>2026-01-02T00:00:00Z</updated></entry>
          <entry><link href="/b"/><updated>2026-01-01T00:00:00Z</updated></entry>
        </feed>`,
        'application/atom+xml',
      ),
      // <loc>s are absolute, so the sitemap is written once the port is known.
      '/sitemap.xml': (req, res) =>
        send(
          `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
            <url><loc>${server.url}/a</loc><lastmod>2026-01-01T12:00:00Z</lastmod></url>
            <url><loc>${server.url}/b</loc><lastmod>2026-01-03T00:00:00Z</lastmod></url>
            <url><loc>${server.url}/c</loc></url>
          </urlset>`,
          'application/xml',
        )(req, res),
    })
    fetcher = createFetcher()
  })
  afterAll(async () => {
    await fetcher?.close()
    await server?.close()
  })

  it('reports the newest update date a feed or a sitemap gives for each url', async () => {
    const [site] = parseSources(
      `sites:\n  - id: s\n    entries:\n      - { type: feed, url: '${server.url}/feed.atom' }\n` +
        `      - { type: sitemap, url: '${server.url}/sitemap.xml' }\n`,
    ).sites
    const d = await discoverSite(site as NonNullable<typeof site>, createPageLoader({ fetcher }))
    expect(d.errors).toEqual([])
    expect(d.found.map((f) => [f.url.replace(server.url, ''), f.publishedAt, f.updatedAt])).toEqual([
      ['/a', Date.parse('2026-01-01T00:00:00Z'), Date.parse('2026-01-02T00:00:00Z')],
      // Only <updated>: it is the publication date too; the sitemap's later <lastmod> wins.
      ['/b', Date.parse('2026-01-01T00:00:00Z'), Date.parse('2026-01-03T00:00:00Z')],
      ['/c', null, null],
    ])
  })
})
