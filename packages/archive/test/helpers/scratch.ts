/**
 * @file Scratch folders for a test file: each call makes a fresh one, and all of them are removed once the
 * file's tests are done.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'

/** A function making a fresh folder named `<tmpdir>/<prefix>XXXXXX` per call; all removed after the file. */
export function scratchDirs(prefix: string): () => string {
  const dirs: string[] = []
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })
  return () => {
    const dir = mkdtempSync(join(tmpdir(), prefix))
    dirs.push(dir)
    return dir
  }
}
