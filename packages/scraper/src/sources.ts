/**
 * The sources file: which sites to watch, where to discover their articles, how politely and how often.
 * YAML checked with a zod schema; every problem is reported at once with its field path and line, so a
 * newcomer fixes the file in one go. Values come out resolved: defaults applied, durations in ms.
 */
import { readFile } from 'node:fs/promises'
import { Cron } from 'croner'
import { LineCounter, parseDocument } from 'yaml'
import { z } from 'zod'
import { SourcesFileError, toFieldIssues } from './errors.js'

/** The park's industries a relevance filter can name (the extractor's `Industry`). */
export const INDUSTRIES = ['biomedicine', 'nanotech', 'ai', 'semiconductors'] as const

/** How a site's pages are loaded. `auto`: HTTP first, the browser when the page is a JavaScript shell. */
export type RenderMode = 'http' | 'browser' | 'auto'

/** An RSS/Atom/RDF feed entry point. */
export interface FeedEntry {
  type: 'feed'
  url: string
}

/** A sitemap or sitemap index entry point. */
export interface SitemapEntryPoint {
  type: 'sitemap'
  url: string
  /** Sitemap files fetched at most per pass. */
  maxSitemaps: number
}

/** A list page entry point: article links match `pattern`; list pages are followed `depth` levels. */
export interface ListEntry {
  type: 'list'
  url: string
  /** RegExp source tested on absolute article URLs. */
  pattern: string
  depth: number
  /** RegExp source for list pages to follow; null = same-site pages under the entry's directory. */
  follow: string | null
  maxPages: number
}

/** Any entry point. */
export type EntryPoint = FeedEntry | SitemapEntryPoint | ListEntry

/** Which pages count as relevant; an empty filter keeps everything. */
export interface RelevanceFilter {
  /** Any of these words in the title or text. */
  keywords: string[]
  /** Names of the park (苏州工业园区, SIP...). */
  parks: string[]
  industries: Array<(typeof INDUSTRIES)[number]>
  /** `any`: one of the three kinds of criteria suffices; `all`: each non-empty kind must match. */
  match: 'any' | 'all'
}

/** One step of the revisit schedule: while an article is younger than `untilMs`, refetch every `everyMs`. */
export interface RevisitStep {
  untilMs: number
  everyMs: number
}

/** How often a known article is fetched again to catch edits. */
export interface RevisitPolicy {
  /** Ascending by `untilMs`. */
  steps: RevisitStep[]
  /** Stop revisiting after this age. */
  maxAgeMs: number
}

/** A fully resolved site. */
export interface SiteConfig {
  id: string
  name: string
  entries: EntryPoint[]
  render: RenderMode
  /** Requests per second per host. */
  rate: number
  /** Requests in flight per host. */
  concurrency: number
  /** Charset override (a WHATWG label), or null to sniff. */
  charset: string | null
  relevance: RelevanceFilter | null
  revisit: RevisitPolicy
  /** Cron expression for `parkwatch schedule`, or null (run only on demand). */
  schedule: string | null
}

/** A loaded sources file. */
export interface SourcesConfig {
  /** The file it came from (or the name given to `parseSources`). */
  file: string
  sites: SiteConfig[]
}

/** The revisit policy used when a file sets none: 15 min under 3 h, hourly under a day, daily under a week, weekly up to 30 days. */
export const DEFAULT_REVISIT: RevisitPolicy = {
  steps: [
    { untilMs: 3 * 3_600_000, everyMs: 15 * 60_000 },
    { untilMs: 86_400_000, everyMs: 3_600_000 },
    { untilMs: 7 * 86_400_000, everyMs: 86_400_000 },
    { untilMs: 30 * 86_400_000, everyMs: 7 * 86_400_000 },
  ],
  maxAgeMs: 30 * 86_400_000,
}

/**
 * Read and check a sources file.
 *
 * @throws {SourcesFileError} naming the file and every problem (field path, line, what was expected).
 * @example
 * ```ts
 * const { sites } = await loadSources('sources.yaml')
 * for (const site of sites) console.log(site.id, site.entries.length)
 * ```
 */
