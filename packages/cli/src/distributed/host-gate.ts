/**
 * Per-host politeness shared by every worker: each host's next allowed request time and its requests in
 * flight live in Redis and change in one Lua script, so N workers on M machines together start requests
 * to a host no closer than its interval (`1000 / rate`, or the robots.txt Crawl-delay when larger) and
 * never run more than its concurrency at once. BullMQ's own rate limiter is per queue, not per host.
 *
 * Time is Redis's (`TIME`), not each machine's, so clock skew between workers does not loosen the spacing.
 * A slot is a lease, renewed while its request runs: a worker killed mid-request frees it when the lease
 * runs out (the worker sets the lease to its job lock, so a dead worker's slots free as its jobs move on).
 *
 * The scheduler implements the scraper's `Politeness`, so the page loader uses it exactly as it uses the
 * one-machine p-queue scheduler (every request, retries and redirects included, goes through it).
 */
import { randomUUID } from 'node:crypto'
import type { HostLimits, HostStats, Politeness } from '@parkwatch/scraper'
import type { Redis } from 'ioredis'

/** Options of `createHostGate`. */
export interface HostGateOptions {
  redis: Redis
  /** Prefix of the gate's keys (`<prefix>:host:<host>:next`, `…:slots`, `…:line`, `…:tickets`). */
  prefix: string
  /** Limits by host (`news.example.com`, port included when not default). @default {} */
  hosts?: Record<string, HostLimits>
  /** Limits of hosts not in `hosts`. @default { rate: 1, concurrency: 1 } */
  perHost?: HostLimits
  /** Looked up once per host per process (typically `robots.crawlDelay`): raises the host's spacing. @default undefined */
  crawlDelay?: (url: string) => Promise<number | null> | number | null
  /** How long a dead worker's slot stays taken; renewed every third of it while the request runs. @default 30_000 */
  leaseMs?: number
  /** Longest single sleep while waiting for a host (then ask again). @default 1_000 */
  maxSleepMs?: number
}

/** The effective limits of a host: spacing between starts and requests at once. */
export interface HostRule {
  intervalMs: number
  concurrency: number
}

/** The politeness scheduler backed by Redis, plus what the worker needs to delay a job early. */
export interface HostGate extends Politeness {
  /** The host's rule (limits and Crawl-delay combined). */
  rule(url: string): Promise<HostRule>
  /** How long until a request to `url`'s host could start (0 = now), without taking a slot. */
  wait(url: string): Promise<number>
  /**
   * Take a ticket: the host's next free start time, reserved for job `id` so the next job gets the one
   * after. Resolves with the ms until the ticket's time (0 = go now). A job told to wait more than
   * `holdMs` keeps its ticket in Redis: sent back to the queue until then, it finds its ticket when it
   * returns and goes (a job that returns early is told the rest of its wait again). Waits up to `holdMs`
   * are meant to be waited in place (`schedule` then spaces the actual starts). A ticket only plans: the
   * spacing is still enforced when the request starts.
   */
  reserve(url: string, id: string, holdMs: number): Promise<number>
}

/** Redis script: take a slot of a host if its interval has passed and a slot is free, else say how long to wait. */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local concurrency = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
local token = ARGV[4]
local take = ARGV[5] == '1'
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local wait = 0
local nextAt = tonumber(redis.call('GET', KEYS[1]) or '0')
if nextAt > now then wait = nextAt - now end
if redis.call('ZCARD', KEYS[2]) >= concurrency then
  -- Nothing tells when a slot frees (a release does); ask again soon.
  wait = math.max(wait, 25)
end
if wait > 0 or not take then return wait end
if interval > 0 then redis.call('SET', KEYS[1], now + interval, 'PX', interval + 1000) end
redis.call('ZADD', KEYS[2], now + lease, token)
redis.call('PEXPIRE', KEYS[2], lease)
return 0
`

/**
 * Redis script: a ticket for job ARGV[2]. KEYS: the host's next start (set by ACQUIRE), its reservation
 * line, its tickets (job id -> start time). Returns ms until the ticket's time.
 */
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local id = ARGV[2]
local hold = tonumber(ARGV[3])
local held = tonumber(redis.call('HGET', KEYS[3], id) or '')
if held then
  if held - now <= hold then
    redis.call('HDEL', KEYS[3], id)
    return math.max(0, held - now)
  end
  return held - now
end
local at = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'), tonumber(redis.call('GET', KEYS[2]) or '0'))
if interval > 0 then redis.call('SET', KEYS[2], at + interval, 'PX', at + interval - now + 1000) end
if at - now > hold then
  redis.call('HSET', KEYS[3], id, at)
  redis.call('PEXPIRE', KEYS[3], at - now + 600000)
end
return at - now
`

