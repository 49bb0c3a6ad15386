/**
 * The runner's edge cases against a purpose-made local server: bad pages never stop a pass, a crashed
 * run's stored visit is not fetched again, a stopped run returns its in-flight visits to the frontier.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Archive, createArchive, sqliteBackend } from '@parkwatch/archive'
import { parseSources, type SourcesConfig } from '@parkwatch/scraper'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type FixtureServer, html, send, startFixtureServer, status } from '../../../tests/helpers/fixture-server.js'
import { type Frontier, openFrontier, runOnce } from '../src/index.js'

const article = (title: string): string =>
  `<html><head><title>${title}</title></head><body><article><h1>${title}</h1>` +
  '<p>苏州工业园区今天举行新闻发布会，介绍了园区人工智能产业的最新进展，多家企业代表参加了会议。</p>' +
  '<p>会上发布了新一批应用场景，园区将继续加大对创新企业的支持力度，推动产业集群加快发展。</p></article></body></html>'

describe('runOnce edge cases', () => {
  let server: FixtureServer
  let dir: string
  let archive: Archive
  let frontier: Frontier
  let sources: SourcesConfig
  // `/held.html` answers only when the test opens this gate.
  let openGate: () => void = () => {}
  let gate = Promise.resolve()
  const retry = { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10 }

  beforeAll(async () => {
    server = await startFixtureServer({
      '/good.html': html(article('园区新闻')),
      '/broken.html': status(500, 'oops'),
      '/gone.html': status(404),
      '/reset.html': (req) => {
        req.socket.destroy()
      },
      '/binary.html': send(new Uint8Array([0, 1, 2, 255, 254]), 'image/png'),
      ...Object.fromEntries(
        Array.from({ length: 8 }, (_, i) => [`/fast-${i + 1}.html`, html(article(`快讯${i + 1}`))]),
      ),
      '/held.html': async (_req, res) => {
        await gate
        res.end(article('等'))
      },
      '/slow.html': async (_req, res) => {
        await new Promise((r) => setTimeout(r, 5_000))
        res.end(article('慢'))
      },
    })
    sources = parseSources(
      `sites:\n  - id: local\n    rate: 100\n    concurrency: 4\n    entries: [{ type: feed, url: '${server.url}/feed.xml' }]\n`,
    )
  })
  afterAll(() => server?.close())
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pw-runner-'))
    archive = createArchive({ backend: sqliteBackend({ dir }) })
    frontier = openFrontier({ file: join(dir, 'archive.sqlite') })
  })
  afterEach(async () => {
    await frontier.close()
    await archive.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const plan = async (...paths: string[]): Promise<void> => {
    await frontier.addNew(paths.map((p) => ({ url: `${server.url}${p}`, dueAt: Date.now(), meta: { site: 'local' } })))
  }

  it('records each failure by kind and goes on with the other pages', async () => {
    await plan('/good.html', '/broken.html', '/gone.html', '/reset.html', '/binary.html')
    // The feed itself is missing (404): a discovery error, not the end of the pass.
    const summary = await runOnce({ sources, archive, frontier, retry, browser: false })
    expect(summary.newVersions).toBe(1)
    expect(summary.errors).toMatchObject({ 'http-4xx': 2, 'http-5xx': 1, network: 1 })
    expect(summary.skippedBy).toEqual({ 'not-article:not-html': 1 })
    expect((await archive.timeline(`${server.url}/broken.html`))?.captures[0]).toMatchObject({
      outcome: 'failed',
      status: 500,
    })
    expect((await archive.timeline(`${server.url}/reset.html`))?.captures[0]).toMatchObject({ status: null })
    // Transient failures are planned again, permanent ones are not.
    const next = async (p: string) => (await frontier.visits(`${server.url}${p}`)).length
    expect(
      await Promise.all([next('/broken.html'), next('/reset.html'), next('/gone.html'), next('/good.html')]),
    ).toEqual([2, 2, 1, 2])
  })

  it('completes a crashed run’s visit from the archive instead of fetching it again', async () => {
    const url = `${server.url}/good.html`
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid as number
    const crashed = openFrontier({ file: join(dir, 'archive.sqlite'), owner: `${hostname()}:${deadPid}:x` })
    await crashed.addNew([{ url, dueAt: Date.now(), meta: { site: 'local' } }])
    expect(await crashed.claim({ now: Date.now(), limit: 1 })).toHaveLength(1)
    await crashed.close()
    // The crashed run had stored its capture, then died before marking the visit done.
    await archive.ingest({ url, status: 200, body: article('园区新闻'), fetchedAt: new Date() }, null)
    const before = server.hits('/good.html')
    const summary = await runOnce({ sources, archive, frontier, discover: false, browser: false })
    expect(summary).toMatchObject({ recovered: 1, fetched: 0 })
    expect(server.hits('/good.html')).toBe(before)
    expect((await frontier.visits(url)).map((v) => v.state)).toEqual(['done', 'due'])
  })

  it('claims more visits while one of its batch is still in progress', async () => {
    gate = new Promise((resolve) => {
      openGate = resolve
    })
    const now = Date.now()
    await frontier.addNew([{ url: `${server.url}/held.html`, dueAt: now - 1000, meta: { site: 'local' } }])
    await plan(...Array.from({ length: 8 }, (_, i) => `/fast-${i + 1}.html`))
    const pass = runOnce({ sources, archive, frontier, discover: false, browser: false, batchSize: 2 })
    // With batches drained before the next claim, the held page would keep the other seven waiting.
    const fastHits = (): number =>
      Array.from({ length: 8 }, (_, i) => server.hits(`/fast-${i + 1}.html`)).reduce((a, b) => a + b)
    for (let waited = 0; fastHits() < 8 && waited < 10_000; waited += 20) await new Promise((r) => setTimeout(r, 20))
    const beforeRelease = fastHits()
    openGate()
    const summary = await pass
    expect(beforeRelease).toBe(8)
    expect(summary).toMatchObject({ visits: 9, newVersions: 9 })
  })

  it('returns in-flight visits to the frontier when stopped', async () => {
    await plan('/slow.html')
    const controller = new AbortController()
    const pass = runOnce({ sources, archive, frontier, discover: false, browser: false, signal: controller.signal })
    while (server.hits('/slow.html') === 0) await new Promise((r) => setTimeout(r, 20))
    controller.abort()
    const summary = await pass
    expect(summary).toMatchObject({ released: 1, fetched: 0 })
    expect((await frontier.visits(`${server.url}/slow.html`)).map((v) => v.state)).toEqual(['due'])
    expect(await archive.getPage(`${server.url}/slow.html`)).toBeNull()
  })
})
