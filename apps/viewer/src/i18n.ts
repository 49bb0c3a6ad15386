/**
 * @file UI strings in Chinese and English. The language comes from `?lang=`, then the `pw_lang` cookie,
 * then `Accept-Language`; Chinese is the default for a browser that says nothing.
 */

/** A supported UI language. */
export type Lang = 'zh' | 'en'

const EN = {
  appName: 'parkwatch viewer',
  home: 'Home',
  search: 'Search',
  searchPlaceholder: 'Search the archive (中文 or English)',
  recentChanges: 'Recent changes',
  bySite: 'By site',
  byIndustry: 'By industry',
  filters: 'Filters',
  site: 'Site',
  source: 'Source',
  industry: 'Industry',
  any: 'any',
  publishedFrom: 'Published from',
  publishedTo: 'Published before',
  changedSince: 'Changed since',
  minVersions: 'At least N versions',
  apply: 'Apply',
  title: 'Title',
  changed: 'Changed',
  howMuch: 'How much',
  chars: 'chars',
  newPage: 'new',
  parasChanged: '{n} ¶ edited',
  parasAdded: '{n} ¶ added',
  parasRemoved: '{n} ¶ removed',
  parasMoved: '{n} ¶ moved',
  versions: 'Versions',
  captures: 'Captures',
  allCaptures: 'Show every capture',
  noPages: 'No pages match.',
  previous: 'Previous',
  next: 'Next',
  results: 'results',
  noResults: 'Nothing found.',
  timeline: 'Timeline',
  firstCaptured: 'First captured',
  lastCaptured: 'Last captured',
  fetchedAt: 'Fetched (Shanghai / UTC)',
  status: 'Status',
  outcome: 'Outcome',
  version: 'Version',
  raw: 'Raw',
  compare: 'Compare',
  compareWithPrevious: 'diff with previous',
  from: 'From',
  to: 'To',
  diff: 'Diff',
  inline: 'Inline',
  sideBySide: 'Side by side',
  ignorePunct: 'Ignore whitespace & punctuation',
  showAll: 'Show every change',
  permalink: 'Permalink',
  prevChange: '◀ previous change (k)',
  nextChange: 'next change (j) ▶',
  metadata: 'Metadata changes',
  field: 'Field',
  before: 'Before',
  after: 'After',
  identical: 'The two versions are identical under these options.',
  moved: 'moved',
  unchanged: 'Unchanged paragraphs',
  summary: 'Summary',
  article: 'Article',
  byline: 'Byline',
  editors: 'Editors',
  published: 'Published',
  modified: 'Modified',
  capture: 'Capture',
  headers: 'Response headers',
  download: 'Download raw body',
  downloadWarc: 'Download WARC (.warc.gz)',
  rawNote:
    'The archived page is shown as captured, in a sandbox: its scripts do not run and it loads nothing from the live site.',
  noBody: 'This capture has no body.',
  error: 'Error',
  notFound: 'Not found',
  stats: 'Archive',
  pages: 'pages',
  chartLabel: 'When the page was captured (grey) and changed (blue)',
  requested: 'Requested URL',
  finalUrl: 'Final URL',
  size: 'Size',
} as const

/** A key of the UI dictionary. */
export type MessageKey = keyof typeof EN

