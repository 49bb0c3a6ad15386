/**
 * `parkwatch discover`, end to end against the demo portal: every site's entry points (RSS, Atom, sitemaps,
 * list pages, a GBK portal answering 429 first) give the portal's article URLs, robots.txt's verdict is
 * reported, no article page is requested and nothing is written; a site whose entry points fail exits 1.
 */
import { readdirSync } from 'node:fs'
import { type DemoPortal, startDemoPortal } from '@parkwatch/demo-portal'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureBuilt, startCli, type TempDir, tempDir } from '../helpers/parkwatch.js'

interface Report {
  site: string
  found: Array<{ url: string; title: string | null; publishedAt: number | null; foundOn: string }>
  errors: Array<{ url: string; kind: string; message: string }>
  disallowed: string[]
}

describe('`parkwatch discover`', () => {
  let portal: DemoPortal
  let work: TempDir
  let sources: string

  beforeAll(async () => {
    ensureBuilt()
    work = tempDir('pw-e2e-discover-')
    portal = await startDemoPortal({ slowMs: 0 })
    sources = work.write('sources.yaml', portal.sourcesYaml())
  }, 60_000)
  afterAll(async () => {
    await portal?.close()
    work?.cleanup()
  })

  it('lists each site’s article URLs, marks what robots.txt forbids, and fetches no article', async () => {
    // Run from the scratch folder: nothing may appear in it (no ./data, no archive).
    const run = await startCli(['discover', '--sources', sources, '--json'], {}, work.root).done
    expect(run.code, run.stderr).toBe(0)
    const reports = JSON.parse(run.stdout) as Report[]
    expect(reports.map((r) => r.site).sort()).toEqual(
      Object.keys(portal.expected.byPortal)
        .map((p) => `demo-${p}`)
        .sort(),
    )
    const { articles, byPortal, notFound, disallowed } = portal.expected
    for (const report of reports) {
      const id = report.site.replace(/^demo-/, '') as keyof typeof byPortal
      const found = new Set(report.found.map((f) => f.url))
      // Every article of the portal, under its own URL or the old one that redirects to it…
      for (const a of articles.filter((x) => x.portal === id)) {
        expect(found.has(a.url) || (a.redirectedFrom !== null && found.has(a.redirectedFrom)), a.url).toBe(true)
      }
      // …and nothing but article links (a dead link is still a link).
      const linkable = new Set([...byPortal[id], ...notFound, ...articles.flatMap((a) => a.redirectedFrom ?? [])])
      for (const url of found) expect(linkable.has(url), url).toBe(true)
      expect(report.disallowed.sort()).toEqual(disallowed.filter((u) => found.has(u)).sort())
      expect(report.errors).toEqual([])
    }
    expect(reports.some((r) => r.disallowed.length > 0)).toBe(true)
    // Only robots.txt and the entry points were requested.
    const requested = new Set(portal.requests.map((r) => r.path.split('?')[0]))
    for (const url of reports.flatMap((r) => r.found.map((f) => f.url))) {
      expect(requested.has(new URL(url).pathname), url).toBe(false)
    }
    expect(readdirSync(work.root).sort()).toEqual(['sources.yaml'])
  })

  it('prints a site’s newest URLs up to --limit, and exits 1 when a site’s entry points all fail', async () => {
    const limited = await startCli(['discover', '--sources', sources, '--site', 'demo-blog', '--limit', '2']).done
    expect(limited.code, limited.stderr).toBe(0)
    const lines = limited.stdout.split('\n').filter((l) => /^ {2}\d{4}-\d\d-\d\d \d\d:\d\d {2}http/.test(l))
    expect(lines).toHaveLength(2)
    // Newest first.
    expect(lines[0]?.slice(2, 18).localeCompare(lines[1]?.slice(2, 18) ?? '')).toBeGreaterThan(0)
    expect(limited.stdout).toMatch(/… and \d+ more/)

    const blog = portal.expected.articles.find((a) => a.portal === 'blog')?.url ?? ''
    const broken = work.write(
      'broken.yaml',
      `sites:\n  - id: broken\n    entries:\n      - { type: feed, url: '${new URL('/no-such-feed.xml', blog).href}' }\n`,
    )
    const failed = await startCli(['discover', '--sources', broken, '--attempts', '1']).done
    expect(failed.code).toBe(1)
    expect(failed.stdout).toMatch(/broken\s+0 URLs, 1 errors/)
    expect(failed.stdout).toMatch(/error http-4xx .*no-such-feed\.xml/)
  })
})
