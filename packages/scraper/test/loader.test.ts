import { existsSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  conditional,
  type FixtureServer,
  html,
  redirect,
  send,
  sequence,
  startFixtureServer,
  status,
} from '../../../tests/helpers/fixture-server.js'
import {
  AttemptsFailedError,
  BrowserError,
  type BrowserRenderer,
  createBrowserRenderer,
  createFetcher,
  createPageLoader,
  createPoliteness,
  createRobots,
  type Fetcher,
  type RobotsCache,
  RobotsDisallowedError,
} from '../src/index.js'

const SHELL = `<html><body><div id="root"></div><script>
document.getElementById('root').innerHTML = '<article><h1>纳米新材料</h1><p>由脚本插入的正文。</p></article>'
</script></body></html>`
const PAGE = `<html><body><article><h1>园区</h1><p>${'苏州工业园区集成电路产业。'.repeat(30)}</p></article></body></html>`

describe('createPageLoader', () => {
  let server: FixtureServer
  let fetcher: Fetcher
  let robots: RobotsCache
  let renderer: BrowserRenderer
  beforeAll(async () => {
    server = await startFixtureServer({
      '/robots.txt': send('User-agent: *\nDisallow: /private/\n', 'text/plain'),
      '/page.html': html(PAGE),
      '/shell.html': html(SHELL),
      '/flaky.html': sequence([status(503), html(PAGE)]),
      '/gone.html': status(410),
      '/cond.html': conditional(PAGE, () => ({ etag: '"e1"' })),
      '/private/x.html': html(PAGE),
      '/to-private': redirect('/private/x.html'),
      '/feed.xml': send('<rss><channel></channel></rss>', 'application/rss+xml'),
    })
    fetcher = createFetcher()
    robots = createRobots({ fetcher })
    renderer = createBrowserRenderer({ networkIdleMs: 500 })
  })
  afterAll(async () => {
    await renderer.close()
    await fetcher.close()
    await server.close()
  })

  const noWait = { sleep: async () => {} }

  it('fetches over HTTP, retrying through the politeness queue', async () => {
    const politeness = createPoliteness({ perHost: { rate: 0, concurrency: 2 } })
    const loader = createPageLoader({ fetcher, robots, politeness, retry: noWait })
    const ok = await loader.load(`${server.url}/flaky.html`)
    expect(ok.result.status).toBe(200)
    expect(ok.result.mode).toBe('http')
    expect(ok.attempts).toBe(2)
    expect(ok.failures.map((f) => (f.error as { status: number }).status)).toEqual([503])
    expect(ok.escalated).toBeNull()
    const error = await loader.load(`${server.url}/gone.html`).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AttemptsFailedError)
    expect(error).toMatchObject({ kind: 'http-4xx', exhausted: false })
  })

  it('refuses URLs robots.txt disallows without requesting them', async () => {
    const loader = createPageLoader({ fetcher, robots })
    await expect(loader.load(`${server.url}/private/x.html`)).rejects.toBeInstanceOf(RobotsDisallowedError)
    // A redirect into a disallowed path is stopped before the target is requested.
    const viaRedirect = await loader.load(`${server.url}/to-private`).catch((e: unknown) => e)
    expect(viaRedirect).toMatchObject({ kind: 'robots', exhausted: false })
    expect((viaRedirect as AttemptsFailedError).lastError).toBeInstanceOf(RobotsDisallowedError)
    expect(server.hits('/to-private')).toBe(1)
    expect(server.hits('/private/x.html')).toBe(0)
  })

  it('passes validators through and does not escalate a 304', async () => {
    const loader = createPageLoader({ fetcher, renderer })
    const same = await loader.load(`${server.url}/cond.html`, { render: 'auto', ifNoneMatch: '"e1"' })
    expect(same.result.notModified).toBe(true)
    expect(same.escalated).toBeNull()
  })

  it.skipIf(!existsSync('/usr/bin/chromium') && !process.env.CI)(
    'auto mode: HTTP for server-rendered pages, the browser for shells',
    async () => {
      const loader = createPageLoader({ fetcher, robots, renderer })
      const plain = await loader.load(`${server.url}/page.html`, { render: 'auto' })
      expect(plain.result.mode).toBe('http')
      expect(renderer.pagesRendered).toBe(0)
      const feed = await loader.load(`${server.url}/feed.xml`, { render: 'auto' })
      expect(feed.result.mode).toBe('http')
      const shell = await loader.load(`${server.url}/shell.html`, { render: 'auto' })
      expect(shell.escalated).toBe('js-shell')
      expect(shell.result.mode).toBe('browser')
      expect(shell.attempts).toBe(2)
      expect(new TextDecoder().decode(shell.result.body)).toContain('由脚本插入的正文。')
      const forced = await loader.load(`${server.url}/page.html`, { render: 'browser' })
      expect(forced.result.mode).toBe('browser')
      expect(renderer.pagesRendered).toBe(2)
    },
  )

  it('says clearly when the browser is needed but missing', async () => {
    const loader = createPageLoader({ fetcher })
    await expect(loader.load(`${server.url}/shell.html`, { render: 'auto' })).rejects.toBeInstanceOf(BrowserError)
    await expect(loader.load(`${server.url}/page.html`, { render: 'browser' })).rejects.toThrow(
      /needs a browser renderer/,
    )
  })
})
