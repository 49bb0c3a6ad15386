/**
 * Bytes to text the way browsers do it (WHATWG "encoding sniffing"): a BOM wins, then the HTTP
 * `Content-Type` charset, then a `<meta>` prescan, then a detector tuned for Chinese portals.
 * Only Node's `TextDecoder` is used (full ICU ships gb18030, big5, shift_jis, euc-kr, windows-125x).
 */
import { UnsupportedCharsetError } from './errors.js'
import type { DecodeInfo } from './types.js'

/** Options for `decodeHtml`. */
export interface DecodeOptions {
  /** The HTTP `Content-Type` header value, if known. @default null */
  contentType?: string | null
  /** Force this charset, skipping detection (a sources-file override). @default null */
  charset?: string | null
}

/** Decoded text plus how it was decoded. */
export interface DecodedHtml extends DecodeInfo {
  text: string
}

/** How many bytes the `<meta>` prescan looks at. The spec asks for 1024; real Chinese portals often put
 * their `<meta charset>` after long comment banners or inline scripts, so a second, longer pass follows.
 * @default 1024 then 16384 */
export const PRESCAN_BYTES: readonly [number, number] = [1024, 16_384]

/**
 * Turn the bytes of an HTML page into text the way browsers do: BOM, then the HTTP header charset,
 * then a `<meta charset>` / `http-equiv` prescan, then detection.
 *
 * - `gb2312`, `gbk` and `x-gbk` decode as `gb18030` (its superset), so rarely used characters survive.
 * - A page that declares a legacy charset but is valid UTF-8 decodes as UTF-8 (a common portal bug).
 * - A forced `charset` is reported with `source: 'header'` (it stands in for an HTTP declaration).
 *
 * @throws {UnsupportedCharsetError} when the forced `charset` is a label no decoder knows. Unknown
 * labels in the header or page fall through to detection instead.
 * @example
 * ```ts
 * const { text, charset, source } = decodeHtml(bytes, { contentType: 'text/html; charset=gbk' })
 * ```
 */
export function decodeHtml(bytes: Uint8Array | ArrayBuffer, options: DecodeOptions = {}): DecodedHtml {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)

  if (options.charset != null) {
    const forced = resolveCharset(options.charset)
    if (!forced) throw new UnsupportedCharsetError(options.charset)
    return finish(u8, forced, 'header', options.charset)
  }

  const bom = sniffBom(u8)
  if (bom) return { text: decodeWith(bom.charset, u8.subarray(bom.length)), ...info(bom.charset, 'bom', null) }

  const headerLabel = options.contentType ? charsetFromContentType(options.contentType) : null
  if (headerLabel) {
    const charset = resolveCharset(headerLabel)
    if (charset) return finish(u8, charset, 'header', headerLabel)
  }

  const metaLabel = prescanMeta(u8)
  const declared = headerLabel ?? metaLabel
  if (metaLabel) {
    const charset = resolveCharset(metaLabel)
    if (charset) return finish(u8, charset, 'meta', declared)
  }

  return detect(u8, declared)
}

/**
 * The WHATWG encoding name for a label (`GB2312` -> `gb18030`, `utf8` -> `utf-8`), or null when no
 * decoder knows it. UTF-16 labels found inside a document mean UTF-8, as the spec says.
 */
export function resolveCharset(label: string): string | null {
  const trimmed = label.trim().toLowerCase()
  if (!trimmed) return null
  let name: string
  try {
    name = new TextDecoder(trimmed).encoding
  } catch {
    return null
  }
  // Node names the GBK family `gbk`; gb18030 decodes every GBK byte sequence the same way and more.
  if (name === 'gbk') return 'gb18030'
  return name
}

/** The `charset` parameter of a `Content-Type` value (quoted or not), or null. */
export function charsetFromContentType(contentType: string): string | null {
  const m = /;\s*charset\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s;"']+))/i.exec(contentType)
  const value = m ? (m[1] ?? m[2] ?? m[3] ?? '') : ''
  return value.trim() || null
}

/**
 * The WHATWG "prescan a byte stream to determine its encoding" algorithm: skips comments and other
 * tags, reads `<meta charset>` and `<meta http-equiv="content-type" content="…charset=…">`.
 * Returns the raw label found (not yet resolved), or null.
 */
export function prescanMeta(bytes: Uint8Array): string | null {
  for (const limit of PRESCAN_BYTES) {
    const found = prescan(latin1(bytes, limit))
    if (found) return found
    if (bytes.length <= limit) break
  }
  return null
}

// --- Internal helpers ---

