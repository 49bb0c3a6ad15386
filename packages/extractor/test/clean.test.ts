import { describe, expect, it } from 'vitest'
import { cutAtRelated, dropFurnitureLines, type Item, type RawBlock } from '../src/clean.js'
import { extract } from '../src/extract.js'
import type { Article, ExtractResult } from '../src/types.js'

// Varied wording: text repeated across paragraphs is a watermark to the noise filter.
const WORDS = [
  'output',
  'hiring',
  'exports',
  'patents',
  'funding',
  'startups',
  'tenants',
  'research',
  'training',
  'housing',
]
const ENDS = [
  'grew fast.',
  'held steady this year.',
  'doubled, officials said.',
  'beat every forecast.',
  'slowed a little.',
]
const sentence = (i: number, topic = 'the park'): string =>
  `${i}. In ${topic}, ${WORDS[i % 10]} and ${WORDS[(i + 3) % 10]} rose, by ${i * 7} percent in one case, and ${ENDS[i % 5]}`

function article(r: ExtractResult): Article {
  if (r.type !== 'article') throw new Error(`expected an article, got ${r.reason}: ${r.message}`)
  return r
}

function run(body: string, url = 'https://news.example.com/a/1.html'): Article {
  return article(extract(`<html><head><title>T</title></head><body>${body}</body></html>`, { url }))
}

describe('boilerplate inside the article', () => {
  it('drops share bars, comment boxes and link lists', () => {
    const a = run(`<div class="article-content">
      <p>${sentence(1)}</p>
      <div class="share-bar"><a href="/fb">Facebook</a> <a href="/tw">Twitter</a> <a href="/mail">Email</a></div>
      <p>${sentence(2)}</p>
      <ul class="links"><li><a href="/x/1">Another story one</a></li><li><a href="/x/2">Another story two</a></li><li><a href="/x/3">Another story three</a></li></ul>
      <p>${sentence(3)}</p>
      <div class="comments"><p>${sentence(9, 'a reader comment')}</p></div>
    </div>`)
    expect(a.paragraphs.map((b) => b.text)).toEqual([sentence(1), sentence(2), sentence(3)])
  })

  it('cuts the teasers after a related-articles label', () => {
    const a = run(`<div class="content">
      ${[1, 2, 3, 4].map((i) => `<p>${sentence(i)}</p>`).join('')}
      <p><strong>相关阅读</strong></p>
      <p>${sentence(7, 'another page entirely')}</p>
      <p>${sentence(8, 'yet another page')}</p>
    </div>`)
    expect(a.paragraphs).toHaveLength(4)
    expect(a.text).not.toContain('another page')
  })

  it('cuts at a trailing label, and only the linked box at a leading one', () => {
    const raw = (text: string, linkChars = 0): Item => {
      const block: RawBlock = {
        kind: 'paragraph',
        text,
        html: text,
        chars: text.length,
        linkChars,
        cjk: 0,
        captionHint: false,
      }
      return { type: 'block', block }
    }
    // Near the top only the label and its linked entries go; the prose after them stays.
    const linked = raw('Another story', 12)
    const items = [raw('Related'), linked, raw(sentence(1)), raw(sentence(2))]
    expect(cutAtRelated(items)).toEqual([items[2], items[3]])
    const tail = [raw(sentence(1)), raw(sentence(2)), raw('You may also like'), raw(sentence(3))]
    expect(cutAtRelated(tail)).toHaveLength(2)
    // The editor's credit closes a Chinese article: it stays (for the metadata), the teasers after it go.
    const credit = [raw(sentence(1)), raw(sentence(2)), raw('责任编辑：霍琦'), raw(sentence(3, 'a teaser'))]
    expect(cutAtRelated(credit)).toEqual(credit.slice(0, 3))
  })
})

describe('blocks', () => {
  it('splits <br>-separated text into paragraphs (portals without <p>)', () => {
    const zh = [
      '苏州工业园区今年一季度生物医药产业产值同比增长百分之二十，创新药获批数量再创新高。',
      '纳米技术应用产业集群加快发展，一批龙头企业在园区落地投产，带动上下游协同创新。',
      '人工智能产业规模持续扩大，园区将继续完善政策体系，打造具有国际竞争力的产业高地。',
    ]
    const a = run(`<div class="TRS_Editor">${zh.join('<br><br>')}<br/></div>`)
    expect(a.paragraphs.map((b) => b.text)).toEqual(zh)
    expect(a.paragraphs.every((b) => b.kind === 'paragraph')).toBe(true)
  })

  it('types headings, list items, quotes, code and tables', () => {
    const a = run(`<article>
      <p>${sentence(1)}</p>
      <h2>Section two</h2>
      <p>${sentence(2)}</p>
      <ol><li>${sentence(3, 'step one')}</li><li>${sentence(4, 'step two')}</li></ol>
      <blockquote><p>${sentence(5, 'a quotation')}</p></blockquote>
      <pre>const x = 1
const y = 2</pre>
      <table><tr><th>Year</th><th>Output</th></tr><tr><td>2023</td><td>100</td></tr><tr><td>2024</td><td>120</td></tr></table>
      <p>${sentence(6)}</p>
    </article>`)
    const kinds = a.paragraphs.map((b) => b.kind)
    expect(kinds).toEqual([
      'paragraph',
      'heading',
      'paragraph',
      'list-item',
      'list-item',
      'quote',
      'code',
      'table',
      'paragraph',
    ])
    expect(a.paragraphs[1]).toEqual({ kind: 'heading', text: 'Section two', level: 2 })
    expect(a.paragraphs[6]?.text).toBe('const x = 1\nconst y = 2')
    expect(a.paragraphs[7]?.text).toBe('Year | Output\n2023 | 100\n2024 | 120')
    expect(a.html).toMatch(/<ol>\s*<li>/)
    expect(a.html).toMatch(/<blockquote>\s*<p>/)
    expect(a.html).toContain('<h2>Section two</h2>')
  })
})