const ZH: Record<MessageKey, string> = {
  appName: 'parkwatch 存档浏览',
  home: '首页',
  search: '搜索',
  searchPlaceholder: '搜索存档（中文或英文）',
  recentChanges: '最近变更',
  bySite: '按网站',
  byIndustry: '按产业',
  filters: '筛选',
  site: '网站',
  source: '来源',
  industry: '产业',
  any: '全部',
  publishedFrom: '发布起始',
  publishedTo: '发布截止',
  changedSince: '变更自',
  minVersions: '至少 N 个版本',
  apply: '应用',
  title: '标题',
  changed: '变更时间',
  howMuch: '改动',
  chars: '字',
  newPage: '新',
  parasChanged: '改 {n} 段',
  parasAdded: '增 {n} 段',
  parasRemoved: '删 {n} 段',
  parasMoved: '移 {n} 段',
  versions: '版本',
  captures: '抓取',
  allCaptures: '显示全部抓取',
  noPages: '没有符合条件的页面。',
  previous: '上一页',
  next: '下一页',
  results: '条结果',
  noResults: '没有找到。',
  timeline: '时间线',
  firstCaptured: '首次抓取',
  lastCaptured: '最近抓取',
  fetchedAt: '抓取时间（上海 / UTC）',
  status: '状态',
  outcome: '结果',
  version: '版本',
  raw: '原始',
  compare: '比较',
  compareWithPrevious: '与上一版比较',
  from: '从',
  to: '到',
  diff: '差异',
  inline: '合并视图',
  sideBySide: '并排视图',
  ignorePunct: '忽略空白和标点',
  showAll: '显示全部变更',
  permalink: '永久链接',
  prevChange: '◀ 上一处 (k)',
  nextChange: '下一处 (j) ▶',
  metadata: '元数据变更',
  field: '字段',
  before: '之前',
  after: '之后',
  identical: '在当前选项下两个版本相同。',
  moved: '已移动',
  unchanged: '未变更的段落',
  summary: '摘要',
  article: '文章',
  byline: '作者',
  editors: '编辑',
  published: '发布',
  modified: '修改',
  capture: '抓取记录',
  headers: '响应头',
  download: '下载原始内容',
  downloadWarc: '下载 WARC（.warc.gz）',
  rawNote: '存档页面按抓取时的原样显示在沙箱中：其脚本不会运行，也不会从原网站加载任何内容。',
  noBody: '此抓取没有内容。',
  error: '错误',
  notFound: '未找到',
  stats: '存档',
  pages: '个页面',
  chartLabel: '页面被抓取（灰色）和变更（蓝色）的时间',
  requested: '请求地址',
  finalUrl: '最终地址',
  size: '大小',
}

const INDUSTRY_NAMES: Record<Lang, Record<string, string>> = {
  en: { biomedicine: 'Biomedicine', nanotech: 'Nanotech', ai: 'AI', semiconductors: 'Semiconductors' },
  zh: { biomedicine: '生物医药', nanotech: '纳米技术', ai: '人工智能', semiconductors: '半导体' },
}

const FIELD_NAMES: Record<Lang, Record<string, string>> = {
  en: {
    title: 'title',
    byline: 'byline',
    editors: 'editors',
    source: 'source',
    siteName: 'site name',
    publishedAt: 'published',
    modifiedAt: 'modified',
    lang: 'language',
    canonicalUrl: 'canonical URL',
    description: 'description',
    industries: 'industries',
  },
  zh: {
    title: '标题',
    byline: '作者',
    editors: '编辑',
    source: '来源',
    siteName: '网站名',
    publishedAt: '发布时间',
    modifiedAt: '修改时间',
    lang: '语言',
    canonicalUrl: '规范地址',
    description: '摘要',
    industries: '产业',
  },
}

/** A translator for one language. */
export type Translate = (key: MessageKey) => string

/** The translator for `lang`. */
export function translator(lang: Lang): Translate {
  return lang === 'en' ? (key) => EN[key] : (key) => ZH[key]
}

/** The display name of an industry id. */
export function industryName(lang: Lang, industry: string): string {
  return INDUSTRY_NAMES[lang][industry] ?? industry
}

/** The display name of an article metadata field (`title`, `byline`, …) as the archive names it. */
export function fieldName(lang: Lang, field: string): string {
  return FIELD_NAMES[lang][field] ?? field
}

/**
 * Pick the UI language from the `lang` query parameter, the `pw_lang` cookie and `Accept-Language`.
 *
 * @example
 * pickLang(undefined, undefined, 'en-US,en;q=0.9') // 'en'
 */
export function pickLang(
  query: string | undefined,
  cookie: string | undefined,
  acceptLanguage: string | undefined,
): Lang {
  for (const v of [query, cookie]) if (v === 'zh' || v === 'en') return v
  if (acceptLanguage) {
    const first = acceptLanguage
      .split(',')
      .map((part) => {
        const [tag = '', ...params] = part.trim().split(';')
        const q = params.find((p) => p.trim().startsWith('q='))
        return { tag: tag.toLowerCase(), q: q ? Number(q.trim().slice(2)) || 0 : 1 }
      })
      .filter((x) => x.tag.startsWith('zh') || x.tag.startsWith('en'))
      .sort((a, b) => b.q - a.q)[0]
    if (first) return first.tag.startsWith('en') ? 'en' : 'zh'
  }
  return 'zh'
}
