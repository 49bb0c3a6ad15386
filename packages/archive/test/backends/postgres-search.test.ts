/**
 * @file Postgres search by the vocabulary (`search_grams`), against a real server (`ARCHIVE_PG_URL`): the
 * grams and the per-process gram cache; search results compared with a brute-force scan of the stored texts
 * over a varied corpus larger than the window of newest versions search scans first (present and absent
 * terms of 1, 2 and 3+ characters, traditional script, LIKE metacharacters, lone surrogates, several terms,
 * filters, limits), in an archive written by two writers and in the same archive migrated from schema 3;
 * and a vocabulary kept complete by writers in several pools, including after another one cleared it. The
 * shared contract suite (`contract.ts`) covers what every backend's search returns.
 */
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Archive, createArchive } from '../../src/archive.js'
import { postgresBackend } from '../../src/backends/postgres.js'
import { allGrams, gramCache, NEWEST_FIRST_WINDOW } from '../../src/backends/postgres-search.js'
import { searchTerms } from '../../src/hash.js'
import { migratePostgres, POSTGRES_SCHEMA_VERSION, searchGrams } from '../../src/migrations/postgres.js'
import type { ArchiveBackend, SearchQuery } from '../../src/types.js'
import { makeArticle } from '../fixtures.js'
import { missingGrams } from '../helpers/grams.js'

const url = process.env.ARCHIVE_PG_URL
const run = `pw_search_${process.pid}_${Date.now().toString(36)}`
const schemas: string[] = []
const backends: ArchiveBackend[] = []
const open = (label: string): { archive: Archive; backend: ArchiveBackend; schema: string } => {
  const schema = `${run}_${label}`
  if (!schemas.includes(schema)) schemas.push(schema)
  const backend = postgresBackend({ connectionString: url, schema, poolSize: 3 })
  backends.push(backend)
  return { archive: createArchive({ backend }), backend, schema }
}
const sql = async (text: string, args: unknown[] = []): Promise<Array<Record<string, unknown>>> => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query(text, args)).rows
  } finally {
    await client.end()
  }
}

afterAll(async () => {
  if (!url) return
  for (const b of backends) await b.close()
  for (const s of schemas) await sql(`DROP SCHEMA IF EXISTS "${s}" CASCADE`)
})

const RARE = 'https://rare.example.com/perovskite'
const END = 'https://rare.example.com/graphite'
let clock = Date.parse('2026-04-01T00:00:00Z')

/** A version-creating record without a body (search is all these tests look at). */
const item = (pageUrl: string, title: string, text: string): Parameters<Archive['ingestMany']>[0][number] => {
  clock += 1000
  return {
    capture: { url: pageUrl, status: 200, body: null, fetchedAt: clock },
    article: makeArticle({ title, paragraphs: [text] }),
  }
}

/**
 * The rare words in the oldest versions, then more versions than search scans first, none with them:
 * 钙钛 (perovskite) twice on one page, 石墨 (graphite) as the very last characters of a text.
 */
async function seed(archive: Archive, newer = NEWEST_FIRST_WINDOW + 100): Promise<void> {
  await archive.ingestMany([
    item(RARE, '新材料', '园区企业研发钙钛矿电池。'),
    item(RARE, '新材料（更新）', '园区企业研发钙钛矿电池，并签约。'),
    item(END, '新材料', '园区企业研发石墨'),
  ])
  for (let done = 0; done < newer; ) {
    const batch = Array.from({ length: Math.min(500, newer - done) }, (_, i) =>
      item(
        `https://filler.example.com/p${(done + i) % 300}`,
        `园区新闻 ${done + i}`,
        `园区企业第${done + i}号项目签约投产。`,
      ),
    )
    await archive.ingestMany(batch)
    done += batch.length
  }
}