export async function loadSources(path: string): Promise<SourcesConfig> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (cause) {
    const code = (cause as { code?: string }).code ?? 'unknown error'
    throw new SourcesFileError(path, [{ path: '', message: `cannot read the file (${code})` }], { cause })
  }
  return parseSources(text, path)
}

/**
 * Check sources YAML given as text.
 *
 * @param file - name used in error messages and in the result. @default '<inline>'
 * @throws {SourcesFileError} as `loadSources`.
 */
export function parseSources(text: string, file = '<inline>'): SourcesConfig {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter })
  if (doc.errors.length > 0) {
    throw new SourcesFileError(
      file,
      doc.errors.map((error) => ({
        path: '',
        message: `YAML syntax: ${error.message.split('\n')[0]}`,
        line: error.linePos?.[0].line,
      })),
    )
  }
  const raw: unknown = doc.toJS()
  const result = fileSchema.safeParse(raw)
  // zod skips refinements of objects whose fields failed, so the duplicate check runs on the raw data
  // to keep "every problem at once" true.
  const duplicates = duplicateIdIssues(raw)
  if (!result.success || duplicates.length > 0) {
    const issues = [...(result.success ? [] : result.error.issues), ...duplicates]
    throw new SourcesFileError(
      file,
      toFieldIssues(issues, (path) => lineOf(doc, lineCounter, path)),
    )
  }
  const { defaults = {}, sites } = result.data
  return {
    file,
    sites: sites.map((site) => ({
      id: site.id,
      name: site.name ?? site.id,
      entries: site.entries.map(resolveEntry),
      render: site.render ?? defaults.render ?? 'http',
      rate: site.rate ?? defaults.rate ?? 1,
      concurrency: site.concurrency ?? defaults.concurrency ?? 1,
      charset: site.charset ?? null,
      relevance: resolveRelevance(site.relevance ?? defaults.relevance),
      revisit: resolveRevisit(site.revisit ?? defaults.revisit),
      schedule: site.schedule ?? defaults.schedule ?? null,
    })),
  }
}

/**
 * `'15m'` -> 900000. Units: `ms`, `s`, `m`, `h`, `d`, `w`; a bare number is milliseconds.
 * @throws {RangeError} for anything else.
 */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') return value
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/.exec(value)
  if (!match) throw new RangeError(`Expected a duration like 15m, 3h or 30d, got \`${value}\``)
  const unit = (match[2] ?? 'ms') as keyof typeof UNIT_MS
  return Math.round(Number(match[1]) * UNIT_MS[unit])
}

// --- Internal helpers ---

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }

const httpUrl = z.string().refine(
  (v) => {
    try {
      const u = new URL(v)
      return u.protocol === 'http:' || u.protocol === 'https:'
    } catch {
      return false
    }
  },
  { message: 'expected an absolute http(s) URL' },
)

const regexSource = z.string().refine(
  (v) => {
    try {
      new RegExp(v)
      return true
    } catch {
      return false
    }
  },
  { message: 'expected a valid regular expression' },
)

const duration = z.union([z.number().positive(), z.string()]).refine(
  (v) => {
    try {
      return parseDuration(v) > 0
    } catch {
      return false
    }
  },
  { message: 'expected a positive duration like 15m, 3h or 30d' },
)

const cron = z.string().refine(
  (v) => {
    try {
      new Cron(v, { paused: true }).stop()
      return true
    } catch {
      return false
    }
  },
  { message: 'expected a cron expression such as "*/30 * * * *"' },
)

const charset = z.string().refine(
  (v) => {
    try {
      new TextDecoder(v)
      return true
    } catch {
      return false
    }
  },
  { message: 'expected a charset label Node can decode (utf-8, gbk, gb18030, big5...)' },
)

const entrySchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('feed'), url: httpUrl }),
  z.strictObject({ type: z.literal('sitemap'), url: httpUrl, maxSitemaps: z.number().int().positive().optional() }),
  z.strictObject({
    type: z.literal('list'),
    url: httpUrl,
    pattern: regexSource,
    depth: z.number().int().min(0).max(5).optional(),
    follow: regexSource.optional(),
    maxPages: z.number().int().positive().optional(),
  }),
])

