import { describe, expect, it } from 'vitest'
import { InvalidInputError, InvalidOptionError } from '../src/errors.js'
import { extract } from '../src/extract.js'
import type { Article, ExtractResult, NotArticle } from '../src/types.js'

const para = (n: number, word = 'industry'): string =>
  Array.from(
    { length: n },
    (_, i) =>
      `<p>Paragraph ${i} about the ${word}, with several clauses, commas, and enough words to read like prose written by a reporter.</p>`,
  ).join('\n')

const NAV = `<nav><ul>${Array.from({ length: 12 }, (_, i) => `<li><a href="/s/${i}">Section ${i}</a></li>`).join('')}</ul></nav>`

function page(body: string, title = 'Test page'): string {
  return `<!doctype html><html><head><title>${title}</title></head><body>${body}</body></html>`
}

function article(r: ExtractResult): Article {
  if (r.type !== 'article') throw new Error(`expected an article, got ${r.reason}: ${r.message}`)
  return r
}

function notArticle(r: ExtractResult): NotArticle {
  if (r.type !== 'not-article') throw new Error('expected a not-article')
  return r
}

describe('extract: arguments', () => {
  it('rejects bad options with a typed error in p-queue wording', () => {
    expect(() => extract('<p>x</p>', { maxInputLength: 0 })).toThrow(InvalidOptionError)
    expect(() => extract('<p>x</p>', { maxInputLength: 1.5 })).toThrow(
      'Expected `maxInputLength` to be an integer >= 1, got `1.5`',
    )
    expect(() => extract('<p>x</p>', { url: 42 as unknown as string })).toThrow(InvalidOptionError)
    expect(() => extract('<p>x</p>', { parkNames: 'x' as unknown as string[] })).toThrow(InvalidOptionError)
    try {
      extract('<p>x</p>', { minTextLength: -1 })
    } catch (e) {
      expect((e as InvalidOptionError).code).toBe('EXTRACTOR_INVALID_OPTION')
      expect((e as InvalidOptionError).option).toBe('minTextLength')
    }
  })

  it('rejects input that is neither text nor bytes', () => {
    expect(() => extract(42 as unknown as string)).toThrow(InvalidInputError)
    expect(() => extract(null as unknown as string)).toThrow(/got null/)
  })

  it('accepts bytes and reports how they were decoded', () => {
    const html = page(`<article>${para(4)}</article>`)
    const bytes = new TextEncoder().encode(html)
    const r = article(extract(bytes, { url: 'https://example.com/a' }))
    expect(r.decode?.charset).toBe('utf-8')
    expect(article(extract(bytes.buffer as ArrayBuffer)).paragraphs).toHaveLength(4)
    expect(article(extract(html)).decode).toBeNull()
  })
})

describe('extract: the article', () => {
  it('keeps the article paragraphs and drops the navigation, sidebar and footer', () => {
    const html = page(`
      ${NAV}
      <div class="sidebar"><h3>Popular</h3>${para(2, 'sidebar')}</div>
      <div class="article-body">${para(5)}</div>
      <footer><p>Copyright 2024 Example Media. All rights reserved, every one of them.</p></footer>`)
    const r = article(extract(html))
    expect(r.paragraphs.map((b) => b.text)).toEqual(
      Array.from({ length: 5 }, (_, i) => expect.stringContaining(`Paragraph ${i} about the industry`)),
    )
    expect(r.text).not.toContain('Section 3')
    expect(r.text).not.toContain('Copyright')
    expect(r.text.split('\n\n')).toHaveLength(5)
  })

  it('counts Latin words and CJK characters', () => {
    const zh = '苏州工业园区生物医药产业发展迅速，创新企业不断涌现，人工智能与纳米技术齐头并进。'
    const html = page(`<div class="content"><p>${zh}</p><p>${zh}</p><p>Two more words.</p></div>`)
    const r = article(extract(html, { minTextLength: 10 }))
    const cjk = [...zh].filter((c) => /\p{Script=Han}/u.test(c)).length
    expect(r.wordCount).toBe(cjk * 2 + 3)
    expect(r.mentionsPark).toBe(true)
  })

  it('drops the headline that repeats the title', () => {
    const html = page(`<article><h1>Park opens new lab</h1>${para(3)}</article>`, 'Park opens new lab - Example News')
    const r = article(extract(html))
    expect(r.paragraphs.some((b) => b.kind === 'heading' && b.text === 'Park opens new lab')).toBe(false)
  })

  it('returns the same body for bytes and for the decoded string', () => {
    const html = page(`<div id="main">${para(3)}</div>`)
    const fromText = article(extract(html))
    const fromBytes = article(extract(new TextEncoder().encode(html)))
    expect(fromBytes.text).toBe(fromText.text)
  })
})

