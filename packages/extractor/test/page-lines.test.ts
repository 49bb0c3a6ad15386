import { describe, expect, it } from 'vitest'
import { parseHtml } from '../src/dom.js'
import { createPageScanner, scanPage } from '../src/page-lines.js'

const titles = Array.from({ length: 305 }, (_, k) => `<li><a class="item-title" href="/${k}">条目 ${k}</a></li>`).join(
  '',
)
const PAGE = `<!doctype html><html lang="zh-CN"><head>
<title>标题 - 网站</title>
<meta name="ptime" content="2024-05-14 10:54:44"><meta property="og:title" content="标题">
<link rel="canonical" href="/a.html">
<script type="application/ld+json">{"@type":"NewsArticle","headline":"标题"}</script>
</head><body>
<div class="page-title-wrapper"><h1>标题</h1><p>1</p><p>2</p><p>3</p><p>4</p><p>5</p><p>6</p><p>7</p><p>8</p></div>
<h2 id="sub-title">副标题 <span itemprop="author">张三</span></h2>
<time datetime="2024-05-14T10:54:44+08:00">5月14日</time><span itemprop="datePublished">2024-05-14</span>
<ul>${titles}</ul>
</body></html>`

describe('createPageScanner', () => {
  it('collects, while parsing, the elements a walk of the finished tree finds', () => {
    const scanner = createPageScanner()
    const doc = parseHtml(PAGE, scanner.visit)
    const during = scanner.finish()
    const after = scanPage(doc)
    expect(during).toEqual(after)
    // Elements are compared by identity, and the title-like cap and child limit apply the same way.
    for (const key of Object.keys(after) as Array<keyof typeof after>) {
      const a = after[key]
      const d = during[key]
      if (!Array.isArray(a) || !Array.isArray(d)) {
        expect(d).toBe(a)
        continue
      }
      for (let k = 0; k < a.length; k++) expect(d[k]).toBe(a[k])
    }
    expect(during.titleLike).toHaveLength(300)
    expect(during.titleLike.some((el) => el.attribs.class === 'page-title-wrapper')).toBe(false)
    expect(during.titleLike[0]?.attribs.id).toBe('sub-title')
    expect([during.metas.length, during.jsonLd.length, during.canonical.length, during.times.length]).toEqual([
      2, 1, 1, 1,
    ])
  })
})
