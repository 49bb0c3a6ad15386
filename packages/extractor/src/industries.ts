import type { Industry, IndustryKeywords, IndustryMatch } from './types.js'

/** Keywords per industry, simplified and traditional script. Override with `extract(…, { industryKeywords })`. */
export const DEFAULT_INDUSTRY_KEYWORDS: IndustryKeywords = {
  biomedicine: ['生物医药', '生物药', '医疗器械'],
  nanotech: ['纳米技术', '纳米'],
  ai: ['人工智能', '大模型'],
  semiconductors: ['半导体', '氮化镓', '集成电路'],
}

/** Names of Suzhou Industrial Park. */
export const DEFAULT_PARK_NAMES: readonly string[] = ['苏州工业园区', 'Suzhou Industrial Park']

/**
 * Which industries a text is about, with the evidence.
 * STUB: replaced by the real implementation.
 */
export function classifyIndustries(
  title: string,
  text: string,
  keywords: IndustryKeywords = DEFAULT_INDUSTRY_KEYWORDS,
): IndustryMatch[] {
  const out: IndustryMatch[] = []
  for (const industry of Object.keys(keywords) as Industry[]) {
    const evidence = keywords[industry]
      .map((term) => ({ term, count: (title + text).split(term).length - 1 }))
      .filter((e) => e.count > 0)
    if (evidence.length) out.push({ industry, score: evidence.reduce((s, e) => s + e.count, 0), evidence })
  }
  return out
}

/** Whether the text names the park. */
export function mentionsPark(text: string, names: readonly string[] = DEFAULT_PARK_NAMES): boolean {
  return names.some((n) => text.includes(n))
}
