/**
 * @file The benchmark's pages: N Chinese news-portal article pages about Suzhou Industrial Park, 50-150 KB
 * each, wearing the furniture real portals put around an article (top bar, channel nav, breadcrumbs,
 * share bar, inline config and analytics scripts, a stylesheet, "related" teasers that read like prose,
 * comments, side columns, a long footer), plus the sitemaps and RSS feed that list them. Everything comes
 * from a seeded RNG, so a seed and a page count always give the same bytes. The article text is drawn from
 * the extractor's golden pages (`packages/extractor/test/pages/<slug>/expected.json`), which hold the
 * gold paragraphs of five real pages; every page opens with a lead naming the park and an industry, so the
 * relevance filter keeps all of them. One page in five is GBK (charset in the header and in `<meta>`),
 * as on older portals.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { encodeGbk } from '@parkwatch/demo-portal'

const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'extractor', 'test', 'pages')
/** Article URLs per sitemap file (real portals use a few hundred to 50,000). */
export const SITEMAP_SIZE = 500
/** Smallest and largest page, in bytes of HTML. */
export const PAGE_BYTES = [50_000, 150_000]

/**
 * A deterministic RNG (mulberry32) with the helpers the generator needs.
 * @param {number} seed
 */
export function makeRng(seed) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1))
  const pick = (list) => list[Math.floor(next() * list.length)]
  const hex = (n) => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(next() * 16)]).join('')
  return { next, int, pick, hex }
}

/**
 * Build the site: every page's bytes and metadata, generated once, in memory.
 * @param {{ pages: number, seed?: number }} options
 * @returns {{ pages: BenchPage[], totalBytes: number }}
 */
export function buildSite({ pages, seed = 20261122 }) {
  const corpus = loadCorpus()
  const out = []
  let totalBytes = 0
  for (let i = 0; i < pages; i++) {
    const page = buildPage(i, makeRng(seed * 7919 + i), corpus)
    totalBytes += page.bytes.byteLength
    out.push(page)
  }
  return { pages: out, totalBytes }
}

/**
 * @typedef {object} BenchPage
 * @property {string} path URL path, e.g. `/news/2024/0311/SIP00017A3F.html`
 * @property {Uint8Array} bytes
 * @property {string} contentType
 * @property {'utf-8' | 'gbk'} charset
 * @property {string} title
 * @property {string} publishedAt ISO with +08:00
 * @property {string[]} paragraphs the article's paragraph texts
 */

/**
 * A sitemap index over `pages` (paths relative to `base`), its sitemap files under `prefix`.
 * @param {BenchPage[]} pages
 * @param {string} base e.g. `http://127.0.0.1:40123`
 * @param {string} prefix e.g. `/sitemaps/2000`
 * @returns {Map<string, string>} path -> XML
 */
export function sitemapFiles(pages, base, prefix) {
  const files = new Map()
  const parts = []
  for (let k = 0; k * SITEMAP_SIZE < pages.length; k++) {
    const slice = pages.slice(k * SITEMAP_SIZE, (k + 1) * SITEMAP_SIZE)
    const lastmod =
      slice
        .map((p) => p.publishedAt)
        .sort()
        .at(-1) ?? ''
    const path = `${prefix}/part-${k + 1}.xml`
    parts.push(`<sitemap><loc>${base}${path}</loc><lastmod>${lastmod}</lastmod></sitemap>`)
    const urls = slice.map(
      (p) =>
        `<url><loc>${base}${p.path}</loc><lastmod>${p.publishedAt}</lastmod><changefreq>daily</changefreq>` +
        `<news:news><news:publication><news:name>园区新闻网</news:name><news:language>zh-cn</news:language>` +
        `</news:publication><news:publication_date>${p.publishedAt}</news:publication_date>` +
        `<news:title>${escapeHtml(p.title)}</news:title></news:news></url>`,
    )
    files.set(
      path,
      `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" ` +
        `xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n${urls.join('\n')}\n</urlset>\n`,
    )
  }
  files.set(
    `${prefix}/index.xml`,
    `<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n` +
      `${parts.join('\n')}\n</sitemapindex>\n`,
  )
  return files
}

/**
 * An RSS 2.0 feed of the newest `limit` pages.
 * @param {BenchPage[]} pages
 * @param {string} base
 * @param {number} [limit]
 */
