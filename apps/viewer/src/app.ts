/**
 * @file `createViewer`: the Hono app. Security headers on every response (strict CSP without inline
 * script, no framing, no referrer), the optional access token, the HTML screens, the static assets and
 * the JSON API. Read-only: every route is a GET.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { type Archive, ArchiveError, InvalidUrlError } from '@parkwatch/archive'
import { type Context, Hono } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'
import { captureOr404, contentTypeOf, isHtml, RAW_CSP, registerApi } from './api.js'
import { createDataSource } from './data.js'
import { UnauthorizedError, ViewerError, ViewerNotFoundError } from './errors.js'
import { layout, type RenderContext, renderContext } from './html.js'
import { pickLang } from './i18n.js'
import { parseEnum, parseFlag, parseId, parsePageFilters, parseQuery, parseUrl } from './params.js'
import { DIFF_VIEWS, renderDiffPage } from './render-diff.js'
import { renderCapture, renderError, renderHome, renderSearch, renderTimeline, renderVersion } from './render-pages.js'

/** Options of `createViewer`. */
export interface ViewerOptions {
  /** The archive to show (read only). */
  archive: Archive
  /**
   * Access token. When set, every request must carry it: `Authorization: Bearer <token>`, the `pw_token`
   * cookie, or `?token=<token>` once (the viewer then sets the cookie). @default undefined (no token)
   */
  token?: string
  /** Path prefix when mounted behind a proxy, e.g. `/viewer`. @default '' */
  basePath?: string
}

/** CSP of the viewer's own pages: only same-origin script and style, no inline script, no framing. */
export const VIEWER_CSP: string =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/**
 * Create the viewer app. Serve it with `startViewer`, or call `app.fetch(request)` directly.
 *
 * @example
 * const app = createViewer({ archive: createArchive({ backend: sqliteBackend({ dir: './data' }) }) })
 * const res = await app.request('/api/stats')
 */
export function createViewer(options: ViewerOptions): Hono {
  const { archive } = options
  const base = normalizeBase(options.basePath)
  if (options.token !== undefined && options.token.length < 8) {
    throw new TypeError('Expected `token` to be a string of at least 8 characters, got a shorter one')
  }
  const tokenDigest = options.token === undefined ? null : digest(options.token)
  const data = createDataSource(archive)
  const assets = loadAssets()
  const app = new Hono({ strict: false })

  app.use('*', async (c, next) => {
    await next()
    const h = c.res.headers
    if (!h.has('Content-Security-Policy')) h.set('Content-Security-Policy', VIEWER_CSP)
    if (!h.has('X-Frame-Options')) h.set('X-Frame-Options', 'DENY')
    h.set('Referrer-Policy', 'no-referrer')
    h.set('X-Content-Type-Options', 'nosniff')
    h.set('Cross-Origin-Opener-Policy', 'same-origin')
  })

  if (tokenDigest !== null) {
    app.use('*', async (c, next) => {
      const given = bearer(c.req.header('Authorization')) ?? c.req.query('token') ?? getCookie(c, 'pw_token')
      if (given === undefined || !timingSafeEqual(digest(given), tokenDigest)) throw new UnauthorizedError()
      if (c.req.query('token') !== undefined) {
        setCookie(c, 'pw_token', given, { httpOnly: true, sameSite: 'Strict', path: base || '/' })
      }
      await next()
    })
  }

  const page = (c: Context, title: string, render: (ctx: RenderContext) => Promise<ReturnType<typeof renderHome>>) =>
    ctxOf(c, base).then(async (ctx) => c.html(layout(ctx, title, await render(ctx), { query: c.req.query('q') ?? '' })))

  const home = (c: Context) =>
    page(c, 'Home', async (ctx) => {
      const filters = parsePageFilters((n) => c.req.query(n))
      const [list, facets] = await Promise.all([data.listPages(filters), data.facets()])
      return renderHome(ctx, list, facets, filters)
    })
  app.get(`${base}/`, home)
  if (base !== '') app.get(base, home)

  app.get(`${base}/search`, (c) =>
    page(c, parseQuery(c.req.query('q')), async (ctx) => {
      const q = parseQuery(c.req.query('q'))
      return renderSearch(ctx, q, await archive.search({ text: q, limit: 50 }))
    }),
  )

  app.get(`${base}/page`, async (c) => {
    const url = parseUrl(c.req.query('url'))
    const tl = await archive.timeline(url)
    if (tl === null) throw new ViewerNotFoundError('page', url)
    const all = parseEnum(c.req.query('captures'), 'captures', ['newest', 'all'], 'newest') === 'all'
    return page(c, tl.page.title ?? tl.page.url, async (ctx) => renderTimeline(ctx, tl, all))
  })

  app.get(`${base}/diff`, async (c) => {
    const url = parseUrl(c.req.query('url'))
    const view = parseEnum(c.req.query('view'), 'view', DIFF_VIEWS, 'inline')
    const r = await data.diff(
      url,
      parseId(c.req.query('from'), 'from'),
      parseId(c.req.query('to'), 'to'),
      parseFlag(c.req.query('ignorePunct'), 'ignorePunct'),
    )
    return page(c, `v${r.from.number} → v${r.to.number} ${r.to.title}`, async (ctx) =>
      renderDiffPage(ctx, r, view, r.page.versionCount),
    )
  })

  app.get(`${base}/version`, async (c) => {
    const id = parseId(c.req.query('id'), 'id')
    const v = await archive.getVersionById(id)
    if (v === null) throw new ViewerNotFoundError('version', id)
    const p = await data.pageByUrl(v.url)
    return page(c, `v${v.number} ${v.title}`, async (ctx) => renderVersion(ctx, v, p))
  })

  app.get(`${base}/capture`, async (c) => {
    const capture = await captureOr404(archive, c.req.query('id'))
    return page(c, `#${capture.id}`, async (ctx) => renderCapture(ctx, capture))
  })

  // The archived bytes as a sandboxed document: the CSP `sandbox` gives it an opaque origin with scripts
  // off even if opened directly (not in the viewer's <iframe sandbox>), and it may load nothing but data: images.
  app.get(`${base}/capture/:id/frame`, async (c) => {
    const capture = await captureOr404(archive, c.req.param('id'))
    const body = await archive.getBody(capture.id)
    if (body === null) throw new ViewerNotFoundError('body', capture.id)
    const charset = /charset=([\w-]+)/.exec(contentTypeOf(capture))?.[1]
    const type = isHtml(capture) ? `text/html${charset ? `; charset=${charset}` : ''}` : 'text/plain; charset=utf-8'
    return c.body(new Uint8Array(body), 200, {
      'Content-Type': type,
      'Content-Security-Policy': RAW_CSP,
      'X-Frame-Options': 'SAMEORIGIN',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'private, max-age=3600',
    })
  })

  for (const [name, asset] of Object.entries(assets)) {
    app.get(`${base}/static/${name}`, (c) =>
      c.body(asset.body, 200, { 'Content-Type': asset.type, 'Cache-Control': 'public, max-age=3600' }),
    )
  }

  registerApi(app, base, archive, data)

  app.notFound((c) => errorResponse(c, base, new ViewerNotFoundError('route', c.req.path)))
  app.onError((err, c) => errorResponse(c, base, err))
  return app
}

