/**
 * Which of the park's tracked industries an article is about, with the evidence, and whether it is
 * about the park at all. Keyword counting, deliberately simple and explainable: the evidence says
 * which terms matched how often, so a wrong tag can be traced to its words.
 */
import type { Industry, IndustryKeywords, IndustryMatch } from './types.js'

/** Keywords per industry, simplified and traditional script plus English. Override with `extract(…, { industryKeywords })`. */
export const DEFAULT_INDUSTRY_KEYWORDS: IndustryKeywords = {
  biomedicine: [
    '生物医药',
    '生物醫藥',
    '生物药',
    '生物藥',
    '生物制药',
    '生物製藥',
    '医疗器械',
    '醫療器械',
    '创新药',
    '創新藥',
    '新药',
    '新藥',
    '抗体',
    '抗體',
    '单抗',
    '單抗',
    '疫苗',
    '细胞治疗',
    '細胞治療',
    '基因治疗',
    '基因治療',
    '核酸药物',
    '核酸藥物',
    '临床试验',
    '臨床試驗',
    '生物技术',
    '生物技術',
    '大健康',
    'biomedicine',
    'biopharmaceutical',
    'biopharma',
    'biotech',
    'biotechnology',
    'medical device',
    'antibody',
    'antibodies',
    'vaccine',
    'cell therapy',
    'gene therapy',
    'clinical trial',
  ],
  nanotech: [
    '纳米技术',
    '納米技術',
    '纳米新材料',
    '納米新材料',
    '纳米材料',
    '納米材料',
    '纳米城',
    '納米城',
    '纳米产业',
    '納米產業',
    '纳米科技',
    '納米科技',
    '微纳制造',
    '微納製造',
    'MEMS',
    '纳米',
    '納米',
    'nanotechnology',
    'nanotech',
    'nanomaterial',
    'nanomaterials',
    'nanoscale',
  ],
  ai: [
    '人工智能',
    '大模型',
    '机器学习',
    '機器學習',
    '深度学习',
    '深度學習',
    '算力',
    '智能计算',
    '智能計算',
    '机器人',
    '機器人',
    '自动驾驶',
    '自動駕駛',
    '计算机视觉',
    '電腦視覺',
    '语言模型',
    '語言模型',
    '智算',
    'artificial intelligence',
    'machine learning',
    'deep learning',
    'large language model',
    'LLM',
    'AI',
    'computing power',
    'robotics',
  ],
  semiconductors: [
    '第三代半导体',
    '第三代半導體',
    '半导体',
    '半導體',
    '氮化镓',
    '氮化鎵',
    '碳化硅',
    '碳化矽',
    '集成电路',
    '積體電路',
    '集成電路',
    '芯片',
    '晶片',
    '晶圆',
    '晶圓',
    '封装测试',
    '封裝測試',
    '光刻',
    '芯粒',
    'IC设计',
    'semiconductor',
    'semiconductors',
    'integrated circuit',
    'chip',
    'chips',
    'wafer',
    'gallium nitride',
    'silicon carbide',
    'GaN',
    'SiC',
  ],
}

/**
 * Names of Suzhou Industrial Park. A name with ` & ` needs every part in the text: `园区` (the
 * park) alone is any park, but next to `苏州` it is this one.
 */
export const DEFAULT_PARK_NAMES: readonly string[] = [
  '苏州工业园区',
  '蘇州工業園區',
  '苏州园区',
  '蘇州園區',
  '苏州工业园',
  '蘇州工業園',
  '园区 & 苏州',
  '園區 & 蘇州',
  'Suzhou Industrial Park',
  'SIP & Suzhou',
]

/** Options for `classifyIndustries`. */
export interface ClassifyOptions {
  /** A title hit counts this many times a body hit. @default 3 */
  titleWeight?: number
  /** The weighted hits an industry needs to be tagged; one passing mention is not enough. @default 3 */
  minScore?: number
  /**
   * An industry scoring below this share of the best one is a neighbouring field mentioned in passing
   * (集成电路设计 twice in a long AI article). @default 0.1
   */
  minShareOfTop?: number
}

/**
 * Which industries a text is about, with the evidence, best first. Overlapping terms count once, for
 * the longest (`第三代半导体` is not also `半导体`); Latin terms match whole words, and all-capital
 * acronyms (`AI`, `GaN`) match case-sensitively.
 * @example
 * ```ts
 * classifyIndustries('园区生物医药产业', '……抗体……创新药……')
 * // [{ industry: 'biomedicine', score: 5, evidence: [{ term: '生物医药', count: 1 }, …] }]
 * ```
 */
