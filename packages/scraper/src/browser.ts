/**
 * Browser rendering for pages that only JavaScript fills in: playwright-core driving the system chromium
 * (Debian's `/usr/bin/chromium`; `playwright install` is never needed). One browser is shared, each page
 * gets a fresh context (no cookies or cache leak between pages), images/media/fonts are refused at the
 * network layer, and every wait is bounded. The browser is retired after `maxPagesPerBrowser` pages and
 * relaunched after a crash, so memory stays flat over thousands of pages.
 */
import type { Browser, BrowserContext, Response } from 'playwright-core'
import { z } from 'zod'
import {
  BrowserError,
  FetchTimeoutError,
  NetworkError,
  parseOptions,
  type RedirectHop,
  ScraperError,
} from './errors.js'
import { DEFAULT_USER_AGENT, type FetchResult, statusError } from './fetcher.js'

/** Chromium flags for headless scraping on a server: no background traffic, no sandbox inside containers. */
export const DEFAULT_CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
]

const rendererOptionsSchema = z.strictObject({
  executablePath: z.string().min(1).optional(),
  args: z.array(z.string()).optional(),
  userAgent: z.string().min(1).optional(),
  maxPagesPerBrowser: z.number().int().positive().optional(),
  navigationTimeoutMs: z.number().int().positive().optional(),
  networkIdleMs: z.number().int().nonnegative().optional(),
  blockResourceTypes: z.array(z.string()).optional(),
  launchTimeoutMs: z.number().int().positive().optional(),
})

/** Options of `createBrowserRenderer`. */
export interface BrowserRendererOptions {
  /** The chromium binary. @default process.env.PARKWATCH_CHROMIUM ?? '/usr/bin/chromium' */
  executablePath?: string
  /** Command-line flags. @default DEFAULT_CHROMIUM_ARGS */
  args?: string[]
  /** @default DEFAULT_USER_AGENT */
  userAgent?: string
  /** Pages rendered before the browser is replaced by a fresh one. @default 200 */
  maxPagesPerBrowser?: number
  /** Time for the navigation up to `DOMContentLoaded`. @default 20_000 */
  navigationTimeoutMs?: number
  /** Extra wait for the network to go idle after `DOMContentLoaded` (scripts fetching the article); a cap, not an error. @default 3_000 */
  networkIdleMs?: number
  /** Playwright resource types refused at the network layer. @default ['image', 'media', 'font'] */
  blockResourceTypes?: string[]
  /** Time for chromium to start. @default 30_000 */
  launchTimeoutMs?: number
}

/** Renders pages in chromium. Call `close()` when done. */
export interface BrowserRenderer {
  /**
   * Load `url` in a fresh context and return the rendered DOM as a fetch result with `mode: 'browser'`.
   * The body is the serialised DOM in UTF-8, and `content-type` says so (the server's original value is
   * kept in `x-original-content-type`), so decoding it never applies the server's legacy charset.
   * @throws {FetchTimeoutError | NetworkError | ServerError | RateLimitedError | BlockedError | HttpStatusError | BrowserError}
   */
  render(url: string): Promise<FetchResult>
  /** Pages rendered so far (all browsers). */
  readonly pagesRendered: number
  /** Browsers launched so far (relaunches after retirement or crashes included). */
  readonly launches: number
  /** Close the browser. */
  close(): Promise<void>
}

/**
 * Create a renderer. Chromium starts lazily, on the first `render`.
 *
 * @throws {InvalidOptionsError} listing every bad option.
 * @example
 * ```ts
 * const renderer = createBrowserRenderer({ maxPagesPerBrowser: 100 })
 * const page = await renderer.render('https://example.com/app-article')
 * await renderer.close()
 * ```
 */
