import { diffVersions, type Page, type Timeline, type Version } from '@parkwatch/archive'
import { describe, expect, it } from 'vitest'
import type { DiffResult } from '../src/data.js'
import { BadParamError } from '../src/errors.js'
import { html, renderContext, SafeHtml } from '../src/html.js'
import { pickLang } from '../src/i18n.js'
import { parseDate, parseId, parseUrl } from '../src/params.js'
import { renderDiffPage } from '../src/render-diff.js'
import { changeFigures } from '../src/render-pages.js'

describe('html template', () => {
  it('escapes every interpolation but SafeHtml', () => {
    const evil = `<img src=x onerror="alert('1')">&`
    expect(html`<p title="${evil}">${evil}</p>`.value).toBe(
      '<p title="&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;">&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;</p>',
    )
    expect(html`${new SafeHtml('<b>ok</b>')}${[1, null, false, undefined, 'a<']}`.value).toBe('<b>ok</b>1a&lt;')
  })
})

describe('language choice', () => {
  it('prefers ?lang=, then the cookie, then Accept-Language, else Chinese', () => {
    expect(pickLang('en', 'zh', 'zh-CN')).toBe('en')
    expect(pickLang(undefined, 'en', 'zh-CN')).toBe('en')
    expect(pickLang(undefined, undefined, 'fr;q=1, en-GB;q=0.8, zh;q=0.5')).toBe('en')
    expect(pickLang(undefined, undefined, 'zh-TW,en;q=0.5')).toBe('zh')
    expect(pickLang('xx', undefined, undefined)).toBe('zh')
  })
})

describe('parameter parsing', () => {
  it('reads a bare date as a day in Asia/Shanghai', () => {
    expect(parseDate('2026-01-02', 'from')).toBe('2026-01-01T16:00:00.000Z')
    expect(parseDate('2026-01-02T03:04:05Z', 'from')).toBe('2026-01-02T03:04:05.000Z')
    expect(() => parseDate('2026-13-45', 'from')).toThrow(BadParamError)
  })

  it('accepts only positive integer ids and http(s) URLs', () => {
    expect(parseId('42', 'id')).toBe(42)
    for (const bad of ['0', '042', '4.2', '1e3', '-1', '', '9999999999999999']) {
      expect(() => parseId(bad, 'id')).toThrow(BadParamError)
    }
    expect(parseUrl('https://a.example/x?y=1')).toBe('https://a.example/x?y=1')
    for (const bad of ['javascript:alert(1)', 'file:///etc/passwd', '../../etc', '']) {
      expect(() => parseUrl(bad)).toThrow(BadParamError)
    }
  })
})

describe('how much changed', () => {
  const change = {
    charsAdded: 20031,
    charsRemoved: 2,
    paragraphsAdded: 1,
    paragraphsRemoved: 0,
    paragraphsChanged: 3,
    paragraphsMoved: 2,
    paragraphsUnchanged: 7,
    metadata: ['title' as const, 'publishedAt' as const],
  }
  const text = (h: SafeHtml) => h.value.replace(/<br>/g, ' / ').replace(/<[^>]+>/g, '')
  const zh = renderContext('zh', '', new URL('http://viewer/'))
  const en = renderContext('en', '', new URL('http://viewer/'))

  it('shows characters, paragraphs and metadata fields compactly in Chinese and English', () => {
    expect(text(changeFigures(zh, change, false))).toBe('+20,031 −2 字 / 改 3 段 · 增 1 段 · 移 2 段 · 标题、发布时间')
    expect(text(changeFigures(en, change, false))).toBe(
      '+20,031 −2 chars / 3 ¶ edited · 1 ¶ added · 2 ¶ moved · title, published',
    )
  })

  it('shows a first version as new, a metadata-only edit and a page without versions', () => {
    expect(text(changeFigures(en, { ...change, charsAdded: 65 }, true))).toBe('new +65 chars')
    const metaOnly = { ...change, charsAdded: 0, charsRemoved: 0, paragraphsAdded: 0, paragraphsChanged: 0 }
    expect(text(changeFigures(zh, { ...metaOnly, paragraphsMoved: 0, metadata: ['byline'] }, false))).toBe(
      '+0 −0 字 / 作者',
    )
    expect(text(changeFigures(zh, { ...metaOnly, paragraphsMoved: 0, metadata: [] }, false))).toBe('+0 −0 字')
    expect(changeFigures(en, null, false).value).toBe('—')
  })
})

