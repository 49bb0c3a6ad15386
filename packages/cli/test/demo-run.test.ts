/**
 * End-to-end passes of the job runner against the demo portal (five local hosts with robots.txt, a 429
 * host, a slow host, a GBK host, a JavaScript-only article and edits between revisions).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Archive, createArchive, sqliteBackend } from '@parkwatch/archive'
import { type DemoPortal, startDemoPortal } from '@parkwatch/demo-portal'
import { parseSources, type SourcesConfig } from '@parkwatch/scraper'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createFetchStack,
  type FetchStack,
  type Frontier,
  openFrontier,
  type RunSummary,
  runOnce,
} from '../src/index.js'

const HOUR = 3_600_000

describe('runOnce against the demo portal', () => {
  let portal: DemoPortal
  let dir: string
  let archive: Archive
  let frontier: Frontier
  let sources: SourcesConfig
  let stack: FetchStack
  const requested: string[] = []
  const t0 = Date.now()
  let pass1: RunSummary
  let pass2: RunSummary

  beforeAll(async () => {
    portal = await startDemoPortal({ slowMs: 20 })
    dir = mkdtempSync(join(tmpdir(), 'pw-demo-run-'))
    archive = createArchive({ backend: sqliteBackend({ dir }) })
    frontier = openFrontier({ file: join(dir, 'archive.sqlite') })
    sources = parseSources(portal.sourcesYaml(), 'demo.yaml')
    stack = createFetchStack(sources.sites)
    // Every HTTP request of the pass (robots.txt, entry points, articles) goes through this fetcher.
    const fetch = stack.fetcher.fetch.bind(stack.fetcher)
    stack.fetcher.fetch = (url, options) => {
      requested.push(url)
      return fetch(url, options)
    }
    pass1 = await runOnce({ sources, archive, frontier, stack, now: t0 })
    portal.advance()
    pass2 = await runOnce({ sources, archive, frontier, stack, now: t0 + HOUR })
  }, 180_000)

  afterAll(async () => {
    await stack?.close()
    await frontier?.close()
    await archive?.close()
    await portal?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const onTopic = () => portal.expected.articles.filter((a) => a.topic !== 'off-topic' && !a.disallowed)

  it('archives every on-topic article with its title on the first pass', async () => {
    for (const article of onTopic()) {
      const v1 = await archive.getVersion(article.url, 1)
      expect(v1?.title, article.id).toBe(article.titles[0])
    }
    expect(pass1.newVersions).toBe(onTopic().length)
    expect(pass1.discovered).toBeGreaterThanOrEqual(portal.expected.articles.length)
  })

  it('catches the edits of the next revision as version 2; the rest get captures only', async () => {
    for (const article of onTopic()) {
      const timeline = await archive.timeline(article.url)
      expect(timeline?.captures.length, article.id).toBe(2)
      if (article.changesAt.includes(1)) {
        expect(timeline?.versions.length, article.id).toBe(2)
        expect(timeline?.versions[1]?.title, article.id).toBe(article.titles[1])
      } else {
        expect(timeline?.versions.length, article.id).toBe(1)
        expect(['not-modified', 'ok']).toContain(timeline?.captures[1]?.outcome)
      }
    }
    const edited = onTopic().filter((a) => a.changesAt.includes(1))
    expect(pass2.newVersions).toBe(edited.length)
    expect(pass2.notModified + pass2.unchanged).toBe(onTopic().length - edited.length)
    expect(pass2.changed.map((c) => c.url).sort()).toEqual(edited.map((a) => a.url).sort())
  })

  it('never requests what robots.txt disallows, and records those visits as skipped', async () => {
    for (const url of portal.expected.disallowed) expect(requested).not.toContain(url)
    for (const article of portal.expected.articles.filter((a) => a.disallowed)) {
      expect(await archive.getPage(article.url)).toBeNull()
      expect((await frontier.visits(article.url)).map((v) => v.outcome)).toEqual(['skipped:robots'])
    }
    expect(pass1.skippedBy.robots).toBeGreaterThanOrEqual(1)
  })

  it('skips the off-topic articles without archiving them', async () => {
    expect(portal.expected.offTopic.length).toBeGreaterThan(0)
    for (const url of portal.expected.offTopic) {
      expect(await archive.getPage(url), url).toBeNull()
      expect((await frontier.visits(url)).map((v) => v.outcome)).toEqual(['skipped:irrelevant'])
    }
  })

  it('archives the pages of the host that answers 429 first', async () => {
    const host = portal.expected.rateLimitedHost
    const articles = onTopic().filter((a) => a.url.startsWith(host))
    expect(articles.length).toBeGreaterThan(0)
    for (const a of articles) expect((await archive.getPage(a.url))?.versionCount).toBeGreaterThanOrEqual(1)
  })

  it('records the 404 as a failed capture and follows the 301 to its target', async () => {
    for (const url of portal.expected.notFound) {
      const t = await archive.timeline(url)
      expect(t?.captures[0]).toMatchObject({ outcome: 'failed', status: 404 })
      expect(t?.captures[0]?.error).toMatch(/SCRAPER_HTTP_STATUS/)
    }
    expect(pass1.errors['http-4xx']).toBe(portal.expected.notFound.length)
    for (const { from, to } of portal.expected.redirects) {
      expect((await archive.getPage(from))?.versionCount ?? 0).toBe(0)
      expect((await archive.getPage(to))?.versionCount).toBeGreaterThanOrEqual(1)
    }
    expect(await archive.verify()).toMatchObject({ ok: true })
  })
})