const relevanceSchema = z.strictObject({
  keywords: z.array(z.string().min(1)).optional(),
  parks: z.array(z.string().min(1)).optional(),
  industries: z.array(z.enum(INDUSTRIES)).optional(),
  match: z.enum(['any', 'all']).optional(),
})

const revisitSchema = z
  .strictObject({
    steps: z.array(z.strictObject({ until: duration, every: duration })).min(1),
    maxAge: duration.optional(),
  })
  .superRefine((value, ctx) => {
    const untils = value.steps.map((s) => safeDuration(s.until))
    for (let i = 1; i < untils.length; i++) {
      if ((untils[i] ?? 0) <= (untils[i - 1] ?? 0)) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', i, 'until'],
          message: 'expected steps in ascending `until` order',
        })
      }
    }
  })

const siteFields = {
  render: z.enum(['http', 'browser', 'auto']).optional(),
  rate: z.number().positive().optional(),
  concurrency: z.number().int().positive().optional(),
  relevance: relevanceSchema.optional(),
  revisit: revisitSchema.optional(),
  schedule: cron.optional(),
}

const siteSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { message: 'expected lower-case letters, digits and dashes' }),
  name: z.string().min(1).optional(),
  entries: z.array(entrySchema).min(1, { message: 'expected at least one entry point' }),
  charset: charset.optional(),
  ...siteFields,
})

const fileSchema = z.strictObject({
  version: z.literal(1).optional(),
  defaults: z.strictObject(siteFields).optional(),
  sites: z.array(siteSchema).min(1, { message: 'expected at least one site' }),
})

/** Issues for site ids used more than once (zod-issue shaped, so they format like the others). */
function duplicateIdIssues(raw: unknown): z.core.$ZodIssue[] {
  const sites = (raw as { sites?: unknown } | null)?.sites
  if (!Array.isArray(sites)) return []
  const seen = new Map<string, number>()
  const issues: z.core.$ZodIssue[] = []
  sites.forEach((site: unknown, i) => {
    const id = (site as { id?: unknown } | null)?.id
    if (typeof id !== 'string') return
    const first = seen.get(id)
    if (first === undefined) seen.set(id, i)
    else {
      issues.push({
        code: 'custom',
        path: ['sites', i, 'id'],
        message: `duplicate id, already used by sites[${first}]`,
        input: id,
      })
    }
  })
  return issues
}

type RawEntry = z.output<typeof entrySchema>

function resolveEntry(entry: RawEntry): EntryPoint {
  if (entry.type === 'feed') return { type: 'feed', url: entry.url }
  if (entry.type === 'sitemap') return { type: 'sitemap', url: entry.url, maxSitemaps: entry.maxSitemaps ?? 50 }
  return {
    type: 'list',
    url: entry.url,
    pattern: entry.pattern,
    depth: entry.depth ?? 1,
    follow: entry.follow ?? null,
    maxPages: entry.maxPages ?? 20,
  }
}

function resolveRelevance(raw: z.output<typeof relevanceSchema> | undefined): RelevanceFilter | null {
  if (!raw) return null
  return {
    keywords: raw.keywords ?? [],
    parks: raw.parks ?? [],
    industries: raw.industries ?? [],
    match: raw.match ?? 'any',
  }
}

function resolveRevisit(raw: z.output<typeof revisitSchema> | undefined): RevisitPolicy {
  if (!raw) return DEFAULT_REVISIT
  const steps = raw.steps.map((s) => ({ untilMs: parseDuration(s.until), everyMs: parseDuration(s.every) }))
  return {
    steps,
    maxAgeMs: raw.maxAge ? parseDuration(raw.maxAge) : (steps.at(-1)?.untilMs ?? DEFAULT_REVISIT.maxAgeMs),
  }
}

function safeDuration(value: string | number): number {
  try {
    return parseDuration(value)
  } catch {
    return Number.NaN
  }
}

/** The line of the YAML node at `path`, or of its nearest existing parent (for missing fields). */
function lineOf(
  doc: ReturnType<typeof parseDocument>,
  counter: LineCounter,
  path: readonly PropertyKey[],
): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined
    if (node?.range) return counter.linePos(node.range[0]).line
  }
  return undefined
}
