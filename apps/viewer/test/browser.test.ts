import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type RunningViewer, startViewer, VIEWER_CSP } from '../src/index.js'
import { createFixture, type Fixture, URLS } from './fixture.js'

let fx: Fixture
let viewer: RunningViewer
let browser: Browser
let page: Page
/** Every URL the page asked for during the current test (including ones the browser then blocked). */
let requested: string[]
/** Requests that failed, with the browser's reason. */
let failed: Map<string, string>
/** Requests that reached the network layer for a host other than the viewer (routed and aborted). */
let leaked: string[]

beforeAll(async () => {
  fx = await createFixture()
  viewer = await startViewer({ archive: fx.archive, port: 0 })
  browser = await chromium.launch({
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
})

afterAll(async () => {
  await browser?.close()
  await viewer?.close()
  await fx?.close()
})

beforeEach(async (ctx) => {
  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1100, height: 900 } })
  page = await context.newPage()
  requested = []
  failed = new Map()
  leaked = []
  page.on('request', (r) => requested.push(r.url()))
  page.on('requestfailed', (r) => failed.set(r.url(), r.failure()?.errorText ?? ''))
  // Anything that gets past the browser's own checks (CSP, sandbox) and would go to the network lands here.
  await context.route(
    (u) => !u.href.startsWith(`${viewer.url}/`),
    (route) => {
      leaked.push(route.request().url())
      return route.abort()
    },
  )
  ctx.onTestFinished(() => context.close())
})

const enc = encodeURIComponent

