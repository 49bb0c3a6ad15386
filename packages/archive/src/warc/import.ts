/**
 * Import of WARC files written by other tools (wget, Heritrix, browsertrix-crawler, warcio, pywb) into
 * capture inputs the archive can ingest. warcio's `WARCParser` does the record framing (plain, whole-file
 * gzip or per-record gzip) and the HTTP header parsing; this module inflates gzip input itself (to tell
 * a truncated file), resolves revisits, checks payload digests and undoes transfer and content encodings.
 */
import { pipeline, Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { WARCParser, type WARCRecord } from 'warcio'
import type { CaptureInput, FetchMethod } from '../types.js'
import { checkDigest, digestHex, PROFILE_SERVER_NOT_MODIFIED, WarcError } from './util.js'

/** A capture read from a WARC file, ready for `archive.ingest`; the body is decoded (no gzip, no chunks). */
export interface ImportedCapture extends CaptureInput {
  url: string
  status: number
  headers: Array<[string, string]>
  body: Uint8Array | null
  fetchedAt: string
  method: FetchMethod
}

/** A record `importWarc` did not turn into a capture, and why. */
export interface SkippedRecord {
  type: string
  uri: string | null
  recordId: string | null
  reason: 'not-http' | 'revisit-unresolved' | 'not-a-capture'
}

/** Options for `importWarc`. */
export interface ImportWarcOptions {
  /** `source` given to every capture. @default null (the archive then uses the page's host) */
  source?: string | null
  /**
   * How the captures were fetched. By default `browser` when the warcinfo record names a browser-based
   * crawler (browsertrix, Webrecorder, Brozzler), otherwise `http`.
   * @default null
   */
  method?: FetchMethod | null
  /** Check `WARC-Payload-Digest` (sha1 / sha256, hex or base32); a mismatch throws `WarcError` (`ARCHIVE_WARC_DIGEST`). @default true */
  verifyDigests?: boolean
  /**
   * Body lookup for a revisit whose original is not in this file (e.g. the archive's blob store): called
   * with the digest as `algo:hex`. @default null
   */
  resolveDigest?: ((digest: string) => Promise<Uint8Array | null> | Uint8Array | null) | null
  /**
   * Bodies kept in memory to resolve later revisits in the same file; past this many bytes, older
   * originals are only found through `resolveDigest`.
   * @default 268_435_456 (256 MiB)
   */
  maxRememberedBytes?: number
  /** Called for each record that yields no capture (request, metadata, unresolved revisit…). @default null */
  onSkip?: ((record: SkippedRecord) => void) | null
}

/**
 * Read a WARC file (bytes or a stream of chunks, gzip or not) and yield one capture per HTTP `response`
 * record, per `revisit` record (its body taken from the record it refers to) and per http(s) `resource`
 * record. `warcinfo`, `request`, `metadata` and other records are skipped.
 *
 * @example
 * ```ts
 * for await (const capture of importWarc(createReadStream('crawl.warc.gz'), { source: 'sipac' })) {
 *   await archive.ingest(capture)
 * }
 * ```
 */
export async function* importWarc(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Uint8Array,
  options: ImportWarcOptions = {},
): AsyncGenerator<ImportedCapture, void, undefined> {
  const verify = options.verifyDigests ?? true
  let method: FetchMethod | null = options.method ?? null
  // Bodies of earlier responses by payload digest and by record id, for revisits in the same file.
  const memory: Memory = {
    byDigest: new Map(),
    byRecord: new Map(),
    bytes: 0,
    limit: options.maxRememberedBytes ?? 268_435_456,
  }
  const chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array> = source instanceof Uint8Array ? [source] : source

  let parser: WARCParser
  try {
    parser = new WARCParser(inflated(chunks))
  } catch (cause) {
    throw new WarcError('cannot read the WARC input', { cause })
  }
  for (;;) {
    let record: WARCRecord | null
    try {
      record = await parser.parse()
    } catch (cause) {
      if (cause instanceof WarcError) throw cause
      throw new WarcError(`unreadable record at offset ${parser.offset}`, { cause })
    }
    if (record === null) return
    // warcio reads any header block as a record; only a WARC version line makes it one.
    if (!/^WARC\/\d/.test(record.warcHeaders.statusline)) {
      throw new WarcError(
        `not a WARC record at offset ${parser.offset}: ${JSON.stringify(record.warcHeaders.statusline.slice(0, 40))}`,
      )
    }
    const type = record.warcType
    const id = record.warcHeader('WARC-Record-ID') ?? null
    const uri = record.warcTargetURI ?? null
    const skip = (reason: SkippedRecord['reason']): void => options.onSkip?.({ type, uri, recordId: id, reason })

    if (type === 'warcinfo') {
      if (method === null) method = await methodFromInfo(record)
      continue
    }
    if (type !== 'response' && type !== 'revisit' && type !== 'resource') {
      await record.skipFully()
      skip('not-a-capture')
      continue
    }
    if (uri === null || !/^https?:/i.test(uri)) {
      await record.skipFully()
      skip('not-http')
      continue
    }
    const date = new Date(record.warcDate ?? '')
    if (Number.isNaN(date.getTime())) {
      throw new WarcError(`record ${id ?? uri} has no valid WARC-Date (${record.warcDate ?? 'missing'})`, {
        recordId: id,
      })
    }
    const fetchedAt = date.toISOString()

    if (type === 'resource') {
      // A resource record's block is the body itself, without HTTP headers.
      const body = await record.readFully(false)
      checkPayload(record, body, verify, id)
      const contentType = record.warcContentType
      remember(memory, record, body, id)
      yield {
        url: uri,
        status: 200,
        headers: contentType ? [['content-type', contentType]] : [],
        body,
        fetchedAt,
        method: method ?? 'http',
        source: options.source ?? null,
      }
      continue
    }

    const http = record.httpHeaders
    const status = Number(http?.statusCode)
    if (http === null || !Number.isInteger(status)) {
      await record.skipFully()
      skip('not-http')
      continue
    }
    const headers = headerPairs(http.headers)

    let body: Uint8Array | null
    if (type === 'response') {
      // The digest covers the payload as transferred, so it is checked before the decoding.
      const raw = await record.readFully(false)
      checkPayload(record, raw, verify, id)
      body = raw.length === 0 ? raw : await record.readFully(true)
      remember(memory, record, body, id)
    } else {
      await record.skipFully()
      body = await revisitBody(memory, record, options.resolveDigest ?? null)
      if (body === null && record.warcHeader('WARC-Profile') !== PROFILE_SERVER_NOT_MODIFIED && status !== 304) {
        skip('revisit-unresolved')
        continue
      }
    }
    yield {
      url: uri,
      status,
      headers,
      body: body !== null && body.length > 0 ? body : status === 304 ? null : body,
      fetchedAt,
      method: method ?? 'http',
      source: options.source ?? null,
    }
  }
}

// --- Internal helpers ---

/**
 * The bytes of `chunks`, inflated when they are gzip (one member or one per record). warcio inflates gzip
 * itself, but takes a member cut short for the end of the file, so a truncated `.warc.gz` (an interrupted
 * download or copy) would import its first records without a word; zlib's own stream reports it.
 * Offsets in later errors then count inflated bytes.
 */
async function* inflated(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const source = Readable.from(chunks, { objectMode: false })
  let head: Buffer = Buffer.alloc(0)
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  while (head.length < 2) {
    const next = await it.next()
    if (next.done) break
    head = Buffer.concat([head, next.value])
  }
  if (head.length < 2 || head[0] !== 0x1f || head[1] !== 0x8b) {
    if (head.length > 0) yield bytes(head)
    for (let next = await it.next(); !next.done; next = await it.next()) yield bytes(next.value)
    return
  }
  const rest = (async function* () {
    yield head
    for (let next = await it.next(); !next.done; next = await it.next()) yield next.value
  })()
  const gunzip = pipeline(Readable.from(rest, { objectMode: false }), createGunzip({ chunkSize: 256 * 1024 }), () => {})
  try {
    for await (const chunk of gunzip) yield bytes(chunk as Buffer)
  } catch (cause) {
    const code = (cause as { code?: unknown }).code
    throw new WarcError(
      code === 'Z_BUF_ERROR' ? 'the gzip data ends in the middle of a member: the file is truncated' : 'bad gzip data',
      { cause },
    )
  }
}

/** `buf` as a plain `Uint8Array` view, so bodies come out as the same type whatever the input was. */
function bytes(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
}

const BROWSER_CRAWLERS = /browsertrix|webrecorder|brozzler|archiveweb\.page|conifer/i

async function methodFromInfo(record: WARCRecord): Promise<FetchMethod> {
  const text = await record.contentText()
  return BROWSER_CRAWLERS.test(text) ? 'browser' : 'http'
}

function headerPairs(headers: Iterable<[string, string]> | Headers | Map<string, string>): Array<[string, string]> {
  const out: Array<[string, string]> = []
  for (const [name, value] of headers as Iterable<[string, string]>) out.push([name.toLowerCase(), value])
  return out
}

function checkPayload(record: WARCRecord, raw: Uint8Array, verify: boolean, id: string | null): void {
  const label = record.warcPayloadDigest
  if (!verify || !label) return
  if (checkDigest(label, raw) === false) {
    throw new WarcError(`payload of ${record.warcTargetURI ?? 'a record'} does not match ${label}`, {
      code: 'ARCHIVE_WARC_DIGEST',
      recordId: id,
    })
  }
}

/** Bodies of earlier responses by payload digest (`algo:hex`) and by record id, within a byte budget. */
interface Memory {
  byDigest: Map<string, Uint8Array>
  byRecord: Map<string, Uint8Array>
  bytes: number
  limit: number
}

function remember(memory: Memory, record: WARCRecord, body: Uint8Array, id: string | null): void {
  if (memory.bytes + body.length > memory.limit) return
  memory.bytes += body.length
  const label = record.warcPayloadDigest
  const key = label ? digestHex(label) : null
  if (key !== null) memory.byDigest.set(key, body)
  if (id !== null) memory.byRecord.set(id, body)
}

async function revisitBody(
  memory: Memory,
  record: WARCRecord,
  resolve: ImportWarcOptions['resolveDigest'],
): Promise<Uint8Array | null> {
  const refersTo = record.warcHeader('WARC-Refers-To')
  const fromRecord = refersTo ? memory.byRecord.get(refersTo) : undefined
  if (fromRecord !== undefined) return fromRecord
  const label = record.warcPayloadDigest
  const key = label ? digestHex(label) : null
  if (key === null) return null
  return memory.byDigest.get(key) ?? (resolve ? await resolve(key) : null)
}
