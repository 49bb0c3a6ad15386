/**
 * @file WARC 1.1 export of captures (request + response records, `revisit` records for bodies already
 * written and for 304 answers, per-record gzip) and JSONL export of versions. Import of WARC files made by
 * other tools lives in `warc/import.ts` and is re-exported here.
 */
import { promisify } from 'node:util'
import { gzip as gzipCallback } from 'node:zlib'
import type { Capture, Version } from './types.js'
import {
  headerBlock,
  PROFILE_IDENTICAL_PAYLOAD,
  PROFILE_SERVER_NOT_MODIFIED,
  recordId,
  sha256Label,
  statusLine,
  WarcError,
  warcDate,
} from './warc/util.js'

export { type ImportedCapture, type ImportWarcOptions, importWarc, type SkippedRecord } from './warc/import.js'
export { WarcError } from './warc/util.js'

/** One capture to export with its raw body (null for 304s and bodiless answers). */
export interface WarcExportItem {
  capture: Capture
  body: Uint8Array | null
}

/** Options for `exportWarc`. */
export interface ExportWarcOptions {
  /** Compress each record as its own gzip member (`.warc.gz`), so readers can seek to any record. @default true */
  gzip?: boolean
  /** Write a leading `warcinfo` record. @default true */
  warcinfo?: boolean
  /** `WARC-Filename` of the warcinfo record. @default null */
  filename?: string | null
  /** `software` field of the warcinfo record. @default '@parkwatch/archive' */
  software?: string
  /**
   * The archive stores bodies with transfer and content encodings already removed (as HTTP clients hand
   * them over). Their `Content-Encoding` / `Transfer-Encoding` headers are then renamed to
   * `X-Archive-Orig-*` and `Content-Length` is set to the stored length, so readers do not try to decode
   * the body a second time. Set false only if bodies are stored exactly as sent on the wire.
   * @default true
   */
  bodiesDecoded?: boolean
}

/** Counts returned (as the generator's return value) once an export is complete. */
export interface WarcExportSummary {
  records: number
  responses: number
  requests: number
  /** `revisit` records: identical payloads plus 304 answers. */
  revisits: number
  /** Failed fetches (no HTTP response) are not representable as WARC responses and are left out. */
  skippedCaptures: number
  bytes: number
}

/**
 * Write captures as WARC 1.1. Yields one chunk per record (one gzip member each when `gzip` is on), so
 * the output can be piped to a file; the generator's return value is a summary.
 *
 * - `response` (+ a `request` that is `WARC-Concurrent-To` it) for the first capture of each body,
 *   with `WARC-Payload-Digest` (sha256 of the body) and `WARC-Block-Digest`;
 * - `revisit` (profile identical-payload-digest) when a body was already written, referring to the
 *   first response's record id, URI and date;
 * - `revisit` (profile server-not-modified) for a 304 answer.
 *
 * @example
 * ```ts
 * const out = createWriteStream('park.warc.gz')
 * const timeline = await archive.timeline(url)
 * const items = async function* () {
 *   for (const capture of timeline?.captures ?? []) yield { capture, body: await archive.getBody(capture.id) }
 * }
 * await pipeline(Readable.from(exportWarc(items())), out)
 * ```
 */
