/**
 * The built `parkwatch` command as a child process: usage errors, bad sources files, and kill -9 in the
 * middle of a run followed by a resume, counting requests per URL at a local server.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createArchive, sqliteBackend } from '@parkwatch/archive'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  delay,
  type FixtureServer,
  html,
  send,
  startFixtureServer,
  status,
} from '../../../tests/helpers/fixture-server.js'
import type { StatusReport } from '../src/commands-status.js'
import { openFrontier } from '../src/index.js'

const pkg = fileURLToPath(new URL('..', import.meta.url))
const bin = join(pkg, 'dist', 'cli.js')

interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

function start(args: string[]): { child: ChildProcess; done: Promise<Exit> } {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString()
  })
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  const done = new Promise<Exit>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
  return { child, done }
}

const parkwatch = (...args: string[]): Promise<Exit> => start(args).done

describe('parkwatch command', () => {
  let dir: string

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pw-cli-'))
    // CI builds before testing; build here too so a fresh checkout's `vitest run` works.
    if (!existsSync(bin)) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: pkg, stdio: 'ignore' })
  }, 120_000)
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('prints help with exit 0 and usage errors with exit 2', async () => {
    const help = await parkwatch('--help')
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/Usage: parkwatch <command>/)
    const runHelp = await parkwatch('run', '--help')
    expect(runHelp.code).toBe(0)
    expect(runHelp.stdout).toMatch(/--sources FILE/)
    const unknown = await parkwatch('fly')
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/unknown command `fly`/)
    const missing = await parkwatch('run')
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/missing --sources FILE/)
    const badOption = await parkwatch('demo', '--passes', 'zero')
    expect(badOption.code).toBe(2)
    expect(badOption.stderr).toMatch(/`--passes` to be an integer >= 1/)
  })

  it('rejects a bad sources file with exit 2, naming the file, the field and the line', async () => {
    const file = join(dir, 'bad.yaml')
    writeFileSync(file, 'sites:\n  - id: Bad Id\n    entries:\n      - { type: feed, url: not-a-url }\n    rate: -1\n')
    const r = await parkwatch('run', '--sources', file, '--data', join(dir, 'bad-data'))
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(file)
    expect(r.stderr).toMatch(/sites\[0\]\.entries\[0\]\.url \(line 4\): expected an absolute http\(s\) URL/)
    expect(r.stderr).toMatch(/sites\[0\]\.rate/)
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/) // a message, not a stack trace
    const none = await parkwatch('run', '--sources', join(dir, 'nope.yaml'))
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/cannot read the file \(ENOENT\)/)
    const good = join(dir, 'good.yaml')
    writeFileSync(good, "sites:\n  - id: one\n    entries: [{ type: feed, url: 'http://127.0.0.1:9/feed' }]\n")
    const typo = await parkwatch('run', '--sources', good, '--site', 'onee', '--data', join(dir, 'bad-data'))
    expect(typo.code).toBe(2)
    expect(typo.stderr).toMatch(/unknown --site `onee`; .*good\.yaml has one/)
  })

  describe('kill -9 in the middle of a run, then resume', () => {
    const N = 40
    let server: FixtureServer
    const paths = Array.from({ length: N }, (_, i) => `/a/${i}.html`)

    beforeAll(async () => {
      const routes: Record<string, Parameters<typeof startFixtureServer>[0][string]> = {
        '/feed.xml': send(
          `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>${paths
            .map((p) => `<item><title>${p}</title><link>${p}</link></item>`)
            .join('')}</channel></rss>`,
          'application/rss+xml',
        ),
      }
      for (const [i, p] of paths.entries()) {
        const page = html(
          `<html><head><title>园区新闻 ${i}</title></head><body><article><h1>园区新闻 ${i}</h1>` +
            `<p>苏州工业园区第${i}号新闻：园区企业今天发布了新的研发成果，多家单位参加了发布会并进行了交流。</p>` +
            `<p>与会人员表示，园区将继续推进重点项目建设，加快产业创新集群发展，打造一流营商环境。</p></article></body></html>`,
        )
        // Slow enough that the run is still going when the test kills it.
        routes[p] = async (req, res) => {
          await new Promise((r) => setTimeout(r, 150))
          await page(req, res)
        }
      }
      server = await startFixtureServer(routes)
    })
    afterAll(() => server?.close())

    it('loses nothing and fetches no finished visit twice', async () => {
      const sources = join(dir, 'resume.yaml')
      const data = join(dir, 'resume-data')
      writeFileSync(
        sources,
        `sites:\n  - id: local\n    rate: 50\n    concurrency: 2\n    entries: [{ type: feed, url: '${server.url}/feed.xml' }]\n` +
          `    revisit: { steps: [{ until: 30d, every: 7d }] }\n`,
      )
      const first = start(['run', '--sources', sources, '--data', data])
      const reader = createArchive({ backend: sqliteBackend({ dir: data }) })
      try {
        // Kill once some captures are committed, well before the 40 pages are done.
        for (let i = 0; i < 600; i++) {
          await new Promise((r) => setTimeout(r, 50))
          if (existsSync(join(data, 'archive.sqlite')) && (await reader.stats()).captures >= 5) break
        }
        first.child.kill('SIGKILL')
        const killed = await first.done
        expect(killed.signal).toBe('SIGKILL')
        const hitsAtKill = new Map(paths.map((p) => [p, server.hits(p)]))
        const capturedAtKill = new Set<string>()
        for (const p of paths) if (await reader.getPage(`${server.url}${p}`)) capturedAtKill.add(p)
        expect(capturedAtKill.size).toBeGreaterThanOrEqual(5)
        expect(capturedAtKill.size).toBeLessThan(N)

        const second = await parkwatch('run', '--sources', sources, '--data', data)
        expect(second.code, second.stderr).toBe(0)
        // Not a terminal: one pino JSON record per event on stderr, the summary table on stdout.
        const records = second.stderr
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as { msg: string; type?: string })
        expect(records.some((r) => r.type === 'visit')).toBe(true)
        expect(second.stdout).toMatch(/new versions\s+\d+/)
        for (const p of paths) {
          const t = await reader.timeline(`${server.url}${p}`)
          // Nothing lost, nothing doubled: one capture and one version per article.
          expect(t?.captures.length, p).toBe(1)
          expect(t?.versions.length, p).toBe(1)
          const again = server.hits(p) - (hitsAtKill.get(p) ?? 0)
          // What the killed run had stored is never requested again; a page in flight at the kill is.
          if (capturedAtKill.has(p)) expect(again, p).toBe(0)
          expect(server.hits(p), p).toBeLessThanOrEqual(2)
        }
        expect((await reader.verify()).ok).toBe(true)

        // A third run right away has nothing due: every visit is done until its revisit.
        const before = paths.reduce((n, p) => n + server.hits(p), 0)
        const third = await parkwatch('run', '--sources', sources, '--data', data)
        expect(third.code).toBe(0)
        expect(paths.reduce((n, p) => n + server.hits(p), 0)).toBe(before)
        expect(third.stdout).toMatch(/visits\s+0/)
      } finally {
        first.child.kill('SIGKILL')
        await reader.close()
      }
    }, 120_000)
  })

  it('takes the fetch limits from the command line: time limit, attempts, body size', async () => {
    const big = `<html><body><p>${'园区'.repeat(4_000)}</p></body></html>`
    const server = await startFixtureServer({
      '/feed.xml': send(
        `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>${['/down', '/slow', '/big']
          .map((p) => `<item><title>${p}</title><link>/a${p}</link></item>`)
          .join('')}</channel></rss>`,
        'application/rss+xml',
      ),
      '/a/down': status(503),
      '/a/slow': delay(5_000),
      '/a/big': html(big),
    })
    try {
      const sources = join(dir, 'limits.yaml')
      const data = join(dir, 'limits-data')
      writeFileSync(
        sources,
        `sites:\n  - id: local\n    rate: 50\n    entries: [{ type: feed, url: '${server.url}/feed.xml' }]\n`,
      )
      const r = await parkwatch(
        'run',
        '--sources',
        sources,
        '--data',
        data,
        '--no-browser',
        '--attempts',
        '1',
        '--timeout-ms',
        '500',
        '--max-body-bytes',
        '4096',
      )
      expect(r.code, r.stderr).toBe(1) // every visit failed
      // One attempt: the 503 was asked for once, not retried.
      expect(server.hits('/a/down')).toBe(1)
      const archive = createArchive({ backend: sqliteBackend({ dir: data }) })
      try {
        const errorOf = async (path: string) => (await archive.timeline(`${server.url}/a${path}`))?.captures[0]?.error
        expect(await errorOf('/down')).toMatch(/^SCRAPER_HTTP_5XX: /)
        expect(await errorOf('/slow')).toMatch(/^SCRAPER_TIMEOUT: .*after 500 ms/)
        expect(await errorOf('/big')).toMatch(/^SCRAPER_BODY_TOO_LARGE: .*larger than 4096 bytes/)
      } finally {
        await archive.close()
      }
      const bad = await parkwatch('run', '--sources', sources, '--attempts', '0')
      expect(bad.code).toBe(2)
      expect(bad.stderr).toMatch(/`--attempts` to be an integer >= 1/)
    } finally {
      await server.close()
    }
  })

  it('schedule: runs passes on cron and, on SIGTERM, returns in-flight visits to the frontier', async () => {
    const server = await startFixtureServer({
      '/feed.xml': send(
        `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>${[0, 1, 2]
          .map((i) => `<item><link>/s/${i}.html</link></item>`)
          .join('')}</channel></rss>`,
        'application/rss+xml',
      ),
      // Never answers in time: the daemon is stopped while these are in flight.
      '/s/0.html': async (_req, res) => {
        await new Promise((r) => setTimeout(r, 20_000))
        res.end()
      },
    })
    const sources = join(dir, 'daemon.yaml')
    const data = join(dir, 'daemon-data')
    writeFileSync(
      sources,
      `sites:\n  - id: daemon\n    schedule: '* * * * * *'\n    entries: [{ type: feed, url: '${server.url}/feed.xml' }]\n`,
    )
    const daemon = start(['schedule', '--sources', sources, '--data', data])
    try {
      for (let i = 0; i < 400 && server.hits('/s/0.html') === 0; i++) await new Promise((r) => setTimeout(r, 50))
      expect(server.hits('/s/0.html')).toBe(1)
      daemon.child.kill('SIGTERM')
      const exit = await daemon.done
      expect(exit.code, exit.stderr).toBe(0)
      expect(exit.stderr).toMatch(/SIGTERM: stopping/)
      const frontier = openFrontier({ file: join(data, 'archive.sqlite') })
      try {
        expect((await frontier.counts(Date.now())).claimed).toBe(0)
        expect((await frontier.visits(`${server.url}/s/0.html`)).map((v) => v.state)).toEqual(['due'])
      } finally {
        await frontier.close()
      }
    } finally {
      daemon.child.kill('SIGKILL')
      await server.close()
    }
  }, 60_000)

  it('demo: scrapes the demo portal over two revisions and lists the edited articles', async () => {
    const data = join(dir, 'demo-data')
    const r = await parkwatch('demo', '--data', data, '--passes', '2')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/pass 1 \(revision 0\)/)
    expect(r.stdout).toMatch(/pass 2 \(revision 1\)/)
    const edited = Number(/articles with new versions \((\d+)\)/.exec(r.stdout)?.[1])
    expect(edited).toBeGreaterThan(0)
    expect(r.stdout.match(/^ {2}v2 {2}/gm)?.length).toBe(edited)
    expect(existsSync(join(data, 'demo-sources.yaml'))).toBe(true)
    const verify = await parkwatch('archive', 'verify', '--data', data)
    expect(verify.code, verify.stdout).toBe(0)
  }, 120_000)

  it('status: the archive and the frontier per site, as tables and as JSON', async () => {
    const data = join(dir, 'demo-data')
    const json = await parkwatch('status', '--data', data, '--json')
    expect(json.code, json.stderr).toBe(0)
    const report = JSON.parse(json.stdout) as StatusReport
    const archive = createArchive({ backend: sqliteBackend({ dir: data }) })
    try {
      expect(report.archive).toEqual(await archive.stats())
    } finally {
      await archive.close()
    }
    const frontier = openFrontier({ file: join(data, 'archive.sqlite') })
    try {
      expect(report.frontier).toEqual(await frontier.counts(Date.parse(report.at)))
      expect(report.sites).toEqual(await frontier.sites(Date.parse(report.at)))
    } finally {
      await frontier.close()
    }
    expect(report.sites.map((s) => s.site)).toContain('demo-blog')
    const text = await parkwatch('status', '--data', data)
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toMatch(new RegExp(`captures\\s+${report.archive.captures}\\n`))
    for (const site of report.sites) expect(text.stdout).toMatch(new RegExp(`^  ${site.site} +${site.urls} `, 'm'))
    const nowhere = await parkwatch('status', '--data', join(dir, 'no-such-status'))
    expect(nowhere.code).toBe(2)
    expect(existsSync(join(dir, 'no-such-status'))).toBe(false)
  })

  it('verifies the archive with exit 0', async () => {
    const data = join(dir, 'resume-data')
    const r = await parkwatch('archive', 'verify', '--data', data)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/result\s+ok/)
    expect(r.stdout).toMatch(/captures\s+40/)
  })

  it('archive verify exits 1 and lists the issue when a blob is lost', async () => {
    const data = join(dir, 'broken-data')
    const archive = createArchive({ backend: sqliteBackend({ dir: data }) })
    const { capture } = await archive.ingest(
      { url: 'http://127.0.0.1/x', status: 200, body: 'body', fetchedAt: 0 },
      null,
    )
    await archive.close()
    const hash = capture.bodyHash as string
    // The body's pack file (the only one: a single ingest appends to the main thread's pack).
    const packs = readdirSync(join(data, 'packs'))
    expect(packs).toHaveLength(1)
    rmSync(join(data, 'packs', packs[0] as string))
    const r = await parkwatch('archive', 'verify', '--data', data)
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/result\s+FAILED/)
    expect(r.stdout).toContain(`error blob-missing [${hash}]`)
    const nowhere = await parkwatch('archive', 'verify', '--data', join(dir, 'no-such-dir'))
    expect(nowhere.code).toBe(2)
    expect(nowhere.stderr).toMatch(/no archive in .*no-such-dir/)
    expect(existsSync(join(dir, 'no-such-dir'))).toBe(false)
  })
})
