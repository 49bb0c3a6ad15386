/**
 * Public types of the demo portal: options, the running portal handle, and the ground truth (`expected`)
 * that end-to-end tests assert against instead of hard-coding URLs and titles.
 */

/** The five imitated portals, one per seed page. */
export const PORTAL_IDS = ['netease', 'twmirror', 'blog', 'xjnnet', 'wechat'] as const

/** One of `PORTAL_IDS`. */
export type PortalId = (typeof PORTAL_IDS)[number]

/** What an article is about: one of the park's industries, or `off-topic` for the relevance filter to skip. */
export type Topic = 'biomedicine' | 'nanotech' | 'ai' | 'semiconductors' | 'off-topic'

/** The highest revision any article has; `advance()` past it changes nothing more. */
export const MAX_REVISION = 3

/** Options of `startDemoPortal`. */
export interface DemoPortalOptions {
  /**
   * First port: the portals listen on `portBase`..`portBase + 4` in `PORTAL_IDS` order and the control
   * server on `portBase + 5`. `0` lets the OS choose free ports.
   * @default 0
   */
  portBase?: number
  /**
   * Delay in ms added to every response of the slow host (`twmirror`).
   * @default 800
   */
  slowMs?: number
  /**
   * Directory holding the extractor's golden pages (`<slug>/source.html`), read once at startup.
   * @default the `packages/extractor/test/pages` directory of this repository
   */
  fixturesDir?: string
  /**
   * Revision to start at (0..MAX_REVISION), so a test can begin with edited articles.
   * @default 0
   */
  revision?: number
}

/** A host of the demo portal and what it is there to exercise. */
export interface HostInfo {
  id: PortalId
  /** Human name, as the imitated site calls itself. */
  name: string
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string
  port: number
  /** What the host imitates and which quirks it has, in a few words. */
  role: string
  /** The discovery entry points it offers (absolute URLs). */
  entries: Array<{ type: 'feed' | 'sitemap' | 'list'; url: string }>
}

/** Ground truth for one article. */
export interface ExpectedArticle {
  /** Stable id, e.g. `netease-seed`. */
  id: string
  portal: PortalId
  /** Absolute URL the article is served at. */
  url: string
  topic: Topic
  /** Built on the extractor golden page of its portal (its title is the golden title at revision 0). */
  seed: boolean
  /** robots.txt disallows it (it is still linked from discovery). */
  disallowed: boolean
  /** Served as a JavaScript application shell; the article only appears after the script runs. */
  jsRendered: boolean
  /** Old URL that answers `301` with this article's URL, or null. */
  redirectedFrom: string | null
  /** `titles[r]` is the title at revision `r` (0..MAX_REVISION). */
  titles: string[]
  /** Whether any revision changes the page. */
  edited: boolean
  /** The revisions (1..MAX_REVISION) at which the page changes. */
  changesAt: number[]
  /** `utf-8` or `gbk`. */
  charset: 'utf-8' | 'gbk'
  /** ISO-8601 with offset. */
  publishedAt: string
}

/** Everything e2e tests need to know about the portal without hard-coding it. */
export interface DemoExpected {
  maxRevision: number
  articles: ExpectedArticle[]
  /** Article URLs per portal. */
  byPortal: Record<PortalId, string[]>
  /** URLs robots.txt disallows (articles plus `/admin/`). */
  disallowed: string[]
  /** URLs of off-topic articles (a relevance filter should skip them). */
  offTopic: string[]
  /** URLs of articles that change at some revision. */
  edited: string[]
  /** Links that answer 404. */
  notFound: string[]
  /** `301` redirects, old URL to new URL. */
  redirects: Array<{ from: string; to: string }>
  /** Host answering `429` (Retry-After: 1) to the first request of every URL. */
  rateLimitedHost: string
  /** Host delaying every response, and by how much. */
  slowHost: { url: string; delayMs: number }
  /** Host whose robots.txt sets `Crawl-delay: 1`. */
  crawlDelayHost: string
}

/** One request received by a portal host. */
export interface PortalRequest {
  portal: PortalId
  method: string
  /** Path with query, as sent. */
  path: string
  /** Arrival time, epoch ms. */
  at: number
}

/** A running demo portal. */
export interface DemoPortal {
  /** The five portal hosts, in `PORTAL_IDS` order. */
  hosts: HostInfo[]
  /** Control server: `POST /__demo/advance`, `GET /__demo/state`. */
  controlUrl: string
  /** The current revision (0..MAX_REVISION). */
  readonly revision: number
  /** Ground truth for tests. */
  expected: DemoExpected
  /** Every request the portal hosts received, in arrival order (tests count fetches and measure spacing). */
  readonly requests: readonly PortalRequest[]
  /** Move every editable article one revision forward (no-op at MAX_REVISION); returns the new revision. */
  advance(): number
  /** A sources file (the scraper's schema) pointing at this portal's ports. */
  sourcesYaml(): string
  /** Close every server, cutting open connections. */
  close(): Promise<void>
}
