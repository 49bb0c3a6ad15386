/**
 * Deterministic synthetic data for the archive benchmark: Chinese news articles about the park's
 * industries, portal pages around them (navigation, footer: the bulk of a real page's bytes), captures.
 * Everything comes from a seeded generator, so every run and every backend ingests the same bytes.
 */

/** Words the articles are made of; the search benchmark queries some of them. */
export const WORDS = [
  '苏州工业园区',
  '生物医药',
  '纳米技术',
  '人工智能',
  '集成电路',
  '半导体',
  '创新药',
  '医疗器械',
  '产业园',
  '企业',
  '项目',
  '签约',
  '投资',
  '研发',
  '专利',
  '人才',
  '政策',
  '补贴',
  '产值',
  '同比增长',
  '季度',
  '亿元',
  '算力中心',
  '芯片',
  '封装测试',
  '第三代半导体',
  '临床试验',
  '疫苗',
  '基因治疗',
  '抗体',
  '高端制造',
  '数字经济',
  '营商环境',
  '独角兽',
  '上市公司',
  '孵化器',
  '科技园',
  '国际合作',
  '新加坡',
  '金鸡湖',
  '独墅湖',
  '科教创新区',
  '发布会',
  '论坛',
  '峰会',
  '展会',
  '园区管委会',
  '招商',
  '落户',
  '开工',
  '投产',
  '扩建',
  '融资',
  '估值',
  '机器人',
  '自动驾驶',
  '大模型',
  '数据中心',
  '光电',
  '传感器',
  '新材料',
  '碳化硅',
  '氮化镓',
  '晶圆',
  '光刻',
]
const FILLER = ['记者了解到', '据介绍', '相关负责人表示', '今年以来', '下一步', '与此同时', '值得一提的是', '目前']
const PUNCT = ['，', '，', '，', '。', '；', '、']

/** Seeded PRNG (mulberry32). */
export function rng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const pick = (rand, list) => list[Math.floor(rand() * list.length)]

/** A paragraph of roughly `chars` characters. */
export function paragraph(rand, chars) {
  let text = pick(rand, FILLER)
  while (text.length < chars) text += pick(rand, PUNCT) + pick(rand, WORDS) + pick(rand, WORDS)
  return `${text}。`
}

/** An `Article` (the extractor's shape) with `paragraphs` paragraphs of ~`chars` characters each. */
export function article(rand, { paragraphs = 6, chars = 120, title } = {}) {
  const paras = Array.from({ length: paragraphs }, () => paragraph(rand, chars))
  const text = paras.join('\n\n')
  return {
    type: 'article',
    url: null,
    title: title ?? `${pick(rand, WORDS)}${pick(rand, WORDS)}：${pick(rand, WORDS)}${pick(rand, WORDS)}`,
    paragraphs: paras.map((t) => ({ kind: 'paragraph', text: t })),
    text,
    html: paras.map((t) => `<p>${t}</p>`).join(''),
    images: [],
    byline: ['园区记者'],
    editors: [],
    source: '苏州日报',
    siteName: '园区新闻网',
    publishedAt: '2026-03-01T09:00:00+08:00',
    modifiedAt: null,
    lang: 'zh-Hans',
    canonicalUrl: null,
    description: null,
    industries: [{ industry: pick(rand, ['biomedicine', 'nanotech', 'ai', 'semiconductors']), score: 3, evidence: [] }],
    mentionsPark: true,
    wordCount: text.length,
    decode: null,
  }
}

/** Portal chrome around an article: ~`navItems` links of navigation and a footer, as real pages have. */
export function portalHtml(rand, art, navItems = 120) {
  let nav = ''
  for (let i = 0; i < navItems; i++) {
    nav += `<li class="nav-item"><a href="/news/${Math.floor(rand() * 1e6)}.html">${pick(rand, WORDS)}${pick(rand, WORDS)}</a></li>\n`
  }
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>${art.title}_园区新闻网</title>
<link rel="stylesheet" href="/static/site.css"><script src="/static/site.js"></script></head>
<body><header><ul class="nav">${nav}</ul></header><main><article><h1>${art.title}</h1>${art.html}</article></main>
<footer>版权所有 苏州工业园区新闻中心 苏ICP备00000000号</footer></body></html>`
}

/**
 * The ingest workload: `captures` captures spread round-robin over `pages` pages. A page's first capture
 * brings its first version; after that each capture changes content with probability `changeRate`,
 * otherwise it re-fetches exactly the same bytes (the common case a content-addressed store dedupes).
 */
export function* ingestWorkload({ captures, pages, changeRate, seed = 1, start = Date.parse('2026-03-01T00:00:00Z') }) {
  const rand = rng(seed)
  const state = new Array(pages)
  for (let i = 0; i < captures; i++) {
    const p = i % pages
    let s = state[p]
    const changed = !s || rand() < changeRate
    if (changed) {
      const art = article(rand)
      s = { art, body: portalHtml(rand, art), n: (s?.n ?? 0) + 1 }
      state[p] = s
    }
    yield {
      changed,
      capture: {
        url: `https://news${p % 20}.example.com/sip/2026/${p}.html?utm_source=feed`,
        source: `portal-${p % 20}`,
        status: 200,
        headers: { 'content-type': 'text/html; charset=utf-8', etag: `"${p}-${s.n}"`, server: 'nginx' },
        body: s.body,
        fetchedAt: start + i * 1000,
        timing: { totalMs: 80 + Math.floor(rand() * 200) },
      },
      article: s.art,
    }
  }
}