describe('extract: not an article', () => {
  it('says empty for a page without text', () => {
    expect(notArticle(extract(page('<div><img src="a.png"></div>'))).reason).toBe('empty')
    expect(notArticle(extract('')).reason).toBe('empty')
  })

  it('says not-html for other content', () => {
    expect(notArticle(extract('{"json": true, "more": [1, 2, 3]}')).reason).toBe('not-html')
    expect(notArticle(extract('%PDF-1.7 binary')).reason).toBe('not-html')
    expect(notArticle(extract(page(para(3)), { contentType: 'application/pdf' })).reason).toBe('not-html')
  })

  it('says listing for a page of links and teasers', () => {
    const items = Array.from(
      { length: 30 },
      (_, i) =>
        `<li><a href="/news/${i}.html">Park company ${i} signs a deal with a partner</a> <span>2024-01-0${i % 9}</span></li>`,
    ).join('')
    const r = notArticle(extract(page(`<div class="list"><ul>${items}</ul></div>`)))
    expect(r.reason).toBe('listing')
    expect(r.message).toMatch(/links/)
  })

  it('says login-wall when the page asks to sign in and shows little', () => {
    const html = page(
      '<div class="content"><p>这是会员专享内容，登录后查看全文。</p><form><input type="password" name="pw"></form></div>',
    )
    expect(notArticle(extract(html)).reason).toBe('login-wall')
  })

  it('says too-short below minTextLength', () => {
    const html = page('<div class="content"><p>A single short sentence here, only this.</p></div>')
    const r = notArticle(extract(html))
    expect(r.reason).toBe('too-short')
    expect(r.title).toBe('Test page')
    expect(article(extract(html, { minTextLength: 5 })).paragraphs).toHaveLength(1)
  })
})

describe('extract: pathological input returns', () => {
  it('survives 10,000-deep nesting', () => {
    const deep = `${'<div>'.repeat(10_000)}${para(3)}${'</div>'.repeat(10_000)}`
    const r = article(extract(page(deep)))
    expect(r.paragraphs).toHaveLength(3)
    expect(r.html).toContain('<p>')
  })

  it('survives unclosed and mis-nested tags', () => {
    const html = `<html><body><div class="content"><p>Unclosed paragraph one, with words, and more words to read.<p>Second <b>bold <i>mixed</b> up</i> paragraph, with clauses, commas, and words.<table><tr><td>cell<div>${para(3)}`
    const r = extract(html)
    expect(r.type).toBe('article')
  })

  it('cuts input at maxInputLength', () => {
    const html = page(`<div class="content">${para(50)}</div>`)
    const r = article(extract(html, { maxInputLength: 2_000 }))
    expect(r.paragraphs.length).toBeLessThan(50)
    expect(r.paragraphs.length).toBeGreaterThan(0)
  })

  it('handles a huge table and a 20 MB page', () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => `<tr><td>${i}</td><td>value ${i}</td></tr>`).join('')
    expect(['article', 'not-article']).toContain(extract(page(`<table>${rows}</table>`)).type)
    const big = page(
      `<div class="content">${para(5)}</div>${'<p>filler text <span>more</span> filler</p>'.repeat(500_000)}`,
    )
    expect(big.length).toBeGreaterThan(20_000_000)
    expect(['article', 'not-article']).toContain(extract(big).type)
  })
})
