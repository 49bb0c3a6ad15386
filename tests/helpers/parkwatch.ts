/**
 * Helpers for end-to-end tests that use parkwatch the way a user does: the built `parkwatch` command as a
 * child process (`node packages/cli/dist/cli.js run --sources FILE --data DIR`), sources files written to a
 * temporary folder, and the archive opened read-back afterwards. Pages are built here so every test serves
 * an article the extractor accepts.
 *
 * @example
 * ```ts
 * const work = tempDir('pw-e2e-')
 * const sources = work.write('sources.yaml', sourcesYaml([{ id: 'local', entries: [feed(`${server.url}/feed.xml`)] }]))
 * const run = await parkwatch('run', '--sources', sources, '--data', work.path('data'))
 * expect(run.code, run.stderr).toBe(0)
 * ```
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root. */
export const ROOT: string = fileURLToPath(new URL('../..', import.meta.url))

/** The built `parkwatch` command. */
export const CLI: string = join(ROOT, 'packages', 'cli', 'dist', 'cli.js')

/** How a `parkwatch` child process ended. */
export interface CliExit {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** A started `parkwatch` child process. */
export interface CliProcess {
  child: ChildProcess
  /** Resolves when the process has exited and its output is closed. */
  done: Promise<CliExit>
}

/**
 * Build the workspace when the `parkwatch` command has not been built yet (CI builds before testing; this
 * keeps a fresh checkout's `npx vitest run tests` working). turbo's cache makes a second call cheap.
 */
export function ensureBuilt(): void {
  const entries = ['cli', 'archive', 'scraper', 'extractor', 'demo-portal'].map((p) =>
    join(ROOT, 'packages', p, 'dist', 'index.js'),
  )
  if (existsSync(CLI) && entries.every((file) => existsSync(file))) return
  execFileSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], { cwd: ROOT, stdio: 'ignore' })
}

/** Start `parkwatch ...args`; stdout and stderr are collected (not a terminal, so logs are JSON lines). */
export function startCli(args: readonly string[], env: NodeJS.ProcessEnv = {}, cwd: string = ROOT): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const done = new Promise<CliExit>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
  return { child, done }
}

/** Run `parkwatch ...args` to the end. */
export function parkwatch(...args: string[]): Promise<CliExit> {
  return startCli(args).done
}

/** One pino record of the command's stderr. */
export interface LogRecord {
  level: number
  msg: string
  type?: string
  site?: string
  url?: string
  outcome?: string
  detail?: string | null
  kind?: string
  [field: string]: unknown
}

/** The JSON log records of a run's stderr (lines that are not JSON are ignored). */
export function logRecords(stderr: string): LogRecord[] {
  const out: LogRecord[] = []
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue
    try {
      out.push(JSON.parse(line) as LogRecord)
    } catch {
      // a partial line of a killed process
    }
  }
  return out
}

/** A summary-table figure from `parkwatch run`'s stdout, e.g. `summaryFigure(out, 'new versions')`. */
export function summaryFigure(stdout: string, label: string): number {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const m = new RegExp(`^\\s*${escaped}\\s+(\\d+)`, 'm').exec(stdout)
  if (!m) throw new Error(`no \`${label}\` row in the summary:\n${stdout}`)
  return Number(m[1])
}

/** A temporary folder removed by `cleanup()`. */
export interface TempDir {
  root: string
  /** An absolute path inside the folder. */
  path(...parts: string[]): string
  /** Write a file inside the folder and return its absolute path. */
  write(name: string, text: string): string
  cleanup(): void
}