describe('postgres search grams', () => {
  it('takes from every character but a space the next three, fewer at the end, in code points', () => {
    expect(searchGrams('芯片 研发').sort()).toEqual(['发', '片 研', '研发', '芯片 '].sort())
    expect(searchGrams('ab ab')).toEqual(['ab ', 'b a', 'ab', 'b'])
    expect(searchGrams('')).toEqual([])
    // Characters of two UTF-16 units are one character, as in Postgres; so is a lone half of one.
    expect(searchGrams('𠀀芯片𠀁').sort()).toEqual(['𠀀芯片', '芯片𠀁', '片𠀁', '𠀁'].sort())
    expect(searchGrams('a\uD800bc').sort()).toEqual(['a\uD800b', '\uD800bc', 'bc', 'c'].sort())
    expect(allGrams(['ab ab', '芯片'])).toEqual({ grams: ['ab ', 'b a', 'ab', 'b', '芯片', '片'], node: null })
  })

  it('sends only the grams its process does not know are stored in the table it saw', () => {
    const cache = gramCache()
    const first = cache.fresh(['园区芯片'])
    expect(first).toEqual({ grams: ['园区芯', '区芯片', '芯片', '片'], node: null })
    cache.stored(first, '100')
    const second = cache.fresh(['园区芯片', '园区芯片厂'])
    expect(second).toEqual({ grams: ['芯片厂', '片厂', '厂'], node: '100' })
    const late = cache.fresh(['新'])
    // The table was cleared elsewhere: the writer sent every gram into the new one, and what this process
    // knew of the old table is forgotten.
    cache.stored(allGrams(['园区芯片厂']), '200')
    expect(cache.fresh(['园区芯片厂', '芯'])).toEqual({ grams: ['芯'], node: '200' })
    // A late reply about the table before is ignored.
    cache.stored(late, '100')
    expect(cache.fresh(['新'])).toEqual({ grams: ['新'], node: '200' })
    cache.stored(cache.fresh(['新']), '200')
    expect(cache.fresh(['新']).grams).toEqual([])
    cache.forget()
    expect(cache.fresh(['厂'])).toEqual({ grams: ['厂'], node: null })
  })

  it('starts over past its bound', () => {
    const text = Array.from({ length: 3000 }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7919) % 20000))).join('')
    const small = gramCache(1000)
    small.stored(small.fresh([text]), '1')
    expect(small.fresh([text.slice(0, 100)]).grams.length).toBe(new Set(searchGrams(text.slice(0, 100))).size)
    const big = gramCache()
    big.stored(big.fresh([text]), '1')
    expect(big.fresh([text]).grams).toEqual([])
  })
})

