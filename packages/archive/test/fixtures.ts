/**
 * @file Test fixtures shared by the archive tests: articles and captures built from a few strings.
 */
import type { Article, Industry } from '@parkwatch/extractor'
import type { CaptureInput } from '../src/types.js'

/** Fields of `makeArticle` that tests usually vary. */
export interface ArticleSpec {
  title?: string
  paragraphs?: string[]
  industries?: Industry[]
  publishedAt?: string | null
  byline?: string[]
  source?: string | null
}

/** A complete `Article` with sensible defaults; only the content fields matter to the archive. */
export function makeArticle(spec: ArticleSpec = {}): Article {
  const paragraphs = spec.paragraphs ?? ['苏州工业园区今天发布了生物医药产业的新政策。', '园区将加大对创新企业的支持。']
  const text = paragraphs.join('\n\n')
  return {
    type: 'article',
    url: null,
    title: spec.title ?? '园区发布生物医药新政',
    paragraphs: paragraphs.map((p) => ({ kind: 'paragraph', text: p })),
    text,
    html: paragraphs.map((p) => `<p>${p}</p>`).join(''),
    images: [],
    byline: spec.byline ?? ['张三'],
    editors: [],
    source: spec.source ?? '苏州日报',
    siteName: '园区新闻',
    publishedAt: spec.publishedAt === undefined ? '2026-03-01T09:00:00+08:00' : spec.publishedAt,
    modifiedAt: null,
    lang: 'zh-Hans',
    canonicalUrl: null,
    description: null,
    industries: (spec.industries ?? ['biomedicine']).map((industry) => ({ industry, score: 3, evidence: [] })),
    mentionsPark: true,
    wordCount: text.length,
    decode: null,
  }
}

let clock = Date.parse('2026-03-01T00:00:00Z')

/** A 200 capture of `url` with an HTML body; each call is one minute after the previous one. */
export function makeCapture(url: string, body: string, extra: Partial<CaptureInput> = {}): CaptureInput {
  clock += 60_000
  return {
    url,
    status: 200,
    headers: { 'content-type': 'text/html; charset=utf-8' },
    body: `<html><body>${body}</body></html>`,
    fetchedAt: new Date(clock),
    ...extra,
  }
}
