/**
 * Bounded caches of immutable records (versions and captures never change once stored), shared by the SQLite
 * and PostgreSQL backends. Cached records are handed to every caller, so they are frozen: a caller editing its
 * copy must not change what others see.
 */

/** Remember a record (oldest entries go first once `size` is reached), frozen, and return it. */
export function cacheFrozen<T>(cache: Map<number, T>, size: number, id: number, value: T): T {
  if (cache.size >= size) cache.delete(cache.keys().next().value as number)
  cache.set(id, deepFreeze(value))
  return value
}

/** Freeze a plain value and everything it contains. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}
