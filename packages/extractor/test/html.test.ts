import type { Element } from 'domhandler'
import { describe, expect, it } from 'vitest'
import { parseHtml } from '../src/dom.js'
import { extract } from '../src/extract.js'
import { imageSource, parseBase, renderHtml, safeUrl } from '../src/html.js'

const base = parseBase('https://news.example.com/2024/05/story.html')

describe('safeUrl', () => {
  it('resolves relative URLs against the page', () => {
    expect(safeUrl('../img/a.png', base)).toBe('https://news.example.com/2024/img/a.png')
    expect(safeUrl('//cdn.example.com/x.js', base)).toBe('https://cdn.example.com/x.js')
    expect(safeUrl('mailto:desk@example.com', base)).toBe('mailto:desk@example.com')
  })

  it('refuses script, data and fragment URLs, however disguised', () => {
    expect(safeUrl('javascript:alert(1)', base)).toBeNull()
    expect(safeUrl(' JaVa\nScRiPt:alert(1)', base)).toBeNull()
    expect(safeUrl('data:text/html,<b>x</b>', base)).toBeNull()
    expect(safeUrl('#top', base)).toBeNull()
    expect(safeUrl('', base)).toBeNull()
  })

  it('keeps a relative URL as it is when there is no page URL', () => {
    expect(safeUrl('/a/b.html', null)).toBe('/a/b.html')
    expect(parseBase('not a url')).toBeNull()
  })
})

describe('imageSource', () => {
  const img = (attrs: string): Element => {
    const doc = parseHtml(`<img ${attrs}>`)
    return doc.children[0] as Element
  }
  it('prefers lazy-loading attributes over a placeholder src', () => {
    expect(imageSource(img('src="/blank.gif" data-original="/real.jpg"'))).toBe('/real.jpg')
    expect(imageSource(img('srcset="/small.jpg 480w, /big.jpg 1080w"'))).toBe('/small.jpg')
    expect(imageSource(img('src="data:image/png;base64,AAA"'))).toBeUndefined()
  })
})

describe('article html', () => {
  it('contains no scripts, styles, iframes, handlers or javascript: links; URLs are absolute', () => {
    const sentence = (n: number): string =>
      `${
        [
          'The park opened a lab, hired staff, and',
          'Exports rose in May, said the office, while',
          'Funding for startups doubled, and now',
        ][n]
      } the rest of a long paragraph follows here.`
    const html = `<html><body><div class="article-body">
      <p onclick="steal()">${sentence(0)} <a href="next.html" onmouseover="x()">next</a> <a href="javascript:alert(1)">bad</a></p>
      <script>alert('x')</script><style>p{}</style>
      <p>${sentence(1)} <iframe src="https://evil.example.com"></iframe><img src="img/p.jpg" onerror="boom()"></p>
      <p style="color:red" class="x">${sentence(2)} <b>bold</b> <font color="red">font</font></p>
    </div></body></html>`
    const r = extract(html, { url: 'https://news.example.com/2024/05/story.html' })
    if (r.type !== 'article') throw new Error(r.message)
    expect(r.html).not.toMatch(/<script|<style|<iframe|onclick|onmouseover|onerror|javascript:|style=|class=|<font/i)
    expect(r.html).toContain('<a href="https://news.example.com/2024/05/next.html">next</a>')
    expect(r.html).toContain('<img src="https://news.example.com/2024/05/img/p.jpg">')
    expect(r.html).toContain('<b>bold</b>')
    expect(r.html).toContain('bad')
    expect(r.text).not.toContain('alert')
  })

  it('escapes text so page content cannot become markup', () => {
    const out = renderHtml([{ type: 'block', block: { kind: 'paragraph', html: '&lt;b&gt;' } }])
    expect(out).toBe('<p>&lt;b&gt;</p>')
    const fig = renderHtml([{ type: 'image', src: 'https://x.test/"onload="a', alt: '<x>', caption: 'a & b' }])
    expect(fig).toBe(
      '<figure><img src="https://x.test/&quot;onload=&quot;a" alt="&lt;x&gt;"><figcaption>a &amp; b</figcaption></figure>',
    )
  })

  it('prints a caption once, inside the figure', () => {
    const out = renderHtml([
      { type: 'image', src: 'https://x.test/a.jpg', alt: null, caption: '效果图' },
      { type: 'block', block: { kind: 'caption', html: '效果图' } },
      { type: 'block', block: { kind: 'caption', html: 'Another caption' } },
    ])
    expect(out).toBe(
      '<figure><img src="https://x.test/a.jpg"><figcaption>效果图</figcaption></figure>\n<p>Another caption</p>',
    )
  })

  it('groups consecutive list items into one list', () => {
    const li = (html: string, list: 'ul' | 'ol') => ({
      type: 'block' as const,
      block: { kind: 'list-item' as const, html, list },
    })
    const out = renderHtml([li('a', 'ul'), li('b', 'ul'), li('c', 'ol')])
    expect(out).toBe('<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n<ol>\n<li>c</li>\n</ol>')
  })
})