/** Create a temporary folder under the OS temp dir. */
export function tempDir(prefix = 'pw-e2e-'): TempDir {
  const root = mkdtempSync(join(tmpdir(), prefix))
  return {
    root,
    path: (...parts) => join(root, ...parts),
    write(name, text) {
      const file = join(root, name)
      writeFileSync(file, text)
      return file
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  }
}

/** A site of a generated sources file; any other field of the schema may be added as YAML text. */
export interface SiteSpec {
  id: string
  entries: Array<{ type: 'feed' | 'sitemap'; url: string }>
  render?: 'http' | 'browser' | 'auto'
  rate?: number
  concurrency?: number
  /** Revisit every this long (`1ms` makes every known page due again on the next run). @default '7d' */
  every?: string
}

/** A sources file for `sites`, in the scraper's schema. */
export function sourcesYaml(sites: readonly SiteSpec[]): string {
  const lines = ['version: 1', 'sites:']
  for (const site of sites) {
    lines.push(`  - id: ${site.id}`)
    if (site.render) lines.push(`    render: ${site.render}`)
    lines.push(`    rate: ${site.rate ?? 50}`)
    lines.push(`    concurrency: ${site.concurrency ?? 2}`)
    lines.push(`    revisit: { steps: [{ until: 30d, every: ${site.every ?? '7d'} }] }`)
    lines.push('    entries:')
    for (const entry of site.entries) lines.push(`      - { type: ${entry.type}, url: '${entry.url}' }`)
  }
  return `${lines.join('\n')}\n`
}

/** An RSS 2.0 feed linking `items` (paths resolve against the feed's URL). */
export function rssFeed(items: ReadonlyArray<string | { link: string; title?: string; date?: Date }>): string {
  const body = items
    .map((item) => (typeof item === 'string' ? { link: item } : item))
    .map(
      (item) =>
        `<item><title>${item.title ?? item.link}</title><link>${item.link}</link>` +
        `${item.date ? `<pubDate>${item.date.toUTCString()}</pubDate>` : ''}</item>`,
    )
    .join('')
  return `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>feed</title>${body}</channel></rss>`
}

/** Default paragraphs of `articleHtml`: long enough for the extractor, about the park. */
export const PARAGRAPHS: readonly string[] = [
  '苏州工业园区今天举行新闻发布会，介绍园区人工智能和生物医药产业的最新进展，多家企业代表参加了会议。',
  '会上发布了新一批应用场景，园区将继续加大对创新企业的支持力度，推动产业集群加快发展，打造一流营商环境。',
  '与会人员表示，园区将继续推进重点项目建设，加快纳米技术和集成电路领域的产业创新，服务企业高质量发展。',
]

/**
 * A server-rendered news article page. `head` is inserted first in `<head>` (a `<meta charset>`), so a
 * charset declaration stays inside the prescan window. The furniture is ASCII, so any charset encodes it.
 */
export function articleHtml(title: string, paragraphs: readonly string[] = PARAGRAPHS, head = ''): string {
  return (
    `<!doctype html><html><head>${head}<title>${title}</title></head><body>` +
    '<nav><a href="/">Home</a> <a href="/news/">News</a></nav>' +
    `<article><h1>${title}</h1>${paragraphs.map((p) => `<p>${p}</p>`).join('')}</article>` +
    '<footer>Copyright</footer></body></html>'
  )
}

/** Gaps in ms between consecutive times (e.g. the arrival times of one host's requests). */
export function gaps(times: readonly number[]): number[] {
  const sorted = [...times].sort((a, b) => a - b)
  return sorted.slice(1).map((t, i) => t - (sorted[i] as number))
}

/**
 * Check that request arrival `times` (ms, one host) respect a minimum spacing of `intervalMs` between
 * request starts. Arrival times carry the client's jitter (a new socket on one request, a reused one on
 * the next, a busy event loop), so one gap may come in short by that much while the average cannot: the
 * whole span must hold every interval, and no single gap may fall below `minShare` of one. A missing or
 * broken limiter fails both (its gaps are a few ms).
 */
export function spacingProblems(times: readonly number[], intervalMs: number, minShare = 0.5): string[] {
  const g = gaps(times)
  const problems: string[] = []
  const span = g.reduce((a, b) => a + b, 0)
  // The first and the last arrival may each be off by the jitter: a quarter interval plus timer granularity.
  const slack = intervalMs / 4 + 20
  if (span < g.length * intervalMs - slack) {
    problems.push(`span ${span.toFixed(0)} ms < ${g.length} x ${intervalMs} ms - ${slack} ms`)
  }
  for (const gap of g) {
    if (gap < intervalMs * minShare) problems.push(`gap ${gap.toFixed(0)} ms < ${minShare} x ${intervalMs} ms`)
  }
  return problems
}
