/**
 * A GBK encoder. Node's `TextDecoder` reads GBK but nothing in the platform writes it, so the reverse
 * table is derived once from the decoder itself: every valid double-byte sequence is decoded and the
 * character mapped back to its bytes. Characters GBK lacks become HTML numeric references, which is what
 * GBK-era CMSes (and the golden aggregator page) do.
 */

/**
 * Encode `text` as GBK bytes; characters outside GBK are written as `&#N;`.
 *
 * @example
 * ```ts
 * const bytes = encodeGbk('<p>苏州工业园区</p>')
 * new TextDecoder('gbk').decode(bytes) // '<p>苏州工业园区</p>'
 * ```
 */
export function encodeGbk(text: string): Uint8Array {
  const table = gbkTable()
  const out: number[] = []
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0
    if (code < 0x80) {
      out.push(code)
      continue
    }
    const bytes = table.get(code)
    if (bytes === undefined) {
      for (const c of `&#${code};`) out.push(c.charCodeAt(0))
      continue
    }
    out.push(bytes >> 8, bytes & 0xff)
  }
  return Uint8Array.from(out)
}

/** Decode GBK bytes (the WHATWG `gbk` decoder, which reads gb2312-labelled pages too). */
export function decodeGbk(bytes: Uint8Array): string {
  return new TextDecoder('gbk').decode(bytes)
}

/** A page charset of the demo portals. */
export type PageCharset = 'utf-8' | 'gbk'

/** Encode a page's text in its charset. */
export function encodePage(text: string, charset: PageCharset): Uint8Array {
  return charset === 'gbk' ? encodeGbk(text) : new TextEncoder().encode(text)
}

/**
 * The `Content-Type` a page is served with. GBK pages name no charset in the header, like the golden
 * aggregator page: the charset is only in their `<meta http-equiv>`, so clients must sniff it.
 */
export function htmlContentType(charset: PageCharset): string {
  return charset === 'gbk' ? 'text/html' : 'text/html; charset=utf-8'
}

// --- Internal helpers ---

let table: Map<number, number> | null = null

/** Code point -> (lead << 8 | trail). Built lazily: about 22k decodes, done once per process. */
function gbkTable(): Map<number, number> {
  if (table) return table
  table = new Map()
  const decoder = new TextDecoder('gbk', { fatal: true })
  const pair = new Uint8Array(2)
  for (let lead = 0x81; lead <= 0xfe; lead++) {
    for (let trail = 0x40; trail <= 0xfe; trail++) {
      if (trail === 0x7f) continue
      pair[0] = lead
      pair[1] = trail
      let ch: string
      try {
        ch = decoder.decode(pair)
      } catch {
        continue
      }
      const code = ch.codePointAt(0)
      // Keep the first (canonical) sequence; skip user-defined-area PUA mappings that decode to U+E000+.
      if (code === undefined || ch.length !== 1 || table.has(code) || (code >= 0xe000 && code <= 0xf8ff)) continue
      table.set(code, (lead << 8) | trail)
    }
  }
  return table
}
