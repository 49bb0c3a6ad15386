/**
 * @file A consistent copy of an embedded (SQLite) archive, taken while other processes keep writing to it.
 */
import {
  closeSync,
  copyFileSync,
  type Dirent,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  statSync,
} from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { StorageError } from '../errors.js'

/** Options of `backupSqliteArchive`. */
export interface SqliteBackupOptions {
  /** The archive's folder, as given to `sqliteBackend` (`<dir>/archive.sqlite`, `packs/`, `blobs/`). */
  dir: string
  /** Folder of the copy: created when missing, and must be empty. */
  out: string
  /** How long to wait for another process's lock on the database. @default 10_000 */
  busyTimeoutMs?: number
}

/** What `backupSqliteArchive` copied. */
export interface SqliteBackupSummary {
  /** Size of the copied database (compacted: no free pages, no WAL). */
  databaseBytes: number
  /** Body files copied: pack files and files of the folder store. */
  bodyFiles: number
  bodyBytes: number
}

/** Body files of each folder a SQLite archive may keep bodies in (the database holds the rest). */
const BODY_FOLDERS: ReadonlyArray<[string, RegExp]> = [
  ['packs', /\.pack$/],
  ['blobs', /^[0-9a-f]{64}\.(br|gz)$/],
]

/**
 * Copy the archive in `dir` to `out` while writers go on. The database is copied first, in one read
 * transaction (`VACUUM INTO`), so it is the archive as of one moment: whole captures, versions and frontier
 * rows. The body files are copied after it. A body is always written before the row that points at it
 * commits, and pack files only grow, so every body the copied database points at is in the copied files;
 * bodies written meanwhile come along too and are reported as unreferenced by `verify` (harmless). The search
 * index (`archive.sqlite-search`) is not copied: it is rebuilt before the copy's first search.
 * Every copied file is fsynced. Open the copy with `sqliteBackend({ dir: out })`.
 *
 * @throws {StorageError} (`ARCHIVE_STORAGE`) when `dir` holds no archive, `out` is not an empty folder, or
 *   a file cannot be read or written.
 */
export function backupSqliteArchive(options: SqliteBackupOptions): SqliteBackupSummary {
  const { dir, out } = options
  const file = join(dir, 'archive.sqlite')
  if (!existsSync(file)) throw new StorageError(`no archive in ${dir} (expected ${file})`)
  try {
    mkdirSync(out, { recursive: true })
  } catch (cause) {
    throw new StorageError(`cannot create ${out}`, { cause })
  }
  if (readdirSync(out).length > 0) throw new StorageError(`${out} is not empty: a backup goes to a new folder`)

  const copy = join(out, 'archive.sqlite')
  try {
    const db = new Database(file, { fileMustExist: true, timeout: options.busyTimeoutMs ?? 10_000 })
    try {
      db.prepare('VACUUM INTO ?').run(copy)
    } finally {
      db.close()
    }
    syncFile(copy)
  } catch (cause) {
    throw new StorageError(`cannot copy the database ${file}`, { cause })
  }
  const summary: SqliteBackupSummary = { databaseBytes: statSync(copy).size, bodyFiles: 0, bodyBytes: 0 }
  for (const [folder, pattern] of BODY_FOLDERS) {
    const from = join(dir, folder)
    if (existsSync(from)) copyTree(from, join(out, folder), pattern, summary)
  }
  syncFile(out)
  return summary
}

// --- Internal helpers ---

/** Copy the files under `from` whose name matches `pattern`, keeping the layout; fsync files and folders. */
function copyTree(from: string, to: string, pattern: RegExp, summary: SqliteBackupSummary): void {
  let entries: Dirent[]
  try {
    entries = readdirSync(from, { withFileTypes: true })
  } catch (cause) {
    throw new StorageError(`cannot read ${from}`, { cause })
  }
  mkdirSync(to, { recursive: true })
  for (const entry of entries) {
    const source = join(from, entry.name)
    const target = join(to, entry.name)
    if (entry.isDirectory()) {
      copyTree(source, target, pattern, summary)
    } else if (entry.isFile() && pattern.test(entry.name)) {
      try {
        copyFileSync(source, target)
        syncFile(target)
      } catch (cause) {
        throw new StorageError(`cannot copy ${source}`, { cause })
      }
      summary.bodyFiles++
      summary.bodyBytes += statSync(target).size
    }
  }
  syncFile(to)
}

function syncFile(path: string): void {
  const fd = openSync(path, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
