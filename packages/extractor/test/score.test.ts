import type { Element } from 'domhandler'
import { describe, expect, it } from 'vitest'
import { buildIndex, childPositions, parseHtml } from '../src/dom.js'
import { classWeight, findContent, isUnlikely } from '../src/score.js'

const el = (html: string): Element => parseHtml(html).children[0] as Element

function pick(html: string, strip = true): string[] {
  const idx = buildIndex(parseHtml(html), { drop: strip ? isUnlikely : null })
  const found = findContent(idx)
  return found === null ? [] : found.roots.map((r) => r.attribs.id ?? r.name)
}

const en = (n: number): string =>
  Array.from(
    { length: n },
    (_, i) => `<p>Report line ${i}, with commas, clauses, and the plain prose of news.</p>`,
  ).join('')
const zh = (n: number): string =>
  Array.from({ length: n }, (_, i) => `<p>第${i}段：园区企业加快创新，产值持续增长，产业链上下游协同发展。</p>`).join(
    '',
  )

describe('class and tag hints', () => {
  it('weighs content words up and furniture words down', () => {
    expect(classWeight(el('<div class="article-content">'))).toBe(25)
    expect(classWeight(el('<div class="sidebar-widget">'))).toBe(-25)
    expect(classWeight(el('<div class="post" id="comments">'))).toBe(0)
    expect(classWeight(el('<div>'))).toBe(0)
  })

  it('calls nav, asides, share bars and breadcrumbs unlikely, but not content', () => {
    expect(isUnlikely(el('<nav>'))).toBe(true)
    expect(isUnlikely(el('<div role="navigation">'))).toBe(true)
    expect(isUnlikely(el('<div class="share-buttons">'))).toBe(true)
    expect(isUnlikely(el('<div class="breadcrumb">'))).toBe(true)
    expect(isUnlikely(el('<div class="comment-content">'))).toBe(false)
    expect(isUnlikely(el('<article class="sidebar">'))).toBe(false)
  })
})

describe('findContent', () => {
  it('picks the prose over a longer list of links', () => {
    const links = Array.from(
      { length: 40 },
      (_, i) => `<li><a href="/${i}">Headline number ${i} of the day</a></li>`,
    ).join('')
    const html = `<body><div id="menu"><ul>${links}</ul></div><div id="story">${en(6)}</div></body>`
    expect(pick(html)).toEqual(['story'])
  })

  it('uses CJK punctuation: Chinese paragraphs win over a teaser column', () => {
    const teasers = Array.from(
      { length: 12 },
      (_, i) => `<div><a href="/n/${i}">园区第${i}条新闻标题很长很长很长的标题</a></div>`,
    ).join('')
    const html = `<body><div id="side">${teasers}</div><div id="zw">${zh(5)}</div></body>`
    expect(pick(html)).toEqual(['zw'])
  })

  it('merges siblings of an article split by an advert', () => {
    const html = `<body><div id="wrap"><div id="part1" class="text">${en(5)}</div><div class="ad-slot"><a href="/ad">Ad</a></div><div id="part2" class="text">${en(5)}</div></div><div id="foot"><p>About us</p></div></body>`
    const roots = pick(html)
    // Either the shared wrapper or both parts as siblings; never one half, never the footer.
    const both = roots.includes('wrap') || (roots.includes('part1') && roots.includes('part2'))
    expect(both).toBe(true)
    expect(roots).not.toContain('foot')
  })

  it('returns null when there is no prose at all', () => {
    expect(pick('<body><div><a href="/">Home</a></div></body>')).toEqual([])
    const idx = buildIndex(parseHtml(''))
    expect(findContent(idx)).toBeNull()
  })
})

describe('buildIndex', () => {
  it('measures text, links and punctuation without scripts or hidden parts', () => {
    const idx = buildIndex(
      parseHtml(
        '<div id="a">Hello, world <a href="/">link</a><script>var x = 1, y = 2</script><span hidden>secret</span></div>',
      ),
    )
    const i = 0
    expect(idx.text[i]).toBe('Hello,world'.length + 'link'.length)
    expect(idx.link[i]).toBe(4)
    expect(idx.punct[i]).toBe(1)
    const withHidden = buildIndex(parseHtml('<div><span hidden>secret</span></div>'), { keepHidden: true })
    expect(withHidden.text[0]).toBe(6)
  })

  it("knows where each element's subtree ends and where its children are", () => {
    const idx = buildIndex(
      parseHtml('<div><p>a</p>text<nav>menu</nav><p>b <b>c</b></p><script>x</script></div><p>d</p>'),
      { drop: isUnlikely },
    )
    // div, p, p, b, p: the nav was dropped as furniture and the script is never indexed.
    expect(idx.nodes.map((el) => el.name)).toEqual(['div', 'p', 'p', 'b', 'p'])
    expect(Array.from(idx.end)).toEqual([4, 2, 4, 4, 5])
    expect(childPositions(idx, 0)).toEqual([1, -1, -1, 2, -1])
    expect(childPositions(idx, 2)).toEqual([-1, 3])
    // A reused array is overwritten from the start; entries past the children stay as they were.
    expect(childPositions(idx, 2, [9, 9, 9])).toEqual([-1, 3, 9])
  })
})