describe('viewer in chromium', () => {
  it('opens home with recent changes, facets and the CSP header', async () => {
    const res = await page.goto(`${viewer.url}/`)
    expect(res?.headers()['content-security-policy']).toBe(VIEWER_CSP)
    await expect(page.locator('h1').first().textContent()).resolves.toContain('最近变更')
    const titles = await page.locator('a.page-link').allTextContents()
    expect(titles[0]).toBe('半导体企业落户苏州工业园区')
    expect(titles).toContain('园区发布生物医药产业新政')
    expect(await page.locator('.facets li').count()).toBeGreaterThanOrEqual(3)
    await page.selectOption('select[name="industry"]', 'ai')
    await page.click('form.filters button[type="submit"]')
    await page.waitForURL(/industry=ai/)
    expect(await page.locator('a.page-link').allTextContents()).toEqual(['蘇州工業園區人工智能產業發展迅速'])
  })

  it('searches in simplified Chinese and finds the traditional-script article', async () => {
    await page.goto(`${viewer.url}/`)
    await page.fill('header input[name="q"]', '苏州工业园区人工智能')
    await page.press('header input[name="q"]', 'Enter')
    await page.waitForURL(/\/search\?q=/)
    const hit = page.locator('li.hit').filter({ hasText: '蘇州工業園區人工智能產業發展迅速' })
    expect(await hit.count()).toBe(1)
    expect(await hit.locator('mark').count()).toBeGreaterThan(0)
  })

  it('opens a timeline with versions, captures and the chart, then a diff', async () => {
    await page.goto(`${viewer.url}/page?url=${enc(URLS.edited)}&lang=en`)
    expect(await page.locator('table.versions tbody tr').count()).toBe(3)
    expect(await page.locator('table.captures tbody tr').count()).toBe(5)
    expect(await page.locator('.chart circle.vdot').count()).toBe(3)
    expect(await page.locator('table.captures').textContent()).toContain('not-modified')
    // Dates in Shanghai and UTC: 02:00Z is 10:00 in Suzhou.
    expect(await page.locator('#v1').textContent()).toMatch(/2026-01-01 10:00:00 CST[\s\S]*2026-01-01 02:00:00Z/)
    await page.locator('#v2 a.diff-link').click()
    await page.waitForURL(/\/diff\?/)
    const ins = await page.locator('.diff ins').allTextContents()
    const del = await page.locator('.diff del').allTextContents()
    expect(ins.join('')).toContain('二十')
    expect(del.join('')).toContain('十')
    expect(await page.locator('.metadata th[scope="row"]').allTextContents()).toEqual(
      expect.arrayContaining(['title', 'byline']),
    )
  })

  it('navigates changes with j/k, switches views and toggles punctuation', async () => {
    await page.goto(`${viewer.url}/diff?url=${enc(URLS.edited)}&from=2&to=3&lang=en`)
    expect(await page.locator('.diff .moved .moved-badge').count()).toBeGreaterThan(0)
    await page.keyboard.press('j')
    const first = await page.locator('.chg.current').count()
    expect(first).toBe(1)
    expect(await page.locator('.changepos').textContent()).toMatch(/^1 \/ \d+$/)
    await page.keyboard.press('j')
    await page.keyboard.press('k')
    expect(await page.locator('.changepos').textContent()).toMatch(/^1 \/ \d+$/)
    await page.click('.toggles a:has-text("Side by side")')
    await page.waitForURL(/view=side/)
    expect(await page.locator('.diff.side tr.chg').count()).toBeGreaterThan(0)
    expect(await page.locator('.diff.side ins').allTextContents()).toContain('！')
    await page.click('a.toggle-punct')
    await page.waitForURL(/ignorePunct=1/)
    expect(await page.locator('.diff ins').count()).toBe(0)
    const permalink = await page.locator('a.permalink').getAttribute('href')
    expect(permalink).toContain('ignorePunct=1')
  })

  it('fits a phone: the side-by-side diff stacks into one column', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    await page.goto(`${viewer.url}/diff?url=${enc(URLS.edited)}&from=1&to=2&view=side`)
    const cell = page.locator('.diff.side tr.chg.changed td').first()
    // Page-side code: this tsconfig has no DOM lib, hence the loose casts.
    type Win = {
      getComputedStyle(el: unknown): { display: string }
      document: { documentElement: { scrollWidth: number } }
    }
    expect(await cell.evaluate((el) => (globalThis as unknown as Win).getComputedStyle(el).display)).toBe('block')
    const scrollWidth = await page.evaluate(() => (globalThis as unknown as Win).document.documentElement.scrollWidth)
    expect(scrollWidth).toBeLessThanOrEqual(390)
  })

  it('shows a hostile raw capture without running its scripts or reaching the live site', async () => {
    await page.addInitScript(() => {
      // Runs in the page (no DOM lib in this tsconfig): record every message the top window receives.
      const g = globalThis as unknown as {
        __messages: unknown[]
        addEventListener(type: string, fn: (e: { data: unknown }) => void): void
      }
      g.__messages = []
      g.addEventListener('message', (e) => g.__messages.push(e.data))
    })
    await page.goto(`${viewer.url}/capture?id=${fx.hostileCaptureId}&lang=en`)
    const frameEl = page.locator('iframe.raw-frame')
    expect(await frameEl.getAttribute('sandbox')).toBe('')
    const frame = page.frames().find((f) => f.url().includes('/frame'))
    expect(frame).toBeDefined()
    // The archived page rendered (its heading is there) …
    await frame?.locator('#hostile').waitFor()
    expect(await frame?.locator('#hostile').textContent()).toBe('半导体企业落户苏州工业园区')
    await frame?.locator('#jslink').click()
    await page.waitForLoadState('load')
    // … but none of its scripts ran: the top title and messages are untouched, …
    expect(await page.title()).toMatch(/^#\d+ · parkwatch/)
    expect(await page.evaluate(() => (globalThis as unknown as { __messages: unknown[] }).__messages)).toEqual([])
    // … and nothing went to the live site: off-origin requests were refused by the browser before any
    // network access (Chromium reports CSP-blocked loads as failed requests), none reached the network layer.
    expect(leaked).toEqual([])
    const offOrigin = requested.filter((x) => !x.startsWith(`${viewer.url}/`))
    expect(offOrigin.length).toBeGreaterThan(0)
    for (const u of offOrigin) expect(failed.get(u), u).toBe('csp')
    // The script's beacon and the meta refresh target were never even asked for.
    expect(requested.filter((u) => /beacon|refresh/.test(u))).toEqual([])
  })
})