export function classifyIndustries(
  title: string,
  text: string,
  keywords: IndustryKeywords = DEFAULT_INDUSTRY_KEYWORDS,
  options: ClassifyOptions = {},
): IndustryMatch[] {
  const titleWeight = options.titleWeight ?? 3
  const minScore = options.minScore ?? 3
  const matcher = buildMatcher(keywords)
  const titleHits = countTerms(title, matcher)
  const textHits = countTerms(text, matcher)

  const out: IndustryMatch[] = []
  for (const industry of Object.keys(keywords) as Industry[]) {
    const evidence: Array<{ term: string; count: number }> = []
    let score = 0
    for (const term of keywords[industry]) {
      const key = matcher.canonical(term)
      const inTitle = titleHits.get(key) ?? 0
      const inText = textHits.get(key) ?? 0
      if (inTitle + inText === 0 || evidence.some((e) => matcher.canonical(e.term) === key)) continue
      evidence.push({ term, count: inTitle + inText })
      score += inTitle * titleWeight + inText
    }
    if (score >= minScore) out.push({ industry, score, evidence: evidence.sort((a, b) => b.count - a.count) })
  }
  const top = Math.max(0, ...out.map((m) => m.score))
  const minShare = options.minShareOfTop ?? 0.1
  return out.filter((m) => m.score >= top * minShare).sort((a, b) => b.score - a.score)
}

/** Whether the text names the park (see `DEFAULT_PARK_NAMES` for the ` & ` form). */
export function mentionsPark(text: string, names: readonly string[] = DEFAULT_PARK_NAMES): boolean {
  return names.some((name) => name.split(' & ').every((part) => containsTerm(text, part.trim())))
}

// --- Internal helpers ---

interface Matcher {
  /** CJK terms and acronyms, matched as written. */
  exact: RegExp
  /** Latin words and phrases, whole words, any case. */
  words: RegExp
  /** The key a matched text or a configured term is counted under. */
  canonical: (term: string) => string
}

const LATIN = /^[A-Za-z][A-Za-z .-]*$/
const ACRONYM = /^[A-Z][A-Za-z]*[A-Z][A-Za-z]*$/

const cache = new WeakMap<IndustryKeywords, Matcher>()
/** Bound on a matcher's remembered keys: matched text is looked up too, and pages are endless. */
const MAX_CANONICAL_KEYS = 10_000

function buildMatcher(keywords: IndustryKeywords): Matcher {
  const hit = cache.get(keywords)
  if (hit) return hit
  const terms = [...new Set(Object.values(keywords).flat())].filter((t) => t.trim()).sort((a, b) => b.length - a.length)
  // Every configured term is looked up on every call: remember their keys rather than re-testing them.
  const keys = new Map<string, string>()
  const canonical = (t: string): string => {
    let key = keys.get(t)
    if (key === undefined) {
      key = ACRONYM.test(t) ? t : t.toLowerCase()
      if (keys.size < MAX_CANONICAL_KEYS) keys.set(t, key)
    }
    return key
  }
  const isWord = (t: string): boolean => LATIN.test(t) && !ACRONYM.test(t)
  // Alternations, longest first: at each position the longest term wins, so nested terms count once.
  // Two of them because only the Latin words may ignore case (`AI` is not the `ai` in "Thai"), and one
  // `i` flag is much faster on long texts than a character class per letter.
  const exact = terms
    .filter((t) => !isWord(t))
    .map((t) => (LATIN.test(t) ? `(?<![A-Za-z])${escapeRegExp(t)}(?![A-Za-z])` : escapeRegExp(t)))
  const words = terms.filter(isWord).map((t) => escapeRegExp(t))
  const matcher: Matcher = {
    exact: new RegExp(exact.join('|') || '(?!)', 'g'),
    words: new RegExp(words.length ? `(?<![A-Za-z])(?:${words.join('|')})(?![A-Za-z])` : '(?!)', 'gi'),
    canonical,
  }
  cache.set(keywords, matcher)
  return matcher
}

function countTerms(text: string, matcher: Matcher): Map<string, number> {
  const counts = new Map<string, number>()
  // `exec` on the shared global regexes rather than `matchAll`, which clones the regex per call; no
  // term matches the empty string, so every match moves `lastIndex` on.
  for (const re of [matcher.exact, matcher.words]) {
    re.lastIndex = 0
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const key = matcher.canonical(m[0])
      counts.set(key, (counts.get(key) ?? 0) + 1)
    }
  }
  return counts
}

function containsTerm(text: string, term: string): boolean {
  if (!term) return false
  if (!LATIN.test(term)) return text.includes(term)
  const flags = ACRONYM.test(term) || term.length <= 4 ? '' : 'i'
  return new RegExp(`(?<![A-Za-z])${escapeRegExp(term)}(?![A-Za-z])`, flags).test(text)
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
