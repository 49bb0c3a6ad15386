// Viewer benchmark: server time (in-process `app.request`, no sockets) of the home page, a timeline of
// 1,000 captures and the diff of two 20,000-character versions, on a SQLite archive of N captures, plus
// the page weight of the diff screen. Needs the built packages (`npx turbo run build --filter=@parkwatch/viewer...`).
// Usage: node apps/viewer/bench/run.mjs [--captures 100000] [--runs 40]
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createArchive, sqliteBackend } from '@parkwatch/archive'
import { createViewer } from '../dist/index.js'

const { values } = parseArgs({ options: { captures: { type: 'string' }, runs: { type: 'string' } } })
const CAPTURES = Number(values.captures ?? 20_000)
const RUNS = Number(values.runs ?? 40)
const WORDS = [
  '苏州工业园区',
  '生物医药',
  '纳米技术',
  '人工智能',
  '集成电路',
  '半导体',
  '创新药',
  '企业',
  '项目',
  '签约',
  '投资',
  '研发',
  '人才',
  '政策',
  '亿元',
  '芯片',
  '金鸡湖',
  '独墅湖',
  '招商',
  '落户',
]
const INDUSTRIES = ['biomedicine', 'nanotech', 'ai', 'semiconductors']

let seed = 42
const rand = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
  return seed / 2_147_483_648
}
const sentence = (n) => `${Array.from({ length: n }, () => WORDS[Math.floor(rand() * WORDS.length)]).join('')}。`
const article = (title, paragraphs, industry) => {
  const text = paragraphs.join('\n\n')
  return {
    type: 'article',
    url: null,
    title,
    paragraphs: paragraphs.map((t) => ({ kind: 'paragraph', text: t })),
    text,
    html: '',
    images: [],
    byline: ['记者'],
    editors: [],
    source: null,
    siteName: null,
    publishedAt: '2026-01-01T09:00:00+08:00',
    modifiedAt: null,
    lang: 'zh-Hans',
    canonicalUrl: null,
    description: null,
    industries: [{ industry, score: 1, evidence: [] }],
    mentionsPark: true,
    wordCount: text.length,
    decode: null,
  }
}
const t0 = Date.parse('2026-01-01T00:00:00Z')
const at = (i) => new Date(t0 + i * 60_000).toISOString()

const dir = mkdtempSync(join(tmpdir(), 'pw-viewer-bench-'))
const archive = createArchive({ backend: sqliteBackend({ dir }) })
try {
  const started = Date.now()
  const items = []
  const flush = async (force = false) => {
    if (items.length >= 500 || (force && items.length > 0)) await archive.ingestMany(items.splice(0))
  }
  // A page with 1,000 captures and 50 versions.
  const tlUrl = 'https://bench.example/timeline.html'
  let tlArticle = article('时间线测试', [sentence(30), sentence(30)], 'ai')
  for (let i = 0; i < 1000; i++) {
    if (i % 20 === 0) tlArticle = article('时间线测试', [sentence(30), sentence(30), `第${i}次修改`], 'ai')
    items.push({ capture: { url: tlUrl, status: 200, fetchedAt: at(i) }, article: tlArticle })
    await flush()
  }
  // A page with two 20,000-character versions: 100 paragraphs, 10 edited, 2 moved, 1 removed, 1 added.
  const bigUrl = 'https://bench.example/big.html'
  const paras = Array.from({ length: 100 }, () => sentence(40).slice(0, 200))
  const edited = paras.map((p, i) => (i % 10 === 3 ? p.slice(0, 80) + sentence(3) + p.slice(100) : p))
  edited.splice(50, 1)
  edited.push(sentence(30))
  const moved = edited.splice(10, 2)
  edited.splice(70, 0, ...moved)
  items.push({ capture: { url: bigUrl, status: 200, fetchedAt: at(1) }, article: article('长文', paras, 'nanotech') })
  items.push({ capture: { url: bigUrl, status: 200, fetchedAt: at(2) }, article: article('长文', edited, 'nanotech') })
  // The rest: pages of 20 captures each, 10% of re-captures changing content.
  const rest = Math.max(0, CAPTURES - 1002)
  const pages = Math.max(1, Math.floor(rest / 20))
  const current = []
  for (let i = 0; i < rest; i++) {
    const p = i % pages
    if (current[p] === undefined || rand() < 0.1) {
      current[p] = article(`${sentence(3)}${p}`, [sentence(20), sentence(20), sentence(20)], INDUSTRIES[p % 4])
    }
    items.push({
      capture: { url: `https://site${p % 5}.example/a/${p}.html`, status: 200, fetchedAt: at(1000 + i) },
      article: current[p],
    })
    await flush()
  }
  await flush(true)
  const stats = await archive.stats()
  console.log(
    `archive: ${stats.pages} pages, ${stats.captures} captures, ${stats.versions} versions in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  )

  const app = createViewer({ archive })
  const measure = async (name, path) => {
    const times = []
    let bytes = 0
    for (let i = 0; i < RUNS + 3; i++) {
      const t = process.hrtime.bigint()
      const res = await app.request(path)
      const body = await res.text()
      if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}`)
      if (i >= 3) times.push(Number(process.hrtime.bigint() - t) / 1e6)
      bytes = Buffer.byteLength(body)
    }
    times.sort((a, b) => a - b)
    const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(1)
    console.log(`| ${name} | ${q(0.5)} | ${q(0.95)} | ${bytes.toLocaleString('en')} |`)
  }
  console.log('| screen | p50 ms | p95 ms | HTML bytes |\n| --- | --- | --- | --- |')
  // Nothing is cached in the viewer: every home page runs the list, the count and the facet query.
  await measure('home `/`', '/')
  await measure('home, filtered `/?minVersions=2&industry=ai`', '/?minVersions=2&industry=ai')
  await measure('`/api/pages?minVersions=3`', '/api/pages?minVersions=3')
  await measure('timeline, 1,000 captures (all listed)', `/page?url=${encodeURIComponent(tlUrl)}&captures=all`)
  await measure('diff, two 20,000-char versions', `/diff?url=${encodeURIComponent(bigUrl)}&from=1&to=2`)
  await measure('`/api/diff`, same versions', `/api/diff?url=${encodeURIComponent(bigUrl)}&from=1&to=2`)
  const asset = (f) => statSync(new URL(`../static/${f}`, import.meta.url)).size
  console.log(`diff screen JS + CSS: ${asset('viewer.js')} + ${asset('viewer.css')} bytes (uncompressed)`)
} finally {
  await archive.close()
  rmSync(dir, { recursive: true, force: true })
}
