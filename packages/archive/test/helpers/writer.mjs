// Child process for the concurrency and kill tests. Runs plain node against the transpiled sources:
//   node writer.mjs '{"dist": "...", "dir": "...", "mode": "shared-unique" | "forever", ...}'
// Prints "ready" once the archive is open, then writes; prints "done <n>" when a finite job ends.
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const job = JSON.parse(process.argv[2])
const { createArchive, sqliteBackend } = await import(pathToFileURL(join(job.dist, 'index.js')).href)
const archive = createArchive({
  backend: sqliteBackend({ dir: job.dir, busyTimeoutMs: 60_000, ...(job.blobs ? { blobs: job.blobs } : {}) }),
})
process.stdout.write('ready\n')

const article = (title, text) => ({
  type: 'article',
  url: null,
  title,
  paragraphs: [{ kind: 'paragraph', text }],
  text,
  html: `<p>${text}</p>`,
  images: [],
  byline: [],
  editors: [],
  source: null,
  siteName: null,
  publishedAt: null,
  modifiedAt: null,
  lang: 'zh-Hans',
  canonicalUrl: null,
  description: null,
  industries: [{ industry: 'ai', score: 1, evidence: [] }],
  mentionsPark: true,
  wordCount: text.length,
  decode: null,
})

let n = 0
const ingest = async (url, title, text, body) => {
  await archive.ingest(
    { url, status: 200, body, fetchedAt: Date.now(), headers: { etag: `"${n}"` } },
    article(title, text),
  )
  n++
}

if (job.mode === 'shared-unique') {
  // Shared pages: every worker writes the same content, so each must end with exactly one version.
  // Unique pages: every write is new content, so every capture must be a version, numbered without gaps.
  for (let round = 0; round < job.rounds; round++) {
    for (let p = 0; p < job.pages; p++) {
      const shared = `https://shared.example.com/p${p}`
      await ingest(shared, `共享页面 ${p}`, `所有进程写入相同的内容 ${p}`, `<p>shared ${p}</p>`)
      const unique = `https://unique.example.com/p${p}`
      const tag = `w${job.worker}-r${round}`
      await ingest(unique, `独立页面 ${p} ${tag}`, `每次写入都不同 ${tag}`, `<p>unique ${p} ${tag}</p>`)
    }
  }
  await archive.close()
  process.stdout.write(`done ${n}\n`)
} else {
  // Write until killed: mostly new bodies (blob writes) and new versions, some repeats, some 304s. Three
  // captures in flight at a time, as a crawler has, so kills also land inside group commits.
  const one = async () => {
    const p = Math.floor(Math.random() * job.pages)
    const url = `https://kill.example.com/p${p}`
    const r = Math.random()
    if (r < 0.15) {
      await archive.ingest({ url, status: 304, body: null, fetchedAt: Date.now() }, null)
      n++
    } else {
      const c = r < 0.4 ? 'same' : `${job.worker}-${n}-${Math.random()}`
      await ingest(
        url,
        `页面 ${p}`,
        `内容 ${c} ${'苏州工业园区'.repeat(50)}`,
        `<html>${c}${'x'.repeat(2000 + n)}</html>`,
      )
    }
  }
  // And batches, two in flight: the second one's bodies are stored (on a worker thread) while the first one
  // commits, so kills also land between a batch's blob writes and its transaction.
  const batch = async () => {
    const items = []
    for (let i = 0; i < 4; i++) {
      const p = Math.floor(Math.random() * job.pages)
      const c = Math.random() < 0.3 ? 'same' : `${job.worker}-${n}-${i}-${Math.random()}`
      items.push({
        capture: {
          url: `https://kill.example.com/p${p}`,
          status: 200,
          body: `<html>${c}${'y'.repeat(3000)}</html>`,
          fetchedAt: Date.now(),
        },
        article: article(`批量页面 ${p}`, `批量 ${c} ${'苏州工业园区'.repeat(50)}`),
      })
    }
    await archive.ingestMany(items)
    n += items.length
  }
  for (;;) await Promise.all([one(), one(), one(), batch(), batch()])
}
