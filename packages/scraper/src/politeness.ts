/**
 * Per-host politeness: one `p-queue` per host limits how many requests run at once there and how often
 * they start (`intervalCap: 1` per `interval`, in p-queue's strict sliding-window mode so two starts are
 * never closer than the interval), and a global queue caps the total concurrency across hosts. A host's
 * robots.txt Crawl-delay, when larger, raises its spacing.
 */
import PQueue from 'p-queue'
import { z } from 'zod'
import { InvalidUrlError, parseOptions } from './errors.js'

/** Limits for one host. */
export interface HostLimits {
  /** Requests started per second; `0` or `Infinity` means unlimited (politeness off). @default 1 */
  rate?: number
  /** Requests in flight at once. @default 1 */
  concurrency?: number
}

const limitsSchema = z.strictObject({
  rate: z.number().nonnegative().optional(),
  concurrency: z.number().int().positive().optional(),
})

const politenessOptionsSchema = z.strictObject({
  concurrency: z.number().int().positive().optional(),
  perHost: limitsSchema.optional(),
  hosts: z.record(z.string(), limitsSchema).optional(),
  crawlDelay: z.function().optional(),
})

/** Options of `createPoliteness`. */
export interface PolitenessOptions {
  /** Requests in flight across all hosts. @default 8 */
  concurrency?: number
  /** Limits for hosts without an entry in `hosts`. @default { rate: 1, concurrency: 1 } */
  perHost?: HostLimits
  /** Limits by host name (`news.example.com`, port included when not default). @default {} */
  hosts?: Record<string, HostLimits>
  /**
   * Looked up once per host before its first request (typically `robots.crawlDelay`): a delay in ms that
   * becomes the host's minimum spacing when larger than `1000 / rate`. @default undefined
   */
  crawlDelay?: (url: string) => Promise<number | null> | number | null
}

/** Live figures of one host queue. */
export interface HostStats {
  host: string
  /** Minimum ms between request starts (0 = unlimited). */
  intervalMs: number
  concurrency: number
  /** Tasks waiting. */
  queued: number
  /** Tasks running. */
  running: number
}

/** Schedules tasks so each host is visited politely. */
export interface Politeness {
  /**
   * Run `task` when `url`'s host and the global cap allow it; resolves or rejects with the task's outcome.
   * @throws {InvalidUrlError} when `url` cannot be parsed.
   */
  schedule<T>(url: string, task: () => Promise<T>): Promise<T>
  /** Change a host's limits; applies to requests scheduled from now on. */
  setHostLimits(host: string, limits: HostLimits): void
  /** Figures for every host seen so far. */
  stats(): HostStats[]
  /** Resolves when every queue is empty and idle. */
  onIdle(): Promise<void>
  /** Drop queued (not yet started) tasks of every host; they never run and their promises never settle. */
  clear(): void
}

/**
 * Create a politeness scheduler.
 *
 * @throws {InvalidOptionsError} listing every bad option.
 * @example
 * ```ts
 * const polite = createPoliteness({ concurrency: 8, perHost: { rate: 2 }, crawlDelay: (u) => robots.crawlDelay(u) })
 * const page = await polite.schedule(url, () => fetcher.fetch(url))
 * ```
 */
export function createPoliteness(options: PolitenessOptions = {}): Politeness {
  parseOptions(politenessOptionsSchema, options, 'politeness options')
  const global = new PQueue({ concurrency: options.concurrency ?? 8 })
  const defaults = { rate: options.perHost?.rate ?? 1, concurrency: options.perHost?.concurrency ?? 1 }
  const overrides = new Map(Object.entries(options.hosts ?? {}))
  const queues = new Map<string, HostQueue>()
  // Concurrent first requests to a host wait on one Crawl-delay lookup and then share one queue.
  const creating = new Map<string, Promise<HostQueue>>()

  function hostOf(url: string): string {
    try {
      return new URL(url).host
    } catch (cause) {
      throw new InvalidUrlError(url, 'not an absolute URL', { cause })
    }
  }

  async function queueFor(host: string, url: string): Promise<HostQueue> {
    const existing = queues.get(host)
    if (existing) return existing
    let pending = creating.get(host)
    if (!pending) {
      pending = (async () => {
        const delayMs = options.crawlDelay ? ((await options.crawlDelay(url)) ?? 0) : 0
        const entry = makeQueue(overrides.get(host), delayMs)
        queues.set(host, entry)
        return entry
      })().finally(() => creating.delete(host))
      creating.set(host, pending)
    }
    return pending
  }

  function makeQueue(limits: HostLimits | undefined, crawlDelayMs: number): HostQueue {
    const rate = limits?.rate ?? defaults.rate
    const concurrency = limits?.concurrency ?? defaults.concurrency
    const rateMs = rate > 0 && Number.isFinite(rate) ? 1000 / rate : 0
    const intervalMs = Math.max(rateMs, crawlDelayMs)
    // With a Crawl-delay, one request at a time: the delay is meant between consecutive requests.
    const effectiveConcurrency = crawlDelayMs > rateMs ? 1 : concurrency
    const queue =
      intervalMs > 0
        ? new PQueue({ concurrency: effectiveConcurrency, intervalCap: 1, interval: intervalMs, strict: true })
        : new PQueue({ concurrency: effectiveConcurrency })
    return { queue, intervalMs, concurrency: effectiveConcurrency, crawlDelayMs }
  }

  return {
    async schedule<T>(url: string, task: () => Promise<T>): Promise<T> {
      const host = hostOf(url)
      const { queue } = await queueFor(host, url)
      // The host queue decides *when* a request may start; the global queue decides whether a slot is free.
      return queue.add(() => global.add(task)) as Promise<T>
    },
    setHostLimits(host, limits) {
      parseOptions(limitsSchema, limits, `limits of ${host}`)
      overrides.set(host, limits)
      const old = queues.get(host)
      if (!old) return
      // p-queue cannot change its interval in place; new work goes to a fresh queue, old work drains.
      queues.set(host, makeQueue(limits, old.crawlDelayMs))
    },
    stats: () =>
      [...queues].map(([host, { queue, intervalMs, concurrency }]) => ({
        host,
        intervalMs,
        concurrency,
        queued: queue.size,
        running: queue.pending,
      })),
    async onIdle() {
      await Promise.all([...queues.values()].map(({ queue }) => queue.onIdle()))
      await global.onIdle()
    },
    clear() {
      for (const { queue } of queues.values()) queue.clear()
    },
  }
}

// --- Internal helpers ---

interface HostQueue {
  queue: PQueue
  intervalMs: number
  concurrency: number
  /** The robots.txt Crawl-delay looked up when the queue was made (0 when none). */
  crawlDelayMs: number
}