export function rssFeed(pages, base, limit = 100) {
  const newest = [...pages].sort((a, b) => (a.publishedAt < b.publishedAt ? 1 : -1)).slice(0, limit)
  const items = newest.map(
    (p) =>
      `<item><title>${escapeHtml(p.title)}</title><link>${base}${p.path}</link><guid>${base}${p.path}</guid>` +
      `<pubDate>${new Date(p.publishedAt).toUTCString()}</pubDate>` +
      `<description>${escapeHtml((p.paragraphs[0] ?? '').slice(0, 80))}</description></item>`,
  )
  return `<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>园区新闻网</title><link>${base}/</link>\n${items.join('\n')}\n</channel></rss>\n`
}

/** Small static assets the pages reference; the browser loads them, the HTTP crawlers never do. */
export const STATIC_ASSETS = {
  '/static/css/article.css': {
    type: 'text/css; charset=utf-8',
    body: Array.from(
      { length: 120 },
      (_, i) =>
        `.m-box-${i}{margin:${i % 7}px 0;padding:${i % 5}px ${i % 9}px;border-bottom:1px solid #e${i % 10}e${i % 10}e${i % 10}}`,
    ).join('\n'),
  },
  '/static/js/common.js': {
    type: 'application/javascript; charset=utf-8',
    body: `(function(w,d){w.NTES=w.NTES||{};NTES.ready=function(f){d.readyState!=='loading'?f():d.addEventListener('DOMContentLoaded',f)};
NTES.ready(function(){var el=d.querySelector('.post_tie_top .js-tielink');if(el){el.textContent=String(1000+(d.title.length*37)%9000)}
var s=d.querySelectorAll('.post_side .m-box');for(var i=0;i<s.length;i++){s[i].setAttribute('data-ready','1')}});})(window,document);`,
  },
}

// --- Internal helpers ---

const SITE_NAMES = ['园区新闻网', '江苏产业在线', '苏州科技资讯', '长三角财经', '新江南网']
const CHANNELS = [
  '首页',
  '新闻',
  '体育',
  '娱乐',
  '财经',
  '股票',
  '汽车',
  '科技',
  '手机',
  '数码',
  '女人',
  '房产',
  '家居',
  '旅游',
  '教育',
  '健康',
  '亲子',
  '艺术',
  '时尚',
  '游戏',
  '政务',
  '公益',
  '视频',
  '直播',
  '图片',
  '跟帖',
  '云课堂',
  '原创',
  '江苏',
  '苏州',
  '园区',
  '产业',
  '人才',
  '招商',
  '双创',
  '外贸',
  '金融',
  '海关',
  '交通',
  '文旅',
  '生态',
  '社区',
]
const SOURCES = [
  '苏州工业园区发布',
  '新华日报',
  '苏州日报',
  '中国江苏网',
  '新江苏客户端',
  '交汇点',
  '扬子晚报',
  '园区时报',
]
const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余于杜叶程'
const GIVEN = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力鹏宇浩凯晨雪琳欣怡梦菲捷依'
const PARK_LEADS = [
  '苏州工业园区{ind}产业持续壮大,一批创新企业加快集聚,产业链上下游协同发展的格局正在形成。',
  '记者从苏州工业园区获悉,园区{ind}领域今年以来新增项目数和投资额均保持两位数增长。',
  '作为苏州工业园区重点培育的战略性新兴产业之一,{ind}产业正成为园区高质量发展的新引擎。',
  '近日,苏州工业园区举办{ind}产业推进会,发布一系列支持企业创新发展的政策举措。',
]
const INDUSTRY_WORDS = [
  '生物医药',
  '纳米技术应用',
  '人工智能',
  '第三代半导体',
  '集成电路',
  '医疗器械',
  '大模型',
  '纳米新材料',
]
const COMMENTS = [
  '园区这几年变化真大,企业越来越多了。',
  '支持!希望多出一些好政策。',
  '人才公寓什么时候能申请?',
  '生物医药这块确实做得好。',
  '半导体是未来的方向,加油。',
  '在园区工作五年了,见证了发展。',
  '交通还需要再改善一下。',
  '期待更多的创新成果落地。',
  '独墅湖那边发展得很快。',
  '希望房价别再涨了。',
]

