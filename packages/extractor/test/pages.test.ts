/**
 * Golden pages: every directory under `test/pages/` holds a realistic portal page (`source.html`, raw
 * bytes, possibly not UTF-8) and the article it must yield (`expected.json`, written by hand from the
 * seed table in the fixture's README). The page is fed to `extract` as BYTES so that charset detection
 * is part of what is tested, exactly as the scraper will call it.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Article, BlockKind, ExtractResult, Industry } from '@parkwatch/extractor'
import { extract } from '@parkwatch/extractor'
import { beforeAll, describe, expect, it } from 'vitest'

/** The shape of `expected.json`: the fields of `Article` a human can state for sure about a page. */
interface ExpectedPage {
  url: string
  title: string
  paragraphs: Array<{ kind: BlockKind; text: string }>
  byline: string[]
  editors: string[]
  source: string | null
  publishedAt: string | null
  lang: string
  /** Industry names only; order is not significant (the extractor orders by score). */
  industries: Industry[]
  mentionsPark: boolean
  /** Asserted only when present: some portals have no clear site name. */
  siteName?: string
  /** Asserted only when present: only pages with `<link rel="canonical">` set it. */
  canonicalUrl?: string
  /** Asserted only when present: the label the page declares (`<meta http-equiv>` for GBK pages). */
  declaredCharset?: string
}

const PAGES_DIR = fileURLToPath(new URL('./pages/', import.meta.url))

const slugs = readdirSync(PAGES_DIR, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort()

describe('golden pages', () => {
  it('has the five seed fixtures', () => {
    // Guards against a fixture directory being renamed or lost: each.describe below would silently shrink.
    expect(slugs.length).toBeGreaterThanOrEqual(5)
  })

  describe.each(slugs)('%s', (slug) => {
    const dir = join(PAGES_DIR, slug)
    const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as ExpectedPage
    let result: ExtractResult

    beforeAll(() => {
      // A fresh Uint8Array (not the Buffer) so the extractor sees exactly what the scraper hands it.
      const bytes = new Uint8Array(readFileSync(join(dir, 'source.html')))
      result = extract(bytes, { url: expected.url })
    })

    /** The result as an article; fails the calling test with the extractor's reason otherwise. */
    const article = (): Article => {
      if (result.type !== 'article') {
        expect.fail(`expected an article, got not-article (${result.reason}): ${result.message}`)
      }
      return result
    }

    it('is a well-formed fixture (guards hand edits of expected.json)', () => {
      const size = readFileSync(join(dir, 'source.html')).length
      expect(size).toBeGreaterThanOrEqual(20_000)
      expect(size).toBeLessThanOrEqual(80_000)
      for (const block of expected.paragraphs) {
        expect(['paragraph', 'heading', 'caption', 'list-item', 'quote', 'code', 'table']).toContain(block.kind)
        // Hand-written texts must already be in the collapsed form the extractor is asked for.
        expect(block.text).toBe(block.text.replace(/\s+/g, ' ').trim())
        expect(block.text.length).toBeGreaterThan(0)
      }
      if (expected.publishedAt !== null)
        expect(expected.publishedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/)
    })

    it('is an article for the given url', () => {
      expect(result.type).toBe('article')
      expect(result.url).toBe(expected.url)
    })

    it('has the article title', () => {
      expect(article().title).toBe(expected.title)
    })

    it('has exactly the article blocks, in order, with their kinds', () => {
      const blocks = article().paragraphs.map(({ kind, text }) => ({ kind, text }))
      expect(blocks).toEqual(expected.paragraphs)
    })

    it('joins the block texts into `text` with blank lines', () => {
      expect(article().text).toBe(expected.paragraphs.map((p) => p.text).join('\n\n'))
    })

    it('finds the byline', () => {
      expect(article().byline).toEqual(expected.byline)
    })

    it('finds the editors', () => {
      expect(article().editors).toEqual(expected.editors)
    })

    it('finds the original source', () => {
      expect(article().source).toBe(expected.source)
    })

    it('finds the publication date', () => {
      expect(article().publishedAt).toBe(expected.publishedAt)
    })

    it('detects the language', () => {
      expect(article().lang).toBe(expected.lang)
    })

    it('knows whether the park is mentioned', () => {
      expect(article().mentionsPark).toBe(expected.mentionsPark)
    })

    it('tags the industries the article covers', () => {
      const names = article()
        .industries.map((match) => match.industry)
        .sort()
      expect(names).toEqual([...expected.industries].sort())
    })

    it('reports how the bytes were decoded', () => {
      const decode = article().decode
      expect(decode).not.toBeNull()
      if (expected.declaredCharset !== undefined) {
        expect(decode?.declared?.toLowerCase()).toBe(expected.declaredCharset)
        expect(decode?.source).toBe('meta')
        // `gb2312` is a label of WHATWG `gbk`; decoding with its superset gb18030 is just as right.
        expect(['gbk', 'gb18030']).toContain(decode?.charset)
      }
    })

    // Optional fields get a test only where the fixture states them, so no test is ever skipped.
    if (expected.siteName !== undefined) {
      it('finds the site name', () => {
        expect(article().siteName).toBe(expected.siteName)
      })
    }
    if (expected.canonicalUrl !== undefined) {
      it('finds the canonical url', () => {
        expect(article().canonicalUrl).toBe(expected.canonicalUrl)
      })
    }
  })
})