/** Common characters of Chinese news text; their share of a decode tells gb18030 from big5. */
const COMMON_HANS =
  '的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严龙飞苏州园企创新'

const COMMON_HANT =
  '的一是不了在人有我他這個們中來上大為和國地到以說時要就出會可也你對生能而子那得於著下自之年過發後作裡用道行所然家種事成方多經麼去法學如都同現當沒動面起看定天分還進好小部其些主樣理心她本前開但因只從想實日軍者意無力它與長把機十民第公此已工使情明性知全三又關點正業外將兩高間由問很最重並物手應戰向頭文體政美相見被利什二等產或新己制身果加西斯月話合回特代內信表化老給世位次度門任常先海通教兒原東聲提立及比員解水名真論處走義各入幾口認條平系氣題活爾更別打女變四神總何電數安少報才結反受目太量再感建務做接必場件計管期市直德資命山金指克許統區保至隊形社便空決治展馬科司五基眼書非則聽白卻界達光放強即像難且權思王象完設式色路記南品住告類求據程北邊死張該交規萬取拉格望覺術領共確傳師觀清今切院讓識候帶導爭運笑飛風步改收根干造言聯持組每濟車親極林服快辦議往元英士證近失轉夫令準布始怎呢存未遠叫台單影具羅字愛擊流備兵連調深商算質團集百需價花黨華城石級整府離況亞請技際約示復病息究線似官火斷精滿支視消越器容照須九增研寫稱企八功嗎包片史委乎查輕易早曾除農找裝廣顯蘇州園創'

const COMMON_SET: ReadonlySet<string> = new Set([...COMMON_HANS, ...COMMON_HANT])

/**
 * Frequent hangul syllables. Any hangul would not do: GBK's most common hanzi share their bytes with
 * EUC-KR hangul, so a GBK page read as EUC-KR is full of (rare) syllables.
 */
const COMMON_HANGUL: ReadonlySet<string> = new Set(
  '이다는에을의가고하기서지한로자도사리시인어대나수해게아보일정있라적으국위를와전주상요부장성과연결그들만년오된면것중습니까했제원되경화회동우개소생세거공여내분문관마용발신비간저할선계구미모물스트터러레더며및또각때등현실업방통영새학운합진행당받음외없않'.split(
    '',
  ),
)

/** Latin-1 letters that Western text uses between ASCII letters; a CJK page decoded as cp1252 rarely does. */
const WESTERN_ACCENTED =
  /[A-Za-z][àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿßÀÁÂÄÅÇÈÉÊÍÓÔÖÜ]|[àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿß][A-Za-z]/g

/** How many bytes the detector samples: enough for a verdict, bounded for huge pages. */
const DETECT_SAMPLE = 256 * 1024

function info(charset: string, source: DecodeInfo['source'], declared: string | null): DecodeInfo {
  return { charset, source, declared }
}

function decodeWith(charset: string, bytes: Uint8Array): string {
  let decoder = DECODERS.get(charset)
  if (decoder === undefined) {
    decoder = new TextDecoder(charset)
    DECODERS.set(charset, decoder)
  }
  return decoder.decode(bytes)
}

/** Decode with a declared charset, correcting the two portal bugs browsers tolerate badly. */
function finish(u8: Uint8Array, charset: string, source: DecodeInfo['source'], declared: string | null): DecodedHtml {
  if (charset === 'utf-8') {
    // One strict decode both validates and produces the text.
    const body = hasUtf8Bom(u8) ? u8.subarray(3) : u8
    const text = tryUtf8(body)
    if (text !== null) return { text, ...info(charset, source, declared) }
    // Declares UTF-8 but the bytes are not: trust the bytes when another decode clearly fits better.
    const detected = detect(u8, declared, false)
    if (detected.charset !== 'utf-8' && detected.charset !== 'windows-1252') return detected
    return { text: decodeWith(charset, body), ...info(charset, source, declared) }
  }
  if (!charset.startsWith('utf-16') && hasNonAscii(u8)) {
    // Declares gb2312 (or similar) but is UTF-8: a template copied from an old site.
    const text = tryUtf8(u8)
    if (text !== null) return { text, ...info('utf-8', 'detected', declared) }
  }
  return { text: decodeWith(charset, u8), ...info(charset, source, declared) }
}

function hasUtf8Bom(u8: Uint8Array): boolean {
  return u8[0] === 0xef && u8[1] === 0xbb && u8[2] === 0xbf
}

