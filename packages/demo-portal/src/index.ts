/**
 * @file `@parkwatch/demo-portal`: a local, realistic imitation of the five seed news portals for demos and
 * end-to-end tests. One `node:http` server per host on 127.0.0.1, feeds, sitemaps, list pages, robots.txt,
 * quirks (GBK, a JavaScript-only page, a slow host, 429 then 200, a 301, a 404, ETag/304) and articles that
 * are edited as the revision counter advances.
 *
 * @example
 * ```ts
 * import { startDemoPortal } from '@parkwatch/demo-portal'
 * const portal = await startDemoPortal()
 * await writeFile('sources.yaml', portal.sourcesYaml())
 * // ... run the scraper, then:
 * portal.advance()
 * await portal.close()
 * ```
 */

export { encodeGbk } from './gbk.js'
export { DEFAULT_FIXTURES_DIR, DEFAULT_SLOW_MS, startDemoPortal } from './portal.js'
export type {
  DemoExpected,
  DemoPortal,
  DemoPortalOptions,
  ExpectedArticle,
  HostInfo,
  PortalId,
  PortalRequest,
  Topic,
} from './types.js'
export { MAX_REVISION, PORTAL_IDS } from './types.js'
