// Screenshots of the main screens for the README, over an existing archive (e.g. one made by
// `parkwatch demo --data DIR`). Needs the built viewer (`pnpm --filter @parkwatch/viewer build`).
// Usage: node apps/viewer/scripts/screenshots.mjs DIR [OUT_DIR]
import { createArchive, sqliteBackend } from '@parkwatch/archive'
import { chromium } from 'playwright-core'
import { startViewer } from '../dist/index.js'

const [dir, out = new URL('../docs/', import.meta.url).pathname] = process.argv.slice(2)
if (!dir) throw new TypeError('Expected an archive folder: node scripts/screenshots.mjs DIR [OUT_DIR]')
const archive = createArchive({ backend: sqliteBackend({ dir }) })
const viewer = await startViewer({ archive, port: 0 })
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
  ],
})
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 }, locale: 'zh-CN' })
  const problems = []
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()))
  page.on('pageerror', (e) => problems.push(String(e)))
  const [edited] = await archive.listPages({ limit: 1 })
  const pages = await archive.listPages({ limit: 500 })
  const most = pages.reduce((a, b) => (b.versionCount > a.versionCount ? b : a), edited)
  const firstCapture = (await archive.timeline(most.url)).captures[0]
  const shots = {
    home: '/',
    search: `/search?q=${encodeURIComponent('人工智能')}`,
    timeline: `/page?url=${encodeURIComponent(most.url)}`,
    diff: `/diff?url=${encodeURIComponent(most.url)}&from=1&to=${most.versionCount}`,
    'diff-side': `/diff?url=${encodeURIComponent(most.url)}&from=1&to=${most.versionCount}&view=side&lang=en`,
    capture: `/capture?id=${firstCapture.id}`,
  }
  for (const [name, path] of Object.entries(shots)) {
    const res = await page.goto(`${viewer.url}${path}`)
    if (res?.status() !== 200) problems.push(`${path}: HTTP ${res?.status()}`)
    await page.screenshot({ path: `${out}/${name}.png`, fullPage: false })
  }
  await page.setViewportSize({ width: 390, height: 844 })
  await page.goto(`${viewer.url}${shots.diff}`)
  await page.screenshot({ path: `${out}/diff-phone.png` })
  console.log(problems.length ? problems.join('\n') : 'no console errors')
} finally {
  await browser.close()
  await viewer.close()
  await archive.close()
}