export async function* exportWarc(
  input: AsyncIterable<WarcExportItem> | Iterable<WarcExportItem>,
  options: ExportWarcOptions = {},
): AsyncGenerator<Uint8Array, WarcExportSummary, undefined> {
  const gzip = options.gzip ?? true
  const decoded = options.bodiesDecoded ?? true
  const summary: WarcExportSummary = {
    records: 0,
    responses: 0,
    requests: 0,
    revisits: 0,
    skippedCaptures: 0,
    bytes: 0,
  }
  // Records are gzipped on libuv's pool, a few at a time, and yielded in order: the CPU-heavy part of an
  // export then runs on every core while this thread hashes and frames the next records.
  const pending: Array<Promise<Uint8Array>> = []
  const emit = (headers: Array<[string, string]>, block: Uint8Array): void => {
    const head = headerBlock('WARC/1.1', [...headers, ['Content-Length', String(block.length)]])
    // A record is its header block, the content block, then two CRLFs.
    const record = Buffer.concat([head, block, CRLF2])
    const out = gzip ? gzipAsync(record) : Promise.resolve(record)
    out.catch(() => {}) // awaited in order below; never an unhandled rejection meanwhile
    pending.push(out)
    summary.records++
  }
  async function* ready(keep: number): AsyncGenerator<Uint8Array> {
    while (pending.length > keep) {
      const out = await (pending.shift() as Promise<Uint8Array>)
      summary.bytes += out.length
      yield out
    }
  }

  if (options.warcinfo ?? true) {
    const fields = [
      `software: ${options.software ?? '@parkwatch/archive'}`,
      'format: WARC File Format 1.1',
      'conformsTo: https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/',
    ]
    const block = Buffer.from(`${fields.join('\r\n')}\r\n`, 'utf8')
    const head: Array<[string, string]> = [
      ['WARC-Type', 'warcinfo'],
      ['WARC-Record-ID', recordId()],
      ['WARC-Date', warcDate(new Date().toISOString())],
    ]
    if (options.filename) head.push(['WARC-Filename', options.filename])
    head.push(['Content-Type', 'application/warc-fields'])
    emit(head, block)
  }

  /** First response written per payload digest: what a later revisit refers to. */
  const written = new Map<string, { id: string; uri: string; date: string }>()
  for await (const { capture, body } of input) {
    if (capture.status === null) {
      summary.skippedCaptures++
      continue
    }
    const uri = targetUri(capture)
    const date = warcDate(capture.fetchedAt)
    const responseId = recordId()
    const payload = body ?? EMPTY
    if (capture.bodySize !== null && body !== null && body.length !== capture.bodySize) {
      throw new WarcError(
        `capture #${capture.id}: body is ${body.length} bytes, the capture recorded ${capture.bodySize}`,
      )
    }
    const httpHead = headerBlock(statusLine(capture.status), responseHeaders(capture.headers, payload.length, decoded))
    const payloadDigest = sha256Label(payload)
    if (body !== null && capture.bodyHash !== null && payloadDigest !== `sha256:${capture.bodyHash}`) {
      throw new WarcError(`capture #${capture.id}: body does not match the capture's body hash ${capture.bodyHash}`)
    }
    const common: Array<[string, string]> = [
      ['WARC-Record-ID', responseId],
      ['WARC-Date', date],
      ['WARC-Target-URI', uri],
    ]

    const first = written.get(payloadDigest)
    if (capture.status === 304 || (first !== undefined && payload.length > 0)) {
      // A revisit's block is the HTTP headers only; the payload is where the profile says.
      const headers: Array<[string, string]> = [['WARC-Type', 'revisit'], ...common]
      if (capture.status === 304) {
        headers.push(['WARC-Profile', PROFILE_SERVER_NOT_MODIFIED])
      } else if (first !== undefined) {
        headers.push(
          ['WARC-Profile', PROFILE_IDENTICAL_PAYLOAD],
          ['WARC-Refers-To', first.id],
          ['WARC-Refers-To-Target-URI', first.uri],
          ['WARC-Refers-To-Date', first.date],
          ['WARC-Payload-Digest', payloadDigest],
        )
      }
      headers.push(['WARC-Block-Digest', sha256Label(httpHead)], ['Content-Type', HTTP_RESPONSE])
      summary.revisits++
      emit(headers, httpHead)
    } else {
      const block = Buffer.concat([httpHead, payload])
      const headers: Array<[string, string]> = [
        ['WARC-Type', 'response'],
        ...common,
        ['WARC-Payload-Digest', payloadDigest],
        ['WARC-Block-Digest', sha256Label(block)],
        ['Content-Type', HTTP_RESPONSE],
      ]
      if (payload.length > 0) written.set(payloadDigest, { id: responseId, uri, date })
      summary.responses++
      emit(headers, block)
    }

    // The archive does not keep request headers; a minimal GET says which request the response answers.
    const url = new URL(uri)
    const request = headerBlock(`GET ${url.pathname}${url.search} HTTP/1.1`, [['host', url.host]])
    summary.requests++
    emit(
      [
        ['WARC-Type', 'request'],
        ['WARC-Record-ID', recordId()],
        ['WARC-Date', date],
        ['WARC-Target-URI', uri],
        ['WARC-Concurrent-To', responseId],
        ['WARC-Block-Digest', sha256Label(request)],
        ['Content-Type', 'application/http;msgtype=request'],
      ],
      request,
    )
    yield* ready(GZIP_AHEAD)
  }
  yield* ready(0)
  return summary
}

/**
 * Write versions as JSON Lines: one `Version` (with its full article) per line, in input order. The
 * generator's return value is the number of lines.
 *
 * @example
 * ```ts
 * await pipeline(Readable.from(exportJsonl(versions)), createWriteStream('versions.jsonl'))
 * ```
 */
export async function* exportJsonl(
  versions: AsyncIterable<Version> | Iterable<Version>,
): AsyncGenerator<Uint8Array, number, undefined> {
  let lines = 0
  for await (const version of versions) {
    // JSON.stringify escapes U+2028/2029 and newlines inside strings, so one version is always one line.
    yield Buffer.from(`${JSON.stringify(version)}\n`, 'utf8')
    lines++
  }
  return lines
}

// --- Internal helpers ---

const CRLF2 = Buffer.from('\r\n\r\n')
/** Records gzipped ahead of the one being yielded. */
const GZIP_AHEAD = 8
const gzipAsync = promisify(gzipCallback)
const EMPTY = new Uint8Array(0)
const HTTP_RESPONSE = 'application/http;msgtype=response'

/** The URL the stored response came from: after redirects when there were any. */
function targetUri(capture: Capture): string {
  return capture.finalUrl ?? capture.requestedUrl ?? capture.url
}

/** Stored response headers adjusted to the stored (decoded) body; see `ExportWarcOptions.bodiesDecoded`. */
function responseHeaders(
  headers: ReadonlyArray<readonly [string, string]>,
  length: number,
  decoded: boolean,
): Array<[string, string]> {
  const out: Array<[string, string]> = []
  let chunked = false
  for (const [name, value] of headers) {
    const lower = name.toLowerCase()
    if (decoded && (lower === 'content-encoding' || lower === 'transfer-encoding')) {
      out.push([`x-archive-orig-${lower}`, value])
    } else if (lower === 'content-length') {
      if (value.trim() !== String(length)) out.push(['x-archive-orig-content-length', value])
    } else {
      if (lower === 'transfer-encoding') chunked = true
      out.push([name, value])
    }
  }
  // A body still in chunked encoding is delimited by its chunks; a length would contradict them.
  if (!chunked) out.push(['content-length', String(length)])
  return out
}
