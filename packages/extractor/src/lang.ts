/**
 * Language of an article's text, as a BCP-47 tag. Scripts decide first (kana -> ja, hangul -> ko,
 * Cyrillic -> ru/uk, Han -> zh-Hans or zh-Hant by characters that differ between the two scripts),
 * then a stop-word vote for the common Latin-script languages, then the page's own declaration.
 */

/**
 * Pairs of characters that are written differently in simplified and traditional Chinese, simplified
 * first. Only frequent characters: a few hundred characters of news text always contain several.
 */
export const HANS_HANT_PAIRS: readonly string[] = [
  '这這',
  '个個',
  '们們',
  '来來',
  '为為',
  '国國',
  '说說',
  '时時',
  '会會',
  '对對',
  '发發',
  '过過',
  '后後',
  '么麼',
  '经經',
  '现現',
  '当當',
  '没沒',
  '动動',
  '还還',
  '进進',
  '样樣',
  '学學',
  '种種',
  '实實',
  '开開',
  '关關',
  '点點',
  '业業',
  '长長',
  '门門',
  '间間',
  '问問',
  '应應',
  '战戰',
  '头頭',
  '从從',
  '两兩',
  '体體',
  '让讓',
  '认認',
  '东東',
  '车車',
  '电電',
  '话話',
  '产產',
  '机機',
  '术術',
  '区區',
  '园園',
  '创創',
  '苏蘇',
  '际際',
  '资資',
  '药藥',
  '医醫',
  '导導',
  '华華',
  '节節',
  '级級',
  '计計',
  '设設',
  '务務',
  '报報',
  '织織',
  '与與',
  '万萬',
  '无無',
  '数數',
  '总總',
  '将將',
  '军軍',
  '农農',
  '们們',
  '边邊',
  '达達',
  '运運',
  '场場',
  '张張',
  '该該',
  '领領',
  '传傳',
  '观觀',
  '师師',
  '识識',
  '带帶',
  '争爭',
  '风風',
  '联聯',
  '极極',
  '办辦',
  '议議',
  '远遠',
  '转轉',
  '证證',
  '单單',
  '团團',
  '质質',
  '价價',
  '党黨',
  '亚亞',
  '请請',
  '线線',
  '断斷',
  '满滿',
  '视視',
  '须須',
  '写寫',
  '称稱',
  '轻輕',
  '装裝',
  '广廣',
  '显顯',
  '网網',
  '银銀',
  '环環',
  '营營',
  '协協',
  '标標',
  '项項',
  '试試',
  '验驗',
  '构構',
  '际際',
  '疗療',
  '纳納',
  '员員',
  '强強',
  '优優',
  '态態',
  '统統',
  '续續',
  '构構',
  '积積',
  '们們',
  '济濟',
  '规規',
  '划劃',
  '链鏈',
  '圆圓',
  '兴興',
  '众眾',
  '参參',
  '选選',
  '贸貿',
  '质質',
  '岁歲',
  '讯訊',
  '闻聞',
  '页頁',
  '记記',
  '获獲',
  '举舉',
]

const HANS_SET: ReadonlySet<string> = new Set(
  HANS_HANT_PAIRS.map((p) => p[0] ?? '').filter((a, i) => a !== HANS_HANT_PAIRS[i]?.[1]),
)
const HANT_SET: ReadonlySet<string> = new Set(
  HANS_HANT_PAIRS.map((p) => p[1] ?? '').filter((b, i) => b !== HANS_HANT_PAIRS[i]?.[0]),
)
/**
 * The two sets as one table by UTF-16 code unit: 1 simplified only, 2 traditional only (simplified wins
 * when a character is both, as in `chineseScript`). Every pair character is a single BMP code unit, never
 * a surrogate, so looking up each code unit counts exactly what looking up each code point in the sets
 * would, without making a string per character.
 */
const SCRIPT_OF: Uint8Array = (() => {
  const table = new Uint8Array(0x10000)
  for (const [set, mark] of [
    [HANT_SET, 2],
    [HANS_SET, 1],
  ] as const) {
    for (const ch of set) {
      const c = ch.charCodeAt(0)
      if (ch.length === 1 && (c < 0xd800 || c > 0xdfff)) table[c] = mark
    }
  }
  return table
})()

/** The most frequent short words per Latin-script language; distinctive ones, not shared spellings. */
const STOP_WORDS: Readonly<Record<string, readonly string[]>> = {
  en: ['the', 'and', 'of', 'to', 'is', 'that', 'with', 'for', 'was', 'this', 'are', 'have', 'from', 'which', 'be'],
  de: ['der', 'die', 'und', 'das', 'ist', 'nicht', 'mit', 'sich', 'auf', 'für', 'ein', 'eine', 'den', 'dem', 'wird'],
  fr: ['le', 'les', 'des', 'et', 'est', 'une', 'dans', 'pour', 'qui', 'pas', 'sur', 'au', 'du', 'avec', 'sont'],
  es: ['el', 'los', 'las', 'del', 'que', 'y', 'es', 'por', 'una', 'con', 'para', 'se', 'al', 'como', 'está'],
  pt: ['o', 'os', 'as', 'do', 'da', 'dos', 'das', 'que', 'e', 'não', 'uma', 'com', 'para', 'em', 'é'],
  it: ['il', 'gli', 'della', 'che', 'è', 'di', 'per', 'non', 'una', 'sono', 'con', 'nel', 'alla', 'anche', 'delle'],
  nl: ['de', 'het', 'een', 'van', 'en', 'niet', 'zijn', 'voor', 'met', 'op', 'dat', 'ook', 'wordt', 'naar', 'bij'],
}

