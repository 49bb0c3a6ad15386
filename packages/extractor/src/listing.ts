/**
 * Deciding that a page is not an article: not HTML at all, empty, behind a login, a listing of links and
 * teasers, or too short. Each rule looks at what the page is made of (how much of its text is links, how
 * much real prose the chosen content holds), never at a particular site.
 */
import type { Element } from 'domhandler'
import { blockLength, type RawBlock } from './clean.js'
import type { TreeIndex } from './dom.js'
import type { NotArticleReason } from './types.js'

/** A verdict: why the page is not an article, with a sentence for logs. */
export interface Verdict {
  reason: NotArticleReason
  message: string
}

const HTML_TYPES = /html|xml|text\/plain|^$/i
const TAG = /<(!doctype|html|head|body|div|p|span|table|meta|title|article|section|br|a|h[1-6]|ul|li|script|img)[\s>/]/i
const LOGIN_PHRASE =
  /(登录|登陆)后(查看|阅读|继续|可见|浏览)|请先(登录|登陆)|sign in to (continue|read|view|access)|log ?in to (continue|read|view|access)|subscribe (now )?to (continue|read|unlock)|create a free account to (continue|read)|this (content|article) is (only )?(available|for) (to )?(subscribers|members)/i
const PASSWORD = /<input[^>]{0,200}type\s*=\s*["']?password/i

/**
 * Whether the input is something other than HTML: a non-HTML content type, binary bytes, or text without
 * a single HTML tag. Returns the verdict, or null for HTML.
 */
export function sniffNotHtml(text: string, contentType: string | null): Verdict | null {
  if (contentType !== null) {
    const mime = (contentType.split(';')[0] ?? '').trim().toLowerCase()
    if (!HTML_TYPES.test(mime)) return { reason: 'not-html', message: `content type ${mime} is not HTML` }
  }
  const head = text.slice(0, 4096)
  if (head.startsWith('%PDF')) return { reason: 'not-html', message: 'the input is a PDF document' }
  let control = 0
  for (let i = 0; i < head.length; i++) {
    const c = head.charCodeAt(i)
    if (c === 0 || c === 0xfffd || (c < 9 && c !== 0)) control++
  }
  if (head.length > 0 && control / head.length > 0.1) return { reason: 'not-html', message: 'the input is binary' }
  const trimmed = head.trimStart()
  if (trimmed === '') return null
  if (!TAG.test(text.slice(0, 200_000))) {
    return { reason: 'not-html', message: 'the input contains no HTML tags' }
  }
  return null
}

/** Facts about the whole page that the verdict needs. */
export interface PageFacts {
  idx: TreeIndex
  /** The page's `<body>` (or document) element index, -1 when the page has no elements. */
  body: number
  /** The raw HTML, for the password-input and login-phrase checks. */
  html: string
  /** The blocks that were extracted as the article. */
  blocks: readonly RawBlock[]
  minTextLength: number
}

/**
 * Why the page is not an article, or null when it is one. Checked in this order: empty, login wall,
 * listing, too short.
 */
export function judgePage(f: PageFacts): Verdict | null {
  const { idx, body, blocks } = f
  const pageChars = body >= 0 ? (idx.text[body] as number) : 0
  if (pageChars === 0) return { reason: 'empty', message: 'the page has no visible text' }
  let prose = 0
  let proseBlocks = 0
  let total = 0
  let linkish = 0
  for (const b of blocks) {
    const len = blockLength(b)
    total += len
    if (b.chars > 0 && b.linkChars / b.chars > 0.5) linkish++
    else if (len >= 40 && b.kind !== 'heading') {
      prose += len
      proseBlocks++
    }
  }
  // Only pages with little prose can be walls; the regexes over the raw HTML are skipped for the rest.
  // A sign-in form alone is common in page headers; it only means a wall when there is next to no prose.
  if ((prose < 600 && LOGIN_PHRASE.test(f.html)) || (prose < 150 && PASSWORD.test(f.html))) {
    return { reason: 'login-wall', message: 'the page asks the reader to sign in and shows little text' }
  }
  const pageLinks = body >= 0 ? (idx.link[body] as number) : 0
  const linkCount = countLinks(idx)
  const pageDensity = pageChars > 0 ? pageLinks / pageChars : 0
  if (total === 0 && linkCount >= 10) {
    return { reason: 'listing', message: `no prose found among ${linkCount} links` }
  }
  if (
    (linkish >= 8 && linkish > proseBlocks * 2 && prose < 1500) ||
    (pageDensity > 0.5 && linkCount >= 20 && prose < 300)
  ) {
    return {
      reason: 'listing',
      message: `the page is mostly links (${Math.round(pageDensity * 100)}% link text, ${linkCount} links)`,
    }
  }
  if (total < f.minTextLength) {
    return {
      reason: 'too-short',
      message: `the body has ${Math.round(total)} characters, fewer than ${f.minTextLength}`,
    }
  }
  return null
}

/** Index of the `<body>` element, or of the first indexed element when there is none. */
export function bodyIndex(idx: TreeIndex): number {
  for (let i = 0; i < idx.nodes.length && i < 64; i++) if ((idx.nodes[i] as Element).name === 'body') return i
  return idx.nodes.length > 0 ? 0 : -1
}

// --- Internal helpers ---

function countLinks(idx: TreeIndex): number {
  let n = 0
  for (let i = 0; i < idx.nodes.length; i++) {
    if ((idx.nodes[i] as Element).name === 'a' && (idx.text[i] as number) > 0) n++
  }
  return n
}
