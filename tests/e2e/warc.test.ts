/**
 * The archive in and out as WARC, end to end: the demo portal is scraped over all its revisions (edits,
 * 304 revalidations, a GBK portal), `parkwatch archive export` writes the archive as WARC 1.1 and as JSON
 * Lines, and `parkwatch archive import` rebuilds the same versions from the WARC file in a new archive.
 * Importing a file twice adds nothing; a truncated file stops the import with exit 1 and keeps what was
 * archived before the break.
 */
import { randomUUID } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { type Archive, createArchive, exportWarc, sqliteBackend, type Version } from '@parkwatch/archive'
import { type DemoPortal, startDemoPortal } from '@parkwatch/demo-portal'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeLegacy } from '../helpers/fixture-server.js'
import {
  articleHtml,
  type CliExit,
  ensureBuilt,
  PARAGRAPHS,
  parkwatch,
  startCli,
  summaryFigure,
  type TempDir,
  tempDir,
} from '../helpers/parkwatch.js'

const SITES = ['demo-blog', 'demo-xjnnet']
const DAY = 86_400_000
const PG_URL = process.env.ARCHIVE_PG_URL
if (!PG_URL && process.env.CI) throw new Error('CI must set ARCHIVE_PG_URL')

/** One WARC 1.0 record, uncompressed, as wget writes them. */
function warcRecord(type: string, uri: string | null, block: Uint8Array): Buffer {
  const head = [
    'WARC/1.0',
    `WARC-Type: ${type}`,
    `WARC-Record-ID: <urn:uuid:${randomUUID()}>`,
    'WARC-Date: 2026-11-20T08:00:00Z',
    ...(uri ? [`WARC-Target-URI: ${uri}`] : []),
    `Content-Type: ${type === 'response' ? 'application/http; msgtype=response' : 'application/warc-fields'}`,
    `Content-Length: ${block.length}`,
  ]
  return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), block, Buffer.from('\r\n\r\n')])
}

function httpResponse(status: number, contentType: string, body: Uint8Array): Buffer {
  const head = `HTTP/1.1 ${status} ${status === 200 ? 'OK' : 'Other'}\r\nContent-Type: ${contentType}\r\nContent-Length: ${body.length}\r\n\r\n`
  return Buffer.concat([Buffer.from(head, 'latin1'), body])
}

/** Every page of `archive` with its versions (title and content hash, oldest first) and capture count. */
async function contents(archive: Archive) {
  const out = new Map<string, { versions: Array<[string, string]>; captures: number; failed: number }>()
  for (const page of await archive.listPages({ limit: 10_000 })) {
    const timeline = await archive.timeline(page.url)
    out.set(page.url, {
      versions: (timeline?.versions ?? []).map((v: Version) => [v.title, v.contentHash]),
      captures: timeline?.captures.length ?? 0,
      failed: timeline?.captures.filter((c) => c.outcome === 'failed').length ?? 0,
    })
  }
  return out
}

async function withArchive<T>(dir: string, fn: (archive: Archive) => Promise<T>): Promise<T> {
  const archive = createArchive({ backend: sqliteBackend({ dir }) })
  try {
    return await fn(archive)
  } finally {
    await archive.close()
  }
}

