import { afterEach, describe, expect, it } from 'vitest'
import {
  type FixtureServer,
  never,
  send,
  sequence,
  startFixtureServer,
  status,
} from '../../../tests/helpers/fixture-server.js'
import { createFetcher, createRobots, type Fetcher, RobotsDisallowedError } from '../src/index.js'

const ROBOTS = [
  'User-agent: *',
  'Disallow: /private/',
  'Crawl-delay: 2',
  '',
  'User-agent: parkwatch',
  'Disallow: /no-parkwatch/',
  'Allow: /private/open.html',
  'Crawl-delay: 0.5',
  '',
  'Sitemap: http://example.test/sitemap.xml',
].join('\n')

const text = (body: string) => send(body, 'text/plain')

describe('createRobots', () => {
  const servers: FixtureServer[] = []
  let fetcher: Fetcher | undefined
  const start = async (routes: Parameters<typeof startFixtureServer>[0]): Promise<FixtureServer> => {
    const server = await startFixtureServer(routes)
    servers.push(server)
    return server
  }
  afterEach(async () => {
    await fetcher?.close()
    fetcher = undefined
    await Promise.all(servers.splice(0).map((s) => s.close()))
  })

  it('obeys the group of our user agent, fetching robots.txt once per origin', async () => {
    const server = await start({ '/robots.txt': text(ROBOTS) })
    fetcher = createFetcher({ userAgent: 'parkwatch/0.1 (+https://example.test)' })
    const robots = createRobots({ fetcher })
    const u = (path: string): string => `${server.url}${path}`
    const answers = await Promise.all([
      robots.isAllowed(u('/news/1.html')),
      robots.isAllowed(u('/no-parkwatch/x.html')),
      robots.isAllowed(u('/private/open.html')),
      // The `*` group does not apply when a group names us.
      robots.isAllowed(u('/private/other.html')),
    ])
    expect(answers).toEqual([true, false, true, true])
    expect(await robots.crawlDelay(u('/'))).toBe(500)
    expect(await robots.sitemaps(u('/'))).toEqual(['http://example.test/sitemap.xml'])
    await expect(robots.assertAllowed(u('/no-parkwatch/a'))).rejects.toBeInstanceOf(RobotsDisallowedError)
    await expect(robots.assertAllowed(u('/no-parkwatch/a'))).rejects.toMatchObject({ reason: 'rule', kind: 'robots' })
    expect(server.hits('/robots.txt')).toBe(1)
  })

  it('falls back to the * group and caps Crawl-delay', async () => {
    const server = await start({ '/robots.txt': text('User-agent: *\nDisallow: /private/\nCrawl-delay: 3600\n') })
    fetcher = createFetcher({ userAgent: 'otherbot/2.0' })
    const robots = createRobots({ fetcher, maxCrawlDelayMs: 10_000 })
    expect(await robots.isAllowed(`${server.url}/private/a`)).toBe(false)
    expect(await robots.isAllowed(`${server.url}/public/a`)).toBe(true)
    expect(await robots.crawlDelay(server.url)).toBe(10_000)
    const error = await robots.assertAllowed(`${server.url}/private/a`).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'SCRAPER_ROBOTS_DISALLOWED', reason: 'rule', userAgent: 'otherbot/2.0' })
  })

  it('allows everything when robots.txt is a 4xx', async () => {
    const server = await start({})
    fetcher = createFetcher()
    const robots = createRobots({ fetcher })
    expect(await robots.isAllowed(`${server.url}/anything`)).toBe(true)
    expect(await robots.crawlDelay(server.url)).toBeNull()
    expect((await robots.get(server.url)).status).toBe('missing')
  })

  it('disallows everything for a while when robots.txt is a 5xx, then tries again', async () => {
    let clock = 1_000_000
    const server = await start({ '/robots.txt': sequence([status(503), text('User-agent: *\nDisallow:\n')]) })
    fetcher = createFetcher()
    const robots = createRobots({ fetcher, unreachableTtlMs: 60_000, now: () => clock })
    const error = await robots.assertAllowed(`${server.url}/a`).catch((e: unknown) => e)
    // The host is down, not closed: the error carries the 5xx's kind so callers retry later.
    expect(error).toMatchObject({ reason: 'unreachable', kind: 'http-5xx', cause: { status: 503 } })
    clock += 30_000
    expect(await robots.isAllowed(`${server.url}/a`)).toBe(false)
    expect(server.hits('/robots.txt')).toBe(1)
    clock += 31_000
    expect(await robots.isAllowed(`${server.url}/a`)).toBe(true)
    expect(server.hits('/robots.txt')).toBe(2)
  })

  it('re-fetches a good robots.txt after its TTL', async () => {
    let clock = 0
    const server = await start({ '/robots.txt': text('User-agent: *\nDisallow: /x\n') })
    fetcher = createFetcher()
    const robots = createRobots({ fetcher, ttlMs: 1_000, now: () => clock })
    await robots.isAllowed(`${server.url}/a`)
    clock = 999
    await robots.isAllowed(`${server.url}/b`)
    expect(server.hits('/robots.txt')).toBe(1)
    clock = 1_001
    await robots.isAllowed(`${server.url}/c`)
    expect(server.hits('/robots.txt')).toBe(2)
  })

  it('treats a hanging or unreachable host as disallowed, within the time limit', async () => {
    const hanging = await start({ '/robots.txt': never() })
    const gone = await startFixtureServer({})
    const goneUrl = gone.url
    await gone.close()
    fetcher = createFetcher()
    const robots = createRobots({ fetcher, timeoutMs: 300 })
    expect(await robots.isAllowed(`${hanging.url}/a`)).toBe(false)
    expect((await robots.get(hanging.url)).status).toBe('unreachable')
    const error = await robots.assertAllowed(`${hanging.url}/a`).catch((e: unknown) => e)
    expect(error).toMatchObject({ reason: 'unreachable', kind: 'timeout', code: 'SCRAPER_ROBOTS_DISALLOWED' })
    expect((error as Error).message).toMatch(/robots\.txt unreachable: .*timeout after 300 ms/)
    expect(await robots.isAllowed(`${goneUrl}/a`)).toBe(false)
  })

  it('creates and closes its own fetcher when none is given', async () => {
    const server = await start({ '/robots.txt': text('User-agent: parkwatch\nDisallow: /\n') })
    const robots = createRobots()
    expect(await robots.isAllowed(`${server.url}/a`)).toBe(false)
    await robots.close()
  })
})
