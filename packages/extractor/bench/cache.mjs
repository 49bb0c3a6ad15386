/**
 * @file A prediction cache for Readability on the accuracy-only sets (wcxb-dev).
 *
 * Readability + jsdom on wcxb-dev's 793 pages takes minutes on 2 cores, and its output cannot change while
 * the Readability version, the jsdom version and our adapter stay the same. Those three make the cache key;
 * any change empties the cache. Only accuracy-only sets are cached, and wcxb-dev is all UTF-8, so the
 * decoder Readability borrows from us (which does change) does not affect what it reads. Our extractor is
 * never cached. `run.mjs --no-cache` ignores the cache.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BENCH_DIR, PACKAGE_DIR } from './lib.mjs'

const CACHE_DIR = join(BENCH_DIR, 'results', 'cache')

/** What the cached predictions depend on. */
export function readabilityCacheKey() {
  const version = (pkg) =>
    JSON.parse(readFileSync(join(PACKAGE_DIR, 'node_modules', pkg, 'package.json'), 'utf8')).version
  const adapter = createHash('sha256')
    .update(readFileSync(join(BENCH_DIR, 'readability.mjs')))
    .digest('hex')
    .slice(0, 16)
  return `readability@${version('@mozilla/readability')} jsdom@${version('jsdom')} adapter:${adapter}`
}

/** The cached predictions of a set (`{ id: { articleBody } }`), empty when the key changed. */
export function readCache(set, key) {
  const file = join(CACHE_DIR, `readability-${set}.json`)
  if (!existsSync(file)) return {}
  try {
    const cached = JSON.parse(readFileSync(file, 'utf8'))
    return cached.key === key ? cached.predictions : {}
  } catch {
    return {}
  }
}

/** Store the predictions of a set under the key. */
export function writeCache(set, key, predictions) {
  mkdirSync(CACHE_DIR, { recursive: true })
  writeFileSync(join(CACHE_DIR, `readability-${set}.json`), JSON.stringify({ key, predictions }))
}
