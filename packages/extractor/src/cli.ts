#!/usr/bin/env node
/**
 * @file `parkwatch-extract`: the extractor on the command line. One page to JSON, text or Markdown, or
 * a whole directory of saved pages to one JSON object (the benchmark's prediction format). Only `node:`
 * modules besides the extractor itself.
 */
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import { type DecodedHtml, decodeHtml } from './decode.js'
import { extract } from './extract.js'
import type { Article, ExtractResult } from './types.js'

/** Output formats of the single-file mode. */
export type OutputFormat = 'json' | 'text' | 'markdown'

/** A parsed command line. */
export type Command =
  | { mode: 'help' }
  | { mode: 'single'; file: string | null; url: string | null; format: OutputFormat; charset: string | null }
  | { mode: 'batch'; dir: string; charset: string | null }

/** What `main` writes to and reads from; the real process streams by default, buffers in tests. */
export interface CliIo {
  stdout: (s: string) => void
  stderr: (s: string) => void
  readStdin: () => Promise<Uint8Array>
}

/** One page in the batch output: what the benchmark scorer reads, plus a few fields for eyeballing. */
export interface BatchEntry {
  /** Paragraph texts joined by a blank line; `""` for a page that is not an article. */
  articleBody: string
  title: string | null
  publishedAt: string | null
  byline: string[]
  lang: string | null
}

/** Exit codes: 0 success, 1 a file could not be read or decoded, 2 usage error, 3 not an article (text/markdown). */
export const EXIT = { ok: 0, failure: 1, usage: 2, notArticle: 3 } as const

/** The `--help` text. */
export const USAGE = `Usage:
  parkwatch-extract [FILE] [--url URL] [--format json|text|markdown] [--charset LABEL]
  parkwatch-extract batch DIR [--charset LABEL] [--strict]

FILE is an HTML file (.gz is gunzipped); "-" or no FILE reads stdin.
batch prints ONE JSON object mapping each file id (the name without .html/.htm/.gz) to
{articleBody, title, publishedAt, byline, lang}; a file that fails is reported on stderr and skipped.

Options:
  --url URL        the page URL, to resolve links and the canonical URL
  --format FMT     json (default), text or markdown
  --charset LABEL  force this charset instead of sniffing (e.g. gbk, big5)
  --strict         batch: exit 1 when any file failed
  -h, --help       show this help

Exit codes: 0 ok, 1 a file could not be read, 2 usage error, 3 not an article (text/markdown).`

