/**
 * Inputs that used to hit quadratic or recursive paths: a long run of sibling inline elements (the page
 * lines trimmed their whole buffer at every text node), nesting deeper than the call stack (the page
 * lines walk and cheerio's `.text()` recursed) and long runs that date and name regexes rescanned from
 * every position (minutes, or never ending, for a few hundred kilobytes). They only have to finish, within vitest's timeout, with
 * the result a shallow page gives; there are no timing assertions.
 */
import { extract } from '@parkwatch/extractor'
import { load } from 'cheerio/slim'
import type { AnyNode } from 'domhandler'
import { describe, expect, it } from 'vitest'
import { textContent } from '../src/dom.js'
import { collectLines } from '../src/page-lines.js'

const PAGE_URL = 'https://example.com/news/2024/0101/a.html'
const PARA = '<p>苏州工业园区人工智能产业创新集群加速崛起，一批企业在各自技术领域突破前行，形成多个应用标杆。</p>\n'
const DEPTH = 20_000

describe('pathological pages complete', () => {
  it('a page of 300,000 sibling inline elements', () => {
    const spans = '<span>园区 </span><a href="#">x</a>'.repeat(150_000)
    const html = `<html><head><title>园区新闻 - 网站</title></head><body><h1>园区新闻</h1><div>${spans}</div>${PARA.repeat(5)}</body></html>`
    const result = extract(html, { url: PAGE_URL })
    expect(result.type).toBe('article')
    if (result.type === 'article') expect(result.title).toBe('园区新闻')
  })

  it('one inline run of 300,000 text nodes is one page line', () => {
    const $ = load(`<body><p>${'<span>园区</span> '.repeat(300_000)}</p><p>完</p></body>`)
    const lines = collectLines($.root()[0] as AnyNode, null, null)
    expect(lines.map((l) => l.text.length)).toEqual([300_000 * 3 - 1, 1])
  })

  it(`${DEPTH.toLocaleString('en')}-deep nesting of blocks`, () => {
    const html = `<html><body>${'<div>'.repeat(DEPTH)}${PARA.repeat(5)}${'</div>'.repeat(DEPTH)}</body></html>`
    const result = extract(html, { url: PAGE_URL })
    expect(result.type).toBe('article')
    if (result.type === 'article') expect(result.paragraphs).toHaveLength(5)
  })

  it(`a title inside ${DEPTH.toLocaleString('en')} nested inline elements`, () => {
    const h1 = `<h1>${'<span>'.repeat(DEPTH)}园区新闻${'</span>'.repeat(DEPTH)}</h1>`
    const html = `<html><head><title>园区新闻 - 网站</title></head><body>${h1}${PARA.repeat(5)}</body></html>`
    const result = extract(html, { url: PAGE_URL })
    expect(result.type).toBe('article')
    // Metadata fell back to nothing when `.text()` overflowed the stack.
    if (result.type === 'article') expect([result.title, result.siteName]).toEqual(['园区新闻', '网站'])
  })

  it(`page lines of a body ${DEPTH.toLocaleString('en')} levels down`, () => {
    const $ = load(
      `<body><p>标题</p>${'<div>'.repeat(DEPTH)}<p>正文</p>${'</div>'.repeat(DEPTH)}<p>责任编辑:张三</p></body>`,
    )
    expect(collectLines($.root()[0] as AnyNode, null, null).map((l) => l.text)).toEqual([
      '标题',
      '正文',
      '责任编辑:张三',
    ])
  })

  it('meta values with long runs that regexes used to rescan from every position', () => {
    const dashes = ' -'.repeat(100_000)
    const spaces = ' '.repeat(200_000)
    const head = [
      `<meta name="date" content="2023-01-01${dashes}x">`,
      `<meta name="author" content="Ann${spaces}x">`,
      `<meta name="byline" content="张三${'图'.repeat(200_000)}x">`,
      `<meta name="description" content="2023-01-01${spaces}x">`,
    ].join('')
    const html = `<html><head><title>园区新闻</title>${head}</head><body><h1>园区新闻</h1>${PARA.repeat(5)}</body></html>`
    const result = extract(html, { url: PAGE_URL })
    expect(result.type).toBe('article')
    if (result.type === 'article') expect(result.publishedAt).toBe('2023-01-01T00:00:00+08:00')
  })

  it('textContent matches cheerio on a shallow tree and survives a deep one', () => {
    const $ = load('<div>a<!-- c --><script>s()</script><b>b<i>i</i></b>t</div>')
    const div = $('div')[0]
    expect(div && textContent(div)).toBe($('div').text())
    const deep = load(`<div>${'<b>'.repeat(DEPTH)}x${'</b>'.repeat(DEPTH)}</div>`)('div')[0]
    expect(deep && textContent(deep)).toBe('x')
  })
})
