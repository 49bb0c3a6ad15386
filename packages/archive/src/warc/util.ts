/**
 * Small helpers shared by the WARC writer and reader: digests in the `algo:value` form WARC uses, the
 * record header block, and the HTTP status line.
 */
import { createHash } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import { ArchiveError } from '../errors.js'

/** A WARC file could not be read or a record is invalid (bad digest, unreadable headers). */
export class WarcError extends ArchiveError {
  override readonly code: 'ARCHIVE_WARC' | 'ARCHIVE_WARC_DIGEST' = 'ARCHIVE_WARC'
  constructor(
    message: string,
    options?: ErrorOptions & {
      /** `ARCHIVE_WARC_DIGEST` when a payload does not match its `WARC-Payload-Digest`. */
      code?: 'ARCHIVE_WARC' | 'ARCHIVE_WARC_DIGEST'
      /** The record's `WARC-Record-ID`, when known. */
      recordId?: string | null
    },
  ) {
    super(`[warc] ${message}`, options)
    this.name = 'WarcError'
    if (options?.code) this.code = options.code
    this.recordId = options?.recordId ?? null
  }
  /** The record's `WARC-Record-ID`, when known. */
  readonly recordId: string | null
}

/** The WARC 1.1 revisit profile for a payload identical to one already written. */
export const PROFILE_IDENTICAL_PAYLOAD = 'http://netpreserve.org/warc/1.1/revisit/identical-payload-digest'
/** The WARC 1.1 revisit profile for an HTTP 304 answer. */
export const PROFILE_SERVER_NOT_MODIFIED = 'http://netpreserve.org/warc/1.1/revisit/server-not-modified'

/** `sha256:<hex>`, the form warcio and browsertrix write (WARC 1.1 allows any labelled encoding). */
export function sha256Label(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}

/**
 * Whether `label` (`sha1:<base32>`, `sha256:<hex>`, `sha-256:<base32>`…) is the digest of `bytes`. Unknown
 * algorithms return null (cannot check), so a file from a tool using e.g. md5 is still importable.
 */
export function checkDigest(label: string, bytes: Uint8Array): boolean | null {
  const colon = label.indexOf(':')
  if (colon < 0) return null
  const algo = label.slice(0, colon).toLowerCase().replace('-', '')
  const value = label.slice(colon + 1).trim()
  if (algo !== 'sha1' && algo !== 'sha256') return null
  const digest = createHash(algo).update(bytes).digest()
  const hex = digest.toString('hex')
  return value.toLowerCase() === hex || value.toUpperCase().replace(/=+$/, '') === base32(digest)
}

/** A digest label turned into hex, so one payload is recognised whatever encoding a tool chose; null if unknown. */
export function digestHex(label: string): string | null {
  const colon = label.indexOf(':')
  if (colon < 0) return null
  const algo = label.slice(0, colon).toLowerCase().replace('-', '')
  const value = label.slice(colon + 1).trim()
  const size = algo === 'sha256' ? 32 : algo === 'sha1' ? 20 : 0
  if (size === 0) return null
  if (/^[0-9a-f]+$/i.test(value) && value.length === size * 2) return `${algo}:${value.toLowerCase()}`
  const bytes = unbase32(value.toUpperCase().replace(/=+$/, ''))
  return bytes !== null && bytes.length === size ? `${algo}:${Buffer.from(bytes).toString('hex')}` : null
}

/** RFC 4648 base32 without padding, as wget and Heritrix write SHA-1 digests. */
export function base32(bytes: Uint8Array): string {
  let out = ''
  let bits = 0
  let value = 0
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31]
  return out
}

/** `HTTP/1.1 200 OK` for a status code (reason phrases from node:http; unknown codes get none). */
export function statusLine(status: number): string {
  const reason = STATUS_CODES[status]
  return reason ? `HTTP/1.1 ${status} ${reason}` : `HTTP/1.1 ${status}`
}

/** WARC-Date: W3C ISO-8601 UTC, fractional seconds only when there are any (WARC 1.1 allows them). */
export function warcDate(iso: string): string {
  return new Date(iso).toISOString().replace('.000Z', 'Z')
}

/** A fresh `<urn:uuid:…>` record id. */
export function recordId(): string {
  return `<urn:uuid:${crypto.randomUUID()}>`
}

/** Header lines followed by the blank line, as bytes (values are UTF-8, which WARC 1.1 allows). */
export function headerBlock(firstLine: string, headers: ReadonlyArray<readonly [string, string]>): Buffer {
  let text = `${firstLine}\r\n`
  for (const [name, value] of headers) text += `${name}: ${value.replace(/[\r\n]+/g, ' ')}\r\n`
  return Buffer.from(`${text}\r\n`, 'utf8')
}

// --- Internal helpers ---

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

function unbase32(text: string): Uint8Array | null {
  const out: number[] = []
  let bits = 0
  let value = 0
  for (const ch of text) {
    const v = ALPHABET.indexOf(ch)
    if (v < 0) return null
    value = ((value << 5) | v) & 0xffff
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff)
      bits -= 8
    }
  }
  return Uint8Array.from(out)
}
