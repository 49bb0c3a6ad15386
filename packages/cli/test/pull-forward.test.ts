/**
 * Entry points' update dates bring revisits forward: `discoverSite` reads Atom `<updated>`, RSS item dates
 * and sitemap `<lastmod>`. What `frontier.pullForward` does with them (a visit now for a known article
 * updated since its last visit began, replacing the visit planned for later) is part of the frontier
 * contract (`frontier-contract.ts`), run on SQLite and PostgreSQL.
 */
import { createFetcher, createPageLoader, type Fetcher, parseSources } from '@parkwatch/scraper'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FixtureServer, send, startFixtureServer } from '../../../tests/helpers/fixture-server.js'
import { discoverSite } from '../src/index.js'

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
