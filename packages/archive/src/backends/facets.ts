/**
 * @file Facet counts (`PageFacets`) from the rows of one SQL statement, shared by the SQLite and Postgres
 * backends: each row is `[kind, value, pages, versions, captures]`, kind 0 the totals, 1 a host, 2 a source,
 * 3 an industry.
 */
import type { FacetCount, PageFacets } from '../types.js'

/** One row of a facet statement (counts may arrive as strings from Postgres `bigint`s). */
export type FacetRow = readonly [number, string | null, number | string, number | string, number | string]

/** Assemble the facets: totals, then each list sorted by pages (most first), then by value. */
export function facetsFromRows(rows: Iterable<FacetRow>): PageFacets {
  const lists: FacetCount[][] = [[], [], [], []]
  let total = { pages: 0, versions: 0, captures: 0 }
  for (const [kind, value, pages, versions, captures] of rows) {
    const counts = { pages: Number(pages), versions: Number(versions), captures: Number(captures) }
    if (kind === 0) total = counts
    else lists[kind]?.push({ value: value as string, ...counts })
  }
  const [, hosts = [], sources = [], industries = []] = lists.map((l) => l.sort(byPages))
  return { ...total, hosts, sources, industries }
}

// --- Internal helpers ---

function byPages(a: FacetCount, b: FacetCount): number {
  return b.pages - a.pages || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0)
}
