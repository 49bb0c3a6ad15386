/**
 * Finding the main content: every prose-like block (a paragraph, or a run of inline text inside a
 * container) scores by its length and punctuation, discounted by its link density, and hands that score to
 * its ancestors with decay (the Readability idea). Commas and CJK clause punctuation (，、。；) stand for
 * "sentences", which is what GNE's punctuation density measures on Chinese pages. The best container then
 * widens to an ancestor when several strong candidates share it, and picks up sibling blocks that look like
 * more of the same article.
 */
import type { Element } from 'domhandler'
import { classAndId, linkDensity, type TreeIndex, weightedLength } from './dom.js'

/** Class/id words of furniture: stripped before scoring on the first attempt. */
const UNLIKELY =
  /-ad-|ai2html|banner|breadcrumb|combx|comment|community|cover-wrap|disqus|extra|footer|gdpr|header|legends|menu|relate|remark|replies|rss|shoutbox|sidebar|skyscraper|social|sponsor|supplemental|ad-break|agegate|pagination|pager|popup|yom-remote|recommend|hotnews|crumb|copyright|share|toolbar|subscribe|newsletter|topbar|navbar|login/
/** ...unless the element also says it is content. */
const MAYBE = /and|article|body|column|content|main|mathjax|shadow|detail/
const UNLIKELY_ROLES: ReadonlySet<string> = new Set([
  'menu',
  'menubar',
  'complementary',
  'navigation',
  'alert',
  'alertdialog',
  'dialog',
])
/** Tags that are furniture wherever they sit. */
const FURNITURE_TAGS: ReadonlySet<string> = new Set(['nav', 'aside', 'footer', 'menu', 'form'])

const NEGATIVE =
  /-ad-|hidden|^hid$| hid$| hid |^hid |banner|combx|comment|com-|contact|footer|gdpr|masthead|media|meta|outbrain|promo|relate|scroll|share|shoutbox|sidebar|skyscraper|sponsor|shopping|tags|widget|recommend|breadcrumb|crumb|copyright|nav|menu|author|byline|caption|subscribe|newsletter|signup|teaser/
const POSITIVE = /article|body|content|entry|hentry|h-entry|main|page|post|text|blog|story|detail|trs_editor|zhengwen/

/** Result of `findContent`. */
export interface ContentPick {
  /** Containers that together hold the article, in document order (the top candidate plus siblings). */
  roots: Element[]
  /** Their positions in the index. */
  rootAt: number[]
  /** Index of the top candidate. */
  top: number
  /** Its final score. */
  score: number
  /** Content score per indexed element (0 when an element never received any). */
  scores: Float64Array
  /** Characters of paragraph-like prose (long, few links) below each element. */
  prose: Float64Array
  /** The best-scoring element and its ancestors up to the chosen container: never cleaned away. */
  protect: Set<number>
}

/**
 * Whether an element is furniture by its class, id, role or tag (breadcrumbs, share bars, comments,
 * sidebars, nav, footers, related lists), so it can be dropped before scoring.
 */
export function isUnlikely(el: Element): boolean {
  const name = el.name
  if (name === 'body' || name === 'html' || name === 'a' || name === 'main' || name === 'article') return false
  if (FURNITURE_TAGS.has(name)) return true
  const role = el.attribs.role
  if (role !== undefined && UNLIKELY_ROLES.has(role)) return true
  const ci = classAndId(el)
  return ci !== '' && UNLIKELY.test(ci) && !MAYBE.test(ci)
}

/** +25 when class/id say content, -25 when they say furniture (each of class and id counts once). */
export function classWeight(el: Element): number {
  let w = 0
  const c = el.attribs.class?.toLowerCase()
  const id = el.attribs.id?.toLowerCase()
  if (c) {
    if (NEGATIVE.test(c)) w -= 25
    if (POSITIVE.test(c)) w += 25
  }
  if (id) {
    if (NEGATIVE.test(id)) w -= 25
    if (POSITIVE.test(id)) w += 25
  }
  return w
}

/**
 * Score the indexed document and pick the containers of the main content, or null when no block of
 * prose was found at all.
 */
