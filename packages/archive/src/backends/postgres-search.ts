/**
 * @file Full-text search of the PostgreSQL backend: `LIKE` over `versions.search_text` (title + text folded
 * to simplified script, lower-case), which the pg_trgm GIN index answers for terms of 3+ characters. A
 * shorter term (most Chinese words have two characters) has no trigram of its own, so the index cannot look
 * it up; it goes by the search vocabulary instead, the table `search_grams` of every distinct gram of every
 * version (`searchGrams`: a 1-2 character term occurs in a text exactly when one of its grams starts with it):
 *
 * - an absent short term is answered from the vocabulary alone, one index range probe, instead of reading
 *   every version (and a longer term with a trigram no version has skips the scan of the newest ones);
 * - a present one is first looked for in the newest `NEWEST_FIRST_WINDOW` versions, where a common word fills
 *   `limit` at once; otherwise every gram it starts (at most `MAX_CONTINUATIONS`) is looked up in the trigram
 *   index on its own and the matches are merged, newest first. A term with more grams than that (a common
 *   single character), or with a gram pg_trgm has no trigram for (a character before punctuation or at the
 *   end of a text), is still scanned for over every version, newest first, as before the vocabulary.
 *
 * Writers keep the vocabulary in the transaction that stores a version, so it always holds every committed
 * version's grams (it may hold more: nothing is ever removed but by `clear`, and an extra gram only costs a
 * lookup). `gramCache` spares them re-inserting the grams their process knows are stored.
 */
import { makeSnippet } from '../hash.js'
import { forEachGram } from '../migrations/postgres.js'
import type { SearchHit, SearchQuery } from '../types.js'
import type { SearchRow } from './postgres-sql.js'

/** How many of the newest versions search scans before it asks the indexes. */
export const NEWEST_FIRST_WINDOW = 2000
/** Most grams a short term is looked up by before search falls back to scanning for it. */
export const MAX_CONTINUATIONS = 256

/** What search needs from the backend. */
export interface SearchContext {
  /** The quoted schema. */
  S: string
  /** Run a statement on any pooled connection; errors become `StorageError`. */
  query: <R extends object>(text: string, args?: unknown[]) => Promise<R[]>
  /** The same, prepared (named) per connection: for a statement whose plan does not depend on its values. */
  prepared: <R extends object>(text: string, args?: unknown[]) => Promise<R[]>
}

