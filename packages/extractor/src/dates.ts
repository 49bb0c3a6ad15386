/**
 * Dates as news pages print them: ISO-8601, `2023-12-31 15:58:36`, `2024/09/28`, `2023年2月22日 15:30`,
 * `1年前 (2024-09-28)`, RFC 2822, `March 7, 2024`, Unix timestamps in meta tags. Everything comes out
 * as ISO-8601 with an offset; a date without a zone takes the caller's default (+08:00 for Chinese pages).
 */

/** Options for `parseDate` and `findDate`. */
export interface DateOptions {
  /** Offset for dates that carry no zone, as `+08:00` or `Z`. @default '+08:00' */
  defaultOffset?: string
  /** Dates after this instant are impossible for a published page (clock skew allowed). @default now + 2 days */
  notAfter?: Date
  /** Dates before this year are rejected (portals print 1970 for a missing timestamp). @default 1991 */
  minYear?: number
}

/** Chinese portals are in China Standard Time and almost never print the zone. */
export const DEFAULT_DATE_OFFSET = '+08:00'

const MONTHS: Record<string, number> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
}

const MONTH_NAME = '(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\\.?'
// `T`, spaces, ` - `, `, ` or ` at ` may separate the time; 12-hour clocks carry AM/PM. Each separator
// character has one way to match (no `\s*` around the dash): nested whitespace quantifiers backtrack
// exponentially on a long ` - - - …` run in a meta tag.
const TIME =
  '(?:(?:[T\\s]|[-–,@]|\\sat\\s)*(\\d{1,2})[:：时時](\\d{2})(?:[:：分](\\d{2})(?:\\.\\d+)?)?秒?(?:\\s*([AaPp])\\.?[Mm]\\.?(?![A-Za-z]))?)?'
const ZONE = '\\s*(Z|UTC|GMT|[+-]\\d{2}:?\\d{2})?'

/** Numeric year-first dates, the common case: 2023-12-31 15:58:36, 2024/09/28, 2024.9.28, 2023年2月22日. */
const YMD = new RegExp(
  `(?<!\\d)((?:19|20)\\d{2})\\s*(?:[-/.]|年)\\s*(\\d{1,2})\\s*(?:[-/.]|月)\\s*(\\d{1,2})(?!\\d)日?${TIME}${ZONE}`,
  'i',
)
/** `March 7, 2024 10:00` and `7 March 2024`, optionally after a weekday (RFC 2822). */
const MDY = new RegExp(`\\b${MONTH_NAME}\\s+(\\d{1,2})(?:st|nd|rd|th)?,?\\s+((?:19|20)\\d{2})${TIME}${ZONE}`, 'i')
const DMY = new RegExp(`\\b(\\d{1,2})(?:st|nd|rd|th)?\\s+${MONTH_NAME},?\\s+((?:19|20)\\d{2})${TIME}${ZONE}`, 'i')
/** Portals sometimes print `2024-05-14-10:54:44` (a dash before the time). */
const DASHED_TIME = /((?:19|20)\d{2}-\d{1,2}-\d{1,2})-(\d{1,2}:\d{2})/
/** Global copies for `findDate`'s scans, made once: building a RegExp per call showed in profiles. */
const YMD_ALL = new RegExp(YMD.source, 'gi')
const MDY_ALL = new RegExp(MDY.source, 'gi')
const DMY_ALL = new RegExp(DMY.source, 'gi')

/**
 * Parse a date string into ISO-8601 with offset (`2023-12-31T15:58:36+08:00`), or null when there is
 * no date or it is impossible (month 13, 31 February, before `minYear`, in the future).
 * A bare Unix timestamp (10 or 13 digits) is read as UTC.
 * @example parseDate('发布时间:2023-12-31 15:58:36') // '2023-12-31T15:58:36+08:00'
 */
export function parseDate(input: string | null | undefined, options: DateOptions = {}): string | null {
  if (!input) return null
  const text = input.trim()
  if (/^\d{10}(?:\d{3})?$/.test(text)) return fromTimestamp(Number(text), options)
  return findDate(text, options)
}

/**
 * The first plausible date anywhere in a text (`admin1年前 (2024-09-28)株洲产业信息58` gives
 * 2024-09-28). Relative phrases (`1年前`, `3小时前`) are skipped: they depend on when the page was
 * saved, which the text alone does not say.
 */