// --- Internal helpers ---

function normalizeBase(raw: string | undefined): string {
  if (raw === undefined || raw === '' || raw === '/') return ''
  if (!/^\/[A-Za-z0-9._~\-/]*$/.test(raw)) {
    throw new TypeError(`Expected \`basePath\` to be a path like /viewer, got \`${raw}\``)
  }
  return raw.replace(/\/+$/, '')
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest()
}

function bearer(h: string | undefined): string | undefined {
  return h?.startsWith('Bearer ') ? h.slice(7).trim() : undefined
}

async function ctxOf(c: Context, base: string): Promise<RenderContext> {
  const q = c.req.query('lang')
  const lang = pickLang(q, getCookie(c, 'pw_lang'), c.req.header('Accept-Language'))
  if (q === 'zh' || q === 'en') setCookie(c, 'pw_lang', q, { sameSite: 'Lax', path: base || '/' })
  const url = new URL(c.req.url)
  const current = new URL(`http://viewer${url.pathname.slice(base.length) || '/'}${url.search}`)
  current.searchParams.delete('token')
  return renderContext(lang, base, current)
}

function errorResponse(c: Context, base: string, err: Error): Response | Promise<Response> {
  let status = 500
  let code = 'VIEWER_ERR'
  let message = 'internal error'
  if (err instanceof ViewerError) {
    status = err.status
    code = err.code
    message = err.message
  } else if (err instanceof InvalidUrlError) {
    status = 400
    code = err.code
    message = err.message
  } else if (err instanceof ArchiveError && err.code === 'ARCHIVE_NOT_FOUND') {
    status = 404
    code = err.code
    message = err.message
  } else {
    console.error('[viewer]', err)
  }
  const s = status as 400 | 401 | 404 | 500
  if (c.req.path.startsWith(`${base}/api/`) || status === 401) return c.json({ error: { code, message } }, s)
  return ctxOf(c, base).then((ctx) => c.html(layout(ctx, String(status), renderError(ctx, status, message)), s))
}

interface Asset {
  type: string
  body: Uint8Array<ArrayBuffer>
}

/** `viewer.js` and `viewer.css`, read once; `../static` resolves the same from `src/` and `dist/`. */
function loadAssets(): Record<string, Asset> {
  const dir = new URL('../static/', import.meta.url)
  return {
    'viewer.js': {
      type: 'text/javascript; charset=utf-8',
      body: new Uint8Array(readFileSync(new URL('viewer.js', dir))),
    },
    'viewer.css': { type: 'text/css; charset=utf-8', body: new Uint8Array(readFileSync(new URL('viewer.css', dir))) },
  }
}
