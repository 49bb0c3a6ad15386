/**
 * Safe HTML output: escaping, URL resolution and the allowlist of tags and attributes the article HTML
 * may contain. The article HTML is rebuilt from the extracted blocks rather than serialised from the page,
 * so nothing that is not on these lists (scripts, styles, iframes, `on*` handlers, `javascript:` links)
 * can reach it.
 */
import type { Element } from 'domhandler'

/** Inline tags kept inside a block's HTML; every other inline tag is unwrapped to its content. */
export const INLINE_ALLOWED: ReadonlySet<string> = new Set([
  'a',
  'b',
  'strong',
  'i',
  'em',
  'u',
  's',
  'del',
  'ins',
  'sub',
  'sup',
  'code',
  'mark',
  'small',
  'abbr',
  'cite',
  'q',
  'time',
  'kbd',
])

/** Escape text for an HTML text node. */
export function escapeText(s: string): string {
  return s.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'))
}

/** Escape text for a double-quoted attribute value. */
export function escapeAttr(s: string): string {
  return s.replace(/[&<>"]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;'))
}

const SAFE_SCHEMES: ReadonlySet<string> = new Set(['http:', 'https:', 'mailto:', 'tel:', 'ftp:'])

/**
 * Resolve a link or image URL against the page URL. Returns null for anything that is not a plain web
 * link (javascript:, vbscript:, data:, empty, fragment-only) so callers drop the attribute.
 */
export function safeUrl(raw: string | undefined, base: URL | null): string | null {
  if (raw === undefined) return null
  // Browsers ignore control characters and whitespace inside schemes ("java\nscript:"), so must we.
  const value = raw.trim()
  if (value === '' || value.startsWith('#')) return null
  let probe = ''
  for (let k = 0; k < value.length && probe.length < 16; k++) {
    if (value.charCodeAt(k) > 32) probe += value[k]
  }
  probe = probe.toLowerCase()
  if (/^(javascript|vbscript|data|file|about|blob):/.test(probe)) return null
  let url: URL
  try {
    url = base === null ? new URL(value) : new URL(value, base)
  } catch {
    // Relative URL and no base to resolve it against: keep it relative rather than lose it.
    return /^[a-z][a-z0-9+.-]*:/i.test(value) ? null : value
  }
  return SAFE_SCHEMES.has(url.protocol) ? url.href : null
}

/** Parse the page URL once; null when it is absent or not absolute. */
export function parseBase(url: string | null | undefined): URL | null {
  if (url === null || url === undefined || url === '') return null
  try {
    return new URL(url)
  } catch {
    return null
  }
}

const PLACEHOLDER =
  /^data:|spacer|blank\.(gif|png)|pixel\.(gif|png)|transparent\.(gif|png)|loading\.(gif|svg)|lazy\.(gif|png)/i
const LAZY_ATTRS = [
  'data-src',
  'data-original',
  'data-lazy-src',
  'data-actualsrc',
  'data-url',
  'data-echo',
  'data-hi-res-src',
]

/**
 * The real source of an `<img>`: lazy-loading attributes first (their `src` is often a placeholder), then
 * `src`, then the first `srcset` candidate.
 */
export function imageSource(img: Element): string | undefined {
  const a = img.attribs
  for (const name of LAZY_ATTRS) {
    const v = a[name]
    if (v !== undefined && v.trim() !== '' && !PLACEHOLDER.test(v)) return v
  }
  if (a.src !== undefined && a.src.trim() !== '' && !PLACEHOLDER.test(a.src)) return a.src
  const set = a.srcset ?? a['data-srcset']
  if (set !== undefined) {
    const first = set.trim().split(/\s+/)[0]
    if (first !== undefined && first !== '' && !PLACEHOLDER.test(first)) return first.replace(/,$/, '')
  }
  return undefined
}

/** Whether width/height attributes say the image is an icon or a tracking pixel. */
export function isTinyImage(img: Element): boolean {
  const w = Number.parseInt(img.attribs.width ?? '', 10)
  const h = Number.parseInt(img.attribs.height ?? '', 10)
  return (Number.isFinite(w) && w > 0 && w < 48) || (Number.isFinite(h) && h > 0 && h < 48)
}

/**
 * Opening tag for an allowlisted inline element with only safe attributes (`href`/`title` on links,
 * `datetime` on time, `title` on abbr); null for a link whose target is unsafe (its text is kept, the
 * link is not).
 */
export function openInline(el: Element, base: URL | null): string | null {
  const name = el.name
  if (name === 'a') {
    const href = safeUrl(el.attribs.href, base)
    if (href === null) return null
    return `<a href="${escapeAttr(href)}">`
  }
  if (name === 'time' && el.attribs.datetime !== undefined) {
    return `<time datetime="${escapeAttr(el.attribs.datetime)}">`
  }
  if (name === 'abbr' && el.attribs.title !== undefined) return `<abbr title="${escapeAttr(el.attribs.title)}">`
  return `<${name}>`
}

/** One image as a `<figure>`, with the caption when there is one. */
export function figureHtml(src: string, alt: string | null, caption: string | null): string {
  const altAttr = alt === null ? '' : ` alt="${escapeAttr(alt)}"`
  const cap = caption === null ? '' : `<figcaption>${escapeText(caption)}</figcaption>`
  return `<figure><img src="${escapeAttr(src)}"${altAttr}>${cap}</figure>`
}

/** Collapse runs of whitespace (including NBSP and ideographic space) to one space and trim. */
export function collapseWhitespace(s: string): string {
  return s.replace(/[\s\u00a0\u3000\u200b]+/g, ' ').trim()
}

/** A block ready for rendering: its kind and safe inline HTML. */
export interface RenderBlock {
  kind: 'paragraph' | 'heading' | 'caption' | 'list-item' | 'quote' | 'code' | 'table'
  html: string
  level?: number
  list?: 'ul' | 'ol'
}

/** A piece of the article in reading order: a block, or an image with its caption. */
export type RenderItem =
  | { type: 'block'; block: RenderBlock }
  | { type: 'image'; src: string; alt: string | null; caption: string | null }

/**
 * Assemble the article HTML from blocks: consecutive list items share one list, consecutive quote blocks
 * one blockquote, images become figures. Block HTML is already sanitised by the walk.
 */
export function renderHtml(items: readonly RenderItem[]): string {
  const out: string[] = []
  let list: 'ul' | 'ol' | null = null
  let quote = false
  const close = (keepList: 'ul' | 'ol' | null, keepQuote: boolean): void => {
    if (list !== null && list !== keepList) {
      out.push(`</${list}>`)
      list = null
    }
    if (quote && !keepQuote) {
      out.push('</blockquote>')
      quote = false
    }
  }
  // The caption block right after a figure is already its <figcaption>: do not print it twice.
  let figcaption: string | null = null
  for (const it of items) {
    if (it.type === 'image') {
      close(null, false)
      out.push(figureHtml(it.src, it.alt, it.caption))
      figcaption = it.caption === null ? null : escapeText(it.caption)
      continue
    }
    const b = it.block
    const repeated = b.kind === 'caption' && figcaption !== null && b.html === figcaption
    figcaption = null
    if (repeated) continue
    if (b.kind === 'list-item') {
      const want = b.list ?? 'ul'
      close(want, false)
      if (list === null) {
        out.push(`<${want}>`)
        list = want
      }
      out.push(`<li>${b.html}</li>`)
      continue
    }
    if (b.kind === 'quote') {
      close(null, true)
      if (!quote) out.push('<blockquote>')
      quote = true
      out.push(`<p>${b.html}</p>`)
      continue
    }
    close(null, false)
    if (b.kind === 'heading') {
      const level = Math.min(6, Math.max(1, b.level ?? 2))
      out.push(`<h${level}>${b.html}</h${level}>`)
    } else if (b.kind === 'code') out.push(`<pre><code>${b.html}</code></pre>`)
    else if (b.kind === 'table') out.push(b.html)
    else out.push(`<p>${b.html}</p>`)
  }
  close(null, false)
  return out.join('\n')
}