export function findDate(text: string, options: DateOptions = {}): string | null {
  const normalised = text.replace(DASHED_TIME, '$1 $2')
  const candidates: Array<{ index: number; value: string }> = []
  const collect = (re: RegExp, pick: (m: RegExpExecArray) => string | null): void => {
    // Keep looking past an impossible match: `(2023-2025)` must not hide a real date later on. Every
    // match is at least a year long, so `exec` always moves on (no empty-match step as in `matchAll`).
    re.lastIndex = 0
    for (let m = re.exec(normalised); m !== null; m = re.exec(normalised)) {
      const value = pick(m)
      if (value) {
        candidates.push({ index: m.index, value })
        return
      }
    }
  }
  collect(YMD_ALL, (m) => build(m[1], m[2], m[3], m.slice(4, 9), options))
  collect(MDY_ALL, (m) => build(m[3], monthOf(m[1]), m[2], m.slice(4, 9), options))
  collect(DMY_ALL, (m) => build(m[3], monthOf(m[2]), m[1], m.slice(4, 9), options))
  candidates.sort((a, b) => a.index - b.index)
  return candidates[0]?.value ?? null
}

/**
 * Whether a short line is mostly a date (a "dateline" such as `2023年2月22日` or
 * `发布时间:2023-12-31 15:58:36`), as opposed to prose that mentions one.
 */
export function isDateLine(line: string): boolean {
  const t = line.trim()
  if (t.length > 60 || !findDate(t)) return false
  const rest = t
    .replace(DASHED_TIME, '$1 $2')
    .replace(YMD, '')
    .replace(MDY, '')
    .replace(DMY, '')
    .replace(
      /(发布|發布|更新|发表|發表|出版|上传|上傳)?(时间|時間|日期)|published|updated|posted|on|\d+\s*(年|个月|個月|天|小时|小時|分钟|分鐘)前/gi,
      '',
    )
    // A clock before the date (`Published 11:11 PM EST Nov 19, 2019`) and zone abbreviations (`AMT`,
    // `EST`), which cannot be resolved, do not make a line prose.
    .replace(/\d{1,2}:\d{2}(?::\d{2})?\s*(?:[AaPp]\.?[Mm]\.?)?/g, '')
    .replace(/\b(?:[A-Z]{2,4}T|UTC|GMT)\b/g, '')
    .replace(/[\s:：()（）|,，\-–/]+/g, '')
  return rest.length <= 4
}

// --- Internal helpers ---

function monthOf(name: string | undefined): string | undefined {
  const m = name ? MONTHS[name.slice(0, 3).toLowerCase()] : undefined
  return m === undefined ? undefined : String(m)
}

function fromTimestamp(n: number, options: DateOptions): string | null {
  const ms = n > 1e12 ? n : n * 1000
  const d = new Date(ms)
  if (!isPlausible(d, options)) return null
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

function isPlausible(d: Date, options: DateOptions): boolean {
  const notAfter = options.notAfter ?? new Date(Date.now() + 2 * 86_400_000)
  return !Number.isNaN(d.getTime()) && d.getUTCFullYear() >= (options.minYear ?? 1991) && d <= notAfter
}

const pad = (n: number): string => String(n).padStart(2, '0')

function build(
  y: string | undefined,
  mo: string | undefined,
  d: string | undefined,
  time: Array<string | undefined>,
  options: DateOptions,
): string | null {
  if (!y || !mo || !d) return null
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  const [h, mi, s, meridiem, zone] = time
  let hour = h === undefined ? 0 : Number(h)
  if (meridiem && hour > 12) return null
  if (meridiem?.toLowerCase() === 'p' && hour < 12) hour += 12
  if (meridiem?.toLowerCase() === 'a' && hour === 12) hour = 0
  const minute = mi === undefined ? 0 : Number(mi)
  const second = s === undefined ? 0 : Number(s)
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null
  // Date.UTC rolls 31 February over into March; a round trip catches it.
  const utc = new Date(Date.UTC(year, month - 1, day))
  if (utc.getUTCMonth() !== month - 1) return null
  const offset = normaliseZone(zone) ?? options.defaultOffset ?? DEFAULT_DATE_OFFSET
  const iso = `${year}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}:${pad(second)}${offset}`
  return isPlausible(new Date(iso), options) ? iso : null
}

function normaliseZone(zone: string | undefined): string | null {
  if (!zone) return null
  const z = zone.toUpperCase()
  if (z === 'Z' || z === 'UTC' || z === 'GMT') return 'Z'
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(z)
  return m ? `${m[1]}${m[2]}:${m[3]}` : null
}
