import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createArchive, exportWarc, sqliteBackend } from '@parkwatch/archive'
import { afterAll, describe, expect, it } from 'vitest'
import { main } from '../src/cli.js'
import { importProgress } from '../src/commands-archive.js'
import { emptyImportSummary } from '../src/warc-import.js'

const dir = mkdtempSync(join(tmpdir(), 'pw-archive-cmd-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A stream that keeps what is written; a terminal when `tty`. */
function sink(tty: boolean): { write(s: string): boolean; isTTY: boolean; text: () => string } {
  let text = ''
  return {
    isTTY: tty,
    write(s: string) {
      text += s
      return true
    },
    text: () => text,
  }
}

describe('archive import on a terminal', () => {
  it('formats its progress line from the running summary', () => {
    const summary = { ...emptyImportSummary(), captures: 120, imported: 100, newVersions: 40, alreadyThere: 20 }
    expect(importProgress(summary, 'crawl.warc.gz (1/2)')).toBe(
      'captures 120 · imported 100 · new versions 40 · already there 20  crawl.warc.gz (1/2)',
    )
  })

  it('erases its progress line before the summary table', async () => {
    const source = join(dir, 'source')
    const archive = createArchive({ backend: sqliteBackend({ dir: source }) })
    const items = []
    try {
      for (let i = 0; i < 3; i++) {
        const r = await archive.ingest(
          { url: `http://news.example.cn/${i}.html`, status: 200, body: `<p>苏州工业园区 ${i}</p>`, fetchedAt: i },
          null,
        )
        items.push({ capture: r.capture, body: await archive.getBody(r.capture.id) })
      }
    } finally {
      await archive.close()
    }
    const chunks: Uint8Array[] = []
    for await (const chunk of exportWarc(items)) chunks.push(chunk)
    const file = join(dir, 'three.warc.gz')
    writeFileSync(file, Buffer.concat(chunks))
    const out = sink(false)
    const err = sink(true)
    expect(await main(['archive', 'import', file, '--data', join(dir, 'copy')], { out, err })).toBe(0)
    expect(out.text()).toMatch(/imported\s+3\n/)
    // Whatever was drawn meanwhile, the line is cleared at the end and nothing else is left on stderr.
    expect(err.text().endsWith('\r\x1b[K')).toBe(true)
    const parts = err.text().split('\r\x1b[K')
    expect(parts[0]).toBe('')
    for (const part of parts) expect(part).not.toContain('\n')
  })
})