describe.skipIf(!url)('postgres search: short terms by the vocabulary', () => {
  let archive: Archive
  let schema: string
  const found = async (text: string, extra: object = {}): Promise<string[]> =>
    (await archive.search({ text, ...extra })).map((h) => `${h.url}#${h.versionNumber}`)

  beforeAll(async () => {
    ;({ archive, schema } = open('vocabulary'))
    await seed(archive)
  }, 60_000)

  it('answers a short term that no version holds with no match', async () => {
    expect(await found('量子')).toEqual([])
    expect(await found('量')).toEqual([])
    expect(await found('量子 园区')).toEqual([])
    expect(await found('园区 量子')).toEqual([])
    expect(await found('量子计算')).toEqual([])
    expect(await found('量子 苏州工业园区')).toEqual([])
  })

  it('finds a rare short term in versions older than the newest ones it scans first', async () => {
    expect(await found('钙钛')).toEqual([`${RARE}#2`, `${RARE}#1`])
    expect(await found('钙钛', { latestOnly: true })).toEqual([`${RARE}#2`])
    expect(await found('钙钛', { host: 'rare.example.com', limit: 1 })).toEqual([`${RARE}#2`])
    expect(await found('钙钛', { host: 'filler.example.com' })).toEqual([])
    expect(await found('钛矿 签约')).toEqual([`${RARE}#2`])
    expect(await found('钙钛 电池 签约')).toEqual([`${RARE}#2`])
    // The last characters of a text: their gram is shorter than three characters.
    expect(await found('石墨')).toEqual([`${END}#1`])
    expect(await found('钙钛 石墨')).toEqual([])
    // With a longer term, that one drives the index.
    expect(await found('钙钛矿电池 签约')).toEqual([`${RARE}#2`])
    const [hit] = await archive.search({ text: '钛矿' })
    expect(hit?.snippet).toContain('[钛矿]')
  })

  it('holds every gram of every version in the vocabulary', async () => {
    expect(await missingGrams(url, schema)).toEqual([])
  })

  it('goes by the vocabulary: a term whose grams it lacks is answered without reading a version', async () => {
    // Only to show that no version is read: a healthy vocabulary never lacks a stored version's gram.
    const S = `"${schema}"`
    const removed = await sql(`DELETE FROM ${S}.search_grams WHERE gram >= $1 AND gram < $2 RETURNING gram`, [
      '钙钛',
      `钙${String.fromCodePoint(('钛'.codePointAt(0) ?? 0) + 1)}`,
    ])
    try {
      expect(removed.length).toBeGreaterThan(0)
      expect(await found('钙钛')).toEqual([])
      // verify finds the hole: the versions holding those grams are reported.
      const report = await archive.verify()
      expect(report.ok).toBe(false)
      const holes = report.issues.filter((i) => i.kind === 'search-index')
      expect(holes.length).toBeGreaterThan(0)
      expect(holes.every((i) => removed.some((r) => i.message.includes(JSON.stringify(r.gram))))).toBe(true)
    } finally {
      await sql(`INSERT INTO ${S}.search_grams SELECT unnest($1::text[])`, [removed.map((r) => r.gram)])
    }
    expect(await found('钙钛')).toEqual([`${RARE}#2`, `${RARE}#1`])
    expect((await archive.verify()).issues).toEqual([])
  })
})

// --- Search against a brute-force scan ---

/** A seeded generator (Park–Miller), so every run writes and asks the same. */
const random = (seed: number) => () => {
  seed = (seed * 48271) % 2147483647
  return seed / 2147483647
}

const COMMON = [...'园区企业研发芯片签约投产苏州工业纳米技术生物医药创新中心新闻项目']
/** Only in the oldest versions, beyond the window of newest ones. */
const RARE_CHARS = [...'钙钛锂钠']
/**
 * Traditional script (folded on the way in), ASCII of both cases, LIKE's metacharacters, other planes, and
 * U+FFFD, which a lone surrogate in a query becomes.
 */
const SPECIAL = ['蘇', '醫', '發', 'A', 'b', 'C', '%', '_', '\\', '𠀀', '𠀁', '\uFFFD', '，', '。', ' ']
const CORPUS_VERSIONS = NEWEST_FIRST_WINDOW + 400
const RARE_VERSIONS = 150

/** The text of corpus version `i`: 3-40 characters, rare ones only in the oldest versions. */
function corpusText(rand: () => number, i: number): string {
  const n = 3 + Math.floor(rand() * 38)
  let out = ''
  for (let k = 0; k < n; k++) {
    const r = rand()
    const from = r < 0.72 ? COMMON : r < 0.9 || i >= RARE_VERSIONS ? SPECIAL : RARE_CHARS
    out += from[Math.floor(rand() * from.length)]
  }
  return out
}

/**
 * The corpus into `archive`: batches (`ingestMany`) and one-capture ingests (`ingest`, of a second backend
 * of the same archive, so two processes' gram caches and stale page hints) taking turns, 400 pages on four
 * hosts.
 */
async function writeCorpus(archive: Archive, other: Archive): Promise<void> {
  const rand = random(2026)
  for (let i = 0; i < CORPUS_VERSIONS; ) {
    const chunk = Array.from({ length: Math.min(200, CORPUS_VERSIONS - i) }, (_, k) =>
      item(`https://h${(i + k) % 4}.example.com/p${(i + k) % 400}`, corpusText(rand, i + k), corpusText(rand, i + k)),
    )
    if ((i / 200) % 2 === 0) await archive.ingestMany(chunk)
    else for (const r of chunk) await other.ingest(r.capture, r.article)
    i += chunk.length
  }
}