function sniffBom(u8: Uint8Array): { charset: string; length: number } | null {
  if (hasUtf8Bom(u8)) return { charset: 'utf-8', length: 3 }
  if (u8[0] === 0xfe && u8[1] === 0xff) return { charset: 'utf-16be', length: 2 }
  if (u8[0] === 0xff && u8[1] === 0xfe) return { charset: 'utf-16le', length: 2 }
  return null
}

function hasNonAscii(u8: Uint8Array): boolean {
  for (let i = 0; i < u8.length; i++) if ((u8[i] as number) >= 0x80) return true
  return false
}

/** Decoders by charset: a `TextDecoder` is reusable, and building one per call shows on small pages. */
const DECODERS = new Map<string, InstanceType<typeof TextDecoder>>()
let strictUtf8: InstanceType<typeof TextDecoder> | null = null

/** The text of valid UTF-8 bytes (a leading BOM dropped, as `decodeWith` does), or null when the bytes are not UTF-8. */
function tryUtf8(u8: Uint8Array): string | null {
  strictUtf8 ??= new TextDecoder('utf-8', { fatal: true })
  try {
    return strictUtf8.decode(u8)
  } catch {
    return null
  }
}

/** Valid UTF-8 first (it almost never happens by accident), then the best-scoring legacy decode. */
function detect(u8: Uint8Array, declared: string | null, mayBeUtf8 = true): DecodedHtml {
  if (!hasNonAscii(u8)) return { text: decodeWith('utf-8', u8), ...info('utf-8', 'default', declared) }
  if (mayBeUtf8) {
    const text = tryUtf8(u8)
    if (text !== null) return { text, ...info('utf-8', 'detected', declared) }
  }

  const sample = u8.subarray(0, DETECT_SAMPLE)
  const nonAscii = countNonAsciiBytes(sample)
  const candidates = [
    { charset: 'windows-1252', bad: 0, score: scoreWestern(decodeWith('windows-1252', sample), nonAscii) },
  ]
  for (const charset of ['gb18030', 'big5', 'shift_jis', 'euc-kr']) {
    candidates.push({ charset, ...scoreCjk(decodeWith(charset, sample), nonAscii, charset) })
  }
  // The right decoder leaves (almost) no replacement characters; GBK read as EUC-KR leaves some, though
  // it also yields plenty of hangul. Only the cleanest CJK decodes compete on character frequency
  // (windows-1252 never reports a replacement, so it does not set the bar).
  const fewest = Math.min(...candidates.slice(1).map((c) => c.bad))
  const tolerance = Math.max(2, fewest * 0.5, nonAscii * 0.0001)
  let best = candidates[0] as (typeof candidates)[number]
  for (const c of candidates) if (c.bad <= fewest + tolerance && c.score > best.score) best = c
  return { text: decodeWith(best.charset, u8), ...info(best.charset, 'detected', declared) }
}

function countNonAsciiBytes(u8: Uint8Array): number {
  let n = 0
  for (const b of u8) if (b >= 0x80) n++
  return n
}

/**
 * Share of the non-ASCII bytes explained by frequent Chinese characters, minus replacement
 * characters. Japanese and Korean get credit for kana and hangul, which their decoders produce only
 * from real text.
 */
function scoreCjk(text: string, nonAscii: number, charset: string): { bad: number; score: number } {
  if (nonAscii === 0) return { bad: 0, score: 0 }
  let good = 0
  let bad = 0
  for (const ch of text) {
    if (ch === '\ufffd') bad++
    else if (COMMON_SET.has(ch)) good += 2
    else if (charset === 'shift_jis' && /[\u3041-\u3096\u30a1-\u30fa]/.test(ch)) good += 2
    else if (charset === 'euc-kr' && COMMON_HANGUL.has(ch)) good += 2
    else if (/[\ue000-\uf8ff]/.test(ch)) good -= 1 // private use: a guess, unless the page uses icon fonts
  }
  return { bad, score: (good - 4 * bad) / nonAscii }
}

/** Share of the non-ASCII bytes that sit inside Latin words, the mark of real Western text. */
function scoreWestern(text: string, nonAscii: number): number {
  if (nonAscii === 0) return 0
  const hits = text.match(WESTERN_ACCENTED)?.length ?? 0
  return Math.min(hits, nonAscii) / nonAscii
}

function latin1(bytes: Uint8Array, limit: number): string {
  const end = Math.min(bytes.length, limit)
  let s = ''
  // `apply` takes the typed array as it is; spreading it would go through its iterator byte by byte.
  for (let i = 0; i < end; i += 4096) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + 4096)) as unknown as number[])
  }
  return s
}

