/**
 * A small HTML tokenizer that finds `<a href>` links without a DOM (the scraper has no HTML parser
 * dependency, and regexes over HTML break on the messy markup portals serve). It walks the text once,
 * skipping comments, `<script>`/`<style>`/`<textarea>` contents and CDATA, reads attributes with the quoting
 * rules browsers use, honours `<base href>`, and collects each link's visible text.
 */

/** A link found in a page. */
export interface FoundLink {
  /** Absolute http(s) URL, fragment removed. */
  url: string
  /** Visible text of the anchor, whitespace collapsed (first non-empty text wins for duplicates). */
  text: string
}

/**
 * Every distinct http(s) link of `html`, in document order, resolved against `<base href>` or `baseUrl`.
 * `javascript:`, `mailto:`, `tel:` and fragment-only links are skipped.
 *
 * @example
 * ```ts
 * extractLinks('<a href="/n/1.html">园区新闻</a>', 'https://example.com/list/')
 * // [{ url: 'https://example.com/n/1.html', text: '园区新闻' }]
 * ```
 */
export function extractLinks(html: string, baseUrl: string): FoundLink[] {
  let base = baseUrl
  const byUrl = new Map<string, FoundLink>()
  let open: { url: string | null; text: string[] } | null = null
  const close = (): void => {
    if (!open) return
    if (open.url) {
      const text = collapse(open.text.join(''))
      const existing = byUrl.get(open.url)
      if (!existing) byUrl.set(open.url, { url: open.url, text })
      else if (!existing.text && text) existing.text = text
    }
    open = null
  }

  let i = 0
  const n = html.length
  while (i < n) {
    const lt = html.indexOf('<', i)
    if (lt === -1) {
      open?.text.push(decodeEntities(html.slice(i)))
      break
    }
    if (lt > i) open?.text.push(decodeEntities(html.slice(i, lt)))
    if (html.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt + 4)
      i = end === -1 ? n : end + 3
      continue
    }
    if (html.startsWith('<![CDATA[', lt)) {
      const end = html.indexOf(']]>', lt + 9)
      i = end === -1 ? n : end + 3
      continue
    }
    const tag = readTag(html, lt)
    // A tag cut off by the end of the document is dropped, as the HTML parser does at EOF.
    if (tag?.end === -1) break
    if (!tag) {
      // A lone "<" in text (e.g. "a < b"): keep it as text.
      open?.text.push('<')
      i = lt + 1
      continue
    }
    i = tag.end
    if (tag.closing) {
      if (tag.name === 'a') close()
      continue
    }
    if (RAW_TEXT.has(tag.name)) {
      // Skip to the matching end tag; "</script" inside a JS string would end it in a browser too.
      const end = html.toLowerCase().indexOf(`</${tag.name}`, i)
      i = end === -1 ? n : end
      continue
    }
    if (tag.name === 'base' && tag.attrs.href && base === baseUrl) {
      base = resolve(tag.attrs.href, baseUrl) ?? baseUrl
    } else if (tag.name === 'a') {
      // An <a> inside an open <a> closes the first one, as the HTML parser does.
      close()
      open = { url: tag.attrs.href !== undefined ? resolve(tag.attrs.href, base) : null, text: [] }
    } else if (tag.name === 'img' && open && tag.attrs.alt) {
      open.text.push(` ${tag.attrs.alt} `)
    } else if (BLOCK_BREAKS.has(tag.name)) {
      open?.text.push(' ')
    }
  }
  close()
  return [...byUrl.values()]
}

// --- Internal helpers ---

const RAW_TEXT = new Set(['script', 'style', 'textarea', 'title', 'noscript', 'template'])
const BLOCK_BREAKS = new Set(['br', 'p', 'div', 'li', 'span', 'td', 'h1', 'h2', 'h3', 'h4'])

interface Tag {
  name: string
  closing: boolean
  attrs: Record<string, string>
  /** Index just after the tag's `>`, or -1 when the document ends inside the tag. */
  end: number
}

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\n' || c === '\t' || c === '\r' || c === '\f'
}

function isNameStart(c: string | undefined): boolean {
  return c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
}

/** Read the tag starting at `html[lt] === '<'`, or null when this `<` does not open a tag. */
function readTag(html: string, lt: number): Tag | null {
  let i = lt + 1
  const closing = html[i] === '/'
  if (closing) i++
  if (html[i] === '!' || html[i] === '?') {
    // <!DOCTYPE>, <?xml?>: skip like a tag without attributes.
    const end = html.indexOf('>', i)
    return { name: '!', closing: false, attrs: {}, end: end === -1 ? -1 : end + 1 }
  }
  if (!isNameStart(html[i])) return null
  const nameStart = i
  while (i < html.length && !isSpace(html[i]) && html[i] !== '>' && html[i] !== '/') i++
  const name = html.slice(nameStart, i).toLowerCase()
  const attrs: Record<string, string> = {}
  while (i < html.length) {
    while (isSpace(html[i]) || html[i] === '/') i++
    if (i >= html.length) break
    if (html[i] === '>') return { name, closing, attrs, end: i + 1 }
    const attrStart = i
    while (i < html.length && !isSpace(html[i]) && html[i] !== '>' && html[i] !== '=' && html[i] !== '/') i++
    // A stray '=' with no name before it: step over it so the loop always advances.
    if (i === attrStart) i++
    const attr = html.slice(attrStart, i).toLowerCase()
    while (isSpace(html[i])) i++
    let value = ''
    if (html[i] === '=') {
      i++
      while (isSpace(html[i])) i++
      const quote = html[i]
      if (quote === '"' || quote === "'") {
        const endQuote = html.indexOf(quote, i + 1)
        const stop = endQuote === -1 ? html.length : endQuote
        value = html.slice(i + 1, stop)
        i = stop + 1
      } else {
        const valueStart = i
        while (i < html.length && !isSpace(html[i]) && html[i] !== '>') i++
        value = html.slice(valueStart, i)
      }
    }
    // The first occurrence of an attribute wins, as in browsers.
    if (attr && !(attr in attrs)) attrs[attr] = decodeEntities(value)
  }
  return { name, closing, attrs, end: -1 }
}

function resolve(href: string, base: string): string | null {
  const trimmed = href.trim()
  if (!trimmed || trimmed.startsWith('#')) return null
  try {
    const url = new URL(trimmed, base)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null
    url.hash = ''
    return url.href
  } catch {
    return null
  }
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  middot: '·',
  mdash: '—',
  ndash: '–',
  hellip: '…',
  ldquo: '“',
  rdquo: '”',
  lsquo: '‘',
  rsquo: '’',
}

function decodeEntities(text: string): string {
  if (!text.includes('&')) return text
  let out = ''
  let i = 0
  while (i < text.length) {
    const amp = text.indexOf('&', i)
    if (amp === -1) {
      out += text.slice(i)
      break
    }
    out += text.slice(i, amp)
    const semi = text.indexOf(';', amp + 1)
    const body = semi === -1 || semi - amp > 10 ? null : text.slice(amp + 1, semi)
    let decoded: string | null = null
    if (body?.startsWith('#')) {
      const hex = body[1] === 'x' || body[1] === 'X'
      const code = Number.parseInt(body.slice(hex ? 2 : 1), hex ? 16 : 10)
      if (Number.isInteger(code) && code > 0 && code <= 0x10ffff) decoded = String.fromCodePoint(code)
    } else if (body) {
      decoded = NAMED_ENTITIES[body] ?? null
    }
    if (decoded === null) {
      out += '&'
      i = amp + 1
    } else {
      out += decoded
      i = (semi as number) + 1
    }
  }
  return out
}

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim()
}