export function findContent(idx: TreeIndex): ContentPick | null {
  const n = idx.nodes.length
  const scores = new Float64Array(n)
  const initialised = new Uint8Array(n)
  const touch = (i: number): void => {
    if (initialised[i]) return
    initialised[i] = 1
    scores[i] = tagWeight((idx.nodes[i] as Element).name) + classWeight(idx.nodes[i] as Element)
  }
  let any = false
  // Prose characters per element (own inline runs that read like paragraphs), summed over the subtree below.
  const prose = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const own = idx.inline[i] as number
    if (own <= 0) continue
    const el = idx.nodes[i] as Element
    const name = el.name
    // Headings, captions and list entries are not evidence of article prose.
    if (HEADINGS.has(name) || name === 'a' || name === 'figcaption' || name === 'caption') continue
    const len = weightedLength(own, cjkShare(idx, i) * own)
    if (len < 25) continue
    const ld = own > 0 ? (idx.inlineLink[i] as number) / own : 0
    if (ld > 0.6) continue
    if (len >= 50 && ld < 0.3) prose[i] = own
    let s = 1 + (idx.inlinePunct[i] as number) + Math.min(Math.floor(len / 100), 3)
    s *= 1 - ld
    any = true
    // A <p> (or a container with nothing but inline text) is a paragraph: its parent is the container.
    // A container mixing text runs and blocks is itself the container of those runs.
    let at = PARAGRAPHISH.has(name) || (idx.blockKids[i] as number) === 0 ? (idx.parent[i] as number) : i
    for (let level = 0; at >= 0 && level < 5; level++) {
      const anc = idx.nodes[at] as Element
      if (anc.name === 'html') break
      touch(at)
      scores[at] = (scores[at] as number) + (level === 0 ? s : level === 1 ? s / 2 : s / (level * 3))
      at = idx.parent[at] as number
    }
  }
  if (!any) return null
  for (let i = n - 1; i > 0; i--) {
    const p = idx.parent[i] as number
    if (p >= 0) prose[p] = (prose[p] as number) + (prose[i] as number)
  }

  // Final score: discounted by link density; keep the five best.
  const best: Array<[number, number]> = []
  for (let i = 0; i < n; i++) {
    if (!initialised[i]) continue
    const f = (scores[i] as number) * (1 - linkDensity(idx, i))
    scores[i] = f
    if (best.length < 5 || f > (best[best.length - 1] as [number, number])[1]) {
      // Inserted after every entry scoring at least as much: what a stable sort of the appended list
      // gives, without sorting it again for each candidate.
      let at = best.length
      while (at > 0 && (best[at - 1] as [number, number])[1] < f) at--
      best.splice(at, 0, [i, f])
      if (best.length > 5) best.pop()
    }
  }
  const first = best[0]
  if (first === undefined) return null
  let top = first[0]
  const protect = new Set<number>([top])
  top = widenToSharedAncestor(idx, top, best)
  top = climbWhileBetter(idx, scores, top)
  top = expandToProse(idx, prose, top)
  top = recoverFromCrumb(idx, prose, top)
  for (let at = first[0]; at >= 0 && at !== top; at = idx.parent[at] as number) protect.add(at)
  const rootAt = withSiblings(idx, scores, top)
  const roots = rootAt.map((i) => idx.nodes[i] as Element)
  return { roots, rootAt, top, score: scores[top] as number, scores, prose, protect }
}

// --- Internal helpers ---

const HEADINGS: ReadonlySet<string> = new Set(['h1', 'h2', 'h3', 'h4', 'h5', 'h6'])
const PARAGRAPHISH: ReadonlySet<string> = new Set(['p', 'pre', 'td', 'li', 'dd', 'dt', 'th', 'blockquote', 'font'])

function tagWeight(name: string): number {
  switch (name) {
    case 'div':
    case 'article':
    case 'section':
    case 'main':
      return 5
    case 'pre':
    case 'td':
    case 'blockquote':
      return 3
    case 'address':
    case 'ol':
    case 'ul':
    case 'dl':
    case 'dd':
    case 'dt':
    case 'li':
    case 'form':
      return -3
    case 'h1':
    case 'h2':
    case 'h3':
    case 'h4':
    case 'h5':
    case 'h6':
    case 'th':
      return -5
    default:
      return 0
  }
}

/** Share of CJK among an element's characters (used to weigh its own inline text). */
function cjkShare(idx: TreeIndex, i: number): number {
  const t = idx.text[i] as number
  return t > 0 ? Math.min(1, (idx.cjk[i] as number) / t) : 0
}

function ancestors(idx: TreeIndex, i: number): number[] {
  const out: number[] = []
  for (let at = idx.parent[i] as number; at >= 0; at = idx.parent[at] as number) out.push(at)
  return out
}

/**
 * When three or more of the strongest candidates (each at least 75% of the top score) sit under one
 * ancestor of the top candidate, the article is split across them: take that ancestor.
 */
function widenToSharedAncestor(idx: TreeIndex, top: number, best: Array<[number, number]>): number {
  const topScore = (best[0] as [number, number])[1]
  const alternatives: Array<Set<number>> = []
  for (let k = 1; k < best.length; k++) {
    const [i, s] = best[k] as [number, number]
    // Teasers of other posts score high per character but are short; parts of one split article are not.
    const long = (idx.text[i] as number) * 2 >= (idx.text[top] as number)
    if (topScore > 0 && s / topScore >= 0.75 && long) alternatives.push(new Set(ancestors(idx, i)))
  }
  if (alternatives.length < 3) return top
  for (let at = idx.parent[top] as number; at >= 0; at = idx.parent[at] as number) {
    const name = (idx.nodes[at] as Element).name
    if (name === 'body' || name === 'html') break
    let shared = 0
    for (const set of alternatives) if (set.has(at)) shared++
    if (shared >= 3) return at
  }
  return top
}

