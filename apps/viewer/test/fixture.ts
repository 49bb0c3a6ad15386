/**
 * @file A small real archive for the viewer tests: SQLite in a temp dir, three Chinese articles (one in
 * traditional script, one edited over three versions, one whose raw HTML is hostile), plus a 304 and a
 * failed capture.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Archive, createArchive, sqliteBackend } from '@parkwatch/archive'

type ArticleInput = Exclude<Parameters<Archive['ingest']>[1], null>
type Article = Extract<ArticleInput, { type: 'article' }>

/** URLs of the fixture pages. */
export const URLS = {
  edited: 'https://news.sipac.example/biomed/2026/0101.html',
  traditional: 'https://hk.example/ai/park.html',
  hostile: 'https://evil-portal.example/semi/story.html',
} as const

/** The fixture archive and a cleanup function. */
export interface Fixture {
  archive: Archive
  dir: string
  /** Capture id of the hostile page's capture. */
  hostileCaptureId: number
  /** Version ids of the edited article, v1 first. */
  editedVersionIds: number[]
  close(): Promise<void>
}

/** The hostile raw body: every trick the issue lists. */
export const HOSTILE_HTML = `<!doctype html><html><head><meta charset="utf-8">
<meta http-equiv="refresh" content="0;url=http://evil.example/refresh">
<title>恶意页面</title>
<style>body { background: url(http://evil.example/bg.png) } </style>
<link rel="stylesheet" href="http://evil.example/style.css">
<script>
try { window.top.document.title = 'PWNED' } catch (e) {}
try { window.parent.postMessage('pwned', '*') } catch (e) {}
new Image().src = 'http://evil.example/beacon'
document.title = 'PWNED-INNER'
</script>
</head><body>
<h1 id="hostile">半导体企业落户苏州工业园区</h1>
<img src="missing.png" onerror="window.top.document.title='PWNED-ONERROR'">
<img src="http://evil.example/pixel.gif" alt="">
<a id="jslink" href="javascript:window.top.document.title='PWNED-JS'">点击</a>
<svg xmlns="http://www.w3.org/2000/svg"><script>window.top.document.title='PWNED-SVG'</script></svg>
<iframe src="http://evil.example/frame"></iframe>
</body></html>`

/**
 * Build the fixture archive.
 *
 * @example
 * const fx = await createFixture()
 * afterAll(() => fx.close())
 */
export async function createFixture(): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'pw-viewer-'))
  const archive = createArchive({ backend: sqliteBackend({ dir }) })
  const html = (body: string): string => `<!doctype html><html><body>${body}</body></html>`
  const capture = (url: string, fetchedAt: string, body: string, source = 'sipac') => ({
    url,
    source,
    status: 200,
    headers: { 'content-type': 'text/html; charset=utf-8' },
    body,
    fetchedAt,
  })

  const p1 = '苏州工业园区今天发布生物医药产业新政策，支持创新药研发。'
  const p2 = '园区管委会表示，将设立专项基金，规模达到十亿元。'
  const p3 = '多家企业代表出席了发布会。'
  const v1 = article('园区发布生物医药新政', [p1, p2, p3], ['张三'], '2026-01-01T09:00:00+08:00', 'biomedicine')
  const v2 = article(
    '园区发布生物医药产业新政',
    [p1, '园区管委会表示，将设立专项基金，规模达到二十亿元。', p3],
    ['张三', '李四'],
    '2026-01-01T09:00:00+08:00',
    'biomedicine',
  )
  const v3 = article(
    '园区发布生物医药产业新政',
    [p3, p1, '园区管委会表示，将设立专项基金，规模达到二十亿元！'],
    ['张三', '李四'],
    '2026-01-01T09:00:00+08:00',
    'biomedicine',
  )
  const editedVersionIds: number[] = []
  for (const [i, a] of [v1, v2, v3].entries()) {
    const r = await archive.ingest(capture(URLS.edited, `2026-01-0${i + 1}T02:00:00Z`, html(a.text)), a)
    if (r.version) editedVersionIds.push(r.version.id)
  }
  await archive.ingest({ url: URLS.edited, source: 'sipac', status: 304, fetchedAt: '2026-01-04T02:00:00Z' }, null)
  await archive.ingest(
    { url: URLS.edited, source: 'sipac', error: 'ETIMEDOUT: timeout', fetchedAt: '2026-01-05T02:00:00Z' },
    null,
  )

  const trad = article(
    '蘇州工業園區人工智能產業發展迅速',
    ['蘇州工業園區的人工智能企業數量持續增長。', '多家研發中心在園區落戶。'],
    ['王五'],
    '2026-01-02T10:00:00+08:00',
    'ai',
    'zh-Hant',
  )
  await archive.ingest(capture(URLS.traditional, '2026-01-02T03:00:00Z', html(trad.text), 'hk'), trad)

  const hostile = article(
    '半导体企业落户苏州工业园区',
    ['一家半导体企业宣布落户苏州工业园区。<script>alert(1)</script>'],
    ['赵六'],
    '2026-01-03T10:00:00+08:00',
    'semiconductors',
  )
  const h = await archive.ingest(capture(URLS.hostile, '2026-01-03T03:00:00Z', HOSTILE_HTML, 'evil'), hostile)

  return {
    archive,
    dir,
    hostileCaptureId: h.capture.id,
    editedVersionIds,
    async close() {
      await archive.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

// --- Internal helpers ---

function article(
  title: string,
  paragraphs: string[],
  byline: string[],
  publishedAt: string,
  industry: Article['industries'][number]['industry'],
  lang = 'zh-Hans',
): Article {
  const text = paragraphs.join('\n\n')
  return {
    type: 'article',
    url: null,
    title,
    paragraphs: paragraphs.map((t) => ({ kind: 'paragraph', text: t })),
    text,
    html: paragraphs.map((t) => `<p>${t}</p>`).join(''),
    images: [],
    byline,
    editors: [],
    source: null,
    siteName: null,
    publishedAt,
    modifiedAt: null,
    lang,
    canonicalUrl: null,
    description: null,
    industries: [{ industry, score: 3, evidence: [{ term: industry, count: 3 }] }],
    mentionsPark: true,
    wordCount: text.length,
    decode: null,
  }
}
