/**
 * Browser rendering, end to end through `parkwatch run` with `render: auto`: a page whose article exists
 * only after its JavaScript runs is fetched over HTTP, recognised as a shell, rendered in Debian's chromium
 * and archived with the rendered article; a server-rendered page on the same site never starts a render.
 */
import { existsSync } from 'node:fs'
import { createArchive, sqliteBackend } from '@parkwatch/archive'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FixtureServer, html, send, startFixtureServer } from '../helpers/fixture-server.js'
import {
  articleHtml,
  ensureBuilt,
  parkwatch,
  rssFeed,
  sourcesYaml,
  type TempDir,
  tempDir,
} from '../helpers/parkwatch.js'

const ARTICLE = {
  title: '园区纳米城新材料中试平台正式启用',
  paragraphs: [
    '苏州工业园区纳米城新材料中试平台日前正式启用，可为企业提供从实验室样品到小批量试产的全流程服务。',
    '平台负责人介绍，中试平台配备了薄膜沉积、精密涂布等关键设备，已有二十余家纳米技术企业预约使用。',
    '园区将继续完善纳米技术产业生态，推动更多创新成果在园区实现产业化，助力产业集群高质量发展。',
  ],
}

// The shell: an empty app root, a <noscript> asking for JavaScript, and a script that fetches the article.
const SHELL = `<!doctype html><html><head><meta charset="utf-8"><title>加载中</title></head>
<body><div id="app"></div><noscript>请启用 JavaScript 以查看文章</noscript>
<script>
  fetch('/api/article.json').then((r) => r.json()).then((a) => {
    document.title = a.title
    document.getElementById('app').innerHTML =
      '<article><h1>' + a.title + '</h1>' + a.paragraphs.map((p) => '<p>' + p + '</p>').join('') + '</article>'
  })
</script></body></html>`

const chromium = process.env.PARKWATCH_CHROMIUM ?? '/usr/bin/chromium'

// CI installs chromium (.ci/run), so there a missing browser fails the test instead of skipping it.
describe.skipIf(!existsSync(chromium) && !process.env.CI)('browser rendering through `parkwatch run`', () => {
  let server: FixtureServer
  let work: TempDir

  beforeAll(async () => {
    ensureBuilt()
    work = tempDir('pw-e2e-browser-')
    server = await startFixtureServer({
      '/feed.xml': send(rssFeed(['/app.html', '/plain.html']), 'application/rss+xml'),
      '/app.html': html(SHELL),
      '/api/article.json': send(JSON.stringify(ARTICLE), 'application/json'),
      '/plain.html': html(articleHtml('园区生物医药企业新品获批上市')),
    })
  }, 120_000)
  afterAll(async () => {
    await server?.close()
    work?.cleanup()
  })

  it('renders the JavaScript-only article in chromium and archives it', async () => {
    const sources = work.write(
      'sources.yaml',
      sourcesYaml([{ id: 'spa', render: 'auto', entries: [{ type: 'feed', url: `${server.url}/feed.xml` }] }]),
    )
    const data = work.path('data')
    const run = await parkwatch('run', '--sources', sources, '--data', data)
    expect(run.code, run.stderr).toBe(0)

    // HTTP first (the shell), then chromium loads the page again and runs its script.
    expect(server.hits('/app.html')).toBe(2)
    expect(server.hits('/api/article.json')).toBe(1)
    const chromiumRequest = server.requests.find((r) => r.path === '/api/article.json')
    expect(chromiumRequest?.headers['user-agent']).toMatch(/parkwatch/)
    // The server-rendered page is not a shell: one HTTP request, no browser.
    expect(server.hits('/plain.html')).toBe(1)

    const archive = createArchive({ backend: sqliteBackend({ dir: data }) })
    try {
      const app = await archive.timeline(`${server.url}/app.html`)
      expect(app?.captures).toHaveLength(1)
      expect(app?.captures[0]).toMatchObject({ method: 'browser', outcome: 'ok', status: 200 })
      expect(app?.versions[0]?.title).toBe(ARTICLE.title)
      expect(app?.versions[0]?.article.paragraphs.map((p) => p.text)).toEqual(ARTICLE.paragraphs)
      const plain = await archive.timeline(`${server.url}/plain.html`)
      expect(plain?.captures[0]).toMatchObject({ method: 'http', outcome: 'ok' })
    } finally {
      await archive.close()
    }
  }, 90_000)
})
