import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CliIo, EXIT, main, parseArgs, toBatchEntry, UsageError } from '../src/cli.js'

const here = dirname(fileURLToPath(import.meta.url))
const repo = join(here, '..', '..', '..')
const builtCli = join(here, '..', 'dist', 'cli.js')

// A short article, written for this test, encoded as GBK by python3 with no charset declaration:
// `'<html>…'.encode('gbk').hex()`. The CLI must sniff the encoding from the bytes alone.
const GBK_PAGE_HEX = [
  '3c68746d6c3e3c686561643e3c7469746c653ed4b0c7f8b7a2b2bcc8cbb9a4d6c7c4dcd0c2d5fe5fb2e2cad4cdf83c2f7469746c653e3c',
  '2f686561643e3c626f64793e3c68313ed4b0c7f8b7a2b2bcc8cbb9a4d6c7c4dcd0c2d5fe3c2f68313e3c64697620636c6173733d226172',
  '7469636c65223e3c703ecbd5d6ddb9a4d2b5d4b0c7f8bdfcc8d5b7a2b2bcc8cbb9a4d6c7c4dcb2fad2b5b7a2d5b9d0c2d5feb2dfa3acd6',
  'a7b3d6c6f3d2b5bfaad5b9b4f3c4a3d0cdd1d0b7a2d3ebd3a6d3c3a3accdc6b6afcbe3c1a6bbf9b4a1c9e8caa9bda8c9e8a3acc1a6d5f9',
  'c8fdc4eac4dad0ceb3c9c7a7d2dabcb6b2fad2b5bcafc8baa1a33c2f703e3c703ed0c2d5feb2dfcce1b3f6a3acb6d4d4dad4b0c7f8c2e4',
  'bba7b5c4c8cbb9a4d6c7c4dcc6f3d2b5b8f8d3e8d7e2bdf0b2b9ccf9bacdd1d0b7a2bdb1c0f8a3acb6d4bfaab7c5d3a6d3c3b3a1beb0b5',
  'c4b5a5cebbb8f8d3e8d7a8cfeed6a7b3d6a3acb2a2c9e8c1a2b9e6c4a3cee5caaed2dad4aab5c4b2fad2b5bbf9bdf0a1a33c2f703e3c70',
  '3ed4b0c7f8cfe0b9d8b8bad4f0c8cbb1edcabea3acc8cbb9a4d6c7c4dccac7ceb4c0b4b9fabccabebad5f9b5c4bdb9b5e3a3acd4b0c7f8',
  'bdabbce1b3d6b4b4d0c2d2fdc1eca3acb3d6d0f8d3c5bbafb2fad2b5c9faccaca3accefcd2fdb8fcb6e0d3c5d0e3c6f3d2b5bacdc8cbb2',
  'c5bcafbedbb7a2d5b9a1a33c2f703e3c2f6469763e3c2f626f64793e3c2f68746d6c3e',
].join('')
const bytes = (hex: string): Buffer => Buffer.from(hex, 'hex')

/** The same page as UTF-8, decoded here with the platform decoder (not ours). */
const utf8Page = (): string => new TextDecoder('gbk').decode(bytes(GBK_PAGE_HEX))

function fakeIo(stdin = ''): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (s: string) => {
      io.out += s
    },
    stderr: (s: string) => {
      io.err += s
    },
    readStdin: async () => new TextEncoder().encode(stdin),
  }
  return io
}

describe('parseArgs', () => {
  it('reads single-file and batch commands', () => {
    expect(parseArgs(['a.html', '--url', 'https://x.cn/a', '--format', 'markdown'])).toEqual({
      mode: 'single',
      file: 'a.html',
      url: 'https://x.cn/a',
      format: 'markdown',
      charset: null,
    })
    expect(parseArgs([])).toMatchObject({ mode: 'single', file: null, format: 'json' })
    expect(parseArgs(['-'])).toMatchObject({ mode: 'single', file: null })
    expect(parseArgs(['batch', 'dir', '--strict'])).toEqual({ mode: 'batch', dir: 'dir', charset: null, strict: true })
    expect(parseArgs(['x', '--help'])).toEqual({ mode: 'help' })
  })

  it.each([
    [['--format', 'xml']],
    [['--url']],
    [['--bogus']],
    [['batch']],
    [['a.html', 'b.html']],
    [['batch', 'dir', '--url', 'https://x.cn']],
  ])('rejects %j', (argv) => {
    expect(() => parseArgs(argv)).toThrow(UsageError)
  })
})

