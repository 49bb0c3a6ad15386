/**
 * Credit lines as Chinese and English news pages print them: `来源:新华网 作者:张三`, `记者 蔡姝雯 张宣`,
 * `文/李四`, `By Jane Doe and John Smith`, `编辑:湯心慈 責編:胡蘇 肖玲 審核:袁享林`. Shared by the
 * page-level metadata search and the body clean-up.
 */
import { findDate, isDateLine } from './dates.js'

/** What a labelled field is about. */
export type FieldKind = 'source' | 'byline' | 'editor' | 'date' | 'other'

/** One `label:value` pair found in a line. */
export interface LabelledField {
  kind: FieldKind
  label: string
  value: string
}

/**
 * Labels per kind, simplified and traditional. The regex tries the longest first, so `收集编辑` is not
 * read as `编辑` and `文章来源` is not read as `来源`.
 */
export const FIELD_LABELS: Readonly<Record<FieldKind, readonly string[]>> = {
  source: [
    '文章来源',
    '新闻来源',
    '新聞來源',
    '信息来源',
    '稿件来源',
    '内容来源',
    '文章來源',
    '来源',
    '來源',
    '稿源',
    '出处',
    '出處',
    'Source',
  ],
  byline: ['作者', '记者', '記者', '撰文', '撰稿', '通讯员', '通訊員', '文字', '供稿'],
  editor: [
    '责任编辑',
    '責任編輯',
    '值班编辑',
    '實習編輯',
    '实习编辑',
    '编辑',
    '編輯',
    '责编',
    '責編',
    '审核',
    '審核',
    '审校',
    '審校',
    '校对',
    '校對',
    '初审',
    '初審',
    '复审',
    '複審',
    '终审',
    '終審',
    '一审',
    '二审',
    '三审',
    '监制',
    '監製',
    '编审',
    '編審',
    '美编',
    '美編',
  ],
  date: [
    '发布时间',
    '發布時間',
    '发布日期',
    '發佈時間',
    '发表时间',
    '發表時間',
    '更新时间',
    '更新時間',
    '时间',
    '時間',
    '日期',
  ],
  other: [
    '收集编辑',
    '收集編輯',
    '字体',
    '字體',
    '字号',
    '字號',
    '浏览',
    '瀏覽',
    '阅读',
    '閱讀',
    '点击',
    '點擊',
    '评论',
    '評論',
    '分享',
    '打印',
  ],
}

const LABEL_KIND = new Map<string, FieldKind>()
for (const [kind, labels] of Object.entries(FIELD_LABELS) as Array<[FieldKind, readonly string[]]>) {
  for (const label of labels) LABEL_KIND.set(label.toLowerCase(), kind)
}
const LABEL_RE = new RegExp(`(${[...LABEL_KIND.keys()].sort((a, b) => b.length - a.length).join('|')})\\s*[:：]`, 'gi')

const CJK = /[\u3400-\u9fff]/
/**
 * Between Latin names: `,` `;` `&` or `and`, with any spaces around them. Leading
 * spaces are taken only from the start of their run (a split never resumes inside one), so a long run
 * is not rescanned from every position in it.
 */
export const NAME_LIST_SEPARATOR: RegExp = /(?:(?<!\s)\s+)?(?:,|;|&|\band\b)\s*/i
/** Words that follow a name in a credit without being part of it (`张三 摄`, `李四 报道`). */
const CREDIT_SUFFIX_WORDS: readonly string[] = [
  '摄影',
  '摄',
  '攝影',
  '攝',
  '报道',
  '報道',
  '整理',
  '整合',
  '综合',
  '綜合',
  '编译',
  '編譯',
  '实习生',
  '實習生',
  '图',
  '圖',
  '文',
]
const SPACE = /\s/

/**
 * `value` without its trailing credit words, i.e. what `value.replace(/(?:\s*(?:摄影?|…|文))+$/, '')`
 * gives, in linear time: that regex rescans a whitespace or suffix-word run from every position in it,
 * quadratic on a long meta value. No suffix word ends with another one, so reading the run backwards
 * from the end has one parse.
 */
