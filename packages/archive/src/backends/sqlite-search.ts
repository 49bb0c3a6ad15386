/**
 * @file Full-text search of the SQLite backend: FTS5 with the `trigram` tokenizer over title + text folded to
 * simplified script. Terms of 3+ characters are trigram phrases. Shorter terms (most Chinese words have two
 * characters) are below a trigram, so they are looked up in the index's vocabulary instead: every indexed
 * text ends with `FTS_SENTINEL`, so a 1-2 character term occurs in a text exactly when some trigram of it
 * starts with the term.
 *
 * - An absent short term is answered from the vocabulary alone (one range probe, well under a millisecond
 *   at 100,000 versions) instead of a scan of every text.
 * - A present one is first looked for with `LIKE` in the newest `SHORT_TERM_WINDOW` versions: a common word
 *   fills `limit` there at once. Otherwise the term becomes the OR of its (at most `MAX_CONTINUATIONS`)
 *   trigrams and the index answers exactly. Only a term with more distinct trigrams than that (a very
 *   common character) falls back to `LIKE` over every version, newest first, until `limit` hits.
 */
import type Database from 'better-sqlite3'
import { makeSnippet } from '../hash.js'
import { FTS_SENTINEL } from '../migrations/sqlite.js'
import type { SearchHit, SearchQuery } from '../types.js'

/** How many of the newest versions a short term is first scanned for. */
export const SHORT_TERM_WINDOW = 1000
/** Most trigrams a short term is expanded to before search falls back to scanning for it. */
export const MAX_CONTINUATIONS = 128

/** The search function over a connection to the archive with its index attached as `fts` (`sqlite-fts.ts`). */
export function sqliteSearch(db: Database.Database): (query: SearchQuery) => SearchHit[] {
  // Vocabulary views of the index, per connection (temp): `instance` stops at the first hit, `row` lists
  // each distinct trigram once.
  db.exec(`
    CREATE VIRTUAL TABLE IF NOT EXISTS temp.versions_fts_instances USING fts5vocab(fts, versions_fts, 'instance');
    CREATE VIRTUAL TABLE IF NOT EXISTS temp.versions_fts_terms USING fts5vocab(fts, versions_fts, 'row');
  `)
  const q = {
    anyTrigram: db
      .prepare('SELECT term FROM temp.versions_fts_instances WHERE term >= ? AND term < ? LIMIT 1')
      .pluck(true),
    trigrams: db.prepare('SELECT term FROM temp.versions_fts_terms WHERE term >= ? AND term < ? LIMIT ?').pluck(true),
    newest: db.prepare('SELECT max(rowid) FROM fts.versions_fts').pluck(true),
  }
  const statements = new Map<string, Database.Statement>()
  const run = (where: string[], args: unknown[], limit: number): SearchRow[] => {
    const sql = `SELECT f.rowid AS id, f.body, v.page_id, p.url, v.number, v.title, v.created_at
      FROM fts.versions_fts f JOIN versions v ON v.id = f.rowid JOIN pages p ON p.id = v.page_id
      WHERE ${where.join(' AND ')} ORDER BY f.rowid DESC LIMIT ?`
    let stmt = statements.get(sql)
    if (stmt === undefined) {
      stmt = db.prepare(sql)
      if (statements.size < 64) statements.set(sql, stmt)
    }
    return stmt.all(...args, limit) as SearchRow[]
  }

  return (query) => {
    const terms = query.text.split(' ').filter(Boolean)
    const limit = query.limit ?? 20
    const long = terms.filter((t) => [...t].length >= 3)
    const short = terms.filter((t) => [...t].length < 3).map((t) => t.toLowerCase())
    // The trigram tokenizer folds case, so its vocabulary is lower-case.
    if (short.some((t) => q.anyTrigram.get(t, upperBound(t)) === undefined)) return []

    const base: string[] = []
    const baseArgs: unknown[] = []
    if (query.host !== undefined) {
      base.push('p.host = ?')
      baseArgs.push(query.host)
    }
    if (query.latestOnly) base.push('p.latest_version_id = v.id')
    const hits = (rows: SearchRow[]): SearchHit[] => rows.map((r) => toHit(r, terms))
    const phrases = long.map(phrase)
    if (short.length === 0) {
      return hits(run(['f.body MATCH ?', ...base], [phrases.join(' AND '), ...baseArgs], limit))
    }

    const likes = short.map(() => `f.body LIKE ? ESCAPE '\\'`)
    const likeArgs = short.map((t) => `%${t.replace(/[\\%_]/g, '\\$&')}%`)
    const match = phrases.length > 0 ? ['f.body MATCH ?'] : []
    const matchArgs = phrases.length > 0 ? [phrases.join(' AND ')] : []
    // 1. The newest versions, scanned: enough for a common word.
    const newest = (q.newest.get() as number | null) ?? 0
    const recent = run(
      [...match, 'f.rowid > ?', ...likes, ...base],
      [...matchArgs, newest - SHORT_TERM_WINDOW, ...likeArgs, ...baseArgs],
      limit,
    )
    if (recent.length >= limit || newest <= SHORT_TERM_WINDOW) return hits(recent)

    // 2. Everything, from the index: each short term as the OR of the trigrams it starts.
    const groups: string[] = []
    const scanned: string[] = []
    const scannedArgs: string[] = []
    for (const [i, t] of short.entries()) {
      const trigrams = q.trigrams.all(t, upperBound(t), MAX_CONTINUATIONS + 1) as string[]
      if (trigrams.length <= MAX_CONTINUATIONS) groups.push(`(${trigrams.map(phrase).join(' OR ')})`)
      else {
        scanned.push(likes[i] as string)
        scannedArgs.push(likeArgs[i] as string)
      }
    }
    const expression = [...phrases, ...groups].join(' AND ')
    return hits(
      run(
        [...(expression ? ['f.body MATCH ?'] : []), ...scanned, ...base],
        [...(expression ? [expression] : []), ...scannedArgs, ...baseArgs],
        limit,
      ),
    )
  }
}

// --- Internal helpers ---

interface SearchRow {
  id: number
  body: string
  page_id: number
  url: string
  number: number
  title: string
  created_at: number
}

/** A term as an FTS5 phrase (quotes doubled). */
function phrase(term: string): string {
  return `"${term.replaceAll('"', '""')}"`
}

/** Just above every string that starts with `prefix`. */
function upperBound(prefix: string): string {
  return `${prefix}\u{10FFFF}`
}

function toHit(r: SearchRow, terms: readonly string[]): SearchHit {
  const body = r.body.endsWith(FTS_SENTINEL) ? r.body.slice(0, -FTS_SENTINEL.length) : r.body
  return {
    versionId: r.id,
    pageId: r.page_id,
    url: r.url,
    versionNumber: r.number,
    title: r.title,
    snippet: makeSnippet(body, terms),
    createdAt: new Date(r.created_at).toISOString(),
  }
}