describe('main (in process)', () => {
  it('prints help with exit 0', async () => {
    const io = fakeIo()
    expect(await main(['--help'], io)).toBe(EXIT.ok)
    expect(io.out).toContain('parkwatch-extract batch DIR')
  })

  it('exits 2 with a clear message on a usage error', async () => {
    const io = fakeIo()
    expect(await main(['--format', 'xml'], io)).toBe(EXIT.usage)
    expect(io.err).toContain('Expected `--format` to be json, text or markdown, got `xml`')
    expect(io.out).toBe('')
  })

  it('exits 1 when the file cannot be read', async () => {
    const io = fakeIo()
    expect(await main(['/nonexistent/page.html'], io)).toBe(EXIT.failure)
    expect(io.err).toContain('/nonexistent/page.html')
  })

  it('reads stdin and prints JSON with the decode info', async () => {
    const io = fakeIo(utf8Page())
    expect(await main(['-'], io)).toBe(EXIT.ok)
    const result = JSON.parse(io.out)
    expect(result.decode).toMatchObject({ charset: 'utf-8' })
    expect(['article', 'not-article']).toContain(result.type)
  })

  it('exits 3 for a not-article in text format', async () => {
    const io = fakeIo('<html><body></body></html>')
    expect(await main(['--format', 'text'], io)).toBe(EXIT.notArticle)
    expect(io.err).toContain('not an article')
  })

  it('maps a not-article to an empty articleBody', () => {
    const entry = toBatchEntry({
      type: 'not-article',
      url: null,
      reason: 'empty',
      message: 'm',
      title: 'T',
      decode: null,
    })
    expect(entry).toEqual({ articleBody: '', title: 'T', publishedAt: null, byline: [], lang: null })
  })
})

describe('the built CLI', () => {
  let dir = ''

  beforeAll(() => {
    // The root script builds dist/ when it is missing or stale, exactly as `pnpm extract` does.
    const r = spawnSync(process.execPath, [join(repo, 'scripts', 'extract.mjs'), '--help'], { encoding: 'utf8' })
    expect(r.status).toBe(0)
    dir = mkdtempSync(join(tmpdir(), 'parkwatch-cli-'))
    writeFileSync(join(dir, 'gbk-page.html'), bytes(GBK_PAGE_HEX))
    writeFileSync(join(dir, 'gz-page.html.gz'), gzipSync(bytes(GBK_PAGE_HEX)))
    writeFileSync(join(dir, 'broken.html.gz'), 'this is not gzip')
    writeFileSync(join(dir, 'notes.txt'), 'not a page')
  }, 240_000)

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('prints one JSON object for a directory and keeps going past a bad file', () => {
    const r = spawnSync(process.execPath, [builtCli, 'batch', dir], { encoding: 'utf8' })
    expect(r.status).toBe(EXIT.ok)
    const out = JSON.parse(r.stdout) as Record<
      string,
      { articleBody: string; title: string | null; lang: string | null }
    >
    expect(Object.keys(out).sort()).toEqual(['gbk-page', 'gz-page'])
    expect(r.stderr).toContain('broken.html.gz')
    // Undeclared GBK was sniffed, and the gzipped copy gave the same answer.
    expect(out['gbk-page']?.articleBody).toContain('苏州工业园区近日发布人工智能产业发展新政策')
    expect(out['gbk-page']?.title).toBe('园区发布人工智能新政')
    expect(out['gbk-page']?.lang).toBe('zh-Hans')
    expect(out['gz-page']).toEqual(out['gbk-page'])
  })

  it('exits 1 in --strict mode when a file failed', () => {
    const r = spawnSync(process.execPath, [builtCli, 'batch', dir, '--strict'], { encoding: 'utf8' })
    expect(r.status).toBe(EXIT.failure)
    expect(JSON.parse(r.stdout)).toHaveProperty('gbk-page')
  })

  it('renders one file as Markdown', () => {
    const r = spawnSync(process.execPath, [builtCli, join(dir, 'gbk-page.html'), '--format', 'markdown'], {
      encoding: 'utf8',
    })
    expect(r.status).toBe(EXIT.ok)
    expect(r.stdout.startsWith('# 园区发布人工智能新政\n')).toBe(true)
    expect(r.stdout).toContain('园区相关负责人表示')
  })

  it('exits 2 on a usage error', () => {
    const r = spawnSync(process.execPath, [builtCli, '--format'], { encoding: 'utf8' })
    expect(r.status).toBe(EXIT.usage)
    expect(r.stderr).toContain('--format needs a value')
  })

  it('is marked executable for node', () => {
    expect(readFileSync(builtCli, 'utf8').startsWith('#!/usr/bin/env node')).toBe(true)
  })
})