/** The prescan's whitespace: tab, LF, FF, CR and space. */
function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\n' || c === '\t' || c === '\r' || c === '\f'
}

const LT = 60

/** Prescan over a latin1 view of the first bytes; returns the raw charset label or null. */
function prescan(s: string): string | null {
  let pos = 0
  while (pos < s.length) {
    // Every rule starts at a `<`: jump straight to the next one.
    if (s.charCodeAt(pos) !== LT) {
      pos = s.indexOf('<', pos)
      if (pos < 0) return null
    }
    if (s.startsWith('<!--', pos)) {
      const end = s.indexOf('-->', pos + 2)
      if (end < 0) return null
      pos = end + 3
      continue
    }
    if (/^<meta[\t\n\f\r /]/i.test(s.slice(pos, pos + 6))) {
      const r = readMeta(s, pos + 5)
      if (r.charset) return r.charset
      pos = r.end
      continue
    }
    if (/^<\/?[a-z]/i.test(s.slice(pos, pos + 3))) {
      pos = s.slice(pos, pos + 2) === '</' ? pos + 2 : pos + 1
      while (pos < s.length && !isSpace(s[pos]) && s[pos] !== '>') pos++
      for (;;) {
        const attr = readAttribute(s, pos)
        pos = attr.end
        if (!attr.name) break
      }
      pos++
      continue
    }
    if (/^<[!/?]/.test(s.slice(pos, pos + 2))) {
      const end = s.indexOf('>', pos)
      if (end < 0) return null
      pos = end + 1
      continue
    }
    pos++
  }
  return null
}

function readMeta(s: string, start: number): { charset: string | null; end: number } {
  const seen = new Set<string>()
  let gotPragma = false
  let needPragma: boolean | null = null
  let charset: string | null = null
  let pos = start
  for (;;) {
    const attr = readAttribute(s, pos)
    pos = attr.end
    if (!attr.name) break
    if (seen.has(attr.name)) continue
    seen.add(attr.name)
    if (attr.name === 'http-equiv' && attr.value.toLowerCase() === 'content-type') gotPragma = true
    else if (attr.name === 'content' && charset === null) {
      const fromContent = charsetFromMetaContent(attr.value)
      if (fromContent) {
        charset = fromContent
        needPragma = true
      }
    } else if (attr.name === 'charset') {
      charset = attr.value
      needPragma = false
    }
  }
  if (needPragma === null || (needPragma && !gotPragma) || !charset) return { charset: null, end: pos }
  // The spec maps UTF-16 labels found inside the document to UTF-8: the bytes being ASCII-readable
  // proves they are not UTF-16.
  if (/^utf-?16/i.test(charset.trim())) return { charset: 'utf-8', end: pos }
  if (charset.trim().toLowerCase() === 'x-user-defined') return { charset: 'windows-1252', end: pos }
  return { charset, end: pos }
}

/** The "extracting a character encoding from a meta element" algorithm. */
function charsetFromMetaContent(content: string): string | null {
  const m = /charset\s*=\s*(?:"([^"]*)"?|'([^']*)'?|([^\s;"']+))/i.exec(content)
  return m ? (m[1] ?? m[2] ?? m[3] ?? null) : null
}

/** The spec's "get an attribute" step; `name` is empty when there are no more attributes. */
function readAttribute(s: string, start: number): { name: string; value: string; end: number } {
  let pos = start
  while (pos < s.length && (isSpace(s[pos]) || s[pos] === '/')) pos++
  if (pos >= s.length || s[pos] === '>') return { name: '', value: '', end: pos }
  let name = ''
  while (pos < s.length) {
    const c = s[pos] ?? ''
    if (c === '=' && name) break
    if (isSpace(c)) break
    if (c === '/' || c === '>') return { name: name.toLowerCase(), value: '', end: pos }
    name += c
    pos++
  }
  while (pos < s.length && isSpace(s[pos])) pos++
  if (s[pos] !== '=') return { name: name.toLowerCase(), value: '', end: pos }
  pos++
  while (pos < s.length && isSpace(s[pos])) pos++
  let value = ''
  const quote = s[pos]
  if (quote === '"' || quote === "'") {
    const end = s.indexOf(quote, pos + 1)
    if (end < 0) return { name: name.toLowerCase(), value: s.slice(pos + 1), end: s.length }
    return { name: name.toLowerCase(), value: s.slice(pos + 1, end), end: end + 1 }
  }
  while (pos < s.length && !isSpace(s[pos]) && s[pos] !== '>') value += s[pos++]
  return { name: name.toLowerCase(), value, end: pos }
}