function loadCorpus() {
  const paragraphs = []
  const titles = []
  for (const slug of readdirSync(GOLDEN_DIR).sort()) {
    const expected = JSON.parse(readFileSync(join(GOLDEN_DIR, slug, 'expected.json'), 'utf8'))
    titles.push(expected.title)
    for (const p of expected.paragraphs) {
      // Long-enough prose only: headings and one-word lines make poor filler.
      if (p.kind === 'paragraph' && [...p.text].length >= 24) paragraphs.push(p.text)
    }
  }
  // Headlines for links and teasers: clauses cut from the prose, 10-30 characters.
  const headlines = []
  for (const p of paragraphs) {
    for (const clause of p.split(/[。!?;]/)) {
      const chars = [...clause.trim()]
      if (chars.length >= 10) headlines.push(chars.slice(0, 30).join(''))
    }
  }
  return { paragraphs, titles, headlines }
}

function buildPage(i, rng, corpus) {
  const site = SITE_NAMES[i % SITE_NAMES.length]
  const charset = i % 5 === 4 ? 'gbk' : 'utf-8'
  const day = new Date(Date.UTC(2024, 0, 1) + Math.floor(i / 20) * 86_400_000 + rng.int(0, 86_399) * 1000)
  const publishedAt = `${new Date(day.getTime() + 8 * 3_600_000).toISOString().slice(0, 19)}+08:00`
  const local = publishedAt.slice(0, 19).replace('T', ' ')
  const id = `SIP${String(i).padStart(5, '0')}${rng.hex(3).toUpperCase()}`
  const path = `/news/${publishedAt.slice(0, 4)}/${publishedAt.slice(5, 7)}${publishedAt.slice(8, 10)}/${id}.html`
  const industry = rng.pick(INDUSTRY_WORDS)
  const title = `${rng.pick(corpus.headlines).slice(0, rng.int(12, 22))}(第${i + 1}期)`
  const lead = rng.pick(PARK_LEADS).replace('{ind}', industry)
  const paragraphs = [lead]
  const n = rng.int(8, 28)
  for (let k = 0; k < n; k++) paragraphs.push(rng.pick(corpus.paragraphs))
  const author = `${name(rng)} ${name(rng)}`
  const editor = name(rng)
  const source = rng.pick(SOURCES)
  const target = rng.int(PAGE_BYTES[0], PAGE_BYTES[1])

  const body = []
  const p = (text) => `<p>${escapeHtml(text)}</p>`
  for (let k = 0; k < paragraphs.length; k++) {
    body.push(p(paragraphs[k] ?? ''))
    if (k === 2) {
      body.push(
        `<p class="f_center"><img src="/img/${id.toLowerCase()}-${k}.jpg" alt="" width="640" height="360"><br>${escapeHtml(rng.pick(corpus.headlines))}</p>`,
      )
    }
    if (k > 0 && k % 9 === 0)
      body.push(`<p><strong>${escapeHtml(rng.pick(corpus.headlines).slice(0, 12))}</strong></p>`)
  }
  body.push(`<p>(记者 ${escapeHtml(author)})</p>`)

  const head = [
    '<!DOCTYPE html>',
    `<html lang="zh-CN" data-publishtime="${local}">`,
    '<head>',
    `<meta charset="${charset}">`,
    '<meta http-equiv="X-UA-Compatible" content="IE=edge">',
    `<title>${escapeHtml(title)}_${site}</title>`,
    `<meta name="keywords" content="苏州工业园区,${industry},产业,创新">`,
    `<meta name="description" content="${escapeHtml([...lead].slice(0, 80).join(''))}">`,
    `<meta property="og:title" content="${escapeHtml(title)}">`,
    '<meta property="og:type" content="article">',
    `<meta property="og:site_name" content="${site}">`,
    `<meta property="article:published_time" content="${publishedAt}">`,
    `<link rel="canonical" href="${path}">`,
    '<link rel="stylesheet" href="/static/css/article.css">',
    `<style type="text/css">\n${styleRules(rng, rng.int(60, 160))}\n</style>`,
    `<script>${configScript(rng, corpus, site, id)}</script>`,
    `<script>${analyticsScript(rng)}</script>`,
    '</head>',
  ]
  const top = [
    '<body>',
    `<div class="ne_wrap"><div class="N-nav-top"><div class="N-nav-top-wrap">${linkList(rng, CHANNELS.slice(0, 14), '/channel/', 'N-nav-link')}</div></div>`,
    `<div class="N-nav-channel"><a class="logo" href="/">${site}</a>${linkList(rng, CHANNELS, '/c/', 'ch')}</div>`,
    '<form class="search" action="/search"><input name="q" placeholder="搜索"><button>搜索</button></form>',
    `<div class="post_crumb"><a href="/">${site}首页</a> &gt; <a href="/c/jiangsu">江苏</a> &gt; 正文</div>`,
  ]
  const article = [
    '<div class="container clearfix"><div class="post_main">',
    `<h1 class="post_title">${escapeHtml(title)}</h1>`,
    `<div class="post_info">${local} 来源: <a href="/source/${rng.hex(6)}">${source}</a> <a class="post_jubao" href="/report">举报</a></div>`,
    '<div class="post_tie_top"><a class="js-tielink" href="#comments">0</a> 跟帖 <span class="share">分享至</span> <a class="share-wx">微信</a> <a class="share-wb">微博</a> <a class="share-qz">QQ空间</a></div>',
    `<div class="post_content"><div class="post_body">\n${body.join('\n')}\n</div>`,
    '<div class="post_statement">特别声明:以上内容(如有图片或视频亦包括在内)为自媒体平台用户上传并发布,本平台仅提供信息存储服务。</div>',
    `<div class="post_author">责任编辑:${escapeHtml(editor)}_NB${rng.int(1000, 9999)}</div></div>`,
    related(rng, corpus),
    comments(rng),
    '</div>',
  ]
  const foot = [
    `<div class="N-nav-bottom">${linkList(rng, CHANNELS, '/about/', 'foot')}</div>`,
    `<div class="footer"><p>Copyright © 1997-2024 ${site} 版权所有</p><p><a href="/icp">苏ICP备${rng.int(10_000_000, 99_999_999)}号</a> 苏公网安备 ${rng.int(32_000_000_000, 32_099_999_999)}号</p></div>`,
    '<script src="/static/js/common.js"></script>',
  ]
  const sideBoxes = []
  const size = (parts) => parts.reduce((n, s) => n + Buffer.byteLength(s) + 1, 0)
  // Side columns and inline data scripts grow until the page reaches its drawn size.
  let bytesSoFar = size(head) + size(top) + size(article) + size(foot) + 64
  while (bytesSoFar < target) {
    const box = sideBox(rng, corpus)
    sideBoxes.push(box)
    bytesSoFar += Buffer.byteLength(box) + 1
    if (rng.next() < 0.35) {
      const script = `<script>${dataScript(rng, corpus)}</script>`
      head.splice(head.length - 1, 0, script)
      bytesSoFar += Buffer.byteLength(script) + 1
    }
  }
  const html = [
    ...head,
    ...top,
    ...article,
    `<div class="post_side">${sideBoxes.join('\n')}</div>`,
    ...foot,
    '</div></body>',
    '</html>',
  ].join('\n')
  const bytes = charset === 'gbk' ? encodeGbk(html) : new Uint8Array(Buffer.from(html, 'utf8'))
  return {
    path,
    bytes,
    contentType: `text/html; charset=${charset === 'gbk' ? 'GBK' : 'utf-8'}`,
    charset,
    title,
    publishedAt,
    paragraphs,
  }
}