/** Redis script: push a running request's lease further out (only if it is still held). */
const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[1])
if redis.call('ZADD', KEYS[1], 'XX', 'CH', now + lease, ARGV[2]) == 1 then redis.call('PEXPIRE', KEYS[1], lease) end
return 0
`

/**
 * Create the Redis-backed host gate.
 *
 * @example
 * ```ts
 * const gate = createHostGate({ redis, prefix: 'parkwatch', hosts: { 'news.example.com': { rate: 2 } } })
 * const page = await gate.schedule(url, () => fetcher.fetch(url))
 * ```
 */
export function createHostGate(options: HostGateOptions): HostGate {
  const { redis, prefix } = options
  const leaseMs = options.leaseMs ?? 30_000
  const maxSleepMs = options.maxSleepMs ?? 1_000
  const overrides = new Map(Object.entries(options.hosts ?? {}))
  const defaults = { rate: options.perHost?.rate ?? 1, concurrency: options.perHost?.concurrency ?? 1 }
  const crawlDelays = new Map<string, Promise<number>>()
  const local = new Map<string, { running: number; queued: number }>()
  const rules = new Map<string, HostRule>()
  let pending = 0
  let idle: Array<() => void> = []

  async function rule(url: string): Promise<HostRule> {
    const host = new URL(url).host
    let delay = crawlDelays.get(host)
    if (!delay) {
      delay = Promise.resolve(options.crawlDelay ? options.crawlDelay(url) : 0)
        .then((ms) => ms ?? 0)
        .catch(() => 0)
      crawlDelays.set(host, delay)
    }
    const crawlDelayMs = await delay
    const limits = overrides.get(host)
    const rate = limits?.rate ?? defaults.rate
    const rateMs = rate > 0 && Number.isFinite(rate) ? 1000 / rate : 0
    // With a Crawl-delay, one request at a time: the delay is meant between consecutive requests.
    const concurrency = crawlDelayMs > rateMs ? 1 : (limits?.concurrency ?? defaults.concurrency)
    const found = { intervalMs: Math.ceil(Math.max(rateMs, crawlDelayMs)), concurrency }
    rules.set(host, found)
    return found
  }

  const keys = (host: string) => {
    const base = `${prefix}:host:${host}`
    return { next: `${base}:next`, slots: `${base}:slots`, line: `${base}:line`, tickets: `${base}:tickets` }
  }

  async function ask(url: string, token: string, take: boolean): Promise<number> {
    const host = new URL(url).host
    const { intervalMs, concurrency } = await rule(url)
    const k = keys(host)
    const wait = await redis.eval(
      ACQUIRE,
      2,
      k.next,
      k.slots,
      intervalMs,
      concurrency,
      leaseMs,
      token,
      take ? '1' : '0',
    )
    return Number(wait)
  }

  function stat(host: string): { running: number; queued: number } {
    let s = local.get(host)
    if (!s) {
      s = { running: 0, queued: 0 }
      local.set(host, s)
    }
    return s
  }

  return {
    rule,
    wait: (url) => ask(url, '', false),
    async reserve(url, id, holdMs) {
      const host = new URL(url).host
      const { intervalMs } = await rule(url)
      const k = keys(host)
      const wait = await redis.eval(RESERVE, 3, k.next, k.line, k.tickets, intervalMs, id, holdMs)
      return Number(wait)
    },
    async schedule<T>(url: string, task: () => Promise<T>): Promise<T> {
      const host = new URL(url).host
      const token = randomUUID()
      const s = stat(host)
      pending++
      s.queued++
      let started = false
      try {
        for (;;) {
          const wait = await ask(url, token, true)
          if (wait === 0) break
          await new Promise((r) => setTimeout(r, Math.min(wait, maxSleepMs)))
        }
        started = true
        s.queued--
        s.running++
        const slots = keys(host).slots
        const renew = setInterval(() => {
          redis.eval(RENEW, 1, slots, leaseMs, token).catch(() => {})
        }, leaseMs / 3)
        renew.unref()
        try {
          return await task()
        } finally {
          clearInterval(renew)
          s.running--
          await redis.zrem(slots, token).catch(() => {})
        }
      } finally {
        if (!started) s.queued--
        pending--
        if (pending === 0) for (const resolve of idle.splice(0)) resolve()
      }
    },
    setHostLimits(host, limits) {
      overrides.set(host, limits)
    },
    stats(): HostStats[] {
      return [...local].map(([host, s]) => ({
        host,
        intervalMs: rules.get(host)?.intervalMs ?? 0,
        concurrency: rules.get(host)?.concurrency ?? defaults.concurrency,
        queued: s.queued,
        running: s.running,
      }))
    },
    onIdle: () => (pending === 0 ? Promise.resolve() : new Promise<void>((resolve) => idle.push(resolve))),
    clear() {
      idle = []
    },
  }
}