interface StoredVersion {
  id: number
  text: string
  host: string
  latest: boolean
}

/** Every stored version of `schema`, newest first, as search sees it. */
async function storedVersions(schema: string): Promise<StoredVersion[]> {
  const rows = await sql(
    `SELECT v.id::int AS id, v.search_text AS text, p.host, p.latest_version_id = v.id AS latest
     FROM "${schema}".versions v JOIN "${schema}".pages p ON p.id = v.page_id ORDER BY v.id DESC`,
  )
  return rows as unknown as StoredVersion[]
}

/** What search must return: every version whose stored text holds every term, newest first. */
function bruteForce(versions: readonly StoredVersion[], q: SearchQuery): number[] {
  // As the archive folds a query and the backend lower-cases it (a lone surrogate is stored as U+FFFD).
  const terms = searchTerms(q.text ?? '').map((t) => t.toLowerCase().replace(/\p{Surrogate}/gu, '\uFFFD'))
  if (terms.length === 0) return []
  return versions
    .filter((v) => terms.every((t) => v.text.includes(t)))
    .filter((v) => (q.host === undefined || v.host === q.host) && (!q.latestOnly || v.latest))
    .slice(0, q.limit ?? 20)
    .map((v) => v.id)
}

/** Queries of every kind over the stored corpus: present (drawn from its texts) and absent ones. */
function corpusQueries(versions: readonly StoredVersion[]): SearchQuery[] {
  const rand = random(7)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T
  const piece = (len: number): string => {
    for (;;) {
      const chars = [...pick(versions).text]
      const at = Math.floor(rand() * Math.max(1, chars.length - len + 1))
      const out = chars.slice(at, at + len).join('')
      if ([...out].length === len && !out.includes(' ')) return out
    }
  }
  const texts = [
    // Every single character there is, and some there are not.
    ...[...COMMON, ...RARE_CHARS, ...SPECIAL.filter((c) => c !== ' '), '量', 'z', '钨', '𠀂', '\uD800', '\uDFFF'],
    // Two characters: present, drawn from the texts; pairs of corpus characters, many absent.
    ...Array.from({ length: 60 }, () => piece(2)),
    ...Array.from({ length: 40 }, () => `${pick(COMMON)}${pick([...RARE_CHARS, ...SPECIAL])}`),
    ...['钙钛', '锂钠', '量子', '%_', '\\%', 'a%', '_b', '𠀀𠀁', '\uD800a', 'ab', 'AB', '蘇州', '醫藥', '發展'],
    // Three and more, present and absent.
    ...Array.from({ length: 30 }, () => piece(3 + Math.floor(rand() * 4))),
    ...['量子计算', '苏州工业园区', '蘇州工業', '%%%', '钙钛锂'],
    // Several terms.
    ...Array.from({ length: 30 }, () => `${piece(1 + Math.floor(rand() * 3))} ${piece(1 + Math.floor(rand() * 2))}`),
    ...Array.from({ length: 10 }, () => `${piece(2)} 量子`),
  ]
  const filters: Array<Partial<SearchQuery>> = [
    {},
    { limit: 1 },
    { limit: 3 },
    { limit: 500 },
    { host: 'h1.example.com' },
    { latestOnly: true, limit: 50 },
  ]
  return texts.map((text, i) => ({ text, ...filters[i % filters.length] }))
}

/** The queries whose results differ from the brute-force scan's (none, when search is right). */
async function mismatches(archive: Archive, schema: string): Promise<object[]> {
  const versions = await storedVersions(schema)
  const out: object[] = []
  for (const q of corpusQueries(versions)) {
    const got = (await archive.search(q)).map((h) => h.versionId)
    const want = bruteForce(versions, q)
    if (JSON.stringify(got) !== JSON.stringify(want)) out.push({ q, got, want })
  }
  return out
}