function name(rng) {
  return `${rng.pick([...SURNAMES])}${rng.pick([...GIVEN])}${rng.next() < 0.6 ? rng.pick([...GIVEN]) : ''}`
}

function linkList(rng, labels, prefix, cls) {
  return labels.map((l) => `<a class="${cls}" href="${prefix}${rng.hex(6)}">${l}</a>`).join('')
}

function related(rng, corpus) {
  const items = []
  for (let k = rng.int(8, 16); k > 0; k--) {
    const t = escapeHtml(rng.pick(corpus.headlines))
    items.push(
      `<li class="post_recommend"><a href="/news/rel/${rng.hex(10)}.html"><img src="/img/t${rng.hex(8)}.jpg" alt="">` +
        `<h3>${t}</h3></a><p class="teaser">${escapeHtml(rng.pick(corpus.paragraphs).slice(0, 60))}…</p>` +
        `<span class="source">${rng.pick(SOURCES)}</span> <span class="time">${rng.int(1, 23)}小时前</span></li>`,
    )
  }
  return `<div class="post_recommends"><h2>相关推荐</h2><ul>${items.join('')}</ul></div>`
}

function comments(rng) {
  const items = []
  for (let k = rng.int(3, 10); k > 0; k--) {
    items.push(
      `<div class="tie-item"><span class="user">网易${rng.pick(['江苏', '上海', '浙江', '北京'])}网友${rng.int(100, 9999)}</span>` +
        `<p>${rng.pick(COMMENTS)}</p><span class="vote">顶${rng.int(0, 999)}</span></div>`,
    )
  }
  return `<div class="tie-area" id="comments"><h2>热门跟帖</h2>${items.join('')}<a href="/tie">查看全部跟帖</a></div>`
}