/** The backend's `search` over `ctx`. */
export function postgresSearch(ctx: SearchContext): (query: SearchQuery) => Promise<SearchHit[]> {
  const { S, query, prepared } = ctx
  const columns = 'v.id, v.search_text, v.page_id, p.url, v.number, v.title, v.created_at'
  // Every [lo, hi) range holds a gram: the one-time condition the window query runs under, so an absent
  // term stops it before it reads a row.
  const allPresent = (lo: string, hi: string): string =>
    `NOT EXISTS (SELECT FROM unnest(${lo}::text[], ${hi}::text[]) AS t (lo, hi)
       WHERE NOT EXISTS (SELECT FROM ${S}.search_grams g WHERE g.gram >= t.lo AND g.gram < t.hi))`
  // The grams of each range (one more than the most used, to tell "too many"), and whether the trigram
  // index can look each up: its first two characters are word characters to pg_trgm, which asks the
  // database's ctype (the column's "C" collation would call every non-ASCII character a non-word one).
  const expand = `SELECT t.i::int AS term, g.gram, (g.gram COLLATE "default") ~ '^[[:alnum:]]{2}' AS indexable
    FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t (lo, hi, i)
    CROSS JOIN LATERAL (SELECT gram FROM ${S}.search_grams WHERE gram >= t.lo AND gram < t.hi
      ORDER BY gram LIMIT ${MAX_CONTINUATIONS + 1}) g`

  return async (q) => {
    const terms = q.text
      .toLowerCase()
      // A lone surrogate reaches Postgres as U+FFFD; so must the range bounds built from it.
      .replace(/\p{Surrogate}/gu, '\uFFFD')
      .split(' ')
      .filter(Boolean)
    if (terms.length === 0) return []
    const limit = q.limit ?? 20
    // $1..$n: the conditions every query shares; each query appends its own arguments.
    const base: unknown[] = []
    const arg = (value: unknown): string => `$${base.push(value)}`
    // LIKE '%term%' is what the pg_trgm GIN index accelerates (terms of 3+ characters). Both sides are
    // lower-case, so this is case-insensitive like the SQLite trigram index.
    const conditions = terms.map((t) => `v.search_text LIKE ${arg(`%${escapeLike(t)}%`)}`)
    if (q.host !== undefined) conditions.push(`p.host = ${arg(q.host)}`)
    if (q.latestOnly) conditions.push('p.latest_version_id = v.id')
    const where = conditions.join(' AND ')
    const next = (k: number): string => `$${base.length + k}`
    // Short terms with a range in the vocabulary (all but one ending in U+10FFFF, which has no successor).
    const short = terms.flatMap((t) => {
      const hi = [...t].length < 3 ? successor(t) : null
      return hi === null ? [] : [{ lo: t, hi }]
    })
    const ranges = [short.map((s) => s.lo), short.map((s) => s.hi)]
    // What the vocabulary must hold for any version to match: a gram starting with each short term, and
    // each trigram of each longer term (every one of them is a gram of a text the term occurs in).
    const needed = new Map(short.map((s) => [s.lo, s.hi]))
    for (const t of terms) {
      const chars = [...t]
      for (let i = 0; i + 3 <= chars.length; i++) {
        const gram = chars.slice(i, i + 3).join('')
        const hi = successor(gram)
        if (hi !== null) needed.set(gram, hi)
      }
    }
    const hits = (rows: SearchRow[]): SearchHit[] => rows.map((r) => toHit(r, terms))
    const everything = async (): Promise<SearchHit[]> =>
      hits(
        await query<SearchRow>(
          `SELECT ${columns} FROM ${S}.versions v JOIN ${S}.pages p ON p.id = v.page_id
           WHERE ${where} ORDER BY v.id DESC LIMIT ${next(1)}`,
          [...base, limit],
        ),
      )

    // 1. The newest versions, scanned, when the vocabulary holds what every term needs (so an absent term
    //    reads no row). A common term fills `limit` here, and no older version can beat these; the planner
    //    would otherwise read and sort every match (~1 s over 50,000 versions). Its plan is the same whatever
    //    the terms (the window cannot use the trigram index), so it is prepared once per connection and
    //    shape, which saves ~0.3 ms of planning; up to a few terms, not to keep a statement per query.
    const recent = await (terms.length <= PREPARED_TERMS ? prepared : query)<SearchRow>(
      `SELECT ${columns} FROM (SELECT * FROM ${S}.versions ORDER BY id DESC LIMIT ${NEWEST_FIRST_WINDOW}) v
       JOIN ${S}.pages p ON p.id = v.page_id
       WHERE ${where}${needed.size > 0 ? ` AND ${allPresent(next(2), next(3))}` : ''}
       ORDER BY v.id DESC LIMIT ${next(1)}`,
      needed.size > 0 ? [...base, limit, [...needed.keys()], [...needed.values()]] : [...base, limit],
    )
    if (recent.length >= limit) return hits(recent)
    if (short.length === 0) return everything()

    // 2. The vocabulary: an absent short term means no match at all.
    const grams = short.map(() => [] as Array<{ gram: string; indexable: boolean }>)
    for (const row of await query<{ term: number; gram: string; indexable: boolean }>(expand, ranges)) {
      grams[row.term - 1]?.push(row)
    }
    if (grams.some((g) => g.length === 0)) return []
    // With a term of 3+ characters the trigram index has that one to go by, as without short terms.
    if (short.length < terms.length) return everything()

    // 3. The versions holding a gram of the short term with the fewest grams (likely the rarest), each gram
    //    looked up in the trigram index on its own: one index lookup per gram, and each row it returns is
    //    checked against that gram only (an OR of all of them would be checked in full on every such row).
    //    Then those versions alone, by primary key, against every term and filter. The CTE and the array
    //    keep the planner from going by its estimate for a short term's LIKE instead, which can be a scan.
    const [best] = grams
      .filter((g) => g.length <= MAX_CONTINUATIONS && g.every((x) => x.indexable))
      .sort((a, b) => a.length - b.length)
    if (best === undefined) return everything()
    // A gram shorter than three characters ends its text.
    const patterns = best.map(({ gram }) => `%${escapeLike(gram)}${[...gram].length < 3 ? '' : '%'}`)
    return hits(
      await query<SearchRow>(
        `WITH m AS MATERIALIZED (
           SELECT x.id FROM unnest(${next(2)}::text[]) AS pattern
           CROSS JOIN LATERAL (SELECT v.id FROM ${S}.versions v WHERE v.search_text LIKE pattern) x)
         SELECT ${columns} FROM ${S}.versions v JOIN ${S}.pages p ON p.id = v.page_id
         WHERE v.id = ANY (ARRAY(SELECT id FROM m)) AND ${where} ORDER BY v.id DESC LIMIT ${next(1)}`,
        [...base, limit, patterns],
      ),
    )
  }
}

