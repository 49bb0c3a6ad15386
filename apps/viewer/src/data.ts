/**
 * @file What the pages and the JSON API read, built only on the archive's public API: filtered page
 * lists (with the viewer-side `minVersions` filter), a page by id, facet counts for the home page and the
 * diff of two versions of a page.
 */
import {
  type Archive,
  type ArchiveStats,
  diffVersions,
  type Page,
  type PageQuery,
  type Version,
  type VersionDiff,
} from '@parkwatch/archive'
import { ViewerNotFoundError } from './errors.js'
import { INDUSTRIES, type Industry, type PageFilters } from './params.js'

/** How many pages one scan step reads when the viewer has to filter or look up by itself. */
const SCAN_CHUNK = 500

/** How long facet counts are reused, in milliseconds: the archive only grows, a little staleness is fine. */
const FACET_TTL_MS = 30_000

/** A page of results with the total number of matches. */
export interface PageList {
  total: number
  limit: number
  offset: number
  pages: Page[]
}

/** Counts of pages per host and per industry, plus the archive totals. */
export interface Facets {
  stats: ArchiveStats
  hosts: Array<{ host: string; pages: number }>
  industries: Array<{ industry: Industry; pages: number }>
}

/** The two versions of a diff and the diff itself. */
export interface DiffResult {
  page: Page
  from: Version
  to: Version
  ignorePunct: boolean
  diff: VersionDiff
}

/**
 * Read-only queries over an archive, shared by the HTML pages and the JSON API.
 *
 * @example
 * const data = createDataSource(archive)
 * const { pages, total } = await data.listPages({ limit: 20, offset: 0, minVersions: 2 })
 */
export interface DataSource {
  listPages(filters: PageFilters): Promise<PageList>
  /** A page by its numeric id; `ViewerNotFoundError` when absent. */
  pageById(id: number): Promise<Page>
  /** A page by URL; `ViewerNotFoundError` when absent. */
  pageByUrl(url: string): Promise<Page>
  facets(): Promise<Facets>
  /** Diff version `from` against version `to` of a page. */
  diff(url: string, from: number, to: number, ignorePunct: boolean): Promise<DiffResult>
}

/** Build the read-only data source over `archive`. */
export function createDataSource(archive: Archive): DataSource {
  let facetCache: { at: number; value: Promise<Facets> } | null = null
  const idCache = new Map<number, string>()

  return {
    async listPages(filters) {
      const { minVersions, limit, offset, ...query } = filters
      if (minVersions === undefined) {
        const [pages, total] = await Promise.all([
          archive.listPages({ ...query, limit, offset }),
          archive.countPages(query),
        ])
        return { total, limit, offset, pages }
      }
      // The archive cannot filter on the version count: scan in order and keep the matching window.
      const pages: Page[] = []
      let total = 0
      for await (const p of scan(archive, query)) {
        if (p.versionCount < minVersions) continue
        if (total >= offset && pages.length < limit) pages.push(p)
        total++
      }
      return { total, limit, offset, pages }
    },

    async pageById(id) {
      const known = idCache.get(id)
      if (known !== undefined) {
        const p = await archive.getPage(known)
        if (p?.id === id) return p
      }
      // TODO(issue 5): the archive has no getPageById; this scan is linear in the number of pages.
      for await (const p of scan(archive, {})) {
        if (idCache.size < 10_000) idCache.set(p.id, p.url)
        if (p.id === id) return p
      }
      throw new ViewerNotFoundError('page', id)
    },

    async pageByUrl(url) {
      const p = await archive.getPage(url)
      if (p === null) throw new ViewerNotFoundError('page', url)
      return p
    },

    facets() {
      const now = Date.now()
      if (facetCache === null || now - facetCache.at > FACET_TTL_MS) {
        const value = computeFacets(archive)
        // A failed computation must not stay cached.
        value.catch(() => {
          facetCache = null
        })
        facetCache = { at: now, value }
      }
      return facetCache.value
    },

    async diff(url, from, to, ignorePunct) {
      const page = await this.pageByUrl(url)
      const [a, b] = await Promise.all([archive.getVersion(url, from), archive.getVersion(url, to)])
      if (a === null) throw new ViewerNotFoundError('version', `${url} v${from}`)
      if (b === null) throw new ViewerNotFoundError('version', `${url} v${to}`)
      const diff = diffVersions(a.article, b.article, { ignoreWhitespaceAndPunctuation: ignorePunct })
      return { page, from: a, to: b, ignorePunct, diff }
    },
  }
}

// --- Internal helpers ---

async function* scan(archive: Archive, query: PageQuery): AsyncGenerator<Page> {
  for (let offset = 0; ; offset += SCAN_CHUNK) {
    const chunk = await archive.listPages({ ...query, limit: SCAN_CHUNK, offset })
    yield* chunk
    if (chunk.length < SCAN_CHUNK) return
  }
}

async function computeFacets(archive: Archive): Promise<Facets> {
  const [stats, industries] = await Promise.all([
    archive.stats(),
    Promise.all(INDUSTRIES.map(async (industry) => ({ industry, pages: await archive.countPages({ industry }) }))),
  ])
  const byHost = new Map<string, number>()
  for await (const p of scan(archive, {})) byHost.set(p.host, (byHost.get(p.host) ?? 0) + 1)
  const hosts = [...byHost].map(([host, pages]) => ({ host, pages })).sort((a, b) => b.pages - a.pages)
  return { stats, hosts, industries }
}