function sideBox(rng, corpus) {
  const heading = rng.pick([
    '热点推荐',
    '头条要闻',
    '财经要闻',
    '科技前沿',
    '园区动态',
    '24小时排行',
    '图片新闻',
    '专题',
  ])
  const items = []
  for (let k = rng.int(8, 14); k > 0; k--) {
    items.push(
      `<li><a href="/news/side/${rng.hex(10)}.html" title="">${escapeHtml(rng.pick(corpus.headlines))}</a></li>`,
    )
  }
  const ad = rng.next() < 0.3 ? `<ins class="adsbygoogle" data-ad-slot="${rng.int(1e9, 9e9)}"></ins>` : ''
  return `<div class="m-box"><h3 class="m-box-title">${heading}</h3><ul>${items.join('')}</ul>${ad}</div>`
}

function styleRules(rng, n) {
  const rules = []
  for (let k = 0; k < n; k++) {
    rules.push(
      `.ne-${rng.hex(4)}{margin:${rng.int(0, 9)}px ${rng.int(0, 9)}px;padding:${rng.int(0, 9)}px;font-size:${rng.int(12, 18)}px;line-height:1.${rng.int(3, 8)};color:#${rng.hex(6)}}`,
    )
  }
  return rules.join('\n')
}

function configScript(rng, corpus, site, id) {
  const channels = CHANNELS.map((c) => ({ name: c, url: `/c/${rng.hex(6)}`, hot: rng.int(0, 1) === 1 }))
  const conf = {
    site,
    docid: id,
    channel: '江苏',
    adSlots: Array.from({ length: rng.int(6, 14) }, () => ({ id: rng.hex(8), w: 300, h: rng.pick([250, 600]) })),
    channels,
    hot: Array.from({ length: rng.int(10, 30) }, () => ({ t: rng.pick(corpus.headlines), u: `/n/${rng.hex(10)}` })),
  }
  return `window.__CONFIG__=${JSON.stringify(conf)};`
}

function analyticsScript(rng) {
  const fns = []
  for (let k = rng.int(10, 30); k > 0; k--) {
    const f = `_${rng.hex(5)}`
    fns.push(
      `function ${f}(e,t){var n=e&&e.${rng.pick(['length', 'href', 'id'])},r=${rng.int(0, 999)};` +
        `for(var i=0;i<(n|0);i++){r=(r*31+(e.charCodeAt?e.charCodeAt(i):i))%${rng.int(1e5, 1e6)}}` +
        `return t?t(r):r}w.${f}=${f};`,
    )
  }
  return `(function(w,d){${fns.join('')}var _q=w._ntes_nacc=w._ntes_nacc||[];_q.push(['${rng.hex(12)}',d.referrer]);})(window,document);`
}

function dataScript(rng, corpus) {
  const list = Array.from({ length: rng.int(20, 50) }, () => ({
    title: rng.pick(corpus.headlines),
    url: `/news/feed/${rng.hex(12)}.html`,
    img: `/img/${rng.hex(8)}.jpg`,
    ptime: `2024-${String(rng.int(1, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}`,
    comments: rng.int(0, 5000),
  }))
  return `var __feed_${rng.hex(4)}=${JSON.stringify(list)};`
}

function escapeHtml(text) {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c)
}