function stripCreditSuffix(value: string): string {
  let end = value.length
  let cut = -1
  for (;;) {
    const word = CREDIT_SUFFIX_WORDS.find((w) => value.endsWith(w, end))
    if (word === undefined) break
    end -= word.length
    // The run may start with whitespace, which goes with it.
    while (end > 0 && SPACE.test(value[end - 1] as string)) end--
    cut = end
  }
  return cut < 0 ? value : value.slice(0, cut)
}
/** Words in a "name" that show it is an organisation or a widget label (`网易`, `最新文章`, `赞赏`). */
const NOT_A_NAME =
  /网|網|报|報|社|台|刊|频道|頻道|新闻|新聞|科技|日报|中心|公司|集团|集團|传媒|傳媒|媒体|媒體|编辑部|文章|最新|更多|相关|相關|阅读|閱讀|推荐|推薦|关注|關注|赞赏|讚賞|点击|點擊|评论|評論|分享|本文|原创|原創|转载|轉載|来源|來源|整合|综合|發布|发布|官方|平台|客户端|用户|用戶|网友|網友|小编|小編|消息|admin|\.(?:com|net|org|cn|gov)\b/i

/**
 * Every `label:value` field in a line, plus the text before the first label. Values run to the next
 * label: `来源:苏州工业园区发布收集编辑:苏州工业园区发布` gives the source `苏州工业园区发布`.
 */
export function parseLabelledLine(line: string): { fields: LabelledField[]; prefix: string } {
  const matches = [...line.matchAll(LABEL_RE)]
  const fields: LabelledField[] = []
  matches.forEach((m, i) => {
    const label = m[1] ?? ''
    const start = m.index + m[0].length
    const end = matches[i + 1]?.index ?? line.length
    const value = trimValue(line.slice(start, end))
    fields.push({ kind: LABEL_KIND.get(label.toLowerCase()) ?? 'other', label, value })
  })
  return { fields, prefix: line.slice(0, matches[0]?.index ?? line.length).trim() }
}

/**
 * Names in a credit value: CJK names split on spaces and list marks (`蔡姝雯 张宣、杨易臻`), Latin names
 * on commas and "and". Tokens that are not names (digits, dates, long phrases) are dropped.
 */
export function splitNames(value: string): string[] {
  const cleaned = stripCreditSuffix(value).trim()
  if (!cleaned) return []
  const parts = CJK.test(cleaned) ? cleaned.split(/[\s、，,;；/|｜]+/) : cleaned.split(NAME_LIST_SEPARATOR)
  return parts.map((p) => stripCreditSuffix(p).trim()).filter(isName)
}