describe.skipIf(!url)('postgres search: results against a brute-force scan', () => {
  let written: ReturnType<typeof open>

  beforeAll(async () => {
    written = open('corpus')
    await writeCorpus(written.archive, open('corpus').archive)
  }, 120_000)

  it('writes a corpus that asks every part of search', async () => {
    const versions = await storedVersions(written.schema)
    expect(versions).toHaveLength(CORPUS_VERSIONS)
    const queries = corpusQueries(versions)
    const counts = queries.map((q) => bruteForce(versions, { ...q, limit: versions.length }).length)
    // Absent terms, rare ones, common ones filling any limit.
    expect(counts.filter((n) => n === 0).length).toBeGreaterThan(20)
    expect(counts.filter((n) => n > 0 && n < 20).length).toBeGreaterThan(20)
    expect(counts.filter((n) => n > 500).length).toBeGreaterThan(10)
    // The rare characters only occur beyond the newest versions search scans first.
    const window = new Set(versions.slice(0, NEWEST_FIRST_WINDOW).map((v) => v.id))
    for (const c of RARE_CHARS) {
      const hits = bruteForce(versions, { text: c, limit: versions.length })
      expect(hits.length).toBeGreaterThan(0)
      expect(hits.filter((id) => window.has(id))).toEqual([])
    }
    expect(await missingGrams(url, written.schema)).toEqual([])
  })

  it('returns what a scan of every stored version returns, in the same order', async () => {
    expect(await mismatches(written.archive, written.schema)).toEqual([])
  }, 60_000)

  it('migrates the same archive from schema 3: the vocabulary filled once, the same results', async () => {
    // A schema made by the migrations up to 3, holding the corpus as schema 3 stores it (schema 4 only adds
    // the vocabulary's table).
    const migrated = open('from3')
    const A = `"${written.schema}"`
    const B = `"${migrated.schema}"`
    const pool = new pg.Pool({ connectionString: url, max: 1 })
    try {
      const client = await pool.connect()
      try {
        expect(await migratePostgres(client, migrated.schema, 3)).toBe(3)
        await client.query(`BEGIN;
          INSERT INTO ${B}.pages SELECT * FROM ${A}.pages;
          INSERT INTO ${B}.versions SELECT * FROM ${A}.versions;
          INSERT INTO ${B}.captures SELECT * FROM ${A}.captures;
          COMMIT`)
        for (const table of ['pages', 'versions', 'captures']) {
          await client.query(`SELECT setval(pg_get_serial_sequence($1, 'id'), (SELECT max(id) FROM ${B}.${table}))`, [
            `${B}.${table}`,
          ])
        }
      } finally {
        client.release()
      }
    } finally {
      await pool.end()
    }
    expect(await sql(`SELECT to_regclass($1) AS t`, [`${B}.search_grams`])).toEqual([{ t: null }])

    // Three workers open it at once: one migrates, under the lock; the others wait and find it done.
    const others = [open('from3'), open('from3')]
    const first = await Promise.all([migrated, ...others].map((w) => w.archive.search({ text: '钙钛' })))
    expect(first[1]).toEqual(first[0])
    expect(first[2]).toEqual(first[0])
    expect(await sql(`SELECT version FROM ${B}.archive_schema`)).toEqual([{ version: POSTGRES_SCHEMA_VERSION }])
    // Exactly the grams of the stored versions: those the writers of the first archive stored.
    const except = (x: string, y: string): string =>
      `SELECT gram FROM ${x}.search_grams EXCEPT ALL SELECT gram FROM ${y}.search_grams`
    expect(await sql(except(A, B))).toEqual([])
    expect(await sql(except(B, A))).toEqual([])
    expect(await missingGrams(url, migrated.schema)).toEqual([])
    expect((await migrated.archive.verify()).issues).toEqual([])

    expect(await mismatches(migrated.archive, migrated.schema)).toEqual([])
    // New versions go on into the vocabulary it filled.
    await others[0]?.archive.ingestMany([item('https://h9.example.com/new', '钨', '园区企业研发钨合金')])
    expect((await migrated.archive.search({ text: '钨合' })).map((h) => h.url)).toEqual(['https://h9.example.com/new'])
    expect(await missingGrams(url, migrated.schema)).toEqual([])
  }, 120_000)
})

