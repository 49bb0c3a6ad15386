/**
 * The relevance filter of a site (`relevance:` in the sources file): does an extracted article concern
 * the park or its industries? Pages that fail it are skipped by the runner, never archived as articles.
 */
import type { Article } from '@parkwatch/extractor'
import type { RelevanceFilter } from '@parkwatch/scraper'

/**
 * Whether `article` passes `filter`. `null` or an all-empty filter keeps everything. With `match: any` one
 * of the configured kinds (keywords, park names, industries) must match; with `all`, each configured kind.
 *
 * Park names and keywords are looked for in the title and text as written (the extractor's own
 * `mentionsPark` is also accepted for parks). Industries come from the extractor's keyword classifier.
 *
 * @example
 * ```ts
 * isRelevant({ keywords: [], parks: ['苏州工业园区'], industries: ['ai'], match: 'any' }, article)
 * ```
 */
export function isRelevant(filter: RelevanceFilter | null, article: Article): boolean {
  if (!filter) return true
  const haystack = `${article.title}\n${article.text}`
  const checks: boolean[] = []
  if (filter.keywords.length > 0) checks.push(filter.keywords.some((k) => haystack.includes(k)))
  if (filter.parks.length > 0) checks.push(article.mentionsPark || filter.parks.some((p) => haystack.includes(p)))
  if (filter.industries.length > 0) {
    const wanted = new Set<string>(filter.industries)
    checks.push(article.industries.some((m) => wanted.has(m.industry)))
  }
  if (checks.length === 0) return true
  return filter.match === 'all' ? checks.every(Boolean) : checks.some(Boolean)
}
