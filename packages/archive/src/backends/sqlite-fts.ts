/**
 * @file The SQLite backend's full-text index, in a database file of its own next to the archive
 * (`<archive file>-search`), written by a worker thread.
 *
 * Why a file of its own: the FTS5 trigram insert of a new version costs ~0.3 ms per 800 characters, a third
 * of the main thread's time when ingesting. A second connection writing the same file would take the
 * archive's write lock from the writers (and a writer waiting for the lock sleeps); a second file has its
 * own lock, so the index is written on another core while captures commit.
 *
 * The index is derived data. A version is handed to the worker once its transaction has committed; one a
 * writer committed and could not index (killed first, or the index file is new or was deleted) is indexed
 * by the next `catchUp`, which `search` and `verify` run first: search sees every committed version.
 * `catchUp` looks only at versions newer than the newest it saw complete, so it costs one query when
 * nothing is new. Several processes may index the same version; the worker skips one already there, under
 * the index file's write lock, so each version is indexed once.
 */
import { Worker } from 'node:worker_threads'
import Database from 'better-sqlite3'
import { StorageError } from '../errors.js'
import { searchTextOf } from '../hash.js'
import { FTS_SENTINEL } from '../migrations/sqlite.js'
import type { VerifyIssue } from '../types.js'
import { enableWal } from './sqlite-wal.js'

/** The index file of the archive file `file`. */
export function searchIndexFile(file: string): string {
  return `${file}-search`
}

/** The full-text index of one SQLite archive connection. */
export interface SearchIndex {
  /**
   * A read-only connection to the archive with the index attached as `fts` (`fts.versions_fts`), for
   * queries that join index and archive. Opened on first use.
   */
  reader(): Database.Database
  /**
   * Index these committed versions (id, `searchTextOf` its article) on the worker thread. Never throws: a
   * version it could not hand over is indexed by the next `catchUp`.
   */
  add(items: ReadonlyArray<readonly [number, string]>): void
  /** Resolves once everything added before is in the index; rejects with `StorageError` if it failed. */
  flush(): Promise<void>
  /** Index every committed version the index lacks, then `flush`. */
  catchUp(): Promise<void>
  /** After `catchUp`: versions missing from the index and index rows of no version. */
  check(): VerifyIssue[]
  /** Empty the index (after what was added before is done). */
  clear(): Promise<void>
  /** Finish what was added, stop the worker, close the connections. */
  close(): Promise<void>
}

/**
 * Open (creating it if needed) the index of the archive in `file`, whose schema is already current.
 * `busyTimeoutMs` is how long the worker waits for another process's lock on the index file.
 */
