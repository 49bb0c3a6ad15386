/**
 * @file What the pages and the JSON API read, built only on the archive's public API: filtered page
 * lists, a page by id or URL, the counts by site, source and industry for the home page, and the diff of
 * two versions of a page.
 */
import {
  type Archive,
  diffVersions,
  type FacetCount,
  type Page,
  type PageFacets,
  type Version,
  type VersionDiff,
} from '@parkwatch/archive'
import { ViewerNotFoundError } from './errors.js'
import type { Industry, PageFilters } from './params.js'

/** A page of results with the total number of matches. */
export interface PageList {
  total: number
  limit: number
  offset: number
  pages: Page[]
}

/** Pages, versions and captures of one host, source or industry. */
export interface FacetCounts {
  pages: number
  versions: number
  captures: number
}

/** Counts per host, source and industry over the whole archive, plus the totals (no blob listing). */
export interface Facets {
  pages: number
  versions: number
  captures: number
  hosts: Array<{ host: string } & FacetCounts>
  sources: Array<{ source: string } & FacetCounts>
  industries: Array<{ industry: Industry } & FacetCounts>
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
  /** Counts by host, source and industry: one archive query, fresh on every call. */
  facets(): Promise<Facets>
  /** Diff version `from` against version `to` of a page. */
  diff(url: string, from: number, to: number, ignorePunct: boolean): Promise<DiffResult>
}

/** Build the read-only data source over `archive`. */
export function createDataSource(archive: Archive): DataSource {
  return {
    async listPages(filters) {
      const { limit, offset, ...query } = filters
      const [pages, total] = await Promise.all([archive.listPages(filters), archive.countPages(query)])
      return { total, limit, offset, pages }
    },

    async pageById(id) {
      const p = await archive.getPageById(id)
      if (p === null) throw new ViewerNotFoundError('page', id)
      return p
    },

    async pageByUrl(url) {
      const p = await archive.getPage(url)
      if (p === null) throw new ViewerNotFoundError('page', url)
      return p
    },

    async facets() {
      const f: PageFacets = await archive.facets({})
      return {
        pages: f.pages,
        versions: f.versions,
        captures: f.captures,
        hosts: f.hosts.map(({ value, ...n }) => ({ host: value, ...counts(n) })),
        sources: f.sources.map(({ value, ...n }) => ({ source: value, ...counts(n) })),
        industries: f.industries.map(({ value, ...n }) => ({ industry: value as Industry, ...counts(n) })),
      }
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

/** The counts of a facet, in a fixed key order (the archive's objects may carry more in future). */
function counts(n: Omit<FacetCount, 'value'>): FacetCounts {
  return { pages: n.pages, versions: n.versions, captures: n.captures }
}
