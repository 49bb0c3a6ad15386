/**
 * @file HTML building blocks: an escaping `html` tagged template (every interpolated value is escaped
 * unless it is already `SafeHtml`), the page layout, link building under the base path, and dates shown
 * in Asia/Shanghai and UTC.
 */
import { type Lang, type Translate, translator } from './i18n.js'

/** A string of HTML that is known to be safe (built by `html` or escaped). */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value
  }
}

/** Escape text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  // Most values (dates, numbers, ids) need no escaping: testing first avoids building a new string.
  return NEEDS_ESCAPE.test(text) ? text.replace(ESCAPE_ALL, (c) => ESCAPES[c] as string) : text
}

/**
 * Tagged template that escapes every interpolation except `SafeHtml`; arrays are joined, `null`,
 * `undefined` and `false` render nothing.
 *
 * @example
 * html`<p title="${userText}">${userText}</p>` // both escaped
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] as string
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] as string)
  return new SafeHtml(out)
}

/** What every page renderer needs: language, translator and link building. */
export interface RenderContext {
  lang: Lang
  t: Translate
  /** The viewer's base path ('' or '/viewer'). */
  base: string
  /** The current request's path and query (without the base), for language links. */
  current: URL
}

/** Build a render context. */
export function renderContext(lang: Lang, base: string, current: URL): RenderContext {
  return { lang, t: translator(lang), base, current }
}

/**
 * A link under the viewer's base path; parameters that are `undefined`, `null`, `''` or `false` are left out.
 *
 * @example
 * href(ctx, '/diff', { url, from: 1, to: 2 }) // '/diff?url=…&from=1&to=2'
 */
export function href(ctx: RenderContext, path: string, params: Record<string, unknown> = {}): string {
  const qs = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '' || v === false) continue
    qs.set(k, v === true ? '1' : String(v))
  }
  const q = qs.toString()
  return `${ctx.base}${path}${q ? `?${q}` : ''}`
}

/** China Standard Time is UTC+8 all year (no daylight saving since 1991), so no Intl lookup is needed. */
const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000

/** An ISO timestamp as `YYYY-MM-DD HH:MM:SS` in Asia/Shanghai. */
export function shanghaiTime(iso: string | null): string {
  if (!iso) return '—'
  const t = Date.parse(iso)
  // Intl.DateTimeFormat with a time zone costs ~50 µs a call: too much for a timeline of 1,000 captures.
  return Number.isNaN(t) ? iso : new Date(t + SHANGHAI_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ')
}

const UTC_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/

/** An ISO timestamp as `YYYY-MM-DD HH:MM:SSZ` in UTC. */
export function utcTime(iso: string | null): string {
  if (!iso) return '—'
  // The archive stores UTC ISO strings: show them without a parse / format round trip.
  if (UTC_ISO.test(iso)) return `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`
  const t = Date.parse(iso)
  return Number.isNaN(t) ? iso : `${new Date(t).toISOString().slice(0, 19).replace('T', ' ')}Z`
}

/** A `<time>` element showing Shanghai time with the UTC time under it. */
export function dualTime(iso: string | null): SafeHtml {
  if (!iso) return html`—`
  return html`<time datetime="${iso}">${shanghaiTime(iso)} <small>CST</small><br><small class="utc">${utcTime(iso)}</small></time>`
}

/** A byte count for humans. */
export function formatBytes(n: number | null): string {
  if (n === null) return '—'
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  return `${(n / 1024 / 1024).toFixed(1)} MiB`
}

/**
 * The page layout: header with navigation, search box and language switch, then `body`.
 */
export function layout(ctx: RenderContext, title: string, body: SafeHtml, opts: { query?: string } = {}): string {
  const { t } = ctx
  const langLink = (lang: Lang): string => {
    const u = new URL(ctx.current.href)
    u.searchParams.set('lang', lang)
    return `${ctx.base}${u.pathname}${u.search}`
  }
  return `<!doctype html>${html`<html lang="${ctx.lang === 'zh' ? 'zh-Hans' : 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · ${t('appName')}</title>
<link rel="stylesheet" href="${ctx.base}/static/viewer.css">
<script src="${ctx.base}/static/viewer.js" defer></script>
</head>
<body>
<header class="top">
<a class="brand" href="${href(ctx, '/')}">${t('appName')}</a>
<form class="search" action="${href(ctx, '/search')}" method="get" role="search">
<input type="search" name="q" value="${opts.query ?? ''}" placeholder="${t('searchPlaceholder')}" aria-label="${t('search')}">
<button type="submit">${t('search')}</button>
</form>
<nav class="lang"><a href="${langLink('zh')}" lang="zh"${ctx.lang === 'zh' ? new SafeHtml(' aria-current="true"') : ''}>中文</a> · <a href="${langLink('en')}" lang="en"${ctx.lang === 'en' ? new SafeHtml(' aria-current="true"') : ''}>English</a></nav>
</header>
<main>
${body}
</main>
</body>
</html>`}`
}

// --- Internal helpers ---

const NEEDS_ESCAPE = /[&<>"'`]/
const ESCAPE_ALL = /[&<>"'`]/g
const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
}

function render(v: unknown): string {
  if (v === undefined || v === null || v === false) return ''
  if (v instanceof SafeHtml) return v.value
  if (Array.isArray(v)) return v.map(render).join('')
  return escapeHtml(String(v))
}
