/**
 * Micro-benchmark: `diffVersions` over two ~20,000-character Chinese versions of one article (100
 * paragraphs; the second version has figures corrected, words replaced, paragraphs added, removed and
 * moved, and a punctuation-only edit). Target: p95 < 20 ms.
 *
 * Runs on the built package (`pnpm --filter @parkwatch/archive build` first):
 *   node packages/archive/bench/diff.mjs [iterations]
 * `bench/run.mjs` imports `benchDiff` and adds the figures to its report.
 */
import { pathToFileURL } from 'node:url'

const SENTENCES = [
  '苏州工业园区生物医药产业前三季度实现产值1200亿元，同比增长15.6%。',
  '园区已集聚生物医药企业2300余家，其中上市企业36个。',
  '纳米技术应用产业和人工智能产业也保持了较快增长，成为园区经济的新引擎。',
  '园区相关负责人表示，下一步将继续加大对创新药和高端医疗器械的支持力度。',
  '第三代半导体项目签约落户，总投资超过50亿元，预计明年投产。',
  '记者了解到，园区将于下月举办中国医药创新大会，预计吸引超过五千名业内人士参会。',
  '人工智能产业园新增入驻企业86家，算力中心一期工程已经完工并投入使用。',
  '园区持续优化营商环境，推出人才安居、研发补贴等一揽子扶持政策。',
]

/** Deterministic pseudo-random numbers, so every run diffs the same pair. */
function rng(seed) {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

/** Two versions of a ~20,000-character Chinese article and the edits between them. */
export function makeVersions(targetChars = 20_000) {
  const rand = rng(42)
  const paragraphs = []
  let total = 0
  while (total < targetChars) {
    let text = ''
    while (text.length < 200) text += SENTENCES[Math.floor(rand() * SENTENCES.length)]
    // A paragraph number keeps paragraphs distinct, as real ones are.
    text = `（${paragraphs.length + 1}）${text}`
    paragraphs.push({ kind: 'paragraph', text })
    total += text.length
  }
  const next = paragraphs.map((p) => ({ ...p }))
  for (let i = 3; i < next.length; i += 17) next[i].text = next[i].text.replace('36个', '38个')
  for (let i = 7; i < next.length; i += 23) next[i].text = next[i].text.replace('较快增长', '高速增长')
  next[11].text = next[11].text.replaceAll('，', ',')
  next.splice(40, 1)
  next.splice(20, 0, { kind: 'paragraph', text: `新增段落：${SENTENCES[4]}${SENTENCES[6]}` })
  const [moved] = next.splice(60, 1)
  next.splice(5, 0, moved)
  const article = (paras) => ({ title: '苏州工业园区产业观察', paragraphs: paras, byline: ['张三'], lang: 'zh-Hans' })
  return { a: article(paragraphs), b: article(next), chars: total }
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

/**
 * Time `diffVersions` over the two versions. `diffVersions` may be passed in (so `run.mjs` can hand
 * over the one it imported); by default it is loaded from the built package.
 */
export async function benchDiff({ iterations = 200, warmup = 20, diffVersions } = {}) {
  const diff = diffVersions ?? (await loadDiff())
  const { a, b, chars } = makeVersions()
  for (let i = 0; i < warmup; i++) diff(a, b)
  const times = []
  let result
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now()
    result = diff(a, b)
    times.push(performance.now() - t0)
  }
  times.sort((x, y) => x - y)
  const round = (n) => Math.round(n * 1000) / 1000
  return {
    name: 'diff 2×20k-char Chinese versions',
    chars,
    iterations,
    p50Ms: round(percentile(times, 50)),
    p95Ms: round(percentile(times, 95)),
    maxMs: round(times[times.length - 1]),
    targetP95Ms: 20,
    summary: result.summary,
  }
}

async function loadDiff() {
  try {
    return (await import('../dist/diff.js')).diffVersions
  } catch (cause) {
    throw new Error('bench/diff.mjs needs the built package: run `pnpm --filter @parkwatch/archive build`', { cause })
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const iterations = Number(process.argv[2] ?? 200)
  const r = await benchDiff({ iterations })
  console.log(JSON.stringify(r, null, 2))
  if (r.p95Ms >= r.targetP95Ms) process.exitCode = 1
}