/** A command-line mistake; `main` prints it with the usage hint and exits 2. */
export class UsageError extends Error {
  readonly code = 'EXTRACTOR_CLI_USAGE'
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

/**
 * Parse the arguments (without `node` and the script path).
 * @throws {UsageError} on an unknown option, a missing value, or a bad `--format`.
 */
export function parseArgs(argv: readonly string[]): Command & { strict?: boolean } {
  const positional: string[] = []
  let url: string | null = null
  let format: OutputFormat = 'json'
  let charset: string | null = null
  let strict = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? ''
    const value = (): string => {
      const v = argv[++i]
      if (v === undefined || (v.startsWith('--') && v.length > 2)) throw new UsageError(`${arg} needs a value`)
      return v
    }
    if (arg === '-h' || arg === '--help') return { mode: 'help' }
    else if (arg === '--url') url = value()
    else if (arg === '--charset') charset = value()
    else if (arg === '--strict') strict = true
    else if (arg === '--format') {
      const v = value()
      if (v !== 'json' && v !== 'text' && v !== 'markdown') {
        throw new UsageError(`Expected \`--format\` to be json, text or markdown, got \`${v}\``)
      }
      format = v
    } else if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${arg}`)
    else positional.push(arg)
  }
  if (positional[0] === 'batch') {
    if (positional.length !== 2 || !positional[1]) throw new UsageError('batch needs exactly one DIR')
    if (url) throw new UsageError('--url does not apply to batch')
    return { mode: 'batch', dir: positional[1], charset, strict }
  }
  if (positional.length > 1) throw new UsageError(`expected one FILE, got ${positional.length}`)
  const file = positional[0] && positional[0] !== '-' ? positional[0] : null
  return { mode: 'single', file, url, format, charset }
}

/**
 * Run the CLI; resolves to the exit code.
 * @example `process.exitCode = await main(process.argv.slice(2))`
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let command: ReturnType<typeof parseArgs>
  try {
    command = parseArgs(argv)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    io.stderr(`parkwatch-extract: ${error.message}\nRun parkwatch-extract --help for usage.\n`)
    return EXIT.usage
  }
  if (command.mode === 'help') {
    io.stdout(`${USAGE}\n`)
    return EXIT.ok
  }
  if (command.mode === 'batch') return runBatch(command.dir, command.charset, command.strict ?? false, io)

  let decoded: DecodedHtml
  try {
    const bytes = command.file ? readPage(command.file) : await io.readStdin()
    decoded = decodeHtml(bytes, { charset: command.charset })
  } catch (error) {
    io.stderr(`parkwatch-extract: ${command.file ?? 'stdin'}: ${message(error)}\n`)
    return EXIT.failure
  }
  const result = withDecode(extract(decoded.text, { url: command.url }), decoded)
  if (command.format === 'json') {
    io.stdout(`${JSON.stringify(result, null, 2)}\n`)
    return EXIT.ok
  }
  if (result.type !== 'article') {
    io.stderr(`parkwatch-extract: not an article (${result.reason}): ${result.message}\n`)
    return EXIT.notArticle
  }
  io.stdout(command.format === 'text' ? toText(result) : toMarkdown(result))
  return EXIT.ok
}

/** The batch-output entry for one extraction result. */
export function toBatchEntry(result: ExtractResult): BatchEntry {
  if (result.type !== 'article') {
    return { articleBody: '', title: result.title, publishedAt: null, byline: [], lang: null }
  }
  return {
    articleBody: result.paragraphs.map((p) => p.text).join('\n\n'),
    title: result.title,
    publishedAt: result.publishedAt,
    byline: result.byline,
    lang: result.lang,
  }
}

/** Plain text: title, a credits line, then the paragraphs. */
export function toText(a: Article): string {
  const credits = [a.publishedAt, a.byline.join(', '), a.source].filter(Boolean).join(' | ')
  return `${[a.title, credits, ...a.paragraphs.map((p) => p.text)].filter(Boolean).join('\n\n')}\n`
}

/** Markdown: `#` title, an italic credits line, headings, list items and quotes as Markdown. */
export function toMarkdown(a: Article): string {
  const credits = [
    a.byline.length ? `By ${a.byline.join(', ')}` : '',
    a.publishedAt ?? '',
    a.source ? `Source: ${a.source}` : '',
  ]
    .filter(Boolean)
    .join(' · ')
  const blocks = a.paragraphs.map((p) => {
    if (p.kind === 'heading') return `${'#'.repeat(Math.min(6, Math.max(2, p.level ?? 2)))} ${p.text}`
    if (p.kind === 'list-item') return `- ${p.text}`
    if (p.kind === 'quote') return `> ${p.text}`
    if (p.kind === 'code') return `\`\`\`\n${p.text}\n\`\`\``
    if (p.kind === 'caption') return `*${p.text}*`
    return p.text
  })
  return `${[`# ${a.title}`, credits ? `*${credits}*` : '', ...blocks].filter(Boolean).join('\n\n')}\n`
}

// --- Internal helpers ---

const PAGE_EXT = /\.(?:html?|xhtml)(?:\.gz)?$/i

function runBatch(dir: string, charset: string | null, strict: boolean, io: CliIo): number {
  let names: string[]
  try {
    names = readdirSync(dir)
      .filter((n) => PAGE_EXT.test(n))
      .sort()
  } catch (error) {
    io.stderr(`parkwatch-extract: ${dir}: ${message(error)}\n`)
    return EXIT.failure
  }
  const out: Record<string, BatchEntry> = {}
  let failed = 0
  for (const name of names) {
    try {
      const decoded = decodeHtml(readPage(join(dir, name)), { charset })
      out[name.replace(PAGE_EXT, '')] = toBatchEntry(extract(decoded.text, {}))
    } catch (error) {
      // One broken file (bad gzip, unreadable) must not cost the whole run its output.
      failed++
      io.stderr(`parkwatch-extract: ${name}: ${message(error)}\n`)
    }
  }
  io.stdout(`${JSON.stringify(out)}\n`)
  if (failed) io.stderr(`parkwatch-extract: ${failed} of ${names.length} files failed\n`)
  return strict && failed ? EXIT.failure : EXIT.ok
}

/** Raw bytes of a page file; `.gz` is gunzipped. Never decoded here: the sniffing decoder does that. */
function readPage(file: string): Uint8Array {
  if (statSync(file).isDirectory()) throw new Error('is a directory')
  const raw = readFileSync(file)
  return file.toLowerCase().endsWith('.gz') ? gunzipSync(raw) : raw
}

function withDecode(result: ExtractResult, decoded: DecodedHtml): ExtractResult {
  const { text: _text, ...info } = decoded
  return { ...result, decode: result.decode ?? info }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function processIo(): CliIo {
  return {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    readStdin: async () => {
      const chunks: Buffer[] = []
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
      return Buffer.concat(chunks)
    },
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1]
  if (!script) return false
  try {
    // pnpm's bin shims and symlinked installs call us through another path.
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (error: unknown) => {
      process.stderr.write(
        `parkwatch-extract: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      )
      process.exitCode = EXIT.failure
    },
  )
}