/**
 * BCP-47 language of a text: `zh-Hans`, `zh-Hant`, `ja`, `ko`, `ru`, `en`, … `declared` (from the
 * page) is a hint only, returned (normalised) when the text gives no verdict.
 * @example detectLang('會議在蘇州舉行', 'zh-CN') // 'zh-Hant'
 */
export function detectLang(text: string, declared: string | null = null): string | null {
  const sample = text.slice(0, 20_000)
  // One pass over the sample instead of a regex (and a match array) per script.
  let han = 0
  let kana = 0
  let hangul = 0
  let cyrillic = 0
  let latin = 0
  for (let i = 0; i < sample.length; i++) {
    const c = sample.charCodeAt(i)
    if (c < 0x80) {
      if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) latin++
    } else if (c >= 0x3400 && c <= 0x9fff) han++
    else if (c >= 0x00c0 && c <= 0x024f) latin++
    else if (c >= 0x0400 && c <= 0x04ff) cyrillic++
    else if ((c >= 0x3041 && c <= 0x3096) || (c >= 0x30a1 && c <= 0x30fa)) kana++
    else if (c >= 0xac00 && c <= 0xd7a3) hangul++
  }
  const script = Math.max(han, kana, hangul, cyrillic, latin)
  if (script === 0) return normaliseDeclared(declared)

  // Japanese mixes kanji with kana; a few kana are enough, since Chinese text never has any.
  if (kana > 0 && kana >= (han + kana) * 0.1) return 'ja'
  if (hangul === script) return 'ko'
  if (han === script || han >= 20) return chineseScript(sample, declared)
  if (cyrillic === script) return /[іїєґ]/i.test(sample) ? 'uk' : 'ru'
  return latinLanguage(sample) ?? normaliseDeclared(declared)
}

/** `zh-Hans` or `zh-Hant` by counting characters that exist in only one of the two scripts. */
export function chineseScript(text: string, declared: string | null = null): 'zh-Hans' | 'zh-Hant' {
  let hans = 0
  let hant = 0
  for (let i = 0; i < text.length; i++) {
    const mark = SCRIPT_OF[text.charCodeAt(i)]
    if (mark === 1) hans++
    else if (mark === 2) hant++
  }
  if (hans === hant) return /^zh-(?:hant|tw|hk|mo)/i.test(declared ?? '') ? 'zh-Hant' : 'zh-Hans'
  return hant > hans ? 'zh-Hant' : 'zh-Hans'
}

// --- Internal helpers ---

/** For each stop word, the languages that list it (in `STOP_WORDS` order). */
const STOP_WORD_LANGS: ReadonlyMap<string, readonly number[]> = (() => {
  const map = new Map<string, number[]>()
  Object.values(STOP_WORDS).forEach((list, lang) => {
    for (const w of new Set(list)) {
      const langs = map.get(w)
      if (langs) langs.push(lang)
      else map.set(w, [lang])
    }
  })
  return map
})()
const STOP_LANGS: readonly string[] = Object.keys(STOP_WORDS)

/** Longest stop word, in UTF-16 units: longer words need no lookup. */
const LONGEST_STOP_WORD = Math.max(...[...STOP_WORD_LANGS.keys()].map((w) => w.length))
const LETTER = /\p{L}/u

/** The Latin-script language whose stop words make up the largest share of the words, if clear. */
function latinLanguage(text: string): string | null {
  // Words are the runs of `[\p{L}']` (what `match(/[\p{L}']+/gu)` returns), counted in one scan; only
  // the short ones, which may be stop words, become strings.
  const lower = text.toLowerCase()
  const hits = new Array<number>(STOP_LANGS.length).fill(0)
  let words = 0
  let start = -1
  for (let i = 0; i <= lower.length; i++) {
    let wordChar = false
    let width = 1
    if (i < lower.length) {
      const c = lower.charCodeAt(i)
      if (c < 0x80) wordChar = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 39
      else {
        const cp = lower.codePointAt(i) as number
        if (cp > 0xffff) width = 2
        wordChar = LETTER.test(String.fromCodePoint(cp))
      }
    }
    if (wordChar) {
      if (start < 0) start = i
      i += width - 1
      continue
    }
    if (start < 0) continue
    words++
    if (i - start <= LONGEST_STOP_WORD) {
      const langs = STOP_WORD_LANGS.get(lower.slice(start, i))
      if (langs) for (const l of langs) hits[l] = (hits[l] as number) + 1
    }
    start = -1
  }
  if (words < 3) return null
  let best = 0
  for (let l = 1; l < hits.length; l++) if ((hits[l] as number) > (hits[best] as number)) best = l
  const top = hits[best] as number
  // Below 5% the "winner" is noise (names, code, a list of products).
  return top >= Math.max(2, words * 0.05) ? (STOP_LANGS[best] ?? null) : null
}

function normaliseDeclared(declared: string | null): string | null {
  const d = declared?.trim().replace(/_/g, '-')
  if (!d) return null
  const lower = d.toLowerCase()
  if (/^zh-(?:hant|tw|hk|mo)/.test(lower)) return 'zh-Hant'
  if (/^zh(?:-|$)/.test(lower)) return 'zh-Hans'
  const [lang, region] = d.split('-')
  return region ? `${lang?.toLowerCase()}-${region.toUpperCase()}` : (lang?.toLowerCase() ?? null)
}
