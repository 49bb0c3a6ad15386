import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FixtureServer, html, startFixtureServer } from '../../../tests/helpers/fixture-server.js'
import { createFetcher, createPoliteness, type Fetcher, InvalidOptionsError, InvalidUrlError } from '../src/index.js'

const gaps = (times: number[]): number[] => times.slice(1).map((t, i) => t - (times[i] ?? 0))
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

describe('createPoliteness', () => {
  let a: FixtureServer
  let b: FixtureServer
  let fetcher: Fetcher
  beforeAll(async () => {
    a = await startFixtureServer({ '/p': html('<p>a</p>') })
    b = await startFixtureServer({ '/p': html('<p>b</p>') })
    fetcher = createFetcher()
  })
  afterAll(async () => {
    await fetcher.close()
    await a.close()
    await b.close()
  })

  it('spaces requests to one host by its rate while another host runs in parallel', async () => {
    // Warm the sockets so connection set-up does not shift the first arrival.
    await Promise.all([fetcher.fetch(`${a.url}/p`), fetcher.fetch(`${b.url}/p`)])
    a.requests.length = 0
    b.requests.length = 0
    const polite = createPoliteness({ concurrency: 8, perHost: { rate: 4, concurrency: 2 } })
    const starts = new Map<FixtureServer, number[]>([
      [a, []],
      [b, []],
    ])
    const get = (server: FixtureServer, i: number) => {
      const url = `${server.url}/p?i=${i}`
      return polite.schedule(url, () => {
        starts.get(server)?.push(performance.now())
        return fetcher.fetch(url)
      })
    }
    const results = await Promise.all([0, 1, 2, 3, 4].flatMap((i) => [get(a, i), get(b, i)]))
    expect(results.every((r) => r.status === 200)).toBe(true)
    const aTimes = a.requests.map((r) => r.at)
    const bTimes = b.requests.map((r) => r.at)
    expect(aTimes).toHaveLength(5)
    // 4 requests per second: the scheduler starts them >= 250 ms apart (2 ms slack for timer rounding)...
    for (const server of [a, b])
      for (const gap of gaps(starts.get(server) ?? [])) expect(gap).toBeGreaterThanOrEqual(248)
    // ...and the server sees that spacing too. Arrival times carry network and event-loop jitter on a busy
    // machine, so each gap gets a wide margin, while the span (where jitter does not add up) stays tight.
    for (const times of [aTimes, bTimes]) {
      for (const gap of gaps(times)) expect(gap).toBeGreaterThanOrEqual(150)
      expect((times.at(-1) ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(4 * 250 - 60)
    }
    // Hosts do not wait for each other: b starts before a's second request.
    expect(bTimes[0]).toBeLessThan(aTimes[1] ?? 0)
    await polite.onIdle()
    expect(polite.stats().map((s) => s.intervalMs)).toEqual([250, 250])
  })

  it('raises the spacing to the robots.txt Crawl-delay, looked up once per host', async () => {
    a.requests.length = 0
    const lookups: string[] = []
    const polite = createPoliteness({
      perHost: { rate: 20, concurrency: 4 },
      crawlDelay: async (url) => {
        lookups.push(url)
        return 400
      },
    })
    await Promise.all(
      [0, 1, 2].map((i) => polite.schedule(`${a.url}/p?i=${i}`, () => fetcher.fetch(`${a.url}/p?i=${i}`))),
    )
    for (const gap of gaps(a.requests.map((r) => r.at))) expect(gap).toBeGreaterThanOrEqual(385)
    expect(lookups).toHaveLength(1)
    expect(polite.stats()[0]).toMatchObject({ intervalMs: 400, concurrency: 1 })
  })

  it('caps concurrency per host and globally', async () => {
    const running = new Map<string, number>()
    const peak = new Map<string, number>()
    let total = 0
    let peakTotal = 0
    const task = (host: string) => async () => {
      running.set(host, (running.get(host) ?? 0) + 1)
      total++
      peak.set(host, Math.max(peak.get(host) ?? 0, running.get(host) ?? 0))
      peakTotal = Math.max(peakTotal, total)
      await sleep(30)
      running.set(host, (running.get(host) ?? 0) - 1)
      total--
    }
    const polite = createPoliteness({ concurrency: 3, perHost: { rate: 0, concurrency: 2 } })
    const hosts = ['h1.test', 'h2.test', 'h3.test']
    await Promise.all(hosts.flatMap((h) => [0, 1, 2, 3].map((i) => polite.schedule(`http://${h}/x${i}`, task(h)))))
    expect([...peak.values()].every((p) => p <= 2)).toBe(true)
    expect(Math.max(...peak.values())).toBe(2)
    expect(peakTotal).toBe(3)
  })

  it('applies per-host overrides and passes task failures through', async () => {
    const polite = createPoliteness({ perHost: { rate: 1 }, hosts: { 'fast.test': { rate: 0, concurrency: 5 } } })
    const boom = new Error('boom')
    await expect(polite.schedule('http://fast.test/a', () => Promise.reject(boom))).rejects.toBe(boom)
    expect(await polite.schedule('http://fast.test/b', async () => 42)).toBe(42)
    expect(polite.stats()).toEqual([{ host: 'fast.test', intervalMs: 0, concurrency: 5, queued: 0, running: 0 }])
    polite.setHostLimits('fast.test', { rate: 2 })
    expect(polite.stats()[0]).toMatchObject({ intervalMs: 500, concurrency: 1 })
    await expect(polite.schedule('nope', async () => 1)).rejects.toBeInstanceOf(InvalidUrlError)
  })

  it('rejects bad options, naming every field', () => {
    expect(() => createPoliteness({ concurrency: 0, perHost: { rate: -1 } })).toThrow(InvalidOptionsError)
    try {
      createPoliteness({ concurrency: 0, perHost: { rate: -1 } })
    } catch (error) {
      expect((error as InvalidOptionsError).issues.map((i) => i.path)).toEqual(['concurrency', 'perHost.rate'])
    }
  })
})