/**
 * Page builders split one article over many deeply nested sections, so no single container collects the
 * paragraph scores. Move up to an ancestor that holds clearly more prose, as long as prose still makes up
 * most of its text and it is not a link farm.
 */
function expandToProse(idx: TreeIndex, prose: Float64Array, top: number): number {
  let at = idx.parent[top] as number
  for (let steps = 0; at >= 0 && steps < 10; steps++, at = idx.parent[at] as number) {
    const name = (idx.nodes[at] as Element).name
    if (name === 'body' || name === 'html') break
    const p = prose[at] as number
    if (p < (prose[top] as number) * 1.4) continue
    if (p / Math.max(1, idx.text[at] as number) < 0.5 || linkDensity(idx, at) > 0.3) break
    // What the move adds must itself be link-poor: a feed of teasers (linked title plus excerpt) is not.
    const addedText = (idx.text[at] as number) - (idx.text[top] as number)
    const addedLinks = (idx.link[at] as number) - (idx.link[top] as number)
    if (addedText > 0 && addedLinks / addedText > 0.2) break
    top = at
  }
  return top
}

/**
 * A tiny element with a flattering class ("details", "content") can outscore an article whose paragraphs
 * are spread over many sections. When the pick holds under a fifth of the page's prose, take instead the
 * deepest element that still holds half of it.
 */
function recoverFromCrumb(idx: TreeIndex, prose: Float64Array, top: number): number {
  let total = 0
  for (let i = 0; i < idx.nodes.length; i++) if ((idx.parent[i] as number) < 0) total += prose[i] as number
  if (total === 0 || (prose[top] as number) >= total * 0.2) return top
  let at = -1
  // Start from the roots and keep descending into the child holding at least half of all prose.
  let next = -1
  for (let i = 0; i < idx.nodes.length; i++) {
    if ((idx.parent[i] as number) < 0 && (prose[i] as number) >= total * 0.5) next = i
  }
  while (next >= 0) {
    at = next
    next = -1
    // The indexed children, in document order.
    for (let k = at + 1; k < (idx.end[at] as number); k = idx.end[k] as number) {
      if ((prose[k] as number) >= total * 0.5) next = k
    }
  }
  return at >= 0 && linkDensity(idx, at) <= 0.3 ? at : top
}

/** Move up while an ancestor scores better than the candidate (its text is split across the ancestor). */
function climbWhileBetter(idx: TreeIndex, scores: Float64Array, top: number): number {
  let last = scores[top] as number
  const threshold = last / 3
  for (let at = idx.parent[top] as number; at >= 0; at = idx.parent[at] as number) {
    const name = (idx.nodes[at] as Element).name
    if (name === 'body' || name === 'html') break
    const s = scores[at] as number
    if (s === 0) continue
    if (s < threshold) break
    if (s > last) {
      top = at
      break
    }
    last = s
  }
  // A wrapper with a single child adds nothing but may hold the siblings we want next.
  for (let at = idx.parent[top] as number; at >= 0; at = idx.parent[at] as number) {
    const el = idx.nodes[at] as Element
    if (el.name === 'body' || el.name === 'html') break
    if ((idx.text[at] as number) !== (idx.text[top] as number)) break
    top = at
  }
  return top
}

/**
 * The top candidate plus siblings that look like more article: scored siblings above a fifth of the top
 * score (more when they share its class), and link-free paragraphs of real sentences.
 */
function withSiblings(idx: TreeIndex, scores: Float64Array, top: number): number[] {
  const topEl = idx.nodes[top] as Element
  const parent = idx.parent[top] as number
  if (parent < 0) return [top]
  const topScore = scores[top] as number
  const threshold = Math.max(10, topScore * 0.2)
  const topClass = topEl.attribs.class ?? ''
  const out: number[] = []
  // The parent's indexed children, in document order.
  for (let i = parent + 1; i < (idx.end[parent] as number); i = idx.end[i] as number) {
    if (i === top) {
      out.push(top)
      continue
    }
    const el = idx.nodes[i] as Element
    const bonus = topClass !== '' && el.attribs.class === topClass ? topScore * 0.2 : 0
    if ((scores[i] as number) + bonus >= threshold) {
      out.push(i)
      continue
    }
    if (el.name !== 'p' && !((idx.blockKids[i] as number) === 0 && el.name === 'div')) continue
    const len = weightedLength(idx.text[i] as number, idx.cjk[i] as number)
    const ld = linkDensity(idx, i)
    if (len > 80 && ld < 0.25) out.push(i)
    else if (len > 0 && ld === 0 && (idx.punct[i] as number) > 0) out.push(i)
  }
  return out
}
