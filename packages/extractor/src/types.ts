/**
 * The shapes `@parkwatch/extractor` returns. Everything here is plain data (JSON-serialisable), so an
 * article can be stored, diffed and sent over the wire as it is.
 */

/** What a block of the article body is. */
export type BlockKind = 'paragraph' | 'heading' | 'caption' | 'list-item' | 'quote' | 'code' | 'table'

/** One block of the article body, in reading order. */
export interface Block {
  kind: BlockKind
  /** The block's text, whitespace collapsed, noise (watermarks, pinyin annotations) removed. */
  text: string
  /** Heading level 1-6, only for `kind: 'heading'`. */
  level?: number
}

/** An image that belongs to the article. */
export interface ArticleImage {
  /** Absolute URL (resolved against the page URL when one was given). */
  src: string
  alt: string | null
  /** The caption (figcaption, or a caption paragraph right below the image). */
  caption: string | null
}

/** The park's industries that parkwatch tracks. */
export type Industry = 'biomedicine' | 'nanotech' | 'ai' | 'semiconductors'

/** Why the article was tagged with an industry: which keywords matched and how often. */
export interface IndustryMatch {
  industry: Industry
  /** Total keyword hits in title (weighted) and text. */
  score: number
  evidence: Array<{ term: string; count: number }>
}

/** How the input bytes were turned into text. */
export interface DecodeInfo {
  /** WHATWG encoding name actually used, e.g. `utf-8`, `gb18030`, `big5`. */
  charset: string
  /** Where the charset came from. */
  source: 'bom' | 'header' | 'meta' | 'detected' | 'default' | 'string'
  /** The label the page or header declared, if any (e.g. `gb2312`). */
  declared: string | null
}

/** A successfully extracted article. */
export interface Article {
  type: 'article'
  /** The URL the extraction was asked about (as given), or null. */
  url: string | null
  /** The article's own title, without the portal's " _网易财经" style suffix. */
  title: string
  /** Body blocks in reading order. */
  paragraphs: Block[]
  /** `paragraphs` texts joined by a blank line. */
  text: string
  /** Clean article HTML: safe tags only, no scripts or event attributes, absolute links and image URLs. */
  html: string
  images: ArticleImage[]
  /** Authors (记者 / 作者 / By …). */
  byline: string[]
  /** Editors and reviewers (编辑 / 责编 / 审核 / 校对 …). */
  editors: string[]
  /** The original publisher when the page republishes (来源: / 文章来源:). */
  source: string | null
  /** The portal's name (og:site_name, or the `<title>` suffix). */
  siteName: string | null
  /** ISO-8601 with offset; Chinese pages without a zone are taken as +08:00. */
  publishedAt: string | null
  modifiedAt: string | null
  /** BCP-47: `zh-Hans`, `zh-Hant`, `en`, … */
  lang: string | null
  canonicalUrl: string | null
  description: string | null
  industries: IndustryMatch[]
  /** Whether the article is about Suzhou Industrial Park (苏州工业园区 and its other names). */
  mentionsPark: boolean
  /** Latin words plus CJK characters in `text`. */
  wordCount: number
  /** Present when the input was bytes. */
  decode: DecodeInfo | null
}

/** Why a page is not an article. */
export type NotArticleReason = 'empty' | 'listing' | 'login-wall' | 'too-short' | 'not-html'

/** The clear "not an article" answer, with the reason. */
export interface NotArticle {
  type: 'not-article'
  url: string | null
  reason: NotArticleReason
  /** A sentence saying what was seen, for logs. */
  message: string
  /** The page title, when there was one. */
  title: string | null
  decode: DecodeInfo | null
}

export type ExtractResult = Article | NotArticle

/** Keyword lists per industry; see `DEFAULT_INDUSTRY_KEYWORDS`. */
export type IndustryKeywords = Record<Industry, readonly string[]>

/** Options for `extract`. */
export interface ExtractOptions {
  /** The page URL: used to resolve links and images and for the canonical URL. @default null */
  url?: string | null
  /** The HTTP Content-Type header, when the input is bytes. @default null */
  contentType?: string | null
  /** Replace the industry keyword lists. @default DEFAULT_INDUSTRY_KEYWORDS */
  industryKeywords?: IndustryKeywords
  /** Names of the park to look for. @default DEFAULT_PARK_NAMES */
  parkNames?: readonly string[]
  /**
   * Inputs larger than this many characters are cut before parsing, so a runaway page costs bounded
   * time. @default 5_000_000
   */
  maxInputLength?: number
  /** Fewer body characters than this (CJK counts 1, Latin words count their length) is `too-short`. @default 60 */
  minTextLength?: number
}
