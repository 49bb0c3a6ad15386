/**
 * `parkwatch view` in-process: serves the viewer over an existing SQLite archive, refuses a missing
 * archive and a non-loopback address without a token.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createArchive, sqliteBackend } from '@parkwatch/archive'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CommandIo, commandView } from '../src/commands.js'
import { UsageError } from '../src/errors.js'

function memoryIo(): CommandIo & { text: () => string } {
  let out = ''
  const stream = {
    write: (s: string) => {
      out += s
      return true
    },
  }
  return { out: stream, err: stream, text: () => out } as unknown as CommandIo & { text: () => string }
}

describe('parkwatch view', () => {
  let dir: string

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pw-view-'))
    const archive = createArchive({ backend: sqliteBackend({ dir }) })
    await archive.ingest(
      { url: 'https://news.example/a.html', status: 200, body: '<p>x</p>', fetchedAt: '2026-01-01T00:00:00Z' },
      null,
    )
    await archive.close()
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('serves the archive until stopped', async () => {
    const io = memoryIo()
    const stop = new AbortController()
    const running = commandView({ data: dir, port: 0, signal: stop.signal }, io)
    let url: string | undefined
    while (url === undefined) {
      await new Promise((r) => setImmediate(r))
      url = /http:\/\/127\.0\.0\.1:\d+/.exec(io.text())?.[0]
    }
    const stats = (await (await fetch(`${url}/api/stats`)).json()) as { stats: { pages: number } }
    expect(stats.stats.pages).toBe(1)
    stop.abort()
    await expect(running).resolves.toBe(0)
  })

  it('refuses a missing archive and a public address without a token', async () => {
    await expect(commandView({ data: join(dir, 'nope'), port: 0 }, memoryIo())).rejects.toBeInstanceOf(UsageError)
    await expect(commandView({ data: dir, host: '0.0.0.0', port: 0 }, memoryIo())).rejects.toThrow(/without a token/)
  })
})
