/**
 * @file `parkwatch discover`: read the entry points of a sources file (feeds, sitemaps, list pages) as a run
 * would, with robots.txt, politeness and retries, and print the article URLs they list. Nothing is fetched
 * beyond the entry points and nothing is written: the way to check a sources file against a real portal.
 */
import { loadSources } from '@parkwatch/scraper'
import { type CommandIo, checkSiteIds } from './commands.js'
import { discoverSite, type SiteDiscovery } from './discover.js'
import { createFetchStack, type FetchStackOptions } from './fetch-stack.js'
import { table } from './report.js'

/** Options of `commandDiscover`. */
export interface DiscoverCommandOptions extends FetchStackOptions {
  sources: string
  /** Only these site ids. @default every site */
  sites?: string[]
  /** URLs listed per site (the count is always the full one). @default 20 */
  limit?: number
  /** Print every site's full `SiteDiscovery` as JSON instead. @default false */
  json?: boolean
}

/** One site's discovery, with the URLs robots.txt forbids (a run records their visits as skipped). */
export interface DiscoverReport extends SiteDiscovery {
  disallowed: string[]
}

/**
 * `parkwatch discover`: every selected site's discovery, side by side. Exits 0, or 1 when a site found no
 * article URL because its entry points failed.
 */
export async function commandDiscover(options: DiscoverCommandOptions, io: CommandIo): Promise<number> {
  const sources = await loadSources(options.sources)
  checkSiteIds(sources, options.sites, 'discover')
  const sites = sources.sites.filter((s) => !options.sites || options.sites.includes(s.id))
  const stack = createFetchStack(sites, options)
  let found: DiscoverReport[]
  try {
    found = await Promise.all(
      sites.map(async (site) => {
        const discovery = await discoverSite(site, stack.loader)
        const disallowed: string[] = []
        for (const { url } of discovery.found)
          if (stack.robots && !(await stack.robots.isAllowed(url))) disallowed.push(url)
        return { ...discovery, disallowed }
      }),
    )
  } finally {
    await stack.close()
  }
  io.out.write(options.json ? `${JSON.stringify(found, null, 2)}\n` : formatDiscovery(found, options.limit ?? 20))
  return found.some((d) => d.found.length === 0 && d.errors.length > 0) ? 1 : 0
}

/** The report `parkwatch discover` prints: a summary, then per site its URLs (newest first) and its errors. */
export function formatDiscovery(found: readonly DiscoverReport[], limit: number): string {
  let out = table(
    'parkwatch discover',
    found.map((d) => [
      d.site,
      `${d.found.length} URLs${d.disallowed.length > 0 ? ` (${d.disallowed.length} disallowed by robots.txt)` : ''}${
        d.errors.length > 0 ? `, ${d.errors.length} errors` : ''
      }`,
    ]),
  )
  for (const d of found) {
    out += `\n${d.site}\n`
    // Newest first; undated ones after, in discovery order (the sort is stable).
    const newest = [...d.found].sort((a, b) => (b.publishedAt ?? 0) - (a.publishedAt ?? 0))
    const disallowed = new Set(d.disallowed)
    for (const item of newest.slice(0, limit)) {
      const date =
        item.publishedAt === null ? '                ' : new Date(item.publishedAt).toISOString().slice(0, 16)
      const robots = disallowed.has(item.url) ? '  [robots.txt: disallowed]' : ''
      out += `  ${date.replace('T', ' ')}  ${item.url}${item.title ? `  ${item.title}` : ''}${robots}\n`
    }
    if (newest.length > limit) out += `  … and ${newest.length - limit} more (--limit N, or --json for all)\n`
    for (const e of d.errors) out += `  error ${e.kind} ${e.url}: ${e.message}\n`
  }
  return out
}
