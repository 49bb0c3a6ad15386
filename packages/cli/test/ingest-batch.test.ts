/**
 * Batched archive writes: captures that arrive together are stored with one `ingestMany`, each caller gets
 * its own capture's result, and a capture the archive refuses fails alone (the rest of its batch is stored
 * once, not twice).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Archive, type CaptureInput, createArchive, sqliteBackend } from '@parkwatch/archive'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createIngestBatcher } from '../src/ingest-batch.js'

const capture = (n: number): CaptureInput => ({
  url: `https://news.example/a/${n}.html`,
  source: 'test',
  status: 200,
  headers: { 'content-type': 'text/html; charset=utf-8' },
  body: `<html><body><p>第${n}篇</p></body></html>`,
  fetchedAt: new Date('2026-01-01T00:00:00Z'),
})

describe('createIngestBatcher', () => {
  let dir: string
  let archive: Archive
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pw-batch-'))
    archive = createArchive({ backend: sqliteBackend({ dir }) })
  })
  afterEach(async () => {
    await archive.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('stores captures that arrive together in one transaction and answers each caller with its own', async () => {
    const ingestMany = vi.spyOn(archive, 'ingestMany')
    const writer = createIngestBatcher(archive, { maxBatch: 10, maxWaitMs: 5 })
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => writer.ingest(capture(n), null)))
    expect(ingestMany).toHaveBeenCalledTimes(1)
    expect(results.map((r) => r.page.url)).toEqual([1, 2, 3, 4, 5].map((n) => capture(n).url))
    expect(await archive.countPages()).toBe(5)
  })

  it('writes a full batch at once and the rest after the wait', async () => {
    const ingestMany = vi.spyOn(archive, 'ingestMany')
    const writer = createIngestBatcher(archive, { maxBatch: 2, maxWaitMs: 5 })
    await Promise.all([1, 2, 3].map((n) => writer.ingest(capture(n), null)))
    // Two full batches would need 4 captures: the third went alone, after the wait, as a plain ingest.
    expect(ingestMany).toHaveBeenCalledTimes(1)
    expect(await archive.countPages()).toBe(3)
  })

  it('writes at once when every visit in progress is waiting on its write', async () => {
    const ingestMany = vi.spyOn(archive, 'ingestMany')
    // A wait far beyond the test's timeout: only the visit count can release these batches.
    const writer = createIngestBatcher(archive, { maxBatch: 10, maxWaitMs: 60_000 })
    const leave = [1, 2, 3].map(() => writer.enter?.())
    const first = await Promise.all([1, 2, 3].map((n) => writer.ingest(capture(n), null)))
    expect(first).toHaveLength(3)
    expect(ingestMany).toHaveBeenCalledTimes(1)
    for (const l of leave) l?.()
    // A visit that ends without writing releases the others too.
    const [a, b, c] = [1, 2, 3].map(() => writer.enter?.())
    const second = Promise.all([4, 5].map((n) => writer.ingest(capture(n), null)))
    c?.()
    expect(await second).toHaveLength(2)
    a?.()
    b?.()
    expect(ingestMany).toHaveBeenCalledTimes(2)
    expect(await archive.countPages()).toBe(5)
  })

  it('fails only the capture the archive refuses', async () => {
    const writer = createIngestBatcher(archive, { maxBatch: 10 })
    const bad = { ...capture(2), fetchedAt: 'not a date' }
    const settled = await Promise.allSettled([
      writer.ingest(capture(1), null),
      writer.ingest(bad, null),
      writer.ingest(capture(3), null),
    ])
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect(await archive.countPages()).toBe(2)
    // Stored once each: the refused batch left nothing behind to duplicate.
    expect((await archive.timeline(capture(1).url))?.captures).toHaveLength(1)
    expect((await archive.timeline(capture(3).url))?.captures).toHaveLength(1)
  })

  it('writes each capture on its own with maxBatch 1', async () => {
    const ingestMany = vi.spyOn(archive, 'ingestMany')
    const writer = createIngestBatcher(archive, { maxBatch: 1 })
    await Promise.all([1, 2].map((n) => writer.ingest(capture(n), null)))
    expect(ingestMany).not.toHaveBeenCalled()
    expect(await archive.countPages()).toBe(2)
  })

  it('checks its options', () => {
    expect(() => createIngestBatcher(archive, { maxBatch: 0 })).toThrow(/Expected `maxBatch` to be an integer >= 1/)
    expect(() => createIngestBatcher(archive, { maxWaitMs: -1 })).toThrow(TypeError)
  })
})
