/**
 * The article's own title. `<title>` usually carries the portal's suffix (`… _网易财经`, `… - 新浪财经 -
 * 新浪网`, `… | Reuters`); headings and og:title usually do not. Comparing the candidates finds the
 * suffix, which then names the site when og:site_name is missing.
 */

/** Candidates for `chooseTitle`. */
export interface TitleCandidates {
  /** The `<title>` text. */
  docTitle: string
  /** `<h1>` texts in document order. */
  headings: string[]
  /** JSON-LD headline, og:title, twitter:title, ArticleTitle: best first. */
  structured: string[]
  /** og:site_name (or another explicit site name), when present. */
  siteName: string | null
  /**
   * Texts of other title-like elements (`<h2>`, `.title`). Only used when `<title>` starts with one:
   * a sidebar full of `.title` links must not provide the title otherwise. @default []
   */
  titleElements?: string[]
}

/** Separators portals put between the title and the site name. */
const SEPARATOR = /\s*(?:[_|｜–—»]|\s[-·]\s|--|-(?=[\u4e00-\u9fff])|(?<=[\u4e00-\u9fff])-)\s*/
const SEPARATOR_G = new RegExp(SEPARATOR.source, 'g')
const SEPARATORS_AT_END = /[\s_|｜–—»·-]+$/

/**
 * Pick the title and, from the `<title>` suffix, the site name.
 * @example
 * ```ts
 * chooseTitle({ docTitle: '园区向高能级迈进_网易江苏', headings: ['园区向高能级迈进'], structured: [], siteName: null })
 * // { title: '园区向高能级迈进', siteName: '网易江苏' }
 * ```
 */
export function chooseTitle(c: TitleCandidates): { title: string | null; siteName: string | null } {
  const doc = c.docTitle.trim()
  const others = (c.titleElements ?? []).filter((t) => t.length >= 6 && doc.startsWith(t))
  const suffix = findSuffix(doc, [...c.headings, ...c.structured, ...others], c.siteName)
  const strip = (t: string): string => stripAffix(t, suffix, c.siteName)
  const stripped = doc ? strip(doc) : ''

  // A heading that the <title> starts with (or repeats) is the article's own title, not a logo.
  const matching = c.headings.find(
    (h) =>
      h === stripped ||
      (h.length >= 4 && doc.length > 0 && (doc.startsWith(h) || (stripped.length >= 4 && h.startsWith(stripped)))),
  )
  const structured = c.structured.map(strip).find((t) => t.length >= 2)
  const element = others.find((t) => t === stripped)
  const heading = c.headings.find((h) => h.length >= 6 && h !== c.siteName && h !== suffix?.site)
  const title = matching ?? structured ?? element ?? heading ?? (stripped || null)
  return { title: title ? title.trim() : null, siteName: suffix?.site ?? null }
}

// --- Internal helpers ---

interface Suffix {
  /** The whole removed tail, separators included, e.g. ` _网易财经_网易`. */
  tail: string
  /** The site name the tail carries (its last part). */
  site: string | null
}

/**
 * The `<title>` tail that follows the article title. First by comparison (the `<title>` starts with
 * a known candidate and a separator follows), else the last separated part when it is short.
 */
function findSuffix(doc: string, candidates: string[], siteName: string | null): Suffix | null {
  if (!doc) return null
  for (const cand of candidates) {
    const t = cand.trim()
    if (t.length >= 2 && t.length < doc.length && doc.startsWith(t)) {
      const tail = doc.slice(t.length)
      // A plain space separates too, once a candidate proves where the title ends.
      if (new RegExp(`^${SEPARATOR.source}`).test(tail) || /^\s/.test(tail)) return { tail, site: siteOf(tail) }
    }
  }
  if (siteName && doc.endsWith(siteName) && doc.length > siteName.length) {
    const head = doc.slice(0, -siteName.length)
    if (SEPARATORS_AT_END.test(head))
      return { tail: doc.slice(head.replace(SEPARATORS_AT_END, '').length), site: siteName }
  }
  const parts = doc.split(SEPARATOR_G)
  const last = parts.at(-1) ?? ''
  const rest = parts.slice(0, -1).join('')
  // Only a short tail after a longer head is a site name; `A - B` halves of a real title are kept.
  if (parts.length >= 2 && last.length > 0 && last.length <= 24 && rest.length >= last.length) {
    let cut = doc.lastIndexOf(last)
    // Strip a channel before the site too (`标题_网易财经_网易`): short parts at the end.
    for (let i = parts.length - 2; i >= 1; i--) {
      const part = parts[i] ?? ''
      if (part.length > 12) break
      cut = doc.lastIndexOf(part, cut - 1)
    }
    const head = doc.slice(0, cut).replace(SEPARATORS_AT_END, '')
    return { tail: doc.slice(head.length), site: last.trim() }
  }
  return null
}

function siteOf(tail: string): string | null {
  const parts = tail.split(SEPARATOR_G).filter((p) => p.trim())
  return parts.at(-1)?.trim() ?? null
}

function stripAffix(title: string, suffix: Suffix | null, siteName: string | null): string {
  let t = title.trim()
  if (suffix && t.endsWith(suffix.tail) && t.length > suffix.tail.length) t = t.slice(0, -suffix.tail.length)
  if (siteName && t.endsWith(siteName) && t.length > siteName.length) {
    const head = t.slice(0, -siteName.length)
    if (SEPARATORS_AT_END.test(head)) t = head.replace(SEPARATORS_AT_END, '')
  }
  return t.trim()
}