export function openSearchIndex(file: string, busyTimeoutMs: number): SearchIndex {
  const indexFile = searchIndexFile(file)
  try {
    const setup = new Database(indexFile, { timeout: busyTimeoutMs })
    try {
      enableWal(setup, busyTimeoutMs)
      setup.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS versions_fts USING fts5 (body, tokenize = 'trigram')`)
    } finally {
      setup.close()
    }
  } catch (cause) {
    throw new StorageError(`cannot open the search index ${indexFile}`, { cause })
  }

  let opened: { db: Database.Database; top: Database.Statement; missing: Database.Statement } | null = null
  const open = (): NonNullable<typeof opened> => {
    if (opened) return opened
    const db = new Database(file, { readonly: true, timeout: busyTimeoutMs })
    db.prepare('ATTACH DATABASE ? AS fts').run(indexFile)
    opened = {
      db,
      top: db.prepare('SELECT max(id) FROM versions').pluck(true),
      missing: db.prepare(`SELECT v.id, v.title, v.article FROM versions v
        WHERE v.id > ? AND v.id <= ? AND NOT EXISTS (SELECT 1 FROM fts.versions_fts f WHERE f.rowid = v.id)
        ORDER BY v.id LIMIT ${CATCH_UP_BATCH}`),
    }
    return opened
  }
  const reader = (): Database.Database => open().db

  // The worker, started on first use; it keeps the process alive only while someone waits for it.
  let worker: Worker | null = null
  let sent = 0
  let done = 0
  const waiters: Array<{ seq: number; resolve: () => void; reject: (error: Error) => void }> = []
  // Each reply covers the messages after the previous reply's up to its own: their waiters settle with it.
  const settle = (error: Error | null): void => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i] as (typeof waiters)[number]
      if (w.seq > done) continue
      waiters.splice(i, 1)
      if (error) w.reject(new StorageError('cannot write the search index', { cause: error }))
      else w.resolve()
    }
    if (waiters.length === 0) worker?.unref()
  }
  const start = (): Worker => {
    const w = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { base: import.meta.url, file: indexFile, busyTimeoutMs },
    })
    w.unref()
    w.on('message', (msg: { seq: number; error?: string }) => {
      done = Math.max(done, msg.seq)
      settle(msg.error === undefined ? null : new Error(msg.error))
    })
    const fail = (error: Error): void => {
      if (worker !== w) return
      worker = null
      // What was sent to it and not done is lost: `catchUp` indexes it again.
      done = sent
      settle(error)
    }
    w.on('error', fail)
    w.on('exit', (code) => fail(new Error(`the search index worker exited (code ${code})`)))
    return w
  }
  const post = (message: { op: 'add' | 'clear' | 'close'; items?: unknown }): void => {
    try {
      worker ??= start()
    } catch (cause) {
      throw new StorageError('cannot start the search index worker', { cause })
    }
    worker.postMessage({ ...message, seq: ++sent })
  }
  const flush = (): Promise<void> => {
    if (done >= sent) return Promise.resolve()
    return new Promise((resolve, reject) => {
      worker?.ref()
      waiters.push({ seq: sent, resolve, reject })
    })
  }

  // Every version up to this id is known to be indexed.
  let checked = 0
  const catchUp = async (): Promise<void> => {
    await flush()
    const q = open()
    const top = (q.top.get() as number | null) ?? 0
    if (top <= checked) return
    for (let before = -1; ; ) {
      const rows = q.missing.all(checked, top) as Array<{ id: number; title: string; article: string }>
      const first = rows[0]?.id
      if (first === undefined) break
      // The worker said it wrote them: still missing means the index is not the file it writes.
      if (first === before) throw new StorageError(`the search index did not take version ${first}`)
      before = first
      const items = rows.map((row): [number, string] => {
        const article = JSON.parse(row.article) as { title?: string; text?: string }
        return [row.id, searchTextOf({ title: article.title ?? row.title, text: article.text ?? '' })]
      })
      post({ op: 'add', items: withSentinel(items) })
      await flush()
    }
    checked = top
  }
  const add = (items: ReadonlyArray<readonly [number, string]>): void => {
    if (items.length === 0) return
    try {
      post({ op: 'add', items: withSentinel(items) })
    } catch {
      // Left to `catchUp`, which reports the failure to the search that needs the index.
    }
  }

  return {
    reader,
    add,
    flush,
    catchUp,
    check() {
      const db = reader()
      const issues: VerifyIssue[] = []
      for (const check of CHECKS) {
        for (const ref of db.prepare(check.sql).pluck(true).iterate() as Iterable<number>) {
          issues.push({ severity: 'error', kind: 'search-index', message: `${check.message} (#${ref})`, ref })
        }
      }
      return issues
    },
    async clear() {
      post({ op: 'clear' })
      await flush()
      checked = 0
    },
    async close() {
      if (worker) {
        post({ op: 'close' })
        await flush().catch(() => {})
        const w = worker
        worker = null
        await w?.terminate()
      }
      opened?.db.close()
      opened = null
    },
  }
}

// --- Internal helpers ---

/** Texts as they go into the index: each ends with `FTS_SENTINEL` (see `sqlite-search.ts`). */
function withSentinel(items: ReadonlyArray<readonly [number, string]>): Array<[number, string]> {
  return items.map(([id, text]) => [id, text + FTS_SENTINEL])
}

/** Versions indexed per round of `catchUp` (each round's texts are built on the calling thread). */
const CATCH_UP_BATCH = 500

const CHECKS = [
  {
    message: 'version missing from the full-text index',
    sql: `SELECT v.id FROM versions v WHERE NOT EXISTS (SELECT 1 FROM fts.versions_fts f WHERE f.rowid = v.id)`,
  },
  {
    message: 'full-text index row of no version',
    sql: `SELECT f.rowid FROM fts.versions_fts f WHERE NOT EXISTS (SELECT 1 FROM versions v WHERE v.id = f.rowid)`,
  },
]

// Messages queued while a transaction runs are written together by the next one; each reply says the
// newest message done. better-sqlite3 is loaded from where this module is, not from the process's folder.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require('node:module').createRequire(workerData.base)('better-sqlite3')
const db = new Database(workerData.file, { timeout: workerData.busyTimeoutMs })
db.pragma('synchronous = normal')
db.pragma('cache_size = -32000')
const has = db.prepare('SELECT 1 FROM versions_fts WHERE rowid = ?').pluck(true)
const insert = db.prepare('INSERT INTO versions_fts (rowid, body) VALUES (?, ?)')
const write = db.transaction((messages) => {
  for (const m of messages) {
    if (m.op === 'clear') db.exec('DELETE FROM versions_fts')
    else if (m.op === 'add') for (const [id, text] of m.items) if (has.get(id) === undefined) insert.run(id, text)
  }
})
let queue = []
const run = () => {
  const messages = queue
  queue = []
  const seq = messages[messages.length - 1].seq
  try {
    write.immediate(messages)
    parentPort.postMessage({ seq })
  } catch (error) {
    parentPort.postMessage({ seq, error: String(error && error.message) })
  }
  if (messages.some((m) => m.op === 'close')) {
    db.close()
    parentPort.close()
  }
}
parentPort.on('message', (m) => {
  if (queue.push(m) === 1) setImmediate(run)
})
`
