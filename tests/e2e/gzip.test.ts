/**
 * Compressed responses, end to end: `parkwatch run` fetches gzip and brotli pages; the archive gives back
 * each raw page byte for byte, and keeps a gzip page as the bytes the server sent rather than compressing
 * it again (its stored size is the response's `Content-Length`).
 */
import { gzipSync } from 'node:zlib'
import { createArchive, sqliteBackend } from '@parkwatch/archive'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compressed, type FixtureServer, send, startFixtureServer } from '../helpers/fixture-server.js'
import {
  articleHtml,
  ensureBuilt,
  parkwatch,
  rssFeed,
  sourcesYaml,
  type TempDir,
  tempDir,
} from '../helpers/parkwatch.js'

const GZIP_PAGE = articleHtml('苏州工业园区纳米城新增中试平台')
const BR_PAGE = articleHtml('苏州工业园区生物医药企业完成融资')

describe('compressed responses through `parkwatch run`', () => {
  let server: FixtureServer
  let work: TempDir

  beforeAll(async () => {
    ensureBuilt()
    work = tempDir('pw-e2e-gzip-')
    server = await startFixtureServer({
      '/feed.xml': send(rssFeed(['/gzip.html']), 'application/rss+xml'),
      '/gzip.html': compressed('gzip', GZIP_PAGE),
      '/feed-br.xml': send(rssFeed(['/br.html']), 'application/rss+xml'),
      '/br.html': compressed('br', BR_PAGE),
    })
  }, 120_000)
  afterAll(async () => {
    await server?.close()
    work?.cleanup()
  })

  const runOn = async (feedPath: string, data: string): Promise<void> => {
    const sources = work.write(
      `${feedPath}.yaml`,
      sourcesYaml([{ id: 'gzip', entries: [{ type: 'feed', url: `${server.url}${feedPath}` }] }]),
    )
    const run = await parkwatch('run', '--sources', sources, '--data', data)
    expect(run.code, run.stderr).toBe(0)
  }

  it('keeps a gzip page as the bytes sent, and gives the page back', async () => {
    const data = work.path('gzip-data')
    await runOn('/feed.xml', data)
    const archive = createArchive({ backend: sqliteBackend({ dir: data }) })
    try {
      const url = `${server.url}/gzip.html`
      const [capture] = (await archive.timeline(url))?.captures ?? []
      expect(capture?.headers).toContainEqual(['content-encoding', 'gzip'])
      const body = await archive.getBody(capture?.id as number)
      expect(new TextDecoder().decode(body as Uint8Array)).toBe(GZIP_PAGE)
      // The fixture gzips with zlib's defaults; what is stored is that, not a brotli of the page.
      expect(await archive.stats()).toMatchObject({
        blobs: 1,
        storedBlobBytes: gzipSync(Buffer.from(GZIP_PAGE)).byteLength,
      })
      expect((await archive.getVersion(url, 1))?.title).toBe('苏州工业园区纳米城新增中试平台')
      expect((await archive.verify()).ok).toBe(true)
    } finally {
      await archive.close()
    }
  }, 60_000)

  it('stores a brotli page compressed by the archive, and gives the page back', async () => {
    const data = work.path('br-data')
    await runOn('/feed-br.xml', data)
    const archive = createArchive({ backend: sqliteBackend({ dir: data }) })
    try {
      const [capture] = (await archive.timeline(`${server.url}/br.html`))?.captures ?? []
      const body = await archive.getBody(capture?.id as number)
      expect(new TextDecoder().decode(body as Uint8Array)).toBe(BR_PAGE)
      expect((await archive.stats()).blobs).toBe(1)
      expect((await archive.verify()).ok).toBe(true)
    } finally {
      await archive.close()
    }
  }, 60_000)
})
