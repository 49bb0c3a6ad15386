/**
 * Bad sources files, end to end through `parkwatch run` against an archive that already holds captures: a
 * YAML syntax error, an unknown field and a bad URL each stop the command with exit code 2 and a message
 * naming the file, the field and the line, before anything is opened; the archive is left as it was.
 */
import { existsSync } from 'node:fs'
import { createArchive, sqliteBackend } from '@parkwatch/archive'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FixtureServer, html, send, startFixtureServer } from '../helpers/fixture-server.js'
import {
  articleHtml,
  ensureBuilt,
  parkwatch,
  rssFeed,
  sourcesYaml,
  type TempDir,
  tempDir,
} from '../helpers/parkwatch.js'

describe('bad sources files through `parkwatch run`', () => {
  let server: FixtureServer
  let work: TempDir
  let data: string

  const stats = async () => {
    const archive = createArchive({ backend: sqliteBackend({ dir: data }) })
    try {
      return { stats: await archive.stats(), timeline: await archive.timeline(`${server.url}/a.html`) }
    } finally {
      await archive.close()
    }
  }

  beforeAll(async () => {
    ensureBuilt()
    work = tempDir('pw-e2e-bad-sources-')
    data = work.path('data')
    server = await startFixtureServer({
      '/feed.xml': send(rssFeed(['/a.html']), 'application/rss+xml'),
      '/a.html': html(articleHtml('苏州工业园区举行重点项目集中签约')),
    })
    // An archive with history, as a user's would have when they break the file.
    const good = work.write(
      'good.yaml',
      sourcesYaml([{ id: 'good', entries: [{ type: 'feed', url: `${server.url}/feed.xml` }] }]),
    )
    const run = await parkwatch('run', '--sources', good, '--data', data)
    expect(run.code, run.stderr).toBe(0)
  }, 120_000)
  afterAll(async () => {
    await server?.close()
    work?.cleanup()
  })

  const cases = [
    {
      name: 'a YAML syntax error',
      // The flow sequence of line 3 is never closed; the parser notices on line 4.
      text: "sites:\n  - id: broken\n    entries: [{ type: feed, url: 'http://127.0.0.1:9/feed.xml' }\n    rate: 2\n",
      expected: [/\(root\) \(line 4\): YAML syntax: .*end with a \]/],
    },
    {
      name: 'an unknown field',
      text:
        'sites:\n  - id: typo\n    rate: 2\n    concurency: 3\n    entries:\n' +
        "      - { type: feed, url: 'http://127.0.0.1:9/feed.xml' }\n",
      expected: [/sites\[0\]\.concurency \(line 4\): unknown field/],
    },
    {
      name: 'a bad URL',
      text:
        'sites:\n  - id: bad-url\n    entries:\n      - type: feed\n        url: http://127.0.0.1:9/feed.xml\n' +
        '      - type: sitemap\n        url: ftp://example.com/sitemap.xml\n',
      expected: [/sites\[0\]\.entries\[1\]\.url \(line 7\): expected an absolute http\(s\) URL/],
    },
  ]

  it.each(cases)('rejects $name with exit 2, naming the file, field and line; the archive is untouched', async (c) => {
    const before = await stats()
    const hitsBefore = server.requests.length
    const file = work.write(`${c.name.replace(/\W+/g, '-')}.yaml`, c.text)
    const run = await parkwatch('run', '--sources', file, '--data', data)
    expect(run.code).toBe(2)
    expect(run.stderr).toContain(`bad sources file ${file}:`)
    for (const pattern of c.expected) expect(run.stderr).toMatch(pattern)
    expect(run.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/) // a message, not a stack trace
    expect(run.stdout).toBe('')

    // Nothing was fetched, and the archive still holds exactly what it held.
    expect(server.requests.length).toBe(hitsBefore)
    expect(await stats()).toEqual(before)
  })

  it('leaves an archive that still verifies', async () => {
    const verify = await parkwatch('archive', 'verify', '--data', data)
    expect(verify.code, verify.stdout).toBe(0)
    expect(verify.stdout).toMatch(/captures\s+1\n/)
    expect(verify.stdout).toMatch(/versions\s+1\n/)
  })

  it('creates no archive folder for a bad file pointed at a new one', async () => {
    const file = work.write('empty-sites.yaml', 'version: 1\nsites: []\n')
    const fresh = work.path('fresh-data')
    const run = await parkwatch('run', '--sources', file, '--data', fresh)
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/sites \(line 2\): expected at least one site/)
    expect(existsSync(fresh)).toBe(false)
  })
})