describe('images and captions', () => {
  it('takes the figcaption and resolves the source', () => {
    const a = run(`<article><p>${sentence(1)}</p>
      <figure><img src="/img/a.jpg" alt="A lab"><figcaption>The new lab in the park</figcaption></figure>
      <p>${sentence(2)}</p></article>`)
    expect(a.images).toEqual([
      { src: 'https://news.example.com/img/a.jpg', alt: 'A lab', caption: 'The new lab in the park' },
    ])
    expect(a.paragraphs.find((b) => b.kind === 'caption')?.text).toBe('The new lab in the park')
  })

  it('takes the short paragraph under an image as its caption, and lazy sources', () => {
    const a = run(`<div class="content"><p>${sentence(1)}</p>
      <p><img src="data:image/gif;base64,R0lGOD" data-src="//cdn.example.com/b.png"></p>
      <p style="text-align:center">国家第三代半导体技术创新中心(苏州)效果图</p>
      <p>${sentence(2)}</p><p>${sentence(3)}</p></div>`)
    expect(a.images[0]?.src).toBe('https://cdn.example.com/b.png')
    expect(a.images[0]?.caption).toBe('国家第三代半导体技术创新中心(苏州)效果图')
    expect(a.paragraphs.find((b) => b.kind === 'caption')?.text).toBe('国家第三代半导体技术创新中心(苏州)效果图')
  })

  it('does not turn a full sentence under an image into a caption', () => {
    const a = run(
      `<div class="content"><p>${sentence(1)}</p><img src="/c.jpg"><p>${sentence(2)}</p><p>${sentence(3)}</p></div>`,
    )
    expect(a.images[0]?.caption).toBeNull()
    expect(a.paragraphs.every((b) => b.kind === 'paragraph')).toBe(true)
  })
})

describe('furniture lines and pseudo-headings', () => {
  const raw = (text: string, linkChars = 0): Item => ({
    type: 'block',
    block: { kind: 'paragraph', text, html: text, chars: text.length, linkChars, cjk: 0, captionHint: false },
  })
  const texts = (items: Item[]): string[] => items.flatMap((it) => (it.type === 'block' ? [it.block.text] : []))

  it('drops datelines, credits, share prompts and linked teasers, keeps prose and phone numbers', () => {
    const items = [
      raw('Updated Nov 19, 6:55 AM; Posted Nov 19, 6:51 AM'),
      raw('November 18, 2019 | 4:10pm'),
      raw('Sakib Ali/Hindustan Times/Getty Images'),
      raw('Sharing is caring!'),
      raw('（原标题：苹果回应“违反中国劳动法”）'),
      raw('资料图'),
      raw('������'),
      raw('Read more: Park firms sign a deal', 20),
      raw(sentence(1)),
      raw('(415) 861-5449'),
      raw('Posted on social media by analysts, the port is not smooth.'),
    ]
    expect(texts(dropFurnitureLines(items))).toEqual([
      sentence(1),
      '(415) 861-5449',
      'Posted on social media by analysts, the port is not smooth.',
    ])
  })

  it('keeps date lines when asked, so the clean-up can take the date from them', () => {
    expect(texts(dropFurnitureLines([raw('2023年2月22日'), raw(sentence(2))], true))).toEqual([
      '2023年2月22日',
      sentence(2),
    ])
    expect(texts(dropFurnitureLines([raw('2023年2月22日'), raw(sentence(2))]))).toEqual([sentence(2)])
  })

  it('turns a short all-bold line into a heading, but not a bold sentence', () => {
    const a = run(`<div class="content"><p>${sentence(1)}</p>
      <p><strong>打造一流创新平台,推进核心技术攻关</strong></p>
      <p>${sentence(2)}</p><p><b>This whole line is bold and ends like a sentence.</b></p><p>${sentence(3)}</p></div>`)
    expect(a.paragraphs[1]).toEqual({ kind: 'heading', text: '打造一流创新平台,推进核心技术攻关', level: 3 })
    expect(a.paragraphs[3]?.kind).toBe('paragraph')
  })
})
