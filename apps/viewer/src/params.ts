/**
 * @file Validation of everything that comes from the request URL: ids, page numbers, dates, enums and
 * URLs. Each helper either returns a clean value or throws `BadParamError` (HTTP 400); nothing from the
 * URL reaches the archive unchecked.
 */
import type { Page, PageQuery } from '@parkwatch/archive'
import { BadParamError } from './errors.js'

/** An industry id as the archive stores it. */
export type Industry = Page['industries'][number]

/** Every industry the extractor tags, in display order. */
export const INDUSTRIES: readonly Industry[] = ['biomedicine', 'nanotech', 'ai', 'semiconductors']

/** Longest accepted search query, in characters. */
export const MAX_QUERY_LENGTH: number = 200

/** Largest `limit` of a list request. */
export const MAX_LIMIT: number = 500

/** Reads one query parameter (undefined when absent). */
export type ParamGetter = (name: string) => string | undefined

/** Page filters of the home page and `GET /api/pages` (`minVersions` is the archive's own filter). */
export interface PageFilters extends PageQuery {
  limit: number
  offset: number
}

/**
 * Parse a positive integer id (`1`, `42`); no signs, no leading zeros, at most 15 digits.
 *
 * @example
 * parseId('12', 'id') // 12
 */
export function parseId(raw: string | undefined, name: string): number {
  if (raw === undefined || !/^[1-9][0-9]{0,14}$/.test(raw)) throw new BadParamError(name, 'a positive integer', raw)
  return Number(raw)
}

/** Parse an optional integer in [min, max]; `fallback` when absent or empty. */
export function parseInteger(raw: string | undefined, name: string, min: number, max: number, fallback: number): number
export function parseInteger(raw: string | undefined, name: string, min: number, max: number): number | undefined
export function parseInteger(
  raw: string | undefined,
  name: string,
  min: number,
  max: number,
  fallback?: number,
): number | undefined {
  if (raw === undefined || raw === '') return fallback
  if (!/^[0-9]{1,15}$/.test(raw)) throw new BadParamError(name, `an integer in [${min}, ${max}]`, raw)
  const n = Number(raw)
  if (n < min || n > max) throw new BadParamError(name, `an integer in [${min}, ${max}]`, raw)
  return n
}

/** Parse an optional date (`2026-11-22` or a full ISO-8601 timestamp) into an ISO string. */
export function parseDate(raw: string | undefined, name: string): string | undefined {
  if (raw === undefined || raw === '') return undefined
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(raw)) {
    throw new BadParamError(name, 'a date (YYYY-MM-DD or ISO-8601)', raw)
  }
  // A bare date is a day in Suzhou, not in UTC.
  const t = Date.parse(raw.length === 10 ? `${raw}T00:00:00+08:00` : raw)
  if (Number.isNaN(t)) throw new BadParamError(name, 'a valid date', raw)
  return new Date(t).toISOString()
}

/** Parse an optional industry id. */
export function parseIndustry(raw: string | undefined): Industry | undefined {
  if (raw === undefined || raw === '') return undefined
  if (!(INDUSTRIES as readonly string[]).includes(raw)) {
    throw new BadParamError('industry', `one of ${INDUSTRIES.join(', ')}`, raw)
  }
  return raw as Industry
}

/** Parse an absolute http(s) URL parameter. */
export function parseUrl(raw: string | undefined, name = 'url'): string {
  if (raw === undefined || raw === '' || raw.length > 4096) throw new BadParamError(name, 'an http(s) URL', raw)
  let u: URL
  try {
    u = new URL(raw)
  } catch (cause) {
    throw Object.assign(new BadParamError(name, 'an http(s) URL', raw), { cause })
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new BadParamError(name, 'an http(s) URL', raw)
  return u.href
}

/** Parse an optional short text filter (host, source): printable, at most 253 characters. */
export function parseToken(raw: string | undefined, name: string): string | undefined {
  if (raw === undefined || raw === '') return undefined
  if (raw.length > 253 || hasSpaceOrControl(raw)) throw new BadParamError(name, 'a host or source id', raw)
  return raw
}

/** Parse a search query: trimmed, 1 to `MAX_QUERY_LENGTH` characters. */
export function parseQuery(raw: string | undefined): string {
  const q = (raw ?? '').trim()
  if (q === '' || q.length > MAX_QUERY_LENGTH) {
    throw new BadParamError('q', `a text of 1 to ${MAX_QUERY_LENGTH} characters`, raw)
  }
  return q
}

/** Parse a boolean flag: `1`/`true`/`on` or `0`/`false`/`off` (absent: false). */
export function parseFlag(raw: string | undefined, name: string): boolean {
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false' || raw === 'off') return false
  if (raw === '1' || raw === 'true' || raw === 'on') return true
  throw new BadParamError(name, '1 or 0', raw)
}

/** Parse one of a fixed set of words; `fallback` when absent. */
export function parseEnum<T extends string>(
  raw: string | undefined,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  if (raw === undefined || raw === '') return fallback
  if (!(allowed as readonly string[]).includes(raw)) throw new BadParamError(name, `one of ${allowed.join(', ')}`, raw)
  return raw as T
}

/**
 * Parse the page filters shared by the home page and `GET /api/pages`.
 *
 * @example
 * parsePageFilters((n) => new URL(req.url).searchParams.get(n) ?? undefined)
 */
export function parsePageFilters(get: ParamGetter, defaultLimit = 50): PageFilters {
  const out: PageFilters = {
    limit: parseInteger(get('limit'), 'limit', 1, MAX_LIMIT, defaultLimit),
    offset: parseInteger(get('offset'), 'offset', 0, 1_000_000, 0),
  }
  const host = parseToken(get('host'), 'host')
  if (host !== undefined) out.host = host.toLowerCase()
  const source = parseToken(get('source'), 'source')
  if (source !== undefined) out.source = source
  const industry = parseIndustry(get('industry'))
  if (industry !== undefined) out.industry = industry
  const from = parseDate(get('from'), 'from')
  if (from !== undefined) out.publishedFrom = from
  const to = parseDate(get('to'), 'to')
  if (to !== undefined) out.publishedTo = to
  const changedSince = parseDate(get('changedSince'), 'changedSince')
  if (changedSince !== undefined) out.changedSince = changedSince
  const minVersions = parseInteger(get('minVersions'), 'minVersions', 1, 1_000_000)
  if (minVersions !== undefined) out.minVersions = minVersions
  return out
}

// --- Internal helpers ---

function hasSpaceOrControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c <= 0x20 || c === 0x7f || /\s/.test(s[i] as string)) return true
  }
  return false
}
