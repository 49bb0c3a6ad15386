/**
 * @file An in-memory backend: for tests, demos and short-lived tools. It passes the same contract suite as
 * the SQLite and Postgres backends, but keeps nothing after the process ends and serves one process only.
 */
import { memoryBlobStore } from '../blobs.js'
import { versionChange } from '../change.js'
import { makeSnippet, sameContent } from '../hash.js'
import type {
  ArchiveBackend,
  BlobStore,
  Capture,
  ConditionalHeaders,
  FacetCount,
  IngestRecord,
  IngestResult,
  Page,
  PageQuery,
  SearchHit,
  VerifyIssue,
  Version,
} from '../types.js'

/** Options of `memoryBackend`. */
export interface MemoryBackendOptions {
  /** Where bodies go. @default memoryBlobStore() */
  blobs?: BlobStore
}

/**
 * The in-memory backend. Every method copies what it returns, so callers cannot change stored records.
 *
 * @example
 * const archive = createArchive({ backend: memoryBackend() })
 */
export function memoryBackend(options: MemoryBackendOptions = {}): ArchiveBackend {
  const blobs = options.blobs ?? memoryBlobStore()
  let state = emptyState()

  // Everything between reading the newest version and writing runs without an await, so concurrent calls
  // in this process cannot interleave: that is this backend's transaction.
  const ingestOne = (record: IngestRecord): IngestResult => {
    const { page: p, capture: c, version: v } = record
    let entry = state.pages.get(p.url)
    if (!entry) {
      entry = {
        page: {
          id: ++state.ids.page,
          url: p.url,
          host: p.host,
          source: p.source,
          firstCapturedAt: c.fetchedAt,
          lastCapturedAt: c.fetchedAt,
          lastChangedAt: null,
          captureCount: 0,
          versionCount: 0,
          title: null,
          publishedAt: null,
          industries: [],
          lastChange: null,
        },
        captures: [],
        versions: [],
      }
      state.pages.set(p.url, entry)
    }
    let latest = entry.versions.at(-1) ?? null
    const isNew =
      v !== null &&
      (latest === null || (!sameContent(latest.article, v.article) && latest.contentHash !== v.contentHash))
    const captureId = ++state.ids.capture
    if (isNew && v) {
      const change = versionChange(latest?.article ?? null, v.article)
      latest = {
        id: ++state.ids.version,
        pageId: entry.page.id,
        url: p.url,
        number: entry.versions.length + 1,
        contentHash: v.contentHash,
        captureId,
        createdAt: c.fetchedAt,
        title: v.title,
        article: structuredClone(v.article),
        change,
      }
      entry.versions.push(latest)
      state.versions.set(latest.id, { version: latest, searchText: v.searchText(), publishedAt: v.publishedAt })
      Object.assign(entry.page, {
        versionCount: entry.versions.length,
        lastChangedAt: c.fetchedAt,
        title: v.title,
        publishedAt: v.publishedAt,
        industries: [...v.industries],
        lastChange: change,
      })
    }
    const capture: Capture = {
      id: captureId,
      pageId: entry.page.id,
      url: p.url,
      ...structuredClone(c),
      versionId: latest?.id ?? null,
      versionNumber: latest?.number ?? null,
    }
    entry.captures.push(capture)
    state.captures.set(capture.id, capture)
    const page = entry.page
    page.captureCount = entry.captures.length
    if (c.fetchedAt < page.firstCapturedAt) page.firstCapturedAt = c.fetchedAt
    if (c.fetchedAt > page.lastCapturedAt) page.lastCapturedAt = c.fetchedAt
    return structuredClone({ page, capture, version: latest, isNewVersion: isNew })
  }

  const matching = (query: PageQuery): Page[] => {
    const at = (d: Date | string | undefined): number | undefined =>
      d === undefined ? undefined : new Date(d).getTime()
    const from = at(query.publishedFrom)
    const to = at(query.publishedTo)
    const since = at(query.changedSince)
    return [...state.pages.values()]
      .map((e) => e.page)
      .filter((p) => {
        const published = p.publishedAt === null ? null : Date.parse(p.publishedAt)
        const changed = p.lastChangedAt === null ? null : Date.parse(p.lastChangedAt)
        if (query.host !== undefined && p.host !== query.host) return false
        if (query.source !== undefined && p.source !== query.source) return false
        if (query.industry !== undefined && !p.industries.includes(query.industry)) return false
        if (from !== undefined && (published === null || published < from)) return false
        if (to !== undefined && (published === null || published >= to)) return false
        if (since !== undefined && (changed === null || changed < since)) return false
        if (query.minVersions !== undefined && p.versionCount < query.minVersions) return false
        return true
      })
      .sort((a, b) => compareDesc(a.lastChangedAt, b.lastChangedAt) || b.id - a.id)
  }

  return {
    name: 'memory',
    flags: { fullText: true, multiProcess: false },
    blobs,

    async ingest(record) {
      return ingestOne(record)
    },

    async ingestMany(records) {
      // All or nothing: work on a copy and swap it in only when every record went through.
      const before = state
      state = cloneState(state)
      try {
        return records.map(ingestOne)
      } catch (error) {
        state = before
        throw error
      }
    },

    async getPage(url) {
      const entry = state.pages.get(url)
      return entry ? structuredClone(entry.page) : null
    },

    async listPages(query) {
      const offset = query.offset ?? 0
      return structuredClone(matching(query).slice(offset, offset + (query.limit ?? 100)))
    },

    async getPageById(id) {
      for (const entry of state.pages.values()) if (entry.page.id === id) return structuredClone(entry.page)
      return null
    },

    async countPages(query) {
      return matching(query).length
    },

    async facets(query) {
      const pages = matching(query)
      const group = (keys: (p: Page) => readonly string[]): FacetCount[] => {
        const by = new Map<string, FacetCount>()
        for (const p of pages) {
          for (const value of keys(p)) {
            const f = by.get(value) ?? { value, pages: 0, versions: 0, captures: 0 }
            f.pages++
            f.versions += p.versionCount
            f.captures += p.captureCount
            by.set(value, f)
          }
        }
        return [...by.values()].sort((a, b) => b.pages - a.pages || (a.value < b.value ? -1 : 1))
      }
      return {
        pages: pages.length,
        versions: pages.reduce((n, p) => n + p.versionCount, 0),
        captures: pages.reduce((n, p) => n + p.captureCount, 0),
        hosts: group((p) => [p.host]),
        sources: group((p) => [p.source]),
        industries: group((p) => p.industries),
      }
    },

    async timeline(url) {
      const entry = state.pages.get(url)
      if (!entry) return null
      const captures = [...entry.captures].sort((a, b) => compareAsc(a.fetchedAt, b.fetchedAt) || a.id - b.id)
      return structuredClone({ page: entry.page, captures, versions: entry.versions })
    },

    async getVersion(url, number) {
      const v = state.pages.get(url)?.versions[number - 1]
      return v ? structuredClone(v) : null
    },

    async getVersionById(id) {
      const v = state.versions.get(id)?.version
      return v ? structuredClone(v) : null
    },

    async getCapture(id) {
      const c = state.captures.get(id)
      return c ? structuredClone(c) : null
    },

    async conditionalHeaders(url) {
      const entry = state.pages.get(url)
      if (!entry) return null
      let best: Capture | null = null
      for (const c of entry.captures) {
        if (c.etag === null && c.lastModified === null) continue
        if (
          !best ||
          compareAsc(c.fetchedAt, best.fetchedAt) > 0 ||
          (c.fetchedAt === best.fetchedAt && c.id > best.id)
        ) {
          best = c
        }
      }
      if (!best) return null
      const out: ConditionalHeaders = {
        etag: best.etag,
        lastModified: best.lastModified,
        captureId: best.id,
        fetchedAt: best.fetchedAt,
      }
      return out
    },

    async search(query) {
      const terms = query.text.split(' ').filter(Boolean)
      const lower = terms.map((t) => t.toLowerCase())
      const hits: SearchHit[] = []
      const ids = [...state.versions.keys()].sort((a, b) => b - a)
      for (const id of ids) {
        if (hits.length >= (query.limit ?? 20)) break
        const row = state.versions.get(id)
        if (!row) continue
        const { version, searchText } = row
        const page = state.pages.get(version.url)?.page
        if (!page) continue
        if (query.host !== undefined && page.host !== query.host) continue
        if (query.latestOnly && state.pages.get(version.url)?.versions.at(-1)?.id !== version.id) continue
        const text = searchText.toLowerCase()
        if (!lower.every((t) => text.includes(t))) continue
        hits.push({
          versionId: version.id,
          pageId: version.pageId,
          url: version.url,
          versionNumber: version.number,
          title: version.title,
          snippet: makeSnippet(searchText, terms),
          createdAt: version.createdAt,
        })
      }
      return hits
    },

    async stats() {
      let count = 0
      let stored = 0
      for await (const b of blobs.list()) {
        count++
        stored += b.storedSize
      }
      let raw = 0
      for (const c of state.captures.values()) raw += c.bodySize ?? 0
      return {
        pages: state.pages.size,
        captures: state.captures.size,
        versions: state.versions.size,
        blobs: count,
        rawBytes: raw,
        storedBlobBytes: stored,
      }
    },

    async *blobRefs() {
      const seen = new Set<string>()
      for (const c of [...state.captures.values()]) {
        if (c.bodyHash === null || c.bodySize === null) continue
        const key = `${c.bodyHash}:${c.bodySize}`
        if (seen.has(key)) continue
        seen.add(key)
        yield { hash: c.bodyHash, size: c.bodySize }
      }
    },

    async checkReferences() {
      const issues: VerifyIssue[] = []
      for (const { page, captures, versions } of state.pages.values()) {
        if (page.captureCount !== captures.length || page.versionCount !== versions.length) {
          issues.push({ severity: 'error', kind: 'page-counts', message: `page ${page.url} counters`, ref: page.id })
        }
        versions.forEach((v, i) => {
          if (v.number !== i + 1) {
            issues.push({ severity: 'error', kind: 'version-numbering', message: `page ${page.url}`, ref: v.id })
          }
        })
        for (const c of captures) {
          if (c.versionId !== null && !versions.some((v) => v.id === c.versionId)) {
            issues.push({ severity: 'error', kind: 'capture-version', message: `capture ${c.id}`, ref: c.id })
          }
        }
      }
      return issues
    },

    async clear() {
      state = emptyState()
      await blobs.clear()
    },

    async close() {
      await blobs.close()
    },
  }
}

