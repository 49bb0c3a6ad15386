/**
 * @file `@parkwatch/viewer`: a read-only web app and JSON API over a parkwatch archive: recent changes,
 * search, timelines, diffs of any two versions and sandboxed raw captures. Explicit re-exports only.
 *
 * @example
 * import { createArchive, sqliteBackend } from '@parkwatch/archive'
 * import { startViewer } from '@parkwatch/viewer'
 * const viewer = await startViewer({ archive: createArchive({ backend: sqliteBackend({ dir: './data' }) }) })
 * console.log(`open ${viewer.url}`)
 */

export { RAW_CSP } from './api.js'
export type { ViewerOptions } from './app.js'
export { createViewer, VIEWER_CSP } from './app.js'
export type { Facets, PageList } from './data.js'
export { BadParamError, InsecureBindError, UnauthorizedError, ViewerError, ViewerNotFoundError } from './errors.js'
export type { Lang } from './i18n.js'
export type { Industry, PageFilters } from './params.js'
export { INDUSTRIES } from './params.js'
export type { RunningViewer, StartViewerOptions } from './server.js'
export { isLoopback, startViewer } from './server.js'
