/**
 * @file `createArchive` itself: how captures are validated and turned into records. Runs on the SQLite
 * backend; what every backend must do is in `backends/contract.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { NotArticle } from '@parkwatch/extractor'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type Archive, createArchive } from '../src/archive.js'
import { sqliteBackend } from '../src/backends/sqlite.js'
import { ArchiveError, InvalidCaptureError, InvalidHeaderError, NotFoundError } from '../src/errors.js'
import type { ArchiveBackend } from '../src/types.js'
import { makeArticle, makeCapture } from './fixtures.js'

const URL_A = 'https://news.example.com/a.html'
let dir: string
let backend: ArchiveBackend
let archive: Archive

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parkwatch-archive-api-'))
  backend = sqliteBackend({ dir })
  archive = createArchive({ backend, maxBodyBytes: 1024 })
})
afterEach(() => backend.clear())
afterAll(async () => {
  await backend.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('capture validation', () => {
  it.each([
    ['fetchedAt', { fetchedAt: 'yesterday' }],
    ['status', { status: 42 }],
    ['status', { status: 200.5 }],
    ['method', { method: 'ftp' as 'http' }],
    ['timing.totalMs', { timing: { totalMs: -1 } }],
    ['timing.ttfbMs', { timing: { ttfbMs: Number.NaN } }],
    ['source', { source: '' }],
    ['body', { body: 42 as unknown as string }],
    ['error', { error: 42 as unknown as string }],
  ])('rejects a bad %s with InvalidCaptureError', async (field, patch) => {
    const err = await archive.ingest(makeCapture(URL_A, 'x', patch), null).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InvalidCaptureError)
    expect(err).toBeInstanceOf(ArchiveError)
    expect(err).toMatchObject({ code: 'ARCHIVE_INVALID_CAPTURE', field })
  })

  it.each([
    ['a name that is not a token', { 'bad name': 'x' }],
    ['a lone surrogate', { 'x-a': 'ok\uD800' }],
    ['a NUL', { 'x-a': 'a\u0000b' }],
    ['invalid UTF-8 bytes', { 'x-a': [new Uint8Array([0xff, 0xfe])] }],
    ['oversized headers', { 'x-a': 'v'.repeat(300 * 1024) }],
  ])('rejects %s with InvalidHeaderError', async (_, headers) => {
    await expect(archive.ingest(makeCapture(URL_A, 'x', { headers }), null)).rejects.toBeInstanceOf(InvalidHeaderError)
  })

  it('accepts headers as an object with repeated values, bytes or pairs, lower-casing names', async () => {
    const r = await archive.ingest(
      makeCapture(URL_A, 'x', {
        headers: { 'Set-Cookie': ['a=1', new TextEncoder().encode('b=园区')], 'Last-Modified': ' Sun, 01 Mar 2026 ' },
      }),
      null,
    )
    expect(r.capture.headers).toEqual([
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=园区'],
      ['last-modified', 'Sun, 01 Mar 2026'],
    ])
    expect(r.capture.lastModified).toBe('Sun, 01 Mar 2026')
  })

  it('measures a string body in UTF-8 bytes against the limit', async () => {
    // 400 CJK characters are 1,200 UTF-8 bytes: over the 1,024-byte limit although only 400 characters.
    await expect(archive.ingest(makeCapture(URL_A, '', { body: '园'.repeat(400) }), null)).rejects.toMatchObject({
      code: 'ARCHIVE_BODY_TOO_LARGE',
      size: 1200,
      limit: 1024,
    })
    const ok = await archive.ingest(makeCapture(URL_A, '', { body: '园'.repeat(300) }), null)
    expect(ok.capture.bodySize).toBe(900)
  })

  it('treats a NotArticle like null and rejects other objects', async () => {
    const notArticle: NotArticle = {
      type: 'not-article',
      url: URL_A,
      reason: 'listing',
      message: 'a list of links',
      title: null,
      decode: null,
    }
    const r = await archive.ingest(makeCapture(URL_A, 'list'), notArticle)
    expect(r).toMatchObject({ version: null, isNewVersion: false, capture: { outcome: 'ok' } })
    await expect(archive.ingest(makeCapture(URL_A, 'x'), { type: 'weird' } as unknown as null)).rejects.toMatchObject({
      code: 'ARCHIVE_INVALID_CAPTURE',
      field: 'article',
    })
  })
})

describe('queries and options', () => {
  it('checks query options and answers an empty search with nothing', async () => {
    await expect(archive.listPages({ limit: -1 })).rejects.toThrow('Expected `limit`')
    await expect(archive.countPages({ changedSince: 'soon' })).rejects.toThrow('Expected `changedSince`')
    await expect(archive.search({ text: 'x', limit: 0 })).rejects.toThrow('Expected `limit`')
    expect(await archive.search({ text: '   ' })).toEqual([])
  })

  it('reports a body whose blob is gone as NotFoundError', async () => {
    const r = await archive.ingest(makeCapture(URL_A, 'x'), makeArticle())
    await backend.blobs.clear()
    await expect(archive.getBody(r.capture.id)).rejects.toBeInstanceOf(NotFoundError)
    expect((await archive.verify()).issues.map((i) => i.kind)).toEqual(['blob-missing'])
  })

  it('checks its own options', () => {
    expect(() => createArchive({ backend: {} as ArchiveBackend })).toThrow('Expected `backend`')
    expect(() => createArchive({ backend, maxBodyBytes: -5 })).toThrow('Expected `maxBodyBytes`')
  })
})