describe('diff rendering', () => {
  const paras = (texts: string[]) => texts.map((text) => ({ kind: 'paragraph' as const, text }))
  const base = Array.from({ length: 10 }, (_, i) => `第${i + 1}段：园区企业的发展情况说明。`)
  const edited = base.map((t, i) => (i === 5 ? '第6段：园区企业的发展情况<b>更新</b>说明。' : t))
  const a = { title: '标题', paragraphs: paras(base) }
  const b = { title: '标题', paragraphs: paras(edited) }
  const version = (n: number) => ({ id: n, number: n, createdAt: '2026-01-01T00:00:00Z', title: '标题' }) as Version
  const result: DiffResult = {
    page: { url: 'https://a.example/x', versionCount: 2 } as Page,
    from: version(1),
    to: version(2),
    ignorePunct: false,
    diff: diffVersions(a, b),
  }
  const ctx = renderContext('en', '', new URL('http://viewer/diff'))

  it('folds long unchanged runs and escapes the changed words', () => {
    const out = renderDiffPage(ctx, result, 'inline', 2).value
    expect(out).toContain('<ins>&lt;b&gt;更新&lt;/b&gt;</ins>')
    expect(out.match(/<details class="unchanged">/g)).toHaveLength(2)
    // One paragraph of context stays visible on each side of the change.
    expect(out).toMatch(/<\/details><p class="para">第5段/)
    expect(out).toMatch(/第7段：园区企业的发展情况说明。<\/p><details/)
  })

  it('renders side by side with one row per paragraph', () => {
    const out = renderDiffPage(ctx, result, 'side', 2).value
    expect(out.match(/<tr/g)).toHaveLength(10)
    expect(out).toContain('<tr class="chg changed">')
  })
})

describe('dates', () => {
  it('shows Asia/Shanghai and UTC', async () => {
    const { shanghaiTime, utcTime } = await import('../src/html.js')
    expect(shanghaiTime('2026-01-01T20:30:05Z')).toBe('2026-01-02 04:30:05')
    expect(shanghaiTime('2026-07-01T00:00:00+08:00')).toBe('2026-07-01 00:00:00')
    expect(utcTime('2026-07-01T00:00:00+08:00')).toBe('2026-06-30 16:00:00Z')
    expect(shanghaiTime(null)).toBe('—')
  })
})

describe('timeline rendering', () => {
  it('lists the newest 200 captures unless asked for all, and charts every one', async () => {
    const { renderTimeline } = await import('../src/render-pages.js')
    const captures = Array.from({ length: 250 }, (_, i) => ({
      id: i + 1,
      fetchedAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
      outcome: 'ok',
      status: 200,
      error: null,
      versionNumber: 1,
      bodySize: 10,
    }))
    const tl = {
      page: { url: 'https://a.example/x', host: 'a.example', source: 's', industries: [], title: 'T' },
      captures,
      versions: [],
    } as unknown as Timeline
    const ctx = renderContext('en', '', new URL('http://viewer/page'))
    const newest = renderTimeline(ctx, tl).value
    expect(newest.match(/<tr class="outcome-ok">/g)).toHaveLength(200)
    expect(newest).toContain('href="/capture?id=250"')
    expect(newest).not.toContain('href="/capture?id=50"')
    expect(newest).toContain('captures=all')
    expect(newest.match(/<line [^>]*class="tick ok"/g)).toHaveLength(250)
    expect(renderTimeline(ctx, tl, true).value.match(/<tr class="outcome-ok">/g)).toHaveLength(250)
  })
})
