/**
 * Extraction on worker threads: the pool answers exactly what `extract` answers in this thread, relays the
 * extractor's error codes, and a page that kills its worker (out of memory) becomes one recorded error
 * while the pass archives the other pages with a fresh worker.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Archive, createArchive, sqliteBackend } from '@parkwatch/archive'
import { extract } from '@parkwatch/extractor'
import { parseSources } from '@parkwatch/scraper'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FixtureServer, html, send, startFixtureServer } from '../../../tests/helpers/fixture-server.js'
import { createExtractPool, ExtractWorkerError } from '../src/extract-pool.js'
import { createFetchStack, type Frontier, openFrontier, runOnce } from '../src/index.js'

const pkg = fileURLToPath(new URL('..', import.meta.url))
const goldenDir = join(pkg, '..', 'extractor', 'test', 'pages')
const golden = readdirSync(goldenDir).map((slug) => ({
  slug,
  bytes: readFileSync(join(goldenDir, slug, 'source.html')),
}))
const sentence = '<p>苏州工业园区今天举行新闻发布会，介绍了园区人工智能产业的最新进展，多家企业代表参加了会议。</p>'
const small = (title: string): string =>
  `<html><head><title>${title}</title></head><body><article><h1>${title}</h1>${sentence.repeat(3)}</article></body></html>`
// ~5 MB of nested markup: a DOM far larger than the 32 MB heap the crash tests give their worker.
const bomb = `<html><body>${'<div class="x"><p>苏州工业园区人工智能<a href="/a">链接</a></p></div>'.repeat(60_000)}</body></html>`

beforeAll(() => {
  // Workers run the built script (dist/extract-worker.js); build it on a fresh checkout, as cli.test.ts
  // does for dist/cli.js. Without it the pool would quietly extract in this thread.
  if (!existsSync(join(pkg, 'dist', 'extract-worker.js'))) {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: pkg, stdio: 'ignore' })
  }
}, 120_000)

describe('createExtractPool', () => {
  it('answers what extract() answers in this thread, page for page', async () => {
    const pool = createExtractPool({ threads: 2 })
    expect(pool.threads).toBe(2)
    try {
      const pages = [
        ...golden.map((g) => ({ bytes: new Uint8Array(g.bytes), url: `https://news.example/${g.slug}.html` })),
        { bytes: new TextEncoder().encode(small('园区新闻')), url: 'https://news.example/short.html' },
        { bytes: new Uint8Array([0, 1, 2, 255, 254]), url: 'https://news.example/binary' },
      ]
      const pooled = await Promise.all(pages.map((p) => pool.extract(p.bytes, { url: p.url, contentType: null })))
      pages.forEach((p, i) => {
        expect(pooled[i]).toEqual(extract(p.bytes, { url: p.url, contentType: null }))
      })
      expect(pooled.filter((r) => r.type === 'article')).toHaveLength(golden.length + 1)
      const parks = { url: 'https://news.example/p.html', contentType: 'text/html; charset=utf-8', parkNames: ['园区'] }
      const bytes = new Uint8Array(golden[0]?.bytes ?? [])
      expect(await pool.extract(bytes, parks)).toEqual(extract(bytes, parks))
    } finally {
      await pool.close()
    }
  })

  it('relays an error extract() throws with its own code', async () => {
    const pool = createExtractPool({ threads: 1 })
    try {
      const bad = { url: 42 as unknown as string, contentType: null }
      const error = await pool.extract(new TextEncoder().encode(small('x')), bad).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ExtractWorkerError)
      expect(error).toMatchObject({ code: 'EXTRACTOR_INVALID_OPTION' })
    } finally {
      await pool.close()
    }
  })

  it('fails only the page that kills its worker, and goes on with a new worker', async () => {
    const pool = createExtractPool({ threads: 1, maxHeapMb: 32 })
    try {
      const opts = { url: 'https://news.example/a.html', contentType: 'text/html' }
      const good = new TextEncoder().encode(small('园区新闻'))
      expect((await pool.extract(good, opts)).type).toBe('article')
      const error = await pool.extract(new TextEncoder().encode(bomb), opts).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ExtractWorkerError)
      expect(error).toMatchObject({ code: 'PARKWATCH_EXTRACT_WORKER' })
      expect((await pool.extract(good, opts)).type).toBe('article')
    } finally {
      await pool.close()
    }
  })

  it('checks its options', () => {
    expect(() => createExtractPool({ threads: 0 })).toThrow(/Expected `threads` to be an integer >= 1, got `0`/)
    expect(() => createExtractPool({ maxHeapMb: 1.5 })).toThrow(TypeError)
  })
})

describe('runOnce with extraction threads', () => {
  let server: FixtureServer
  let dir: string
  const feed = (paths: string[]): string =>
    `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>${paths
      .map((p) => `<item><title>${p}</title><link>${server.url}${p}</link></item>`)
      .join('')}</channel></rss>`
  const paths = golden.map((g) => `/${g.slug}.html`)

  beforeAll(async () => {
    server = await startFixtureServer({
      ...Object.fromEntries(golden.map((g) => [`/${g.slug}.html`, send(g.bytes, 'text/html')])),
      '/bomb.html': html(bomb),
      '/feed.xml': (_req, res) => {
        res.setHeader('content-type', 'application/rss+xml')
        res.end(feed(paths))
      },
      '/feed-bomb.xml': (_req, res) => {
        res.setHeader('content-type', 'application/rss+xml')
        res.end(feed([...paths, '/bomb.html']))
      },
    })
    dir = mkdtempSync(join(tmpdir(), 'pw-pool-'))
  })
  afterAll(async () => {
    await server?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const sources = (feedPath: string) =>
    parseSources(
      `sites:\n  - id: local\n    rate: 100\n    concurrency: 4\n    entries: [{ type: feed, url: '${server.url}${feedPath}' }]\n`,
    )
  const open = (name: string): { archive: Archive; frontier: Frontier } => ({
    archive: createArchive({ backend: sqliteBackend({ dir: join(dir, name) }) }),
    frontier: openFrontier({ file: join(dir, name, 'archive.sqlite') }),
  })

  it('archives the same articles as extraction in the main thread, and records a worker crash as an error', async () => {
    const runs: Record<string, Archive> = {}
    for (const mode of ['in-thread', 'pooled'] as const) {
      const { archive, frontier } = open(mode)
      // The pooled run also gets the bomb page, and workers with a small heap: the page kills its worker.
      const site = sources(mode === 'pooled' ? '/feed-bomb.xml' : '/feed.xml')
      const stack = createFetchStack(site.sites, { extractThreads: 0, browser: false })
      const pool = mode === 'pooled' ? createExtractPool({ threads: 2, maxHeapMb: 32 }) : null
      const summary = await runOnce({ sources: site, archive, frontier, stack: { ...stack, extractor: pool } })
      await pool?.close()
      await stack.close()
      await frontier.close()
      runs[mode] = archive
      expect(summary.newVersions).toBe(golden.length)
      if (mode === 'pooled') {
        expect(summary.errors).toEqual({ PARKWATCH_EXTRACT_WORKER: 1 })
        expect(await archive.getPage(`${server.url}/bomb.html`)).toBeNull()
      }
    }
    for (const p of paths) {
      const a = await runs['in-thread']?.getVersion(`${server.url}${p}`, 1)
      const b = await runs.pooled?.getVersion(`${server.url}${p}`, 1)
      expect(b?.article).toEqual(a?.article)
      expect(b?.contentHash).toBe(a?.contentHash)
    }
    await runs['in-thread']?.close()
    await runs.pooled?.close()
  }, 60_000)
})
