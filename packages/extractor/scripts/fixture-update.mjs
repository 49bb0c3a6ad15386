#!/usr/bin/env node
/**
 * Compare what the built extractor makes of each golden page with the hand-written `expected.json`, and
 * optionally write the extractor's answer to `actual.json` next to it for a side-by-side diff.
 *
 * It never writes `expected.json`: golden outputs are written by hand from the page's README, and an
 * "update snapshot" button would quietly turn bugs into expectations.
 *
 * Usage (build first, the script reads `dist/`):
 *   pnpm --filter @parkwatch/extractor build
 *   node packages/extractor/scripts/fixture-update.mjs [slug ...] [--write-actual]
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const PAGES_DIR = fileURLToPath(new URL('../test/pages/', import.meta.url))
const FIELDS = [
  'title',
  'byline',
  'editors',
  'source',
  'publishedAt',
  'lang',
  'mentionsPark',
  'siteName',
  'canonicalUrl',
]

const args = process.argv.slice(2)
const writeActual = args.includes('--write-actual')
const wanted = args.filter((a) => !a.startsWith('--'))

// Imported lazily so a missing build gives a clear message instead of a module-resolution stack trace.
let extract
try {
  ;({ extract } = await import('../dist/index.js'))
} catch (error) {
  console.error('Cannot load ../dist/index.js; run `pnpm --filter @parkwatch/extractor build` first.')
  console.error(String(error))
  process.exit(2)
}

const slugs = readdirSync(PAGES_DIR, { withFileTypes: true })
  .filter((e) => e.isDirectory() && (wanted.length === 0 || wanted.includes(e.name)))
  .map((e) => e.name)
  .sort()

let failures = 0
for (const slug of slugs) {
  const dir = join(PAGES_DIR, slug)
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'))
  const result = extract(new Uint8Array(readFileSync(join(dir, 'source.html'))), { url: expected.url })
  const actual = toExpectedShape(result)
  if (writeActual) writeFileSync(join(dir, 'actual.json'), `${JSON.stringify(actual, null, 2)}\n`)

  const diffs = []
  if (result.type !== 'article') diffs.push(`not an article: ${result.reason} (${result.message})`)
  for (const field of FIELDS) {
    // Optional fields are only compared when the fixture states them (as pages.test.ts does).
    if (!(field in expected)) continue
    if (JSON.stringify(actual[field]) !== JSON.stringify(expected[field])) {
      diffs.push(`${field}: expected ${JSON.stringify(expected[field])}, got ${JSON.stringify(actual[field])}`)
    }
  }
  const want = [...expected.industries].sort().join(',')
  const got = [...(actual.industries ?? [])].sort().join(',')
  if (want !== got) diffs.push(`industries: expected [${want}], got [${got}]`)
  diffs.push(...blockDiffs(expected.paragraphs, actual.paragraphs ?? []))

  failures += diffs.length > 0 ? 1 : 0
  console.log(`${diffs.length === 0 ? 'ok  ' : 'FAIL'} ${slug}`)
  for (const d of diffs) console.log(`     ${d}`)
}
process.exit(failures > 0 ? 1 : 0)

// --- Internal helpers ---

function toExpectedShape(result) {
  if (result.type !== 'article') return { url: result.url, title: result.title, paragraphs: [], industries: [] }
  return {
    url: result.url,
    title: result.title,
    paragraphs: result.paragraphs.map(({ kind, text }) => ({ kind, text })),
    byline: result.byline,
    editors: result.editors,
    source: result.source,
    publishedAt: result.publishedAt,
    lang: result.lang,
    industries: result.industries.map((m) => m.industry),
    mentionsPark: result.mentionsPark,
    siteName: result.siteName,
    canonicalUrl: result.canonicalUrl,
  }
}

/** Block-level summary: count, then the first few mismatching positions, shortened to stay readable. */
function blockDiffs(expected, actual) {
  const out = []
  if (expected.length !== actual.length) out.push(`blocks: expected ${expected.length}, got ${actual.length}`)
  const n = Math.max(expected.length, actual.length)
  for (let i = 0; i < n && out.length < 6; i++) {
    const e = expected[i]
    const a = actual[i]
    if (e?.kind === a?.kind && e?.text === a?.text) continue
    out.push(`block ${i}: expected ${show(e)}, got ${show(a)}`)
  }
  return out
}

function show(block) {
  if (block === undefined) return '(none)'
  const text = block.text.length > 40 ? `${block.text.slice(0, 40)}…` : block.text
  return `${block.kind} "${text}"`
}
