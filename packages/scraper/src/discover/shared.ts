/**
 * Helpers shared by the discovery parsers: turning fetched bytes into text (gzip'd sitemaps, GBK feeds),
 * normalising the many date formats portals publish, and deciding whether two hosts are the same site.
 */
import { gunzipSync } from 'node:zlib'
import { decodeHtml } from '@parkwatch/extractor'
import type { XMLParser } from 'fast-xml-parser'
import { DocumentParseError } from '../errors.js'

/** What a discovery function needs from a fetched document; a `FetchResult` fits. */
export interface LoadedDocument {
  /** The URL after redirects: relative links resolve against it. */
  finalUrl: string
  body: Uint8Array
  /** The `Content-Type` header, or null. */
  contentType: string | null
}

/** Fetches a document for discovery, e.g. `(url) => polite.schedule(url, () => fetcher.fetch(url))`. */
export type LoadDocument = (url: string) => Promise<LoadedDocument>

/** Uncompressed size allowed for a gzip'd document: the sitemap protocol's own 50 MB limit. */
export const MAX_GUNZIP_BYTES: number = 50 * 1024 * 1024

/**
 * Bytes of an XML document (feed, sitemap) as text. Gzip is undone first (a `.xml.gz` sitemap is served
 * as `application/gzip`, so the magic number decides, not the header). Then, following RFC 7303: a BOM,
 * the `Content-Type` charset, the `<?xml encoding?>` declaration, else UTF-8 detection by the extractor.
 *
 * @param charset - a sources-file override that beats every declaration.
 * @throws {DocumentParseError} when the gzip data is corrupt or too large.
 */
export function decodeXml(
  bytes: Uint8Array,
  contentType: string | null = null,
  charset: string | null = null,
  url: string | null = null,
): string {
  const raw = gunzipIfNeeded(bytes, url)
  if (charset) return decodeHtml(raw, { charset }).text
  const headerHasCharset = contentType != null && /charset\s*=/i.test(contentType)
  if (!headerHasCharset && !hasBom(raw)) {
    const declared = xmlDeclaredEncoding(raw)
    if (declared) {
      try {
        return decodeHtml(raw, { charset: declared }).text
      } catch {
        // An unknown label in the declaration falls through to detection, as browsers do.
      }
    }
  }
  return decodeHtml(raw, { contentType }).text
}

/** Where an XML document came from, for decoding it and for error messages. */
export interface XmlSource {
  url: string
  contentType?: string | null
  charset?: string | null
}

/**
 * Decode (bytes per XML rules, see `decodeXml`) and parse an XML document.
 *
 * @param expected - what the document should be (`feed`, `sitemap`), for the error.
 * @throws {DocumentParseError} when it is not well-formed XML (or its gzip data is corrupt).
 */
export function parseXmlDocument(
  input: Uint8Array | string,
  parser: XMLParser,
  source: XmlSource,
  expected: string,
): Record<string, unknown> {
  const xml =
    typeof input === 'string' ? input : decodeXml(input, source.contentType ?? null, source.charset ?? null, source.url)
  try {
    return parser.parse(xml) as Record<string, unknown>
  } catch (cause) {
    throw new DocumentParseError(source.url, expected, 'not well-formed XML', { cause })
  }
}

/** A parsed XML element as an object, or null for text, arrays and absent nodes. */
export function asObject(node: unknown): Record<string, unknown> | null {
  return typeof node === 'object' && node !== null && !Array.isArray(node) ? (node as Record<string, unknown>) : null
}

/** Undo gzip when the bytes start with the gzip magic number. */
export function gunzipIfNeeded(bytes: Uint8Array, url: string | null = null): Uint8Array {
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes
  try {
    return gunzipSync(bytes, { maxOutputLength: MAX_GUNZIP_BYTES })
  } catch (cause) {
    throw new DocumentParseError(url, 'gzip document', 'corrupt or larger than 50 MB', { cause })
  }
}

/**
 * A feed or sitemap date as ISO-8601 UTC, or null. Accepts RFC 822 (`Tue, 10 Jun 2003 04:00:00 GMT`),
 * W3C/ISO dates with or without time, `2023-12-31 15:58:36` and `2023年2月22日`; dates without a zone are
 * read in `defaultOffset`, since the portals this watches publish in China Standard Time.
 *
 * @param defaultOffset - @default '+08:00'
 */
export function normalizeDate(value: string | null | undefined, defaultOffset = '+08:00'): string | null {
  if (!value) return null
  const s = value.trim()
  if (!s) return null
  const cn = /^(\d{4})年(\d{1,2})月(\d{1,2})日\s*(?:(\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(s)
  if (cn) return fromParts(cn.slice(1), defaultOffset)
  const local = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$/.exec(s)
  if (local) return fromParts(local.slice(1), defaultOffset)
  const ms = Date.parse(s)
  return Number.isNaN(ms) ? null : new Date(ms).toISOString()
}

/**
 * The site a host belongs to, approximated without the Public Suffix List: the last two labels, or three
 * under common two-level suffixes (`gov.cn`, `com.cn`, `co.uk`...). IP addresses and `localhost` are their
 * own site, ports ignored.
 */
export function siteOf(host: string): string {
  const name = host
    .replace(/:\d+$/, '')
    .replace(/^\[|\]$/g, '')
    .toLowerCase()
  if (/^[\d.]+$/.test(name) || name.includes(':') || !name.includes('.')) return name
  const labels = name.split('.')
  const lastTwo = labels.slice(-2).join('.')
  return labels.slice(TWO_LEVEL_SUFFIXES.has(lastTwo) ? -3 : -2).join('.')
}

/** Whether two absolute URLs are on the same site (see `siteOf`). */
export function sameSite(a: string, b: string): boolean {
  return siteOf(new URL(a).host) === siteOf(new URL(b).host)
}

// --- Internal helpers ---

const TWO_LEVEL_SUFFIXES = new Set([
  'com.cn',
  'net.cn',
  'org.cn',
  'gov.cn',
  'edu.cn',
  'ac.cn',
  'js.cn',
  'com.hk',
  'org.hk',
  'gov.hk',
  'com.tw',
  'org.tw',
  'gov.tw',
  'com.sg',
  'gov.sg',
  'co.uk',
  'org.uk',
  'com.au',
  'co.jp',
])

function fromParts(parts: Array<string | undefined>, offset: string): string | null {
  const [y, mo, d, h = '0', mi = '0', sec = '0'] = parts
  const pad = (v: string | undefined): string => (v ?? '0').padStart(2, '0')
  const ms = Date.parse(`${y}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(sec)}${offset}`)
  return Number.isNaN(ms) ? null : new Date(ms).toISOString()
}

function hasBom(bytes: Uint8Array): boolean {
  return (
    (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) ||
    (bytes[0] === 0xfe && bytes[1] === 0xff) ||
    (bytes[0] === 0xff && bytes[1] === 0xfe)
  )
}

/** The `encoding` pseudo-attribute of a leading `<?xml ...?>` declaration (ASCII-compatible charsets only). */
function xmlDeclaredEncoding(bytes: Uint8Array): string | null {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 256))
  const decl = /^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head)
  return decl?.[1] ?? null
}