export function createBrowserRenderer(options: BrowserRendererOptions = {}): BrowserRenderer {
  parseOptions(rendererOptionsSchema, options, 'browser renderer options')
  const cfg = {
    executablePath: options.executablePath ?? process.env.PARKWATCH_CHROMIUM ?? '/usr/bin/chromium',
    args: options.args ?? [...DEFAULT_CHROMIUM_ARGS],
    userAgent: options.userAgent ?? DEFAULT_USER_AGENT,
    maxPages: options.maxPagesPerBrowser ?? 200,
    navigationTimeoutMs: options.navigationTimeoutMs ?? 20_000,
    networkIdleMs: options.networkIdleMs ?? 3_000,
    block: new Set(options.blockResourceTypes ?? ['image', 'media', 'font']),
    launchTimeoutMs: options.launchTimeoutMs ?? 30_000,
  }
  let current: Generation | null = null
  let pagesRendered = 0
  let launches = 0
  let closed = false

  function launch(): Generation {
    launches++
    const gen: Generation = { browser: null as unknown as Promise<Browser>, started: 0, active: 0, dead: false }
    gen.browser = (async () => {
      // playwright-core is only needed for browser mode, and importing it takes a noticeable moment.
      const { chromium } = await import('playwright-core')
      const browser = await chromium.launch({
        executablePath: cfg.executablePath,
        args: cfg.args,
        timeout: cfg.launchTimeoutMs,
      })
      browser.on('disconnected', () => {
        gen.dead = true
        // A crashed (or killed) browser is forgotten so the next render launches a new one.
        if (current === gen) current = null
      })
      return browser
    })()
    // A failed launch must not poison later renders.
    gen.browser.catch(() => {
      gen.dead = true
      if (current === gen) current = null
    })
    return gen
  }

  /** The generation the next page should use, retiring the current one when it has done its share. */
  function acquire(): Generation {
    if (closed) throw new BrowserError(null, 'renderer is closed')
    if (!current || current.dead || current.started >= cfg.maxPages) {
      const old = current
      current = launch()
      if (old && !old.dead && old.active === 0) void closeGeneration(old)
    }
    current.started++
    current.active++
    return current
  }

  async function release(gen: Generation): Promise<void> {
    gen.active--
    // Retired browsers close once their last page is done.
    if (gen !== current && gen.active === 0 && !gen.dead) await closeGeneration(gen)
  }

  async function render(url: string): Promise<FetchResult> {
    const gen = acquire()
    let context: BrowserContext | null = null
    const t0 = performance.now()
    const startedAt = new Date().toISOString()
    try {
      let browser: Browser
      try {
        browser = await gen.browser
      } catch (cause) {
        throw new BrowserError(url, `cannot launch ${cfg.executablePath}`, { cause })
      }
      context = await browser.newContext({ userAgent: cfg.userAgent, serviceWorkers: 'block' })
      await context.route('**/*', (route) =>
        cfg.block.has(route.request().resourceType()) ? route.abort('blockedbyclient') : route.continue(),
      )
      const page = await context.newPage()
      const response = await page.goto(url, { waitUntil: 'domcontentloaded', timeout: cfg.navigationTimeoutMs })
      const ttfbMs = performance.now() - t0
      const fetchedAt = new Date().toISOString()
      if (!response) throw new BrowserError(url, 'navigation produced no response')
      const finalUrl = response.url()
      const headers = response.headers()
      if (response.status() >= 400) throw statusError(finalUrl, response.status(), headers)
      // Scripts often fetch the article after DOMContentLoaded; wait for quiet, but never longer than the cap.
      if (cfg.networkIdleMs > 0)
        await page.waitForLoadState('networkidle', { timeout: cfg.networkIdleMs }).catch(() => {})
      const html = await page.content()
      pagesRendered++
      const original = headers['content-type']
      return {
        url,
        finalUrl,
        status: response.status(),
        headers: {
          ...headers,
          'content-type': 'text/html; charset=utf-8',
          ...(original ? { 'x-original-content-type': original } : {}),
        },
        body: new TextEncoder().encode(html),
        bodyGzip: null,
        fetchedAt,
        redirects: await redirectChain(response),
        timing: { startedAt, dnsMs: null, connectMs: null, ttfbMs, totalMs: performance.now() - t0 },
        mode: 'browser',
        notModified: false,
        contentType: 'text/html; charset=utf-8',
      }
    } catch (error) {
      throw mapBrowserError(error, url, gen, cfg.navigationTimeoutMs)
    } finally {
      await context?.close().catch(() => {})
      await release(gen)
    }
  }

  return {
    render,
    get pagesRendered() {
      return pagesRendered
    },
    get launches() {
      return launches
    },
    async close() {
      closed = true
      const gen = current
      current = null
      if (gen) await closeGeneration(gen)
    },
  }
}

// --- Internal helpers ---

interface Generation {
  browser: Promise<Browser>
  /** Pages started on this browser. */
  started: number
  /** Pages currently open. */
  active: number
  /** Set when the browser disconnected (crash, kill, close) or failed to launch. */
  dead: boolean
}

async function closeGeneration(gen: Generation): Promise<void> {
  gen.dead = true
  const browser = await gen.browser.catch(() => null)
  await browser?.close().catch(() => {})
}

async function redirectChain(response: Response): Promise<RedirectHop[]> {
  const hops: RedirectHop[] = []
  let request = response.request()
  for (let prev = request.redirectedFrom(); prev; prev = prev.redirectedFrom()) {
    const res = await prev.response()
    hops.unshift({ url: prev.url(), status: res?.status() ?? 0, location: request.url() })
    request = prev
  }
  return hops
}

function mapBrowserError(error: unknown, url: string, gen: Generation, navigationTimeoutMs: number): unknown {
  // Our own typed errors (status errors) pass through, as do non-errors.
  if (error instanceof ScraperError || !(error instanceof Error)) return error
  if (error.name === 'TimeoutError')
    return new FetchTimeoutError(url, 'navigation', navigationTimeoutMs, { cause: error })
  const net = /net::(ERR_[A-Z_]+)/.exec(error.message)
  if (net && !gen.dead) return new NetworkError(url, net[1] ?? null, { cause: error })
  return new BrowserError(
    url,
    gen.dead ? 'the browser crashed or was closed' : (error.message.split('\n')[0] ?? 'error'),
    {
      cause: error,
    },
  )
}
