/**
 * @file Switching a SQLite file to write-ahead logging when another process may be creating it too.
 */
// A shared word nobody notifies: `Atomics.wait` on it is a synchronous sleep (opening a file is synchronous).
const sleeper = new Int32Array(new SharedArrayBuffer(4))

/**
 * `PRAGMA journal_mode = WAL` on `db`, retried for up to `busyTimeoutMs` while another connection holds
 * the lock. Needed because on a file still in rollback mode (one just created) the pragma takes a read
 * lock and then the write lock, and SQLite answers that upgrade with `SQLITE_BUSY` at once, without
 * calling the busy handler, so as not to deadlock: two processes creating the same archive at the same
 * moment would otherwise see one of them fail with "database is locked". Once the file is in WAL mode the
 * pragma takes no lock and returns at once.
 */
export function enableWal(db: { pragma(source: string): unknown }, busyTimeoutMs: number): void {
  const deadline = Date.now() + busyTimeoutMs
  for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
    try {
      db.pragma('journal_mode = WAL')
      return
    } catch (error) {
      const code = (error as { code?: unknown }).code
      if (typeof code !== 'string' || !code.startsWith('SQLITE_BUSY') || Date.now() >= deadline) throw error
      Atomics.wait(sleeper, 0, 0, Math.min(pause, Math.max(1, deadline - Date.now())))
    }
  }
}
