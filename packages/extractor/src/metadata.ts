import type { CheerioAPI } from 'cheerio'
import type { AnyNode } from 'domhandler'

/** Page-level metadata, before body-text peeling. */
export interface PageMetadata {
  title: string | null
  siteName: string | null
  byline: string[]
  editors: string[]
  source: string | null
  publishedAt: string | null
  modifiedAt: string | null
  canonicalUrl: string | null
  description: string | null
  /** The `lang` the page declares (`<html lang>`, og:locale), not detected. */
  declaredLang: string | null
}

/** What `extractMetadata` may look at besides the document. */
export interface MetadataContext {
  url: string | null
  /** The element the body was found in, when known: text-level metadata is searched around it. */
  bodyRoot: AnyNode | null
}

/**
 * Metadata from JSON-LD, OpenGraph and meta tags first, then the page text.
 * STUB: replaced by the real implementation.
 */
export function extractMetadata($: CheerioAPI, ctx: MetadataContext): PageMetadata {
  const title = $('h1').first().text().trim() || $('title').first().text().trim() || null
  return {
    title,
    siteName: null,
    byline: [],
    editors: [],
    source: null,
    publishedAt: null,
    modifiedAt: null,
    canonicalUrl: ctx.url,
    description: null,
    declaredLang: $('html').attr('lang') ?? null,
  }
}