/** Whether a token looks like one person's (or one desk's) name rather than a phrase. */
export function isName(token: string): boolean {
  if (!token || /\d/.test(token) || /[。！？!?：:]/.test(token) || NOT_A_NAME.test(token)) return false
  if (CJK.test(token)) {
    // Chinese names are 2-4 characters; minority and transliterated names use a middle dot.
    return token.length >= 2 && (token.length <= 4 || (token.includes('·') && token.length <= 12))
  }
  // A lone 2-4 letter capital token is a credential or an agency (`MS`, `RDN`, `AP`), not a person.
  if (/^[A-Z]{2,4}$/.test(token)) return false
  const words = token.split(/\s+/)
  return words.length <= 4 && words.every((w) => /^[\p{Lu}][\p{L}.'-]*$/u.test(w))
}

/**
 * Authors from a byline line: `记者 蔡姝雯 张宣`, `本报记者 张三`, `作者:王丹阳、刘嘉文`, `文/李四`,
 * `By Jane Doe`. Returns null when the line is not a byline (too long, or not all names).
 */
export function parseBylineLine(line: string): string[] | null {
  const t = line.trim().replace(/^[(（]|[)）]$/g, '')
  if (!t || t.length > 60) return null
  const m =
    // A prefix is a desk (`本报`, `新华社`, `中新网`, `特约`, `驻京`), never an arbitrary phrase.
    /^(?:[\u4e00-\u9fff·]{0,8}?(?:报|報|社|网|網|台|刊|端|讯|訊|约|約|习|習|席|视|視|闻|聞|部)|驻[\u4e00-\u9fff]{1,4})?(?:记者|記者|作者|通讯员|通訊員|撰文|撰稿)\s*[:：/|｜]?\s*(.+)$/.exec(
      t,
    ) ??
    /^文\s*[/｜|]\s*(.+)$/.exec(t) ??
    /^(?:written\s+)?by\s+(.+)$/i.exec(t)
  if (!m?.[1]) return null
  const tokens = m[1].split(/\s*(?:记者|記者|通讯员|通訊員)\s*/).join(' ')
  const names = splitNames(tokens)
  // Every token must be a name: "作者认为……" is prose, not a credit.
  const raw = CJK.test(tokens)
    ? stripCreditSuffix(tokens)
        .trim()
        .split(/[\s、，,;；/|｜]+/)
    : names
  return names.length > 0 && names.length === raw.filter(Boolean).length ? names : null
}

/** What a line of credits says, merged across its labelled fields. */
export interface Credits {
  byline: string[]
  editors: string[]
  source: string | null
  publishedAt: string | null
}

/**
 * Credits in one line, from labels (`来源:`, `编辑:`, `发布时间:`) and from a bare byline.
 * `defaultOffset` is the zone for dates without one.
 */
export function parseCredits(line: string, defaultOffset?: string): Credits {
  const out: Credits = { byline: [], editors: [], source: null, publishedAt: null }
  const { fields, prefix } = parseLabelledLine(line)
  if (fields.length > 0 && prefix && isDateLine(prefix)) out.publishedAt = findDate(prefix, { defaultOffset })
  for (const f of fields) {
    if (f.kind === 'editor') out.editors.push(...splitNames(f.value))
    else if (f.kind === 'byline') out.byline.push(...splitNames(f.value))
    else if (f.kind === 'source' && !out.source) out.source = cleanSource(f.value)
    else if (f.kind === 'date') out.publishedAt ??= findDate(f.value, { defaultOffset })
  }
  if (fields.length === 0) out.byline.push(...(parseBylineLine(line) ?? []))
  return out
}

/**
 * Whether a line is nothing but credits: labelled fields (after at most a dateline or a few
 * characters), a bare byline, or a dateline. Prose that happens to contain `来源:` is not.
 */
export function isCreditsLine(line: string): boolean {
  const t = line.trim()
  if (!t || t.length > 120) return false
  if (isDateLine(t) || parseBylineLine(t)) return true
  const { fields, prefix } = parseLabelledLine(t)
  return (
    fields.length > 0 &&
    (prefix.length <= 4 || isDateLine(prefix)) &&
    fields.every((f) => f.kind !== 'other' || f.value.length <= 12)
  )
}

/** A source value without trailing dates, counters and separators; null when nothing is left. */
export function cleanSource(value: string): string | null {
  const v = value
    .replace(/^\s*(?:文章|新闻|新聞|信息)?(?:来源|來源|稿源|出处|出處)\s*[:：]\s*/, '')
    .replace(/\s*(?:19|20)\d{2}[-/.年].*$/, '')
    .replace(/\s+(?:原创稿?|原創稿?|转载|轉載|供稿)$/, '')
    .split(/\s{2,}|\s+[|｜]\s*/)[0]
    ?.replace(/^[\s|｜:：]+|[\s|｜:：,，。]+$/g, '')
    .trim()
  return v && v.length <= 40 ? v : null
}

// --- Internal helpers ---

function trimValue(v: string): string {
  return v.replace(/^[\s|｜]+|[\s|｜]+$/g, '').trim()
}