describe('`parkwatch archive export` and `archive import`', () => {
  let portal: DemoPortal
  let work: TempDir
  let source: string
  let original: Awaited<ReturnType<typeof contents>>
  /** `archive export` of everything scraped to `all.warc.gz`. */
  let exported: CliExit

  beforeAll(async () => {
    ensureBuilt()
    work = tempDir('pw-e2e-warc-')
    portal = await startDemoPortal({ slowMs: 0 })
    const sources = work.write('sources.yaml', portal.sourcesYaml().replace(/every: 10s/, 'every: 1ms'))
    source = work.path('scraped')
    const siteArgs = SITES.flatMap((id) => ['--site', id])
    for (let revision = 0; revision <= portal.expected.maxRevision; revision++) {
      if (revision > 0) portal.advance()
      const run = await parkwatch('run', '--sources', sources, '--data', source, ...siteArgs)
      expect(run.code, run.stderr).toBe(0)
    }
    original = await withArchive(source, contents)
    exported = await parkwatch('archive', 'export', '--data', source, '--out', work.path('all.warc.gz'))
    expect(exported.code, exported.stderr).toBe(0)
  }, 120_000)
  afterAll(async () => {
    await portal?.close()
    work?.cleanup()
  })

  it('exports every capture as WARC records, one gzip member each', async () => {
    const run = exported
    const text = gunzipSync(readFileSync(work.path('all.warc.gz'))).toString('latin1')
    const types = [...text.matchAll(/^WARC-Type: (\w+)\r$/gm)].map((m) => m[1])
    expect(types.filter((t) => t === 'warcinfo')).toHaveLength(1)
    expect(types.filter((t) => t === 'response').length).toBe(summaryFigure(run.stderr, 'responses'))
    expect(types.filter((t) => t === 'revisit').length).toBe(summaryFigure(run.stderr, 'revisits'))
    expect(types.length).toBe(summaryFigure(run.stderr, 'records'))
    // Every capture is there but the failed fetches, which WARC has no response record for.
    const captures = [...original.values()].reduce((n, p) => n + p.captures - p.failed, 0)
    expect(summaryFigure(run.stderr, 'responses') + summaryFigure(run.stderr, 'revisits')).toBe(captures)
    expect(summaryFigure(run.stderr, 'pages')).toBe(original.size)
    // The edits made revisits of the unchanged pages (304s) and more than one response for edited ones.
    expect(summaryFigure(run.stderr, 'revisits')).toBeGreaterThan(0)
    expect([...original.values()].some((p) => p.versions.length >= 3)).toBe(true)
  })

  it('imports the export into a new archive with the same versions of every page', async () => {
    const file = work.path('all.warc.gz')
    const copy = work.path('imported')
    const run = await parkwatch('archive', 'import', file, '--data', copy)
    expect(run.code, run.stderr).toBe(0)
    const imported = await withArchive(copy, async (archive) => {
      expect((await archive.verify()).ok).toBe(true)
      return contents(archive)
    })
    const versions = [...original.values()].reduce((n, p) => n + p.versions.length, 0)
    expect(summaryFigure(run.stdout, 'new versions')).toBe(versions)
    expect(summaryFigure(run.stdout, 'extraction errors')).toBe(0)
    for (const [url, page] of original) {
      if (page.captures === page.failed) continue // only failed fetches: nothing to export
      expect(imported.get(url)?.versions, url).toEqual(page.versions)
      expect(imported.get(url)?.captures, url).toBe(page.captures - page.failed)
    }
  })

  it('adds nothing when the same file is imported again', async () => {
    const file = work.path('all.warc.gz')
    const copy = work.path('imported')
    const before = await withArchive(copy, (a) => a.stats())
    const run = await parkwatch('archive', 'import', file, '--data', copy)
    expect(run.code, run.stderr).toBe(0)
    expect(summaryFigure(run.stdout, 'imported')).toBe(0)
    expect(summaryFigure(run.stdout, 'already in the archive')).toBe(before.captures)
    const after = await withArchive(copy, (a) => a.stats())
    expect(after).toMatchObject({ pages: before.pages, captures: before.captures, versions: before.versions })
  })

  it('recognises its own captures when its export is imported back, all but redirect hops', async () => {
    const dir = work.path('own')
    const t = Date.parse('2026-11-20T08:00:00.123Z')
    const page = (title: string) => articleHtml(title)
    await withArchive(dir, async (archive) => {
      await archive.ingest(
        { url: 'http://news.example.cn/a.html', status: 200, body: page('苏州工业园区纳米城'), fetchedAt: t },
        null,
      )
      await archive.ingest({ url: 'http://news.example.cn/a.html', status: 304, body: null, fetchedAt: t + 1 }, null)
      // A failed fetch that had an answer: a 404 without a body (exported as an empty payload).
      await archive.ingest(
        {
          url: 'http://news.example.cn/gone.html',
          status: 404,
          fetchedAt: t + 2,
          error: { code: 'X', message: '404' },
        },
        null,
      )
      // A redirect hop: the capture of the old URL holds the page it ended at.
      await archive.ingest(
        {
          url: 'http://news.example.cn/old.html',
          finalUrl: 'http://news.example.cn/new.html',
          status: 200,
          body: page('园区新址'),
          fetchedAt: t + 3,
        },
        null,
      )
    })
    const file = work.path('own.warc.gz')
    const out = await parkwatch('archive', 'export', '--data', dir, '--out', file)
    expect(out.code, out.stderr).toBe(0)
    const back = await parkwatch('archive', 'import', file, '--data', dir)
    expect(back.code, back.stderr).toBe(0)
    expect(summaryFigure(back.stdout, 'captures read')).toBe(4)
    expect(summaryFigure(back.stdout, 'already in the archive')).toBe(3)
    // WARC keeps a response under the URL it came from: the hop comes back as a capture of the new URL.
    expect(summaryFigure(back.stdout, 'imported')).toBe(1)
    await withArchive(dir, async (archive) => {
      expect((await archive.timeline('http://news.example.cn/new.html'))?.captures).toHaveLength(1)
      expect((await archive.timeline('http://news.example.cn/gone.html'))?.captures).toHaveLength(1)
    })
  })

  it('resolves a revisit whose original came in an earlier file through the archive', async () => {
    // One body fetched twice: the export writes a response, then a revisit referring to it by digest.
    const dir = work.path('twice')
    const t = Date.parse('2026-11-21T08:00:00Z')
    const body = articleHtml('苏州工业园区生物医药产业园扩建')
    const captures = await withArchive(dir, async (archive) => {
      await archive.ingest({ url: 'http://news.example.cn/b.html', status: 200, body, fetchedAt: t }, null)
      await archive.ingest({ url: 'http://news.example.cn/b.html', status: 200, body, fetchedAt: t + 60_000 }, null)
      const timeline = await archive.timeline('http://news.example.cn/b.html')
      return Promise.all(
        (timeline?.captures ?? []).map(async (capture) => ({ capture, body: await archive.getBody(capture.id) })),
      )
    })
    const records: Uint8Array[] = []
    for await (const record of exportWarc(captures, { warcinfo: false })) records.push(record)
    // Records: response, request, revisit, request. The revisit goes to a file of its own.
    expect(records).toHaveLength(4)
    const first = work.path('first.warc.gz')
    const second = work.path('second.warc.gz')
    writeFileSync(first, Buffer.concat(records.slice(0, 2)))
    writeFileSync(second, Buffer.concat(records.slice(2)))

    const alone = await parkwatch('archive', 'import', second, '--data', work.path('alone'))
    expect(alone.code, alone.stderr).toBe(0)
    expect(summaryFigure(alone.stdout, 'imported')).toBe(0)
    expect(summaryFigure(alone.stdout, 'revisits of a body not in the file')).toBe(1)

    const data = work.path('in-turn')
    for (const file of [first, second]) {
      const run = await parkwatch('archive', 'import', file, '--data', data)
      expect(run.code, run.stderr).toBe(0)
      expect(summaryFigure(run.stdout, 'imported'), file).toBe(1)
    }
    await withArchive(data, async (archive) => {
      const timeline = await archive.timeline('http://news.example.cn/b.html')
      expect(timeline?.captures.map((c) => c.bodyHash)).toEqual(captures.map((c) => c.capture.bodyHash))
    })
  })

  it('exports what it can read when bodies are lost, names the captures left out, and exits 1', async () => {
    const dir = work.path('lost')
    const t = Date.parse('2026-11-22T08:00:00Z')
    await withArchive(dir, async (archive) => {
      const body = articleHtml('园区人工智能产业园开园')
      await archive.ingest({ url: 'http://news.example.cn/c.html', status: 200, body, fetchedAt: t }, null)
      await archive.ingest({ url: 'http://news.example.cn/c.html', status: 304, body: null, fetchedAt: t + 1 }, null)
    })
    for (const pack of readdirSync(join(dir, 'packs'))) rmSync(join(dir, 'packs', pack))
    const file = work.path('lost.warc.gz')
    const run = await parkwatch('archive', 'export', '--data', dir, '--out', file)
    expect(run.code).toBe(1)
    expect(summaryFigure(run.stderr, 'captures left out: body lost')).toBe(1)
    expect(run.stderr).toMatch(/error capture #\d+ of http:\/\/news\.example\.cn\/c\.html: .*ARCHIVE_NOT_FOUND/)
    // The 304 is still there, and nothing was written as an empty body.
    expect(summaryFigure(run.stderr, 'revisits')).toBe(1)
    expect(summaryFigure(run.stderr, 'responses')).toBe(0)
    const back = await parkwatch('archive', 'import', file, '--data', work.path('lost-back'))
    expect(back.code, back.stderr).toBe(0)
    expect(summaryFigure(back.stdout, 'imported')).toBe(1)
  })

  it('exports only the captures fetched since a moment, as a file that stands alone', async () => {
    const dir = work.path('daily')
    const t = Date.parse('2026-11-21T08:00:00Z')
    const body = articleHtml('园区半导体企业扩产')
    await withArchive(dir, async (archive) => {
      for (const [i, status] of [200, 304, 200].entries()) {
        await archive.ingest(
          { url: 'http://news.example.cn/d.html', status, body: status === 200 ? body : null, fetchedAt: t + i * DAY },
          null,
        )
      }
    })
    const file = work.path('day3.warc.gz')
    const since = new Date(t + 2 * DAY).toISOString()
    const run = await parkwatch('archive', 'export', '--data', dir, '--out', file, '--captured-since', since)
    expect(run.code, run.stderr).toBe(0)
    // The third capture repeats the first one's body, but the first is not in this file: a response again.
    expect(summaryFigure(run.stderr, 'responses')).toBe(1)
    expect(summaryFigure(run.stderr, 'revisits')).toBe(0)
    const back = await parkwatch('archive', 'import', file, '--data', work.path('daily-back'))
    expect(back.code, back.stderr).toBe(0)
    expect(summaryFigure(back.stdout, 'imported')).toBe(1)
    const jsonl = await parkwatch(
      'archive',
      'export',
      '--data',
      dir,
      '--out',
      work.path('x.jsonl'),
      '--format',
      'jsonl',
      '--captured-since',
      since,
    )
    expect(jsonl.code).toBe(2)
  })

  it('exports the versions as JSON Lines, filtered by host', async () => {
    const gbk = portal.expected.articles.find((a) => a.portal === 'xjnnet')
    const host = new URL(gbk?.url ?? '').host
    const file = work.path('xjnnet.jsonl')
    const run = await parkwatch(
      'archive',
      'export',
      '--data',
      source,
      '--out',
      file,
      '--format',
      'jsonl',
      '--host',
      host,
    )
    expect(run.code, run.stderr).toBe(0)
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n')
    const expected = [...original].filter(([url]) => new URL(url).host === host)
    expect(expected.length).toBeGreaterThan(0)
    expect(lines).toHaveLength(expected.reduce((n, [, p]) => n + p.versions.length, 0))
    const versions = lines.map((line) => JSON.parse(line) as Version)
    for (const v of versions) {
      expect(new URL(v.url).host).toBe(host)
      expect(v.article.paragraphs.length).toBeGreaterThan(0)
    }
    // GBK pages come out as text: the JSON is UTF-8 whatever the page's charset was.
    expect(versions.some((v) => /[\u4e00-\u9fff]/.test(v.title))).toBe(true)
  })

  it('stops at a truncated file with exit 1 and keeps what it archived before the break', async () => {
    const whole = readFileSync(work.path('all.warc.gz'))
    const broken = work.path('broken.warc.gz')
    writeFileSync(broken, whole.subarray(0, Math.floor(whole.length * 0.6)))
    const copy = work.path('partial')
    const run = await parkwatch('archive', 'import', broken, '--data', copy)
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('broken.warc.gz')
    const imported = summaryFigure(run.stdout, 'imported')
    expect(imported).toBeGreaterThan(0)
    await withArchive(copy, async (archive) => {
      expect((await archive.stats()).captures).toBe(imported)
      expect((await archive.verify()).ok).toBe(true)
    })
  })

  it.skipIf(!PG_URL)('round-trips through a PostgreSQL archive: import there, export from there', async () => {
    const schema = `pw_e2e_warc_${process.pid}_${Date.now().toString(36)}`
    const env = { PARKWATCH_PG_SCHEMA: schema }
    const pgArgs = ['--archive', PG_URL ?? '']
    try {
      const load = await startCli(['archive', 'import', work.path('all.warc.gz'), ...pgArgs], env).done
      expect(load.code, load.stderr).toBe(0)
      const again = work.path('from-pg.warc.gz')
      const dump = await startCli(['archive', 'export', '--out', again, ...pgArgs], env).done
      expect(dump.code, dump.stderr).toBe(0)
      const copy = work.path('from-pg')
      const reload = await parkwatch('archive', 'import', again, '--data', copy)
      expect(reload.code, reload.stderr).toBe(0)
      const imported = await withArchive(copy, contents)
      for (const [url, page] of original) {
        if (page.captures === page.failed) continue
        expect(imported.get(url)?.versions, url).toEqual(page.versions)
      }
    } finally {
      const client = new pg.Client({ connectionString: PG_URL })
      await client.connect()
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      await client.end()
    }
  })

  it('imports a hand-written WARC 1.0 of another crawler: a GBK page, a 404, and skips the captures the archive refuses', async () => {
    const title = '苏州工业园区集成电路企业投产'
    const gbk = encodeLegacy(articleHtml(title, PARAGRAPHS, '<meta charset="gbk">'), 'gbk')
    const file = work.path('foreign.warc')
    writeFileSync(
      file,
      Buffer.concat([
        warcRecord('warcinfo', null, Buffer.from('software: Wget/1.21.3\r\nformat: WARC File Format 1.0\r\n')),
        warcRecord('response', 'http://news.example.cn/ic.html', httpResponse(200, 'text/html', gbk)),
        warcRecord('response', 'http://bad host.example.cn/x.html', httpResponse(200, 'text/html', gbk)),
        // A status no HTTP server sends: the archive refuses the capture, and with it the batch it is in.
        warcRecord('response', 'http://news.example.cn/odd.html', httpResponse(999, 'text/html', gbk)),
        warcRecord('response', 'http://news.example.cn/gone.html', httpResponse(404, 'text/html', Buffer.from('gone'))),
      ]),
    )
    const data = work.path('foreign')
    const run = await parkwatch('archive', 'import', file, '--data', data, '--source', 'wget')
    expect(run.code, run.stderr).toBe(0)
    expect(summaryFigure(run.stdout, 'imported')).toBe(2)
    expect(summaryFigure(run.stdout, 'new versions')).toBe(1)
    expect(summaryFigure(run.stdout, 'refused by the archive: ARCHIVE_INVALID_URL')).toBe(1)
    expect(summaryFigure(run.stdout, 'refused by the archive: ARCHIVE_INVALID_CAPTURE')).toBe(1)
    await withArchive(data, async (archive) => {
      const timeline = await archive.timeline('http://news.example.cn/ic.html')
      expect(timeline?.versions.map((v) => v.title)).toEqual([title])
      expect(timeline?.versions[0]?.article.text).toContain(PARAGRAPHS[0])
      expect(timeline?.page.source).toBe('wget')
      expect((await archive.timeline('http://news.example.cn/gone.html'))?.captures.map((c) => c.status)).toEqual([404])
      expect(await archive.getPage('http://news.example.cn/odd.html')).toBeNull()
    })
  })

  it('answers a bad command line with exit 2 and leaves no file behind', async () => {
    const missingOut = await parkwatch('archive', 'export', '--data', source)
    expect(missingOut.code).toBe(2)
    expect(missingOut.stderr).toContain('--out')
    const noArchive = await parkwatch(
      'archive',
      'export',
      '--data',
      work.path('nothing'),
      '--out',
      work.path('x.warc.gz'),
    )
    expect(noArchive.code).toBe(2)
    expect(noArchive.stderr).toContain('no archive')
    const badFormat = await parkwatch('archive', 'export', '--data', source, '--out', work.path('y'), '--format', 'csv')
    expect(badFormat.code).toBe(2)
    const noFile = await parkwatch('archive', 'import', work.path('missing.warc'), '--data', work.path('z'))
    expect(noFile.code).toBe(2)
    expect(noFile.stderr).toContain('missing.warc')
    const noFolder = await parkwatch('archive', 'export', '--data', source, '--out', work.path('no', 'such', 'x.warc'))
    expect(noFolder.code).toBe(2)
    // A file that is no WARC is refused before the archive is opened: nothing is created.
    const page = work.write('page.html', '<html><body>not a WARC</body></html>')
    const notWarc = await parkwatch('archive', 'import', page, '--data', work.path('not-warc'))
    expect(notWarc.code).toBe(2)
    expect(notWarc.stderr).toContain('not a WARC file')
    expect(existsSync(work.path('not-warc'))).toBe(false)
  })
})
