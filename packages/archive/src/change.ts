/**
 * @file How much a version changed against the previous one (`VersionChange`): computed once at ingest by
 * every backend, stored with the version, and shown by lists of recent changes without diffing again.
 */

import { codePointLength } from './diff/text.js'
import { type DiffableVersion, diffWith } from './diff.js'
import type { VersionChange } from './types.js'

/**
 * The change from `previous` to `next`: the `summary` of `diffVersions(previous, next)` plus the changed
 * metadata fields. With no previous version (version 1) the whole body counts as added.
 *
 * @example
 * versionChange(v1.article, v2.article) // { charsAdded: 12, charsRemoved: 3, paragraphsChanged: 1, … }
 */
export function versionChange(previous: DiffableVersion | null, next: DiffableVersion): VersionChange {
  if (previous === null) {
    let chars = 0
    for (const p of next.paragraphs) chars += codePointLength(p.text)
    return {
      charsAdded: chars,
      charsRemoved: 0,
      paragraphsAdded: next.paragraphs.length,
      paragraphsRemoved: 0,
      paragraphsChanged: 0,
      paragraphsMoved: 0,
      paragraphsUnchanged: 0,
      metadata: [],
    }
  }
  const { summary, metadata } = diffWith(previous, next, {}, false)
  return {
    charsAdded: summary.charsAdded,
    charsRemoved: summary.charsRemoved,
    paragraphsAdded: summary.paragraphsAdded,
    paragraphsRemoved: summary.paragraphsRemoved,
    paragraphsChanged: summary.paragraphsChanged,
    paragraphsMoved: summary.paragraphsMoved,
    paragraphsUnchanged: summary.paragraphsUnchanged,
    metadata: metadata.map((m) => m.field),
  }
}

/** A stored change (JSON text or an already parsed object) back to a `VersionChange`. */
export function parseChange(stored: string | object): VersionChange {
  return (typeof stored === 'string' ? JSON.parse(stored) : stored) as VersionChange
}