describe('keyboard, phone and how much changed', () => {
  // Page-side code runs in the browser; this tsconfig has no DOM lib, hence these small shapes and casts.
  type El = {
    matches(selector: string): boolean
    getAttribute(name: string): string | null
  }
  type Win = {
    document: { activeElement: El | null; documentElement: { scrollWidth: number; clientWidth: number } }
    getComputedStyle(el: El): { outlineStyle: string; outlineWidth: string }
  }
  /** Press Tab until the focused element matches `selector` (fails after `max` presses). */
  const tabTo = async (selector: string, max = 80): Promise<void> => {
    for (let i = 0; i < max; i++) {
      await page.keyboard.press('Tab')
      if (
        await page.evaluate(
          (sel) => (globalThis as unknown as Win).document.activeElement?.matches(sel) ?? false,
          selector,
        )
      )
        return
    }
    throw new Error(`Tab never reached ${selector} on ${page.url()}`)
  }

  /** The focused element shows the focus ring: it matches :focus-visible and has a 3 px solid outline. */
  const expectFocusVisible = async (): Promise<void> => {
    const ring = await page.evaluate(() => {
      const el = (globalThis as unknown as Win).document.activeElement
      if (el === null) return null
      const style = (globalThis as unknown as Win).getComputedStyle(el)
      return { visible: el.matches(':focus-visible'), style: style.outlineStyle, width: style.outlineWidth }
    })
    expect(ring).toEqual({ visible: true, style: 'solid', width: '3px' })
  }

  const changePos = () => page.locator('.changepos').textContent()

  it('searches in Chinese, opens a result, its timeline and a diff, and walks the changes, all by keyboard', async () => {
    await page.goto(`${viewer.url}/?lang=en`)
    await tabTo('header input[name="q"]')
    await expectFocusVisible()
    await page.keyboard.type('专项基金')
    await page.keyboard.press('Enter')
    await page.waitForURL(/\/search\?q=/)
    expect(new URL(page.url()).searchParams.get('q')).toBe('专项基金')
    // Every version of the edited article mentions the fund; the newest comes first.
    expect(await page.locator('li.hit').count()).toBe(3)
    await tabTo('a.hit-title')
    await expectFocusVisible()
    await page.keyboard.press('Enter')
    await page.waitForURL(/\/version\?id=/)
    expect(await page.locator('.crumbs').textContent()).toContain('v3 / 3')
    await tabTo('.crumbs a[href^="/page?"]')
    await expectFocusVisible()
    await page.keyboard.press('Enter')
    await page.waitForURL(/\/page\?url=/)
    await tabTo('#v3 a.diff-link')
    await expectFocusVisible()
    await page.keyboard.press('Enter')
    await page.waitForURL(/\/diff\?.*from=2&to=3/)
    const total = Number(await changePos())
    expect(total).toBeGreaterThanOrEqual(2)
    await page.keyboard.press('j')
    expect(await changePos()).toBe(`1 / ${total}`)
    await page.keyboard.press('j')
    expect(await changePos()).toBe(`2 / ${total}`)
    expect(await page.locator('#chg-2.current, .chg.current').count()).toBe(1)
    await page.keyboard.press('k')
    expect(await changePos()).toBe(`1 / ${total}`)
    // The on-screen buttons work from the keyboard too, and show where the focus is.
    await tabTo('button[data-nav="next"]')
    await expectFocusVisible()
    await page.keyboard.press('Enter')
    expect(await changePos()).toBe(`2 / ${total}`)
    // `/` jumps back to the search box from anywhere.
    await page.keyboard.press('/')
    expect(await page.evaluate(() => (globalThis as unknown as Win).document.activeElement?.getAttribute('name'))).toBe(
      'q',
    )
    await expectFocusVisible()
  })

  it('fits a 390 px phone without horizontal scrolling on home, timeline and diff', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    const paths = [
      '/',
      '/?lang=en',
      `/page?url=${enc(URLS.edited)}`,
      `/page?url=${enc(URLS.edited)}&lang=en`,
      `/diff?url=${enc(URLS.edited)}&from=1&to=2`,
      `/diff?url=${enc(URLS.edited)}&from=1&to=3&lang=en`,
    ]
    for (const path of paths) {
      await page.goto(`${viewer.url}${path}`)
      const { scrollWidth, clientWidth } = await page.evaluate(() => {
        const d = (globalThis as unknown as Win).document.documentElement
        return { scrollWidth: d.scrollWidth, clientWidth: d.clientWidth }
      })
      expect(clientWidth, path).toBe(390)
      expect(scrollWidth, path).toBeLessThanOrEqual(clientWidth)
    }
  })

  it('shows how much an edited article changed on the home page and its timeline', async () => {
    // The figures as shown, the line break written as ' / '.
    const figures = (selector: string, title?: string) => {
      const rows = page.locator(selector)
      return (title === undefined ? rows : rows.filter({ hasText: title }))
        .locator('.delta')
        .evaluate((el) =>
          (el as unknown as { innerHTML: string }).innerHTML.replace(/<br>/g, ' / ').replace(/<[^>]+>/g, ''),
        )
    }
    await page.goto(`${viewer.url}/`)
    // v2 -> v3 of the edited article: two paragraphs swapped, 。 became ！.
    expect(await figures('table.list tbody tr', '园区发布生物医药产业新政')).toBe('+1 −1 字 / 移 2 段')
    expect(await figures('table.list tbody tr', '蘇州工業園區人工智能產業發展迅速')).toBe('新 +32 字')
    await page.goto(`${viewer.url}/?lang=en`)
    expect(await figures('table.list tbody tr', '园区发布生物医药产业新政')).toBe('+1 −1 chars / 2 ¶ moved')
    await page.goto(`${viewer.url}/page?url=${enc(URLS.edited)}&lang=en`)
    expect(await figures('#v2')).toBe('+3 −2 chars / 1 ¶ edited · title, byline')
    expect(await figures('#v1')).toBe('new +65 chars')
  })
})