/**
 * Search grams to insert with new versions (see `GramCache`): those their process does not know are stored
 * in `search_grams` while the table has the file node `node`, or every one of them when `node` is null.
 */
export interface GramBatch {
  /** Distinct grams. */
  grams: string[]
  /** The file node of the table the other grams are known stored in; null: `grams` are all of them. */
  node: string | null
}

/**
 * What a process knows is stored in `search_grams`, so that its writers send only the other grams of a new
 * version: most are stored already, and sending and checking each costs. What it knows is tied to the
 * table's file node, which `TRUNCATE` (`clear`, in any process) and rewrites change: a statement that finds
 * another node than its batch's stores every gram instead (see `statements(S).ingest` and `insertGrams`), so
 * the vocabulary never misses one. Rows are never deleted otherwise.
 */
export interface GramCache {
  /** The grams of `texts` (search texts of new versions) this process does not know are stored. */
  fresh(texts: readonly string[]): GramBatch
  /** After the commit that stored `batch` in the table with file node `node`. */
  stored(batch: GramBatch, node: string): void
  /** Forget everything (this process cleared the table). */
  forget(): void
}

/** Every gram of `texts`, as a batch for a table whose node is not known. */
export function allGrams(texts: readonly string[]): GramBatch {
  const grams = new Set<string>()
  for (const text of texts) forEachGram(text, (gram) => grams.add(gram))
  return { grams: [...grams], node: null }
}

/** A `GramCache` of up to `max` grams (~50 bytes each); past it, it starts over. */
export function gramCache(max = 250_000): GramCache {
  let node: string | null = null
  let known = new Set<string>()
  return {
    fresh(texts) {
      const grams = new Set<string>()
      for (const text of texts) {
        forEachGram(text, (gram) => {
          if (!known.has(gram)) grams.add(gram)
        })
      }
      return { grams: [...grams], node }
    },
    stored(batch, stored) {
      if (stored !== node) {
        // The batch was checked against the node it names (or sent every gram): a node that differs here
        // means the cache moved to another one since, and this late reply is ignored. Otherwise the table
        // is a new one, and these grams are all this process knows of it. Nodes are not ordered: being
        // wrong costs a retry with every gram, never a missing gram.
        if (batch.node !== null) return
        node = stored
        known = new Set()
      }
      for (const gram of batch.grams) known.add(gram)
      if (known.size > max) known = new Set()
    },
    forget() {
      node = null
      known = new Set()
    },
  }
}

// --- Internal helpers ---

/** Most terms a query may have for its window statement to be prepared (see `postgresSearch`). */
const PREPARED_TERMS = 4

/** `term` with LIKE's wildcards and escape character escaped. */
function escapeLike(term: string): string {
  return term.replace(/[\\%_]/g, '\\$&')
}

/**
 * Just above every string that starts with `prefix`, in code point order (collation "C"): its last code
 * point plus one (surrogates skipped). Null for a last code point of U+10FFFF, which has no successor.
 */
function successor(prefix: string): string | null {
  const chars = [...prefix]
  const last = chars.pop()?.codePointAt(0) ?? 0x10ffff
  if (last >= 0x10ffff) return null
  return chars.join('') + String.fromCodePoint(last + 1 === 0xd800 ? 0xe000 : last + 1)
}

function toHit(r: SearchRow, terms: readonly string[]): SearchHit {
  return {
    versionId: Number(r.id),
    pageId: Number(r.page_id),
    url: r.url,
    versionNumber: r.number,
    title: r.title,
    snippet: makeSnippet(r.search_text, terms),
    createdAt: r.created_at.toISOString(),
  }
}