describe.skipIf(!url)('postgres search: the vocabulary of shared archives', () => {
  it('never deadlocks or loses a gram with writers in several pools storing the same new grams at once', async () => {
    // Texts over a small alphabet: every batch holds hundreds of grams that the others are storing too, in
    // another order. Unsorted inserts deadlock here within a few rounds.
    const workers = [open('race'), open('race'), open('race'), open('race')]
    const alphabet = [...'园区企业研发芯片签约投产苏州工业纳米技术生物医药创新']
    await Promise.all(
      workers.map(async ({ archive }, w) => {
        const rand = random(100 + w)
        const text = (): string => Array.from({ length: 80 }, () => alphabet[Math.floor(rand() * 26)]).join('')
        for (let round = 0; round < 8; round++) {
          const records = Array.from({ length: 15 }, (_, i) =>
            item(`https://r${w}.example.com/${round}/${i}`, 'x', text()),
          )
          if (w === 3) for (const r of records) await archive.ingest(r.capture, r.article)
          else await archive.ingestMany(records)
        }
      }),
    )
    const [first] = workers as [(typeof workers)[0]]
    expect((await first.archive.stats()).versions).toBe(4 * 8 * 15)
    expect(await missingGrams(url, first.schema)).toEqual([])
  }, 60_000)

  it('keeps the vocabulary complete with writers in several pools, after another one cleared it too', async () => {
    const workers = [open('shared'), open('shared'), open('shared')]
    const [a, b] = workers as [(typeof workers)[0], (typeof workers)[0]]
    // Words no other writer has stored yet, written at once by single ingests and batches.
    const words = (w: number, i: number): string => `钙钛${String.fromCodePoint(0x4e00 + w * 100 + i)}矿${w}${i}`
    await Promise.all(
      workers.map(async ({ archive }, w) => {
        for (let i = 0; i < 20; i++) {
          const record = item(`https://w${w}.example.com/p${i % 4}`, `新材料 ${w} ${i}`, `园区研发${words(w, i)}。`)
          if (w === 0) await archive.ingest(record.capture, record.article)
          else await archive.ingestMany([record, item(`https://w${w}.example.com/q${i}`, '园区', words(w, i + 50))])
        }
      }),
    )
    expect(await missingGrams(url, a.schema)).toEqual([])
    expect((await a.archive.search({ text: '钙钛', limit: 200 })).length).toBe(100)

    // `a` knows every gram of these texts is stored; `b` clears the archive (and its vocabulary). What `a`
    // writes next must bring the grams back, though it knows of none as new.
    const text = '园区企业研发钙钛矿电池。'
    const before = item('https://w0.example.com/before', '新材料', text)
    await a.archive.ingest(before.capture, before.article)
    await a.archive.ingestMany([item('https://w0.example.com/before-many', '新材料', text)])
    await b.backend.clear()
    const one = item('https://w0.example.com/after-one', '新材料', text)
    await a.archive.ingest(one.capture, one.article)
    expect((await b.archive.search({ text: '钙钛' })).map((h) => h.url)).toEqual([one.capture.url])
    expect(await missingGrams(url, a.schema)).toEqual([])
    await b.backend.clear()
    await a.archive.ingestMany([item('https://w0.example.com/after-many', '新材料', text)])
    expect((await b.archive.search({ text: '钛矿' })).map((h) => h.url)).toEqual(['https://w0.example.com/after-many'])
    expect(await missingGrams(url, a.schema)).toEqual([])
  }, 60_000)
})