// --- Internal helpers ---

interface PageEntry {
  page: Page
  captures: Capture[]
  versions: Version[]
}

interface State {
  ids: { page: number; capture: number; version: number }
  pages: Map<string, PageEntry>
  captures: Map<number, Capture>
  versions: Map<number, { version: Version; searchText: string; publishedAt: string | null }>
}

function emptyState(): State {
  return { ids: { page: 0, capture: 0, version: 0 }, pages: new Map(), captures: new Map(), versions: new Map() }
}

/** A copy that shares no mutable record with `s` (records are replaced, never edited, except pages). */
function cloneState(s: State): State {
  const next = emptyState()
  next.ids = { ...s.ids }
  for (const [url, e] of s.pages) {
    next.pages.set(url, { page: { ...e.page }, captures: [...e.captures], versions: [...e.versions] })
  }
  for (const [id, c] of s.captures) next.captures.set(id, c)
  for (const [id, v] of s.versions) next.versions.set(id, v)
  return next
}

/** ISO strings sort like their instants; null (never) sorts last when descending. */
function compareDesc(a: string | null, b: string | null): number {
  if (a === b) return 0
  if (a === null) return 1
  if (b === null) return -1
  return a < b ? 1 : -1
}

function compareAsc(a: string, b: string): number {
  return a === b ? 0 : a < b ? -1 : 1
}
