/**
 * The `auto` render mode's test: is this HTML a JavaScript application shell (an empty root element plus
 * scripts) rather than a server-rendered page? Kept apart from `browser.ts` so callers that only need the
 * heuristic do not load playwright-core.
 */

/** Options of `isJavaScriptShell`. */
export interface JsShellOptions {
  /** Visible characters (whitespace removed) below which a page counts as empty. @default 200 */
  minTextChars?: number
}

/**
 * Whether `html` looks like a page that only JavaScript fills in: little visible text, at least one
 * script, and either an empty application root (`#app`, `#root`, `#__next`, `#__nuxt`, `data-reactroot`)
 * or a `<noscript>` asking for JavaScript.
 *
 * @example
 * ```ts
 * if (site.render === 'auto' && isJavaScriptShell(decoded.text)) result = await renderer.render(url)
 * ```
 */
export function isJavaScriptShell(html: string, options: JsShellOptions = {}): boolean {
  const minText = options.minTextChars ?? 200
  const lower = html.toLowerCase()
  if (!lower.includes('<script')) return false
  const text = visibleText(html).replace(/\s+/g, '')
  if ([...text].length >= minText) return false
  const appRoot = APP_ROOT_MARKERS.some((marker) => lower.includes(marker))
  const noscriptAsksForJs = noscriptText(lower).some(
    (t) => t.includes('javascript') || t.includes('启用') || t.includes('js'),
  )
  return appRoot || noscriptAsksForJs
}

/** Text a reader would see: tags removed, script/style/noscript/template contents dropped. */
export function visibleText(html: string): string {
  const lower = html.toLowerCase()
  let out = ''
  let i = 0
  while (i < html.length) {
    const lt = html.indexOf('<', i)
    if (lt === -1) {
      out += html.slice(i)
      break
    }
    out += html.slice(i, lt)
    if (lower.startsWith('<!--', lt)) {
      const end = lower.indexOf('-->', lt + 4)
      i = end === -1 ? html.length : end + 3
      continue
    }
    const gt = html.indexOf('>', lt + 1)
    if (gt === -1) break
    const name = /^<([a-z0-9]+)/.exec(lower.slice(lt, lt + 12))?.[1]
    i = gt + 1
    if (name && HIDDEN.has(name)) {
      const end = lower.indexOf(`</${name}`, i)
      i = end === -1 ? html.length : end
    }
    out += ' '
  }
  return out
}

// --- Internal helpers ---

const HIDDEN = new Set(['script', 'style', 'noscript', 'template', 'head'])

const APP_ROOT_MARKERS = [
  'id="app"',
  "id='app'",
  'id="root"',
  "id='root'",
  'id="__next"',
  'id="__nuxt"',
  'id="q-app"',
  'data-reactroot',
  'ng-app',
  'ng-version',
]

function noscriptText(lower: string): string[] {
  const out: string[] = []
  let i = lower.indexOf('<noscript')
  while (i !== -1) {
    const end = lower.indexOf('</noscript', i)
    out.push(lower.slice(i + 9, end === -1 ? undefined : end))
    i = end === -1 ? -1 : lower.indexOf('<noscript', end)
  }
  return out
}
