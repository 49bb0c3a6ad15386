/**
 * @file `@parkwatch/extractor`: article bodies and metadata out of news pages, tuned for Chinese portals.
 * Pure: no I/O; bytes or HTML plus a URL in, an article (or a reasoned "not an article") out.
 *
 * @example
 * ```ts
 * import { extract } from '@parkwatch/extractor'
 * const result = extract(bytes, { url: 'https://example.com/a.html', contentType: 'text/html; charset=gbk' })
 * if (result.type === 'article') console.log(result.title, result.publishedAt, result.text)
 * ```
 */

export type { DecodedHtml, DecodeOptions } from './decode.js'
export { decodeHtml } from './decode.js'
export { ExtractorError, InvalidInputError, InvalidOptionError, UnsupportedCharsetError } from './errors.js'
export { extract } from './extract.js'
export { classifyIndustries, DEFAULT_INDUSTRY_KEYWORDS, DEFAULT_PARK_NAMES, mentionsPark } from './industries.js'
export { detectLang } from './lang.js'
export type {
  Article,
  ArticleImage,
  Block,
  BlockKind,
  DecodeInfo,
  ExtractOptions,
  ExtractResult,
  Industry,
  IndustryKeywords,
  IndustryMatch,
  NotArticle,
  NotArticleReason,
} from './types.js'
