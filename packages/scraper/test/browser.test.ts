import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { decodeHtml } from '@parkwatch/extractor'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type FixtureServer,
  html,
  redirect,
  send,
  sendEncoded,
  startFixtureServer,
  status,
} from '../../../tests/helpers/fixture-server.js'
import {
  BlockedError,
  BrowserError,
  type BrowserRenderer,
  createBrowserRenderer,
  isJavaScriptShell,
  NetworkError,
} from '../src/index.js'

const SHELL = `<!doctype html><html><head><meta charset="utf-8"><title>园区</title>
<link rel="stylesheet" href="/font.css"></head>
<body><div id="app"></div><noscript>请启用 JavaScript</noscript>
<img src="/photo.jpg">
<script>
  fetch('/api/article.json').then((r) => r.json()).then((a) => {
    document.getElementById('app').innerHTML =
      '<article><h1>' + a.title + '</h1><p>' + a.text + '</p><img src="/inline.png"></article>'
  })
</script></body></html>`

const ARTICLE = { title: '江苏苏州工业园区:创新不止', text: '人工智能是国家战略的重要组成部分。' }

/** Pids of chromium processes started by this test process (Debian's wrapper execs, so the pid is kept). */
function browserPids(): number[] {
  const out = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' })
  return out
    .split('\n')
    .filter((line) => /chrom/i.test(line))
    .map((line) => Number(line.trim().split(/\s+/)[0]))
}

// In CI chromium is installed by .ci/run, so a missing browser must fail there rather than skip.
describe.skipIf(!existsSync('/usr/bin/chromium') && !process.env.CI)('createBrowserRenderer', () => {
  let server: FixtureServer
  let renderer: BrowserRenderer
  beforeAll(async () => {
    server = await startFixtureServer({
      '/shell.html': html(SHELL),
      '/api/article.json': send(JSON.stringify(ARTICLE), 'application/json'),
      '/photo.jpg': send(Buffer.from([0xff, 0xd8, 0xff]), 'image/jpeg'),
      '/inline.png': send(Buffer.from([0x89, 0x50]), 'image/png'),
      '/font.css': send('@font-face { font-family: x; src: url(/font.woff2) } body { font-family: x }', 'text/css'),
      '/font.woff2': send(Buffer.from([0]), 'font/woff2'),
      '/old': redirect('/shell.html', 301),
      '/gbk.html': sendEncoded(
        'gbk',
        '<html><head><meta charset="gbk"></head><body><p>苏州工业园区纳米技术</p></body></html>',
      ),
      '/forbidden': status(403, 'no'),
      '/plain.html': html('<html><body><p>ok</p></body></html>'),
    })
    renderer = createBrowserRenderer({ maxPagesPerBrowser: 3, networkIdleMs: 2_000 })
  })
  afterAll(async () => {
    await renderer?.close()
    await server?.close()
  })

  it('returns the DOM a script built, with images and fonts blocked', async () => {
    const res = await renderer.render(`${server.url}/old`)
    expect(res.mode).toBe('browser')
    expect(res.status).toBe(200)
    expect(res.finalUrl).toBe(`${server.url}/shell.html`)
    expect(res.redirects).toEqual([{ url: `${server.url}/old`, status: 301, location: `${server.url}/shell.html` }])
    const page = new TextDecoder().decode(res.body)
    expect(page).toContain(`<h1>${ARTICLE.title}</h1>`)
    expect(page).toContain(ARTICLE.text)
    expect(server.hits('/api/article.json')).toBe(1)
    expect(server.hits('/font.css')).toBe(1)
    expect(server.hits('/photo.jpg') + server.hits('/inline.png') + server.hits('/font.woff2')).toBe(0)
  })

  it('re-encodes legacy-charset pages as UTF-8 and says so', async () => {
    const res = await renderer.render(`${server.url}/gbk.html`)
    expect(res.contentType).toBe('text/html; charset=utf-8')
    expect(res.headers['x-original-content-type']).toBe('text/html; charset=gbk')
    expect(decodeHtml(res.body, { contentType: res.contentType }).text).toContain('苏州工业园区纳米技术')
  })

  it('maps HTTP and network failures to the same typed errors as the fetcher', async () => {
    await expect(renderer.render(`${server.url}/forbidden`)).rejects.toBeInstanceOf(BlockedError)
    const gone = await startFixtureServer({})
    await gone.close()
    await expect(renderer.render(`${gone.url}/x`)).rejects.toBeInstanceOf(NetworkError)
  })

  it('retires the browser after N pages and relaunches after a crash', async () => {
    const fresh = createBrowserRenderer({ maxPagesPerBrowser: 2, networkIdleMs: 0 })
    try {
      for (let i = 0; i < 3; i++) expect((await fresh.render(`${server.url}/plain.html`)).status).toBe(200)
      // 3 pages at 2 per browser: 2 launches.
      expect(fresh.launches).toBe(2)
      expect(fresh.pagesRendered).toBe(3)
      // The retired browser was closed: only the current one (plus the shared renderer's) is running.
      expect(browserPids()).toHaveLength(2)
      const before = browserPids()
      expect(before.length).toBeGreaterThan(0)
      // Kill every chromium this test process started (ours and the shared renderer's).
      for (const pid of before) process.kill(pid, 'SIGKILL')
      await new Promise((resolve) => setTimeout(resolve, 300))
      const after = await fresh.render(`${server.url}/plain.html`)
      expect(after.status).toBe(200)
      expect(fresh.launches).toBe(3)
    } finally {
      await fresh.close()
    }
    // The shared renderer recovers too.
    expect((await renderer.render(`${server.url}/plain.html`)).status).toBe(200)
  })

  it('fails clearly when chromium cannot start', async () => {
    const broken = createBrowserRenderer({ executablePath: '/nonexistent/chromium', launchTimeoutMs: 5_000 })
    try {
      await expect(broken.render(`${server.url}/plain.html`)).rejects.toBeInstanceOf(BrowserError)
    } finally {
      await broken.close()
    }
  })
})

describe('isJavaScriptShell', () => {
  it('spots application shells', () => {
    expect(isJavaScriptShell(SHELL)).toBe(true)
    expect(isJavaScriptShell('<body><div id="root"></div><script src="/main.js"></script></body>')).toBe(true)
    expect(
      isJavaScriptShell('<body><div class="x"></div><script></script><noscript>Please enable JavaScript</noscript>'),
    ).toBe(true)
  })

  it('leaves server-rendered pages alone', () => {
    const article = `<html><body><div id="app"><h1>园区</h1><p>${'苏州工业园区生物医药产业。'.repeat(30)}</p></div><script>track()</script></body></html>`
    expect(isJavaScriptShell(article)).toBe(false)
    // No scripts: an empty page is just empty, not a shell.
    expect(isJavaScriptShell('<body><div id="app"></div></body>')).toBe(false)
    // Small but without an app root or noscript hint.
    expect(isJavaScriptShell('<body><p>短讯</p><script>x()</script></body>')).toBe(false)
  })
})
