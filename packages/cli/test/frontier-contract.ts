/**
 * The frontier contract: one suite every `Frontier` store passes (the SQLite file, PostgreSQL), as the
 * archive's backends share `test/backends/contract.ts`. Each test starts from an empty store; `store.open`
 * opens another instance on the same rows, as a second process would.
 */
import { spawnSync } from 'node:child_process'
import { hostname } from 'node:os'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type Frontier, FrontierError, MAX_UPDATE_SKEW_MS } from '../src/index.js'

/** A place frontiers are opened on: one SQLite file, one PostgreSQL schema. */
export interface FrontierStore {
  /** Open a frontier on the store's rows (every call a new instance, like another process). */
  open(options?: { owner?: string }): Promise<Frontier>
  /** Remove every row (between tests; no instance is open then). */
  clear(): Promise<void>
  /** Write `version` as the stored frontier schema version. */
  setSchemaVersion(version: number): Promise<void>
  /** The frontier schema version this store's code writes. */
  readonly schemaVersion: number
  /** Drop what the store created. */
  dispose(): Promise<void>
}

/** What `extra` tests get: the store and the frontier opened for the current test. */
export interface FrontierContext {
  store: FrontierStore
  frontier: Frontier
}

/** The tests' clock start: due times are set around it, whatever the wall clock says. */
export const T0: number = Date.parse('2026-01-01T00:00:00Z')
const DAY = 86_400_000
const meta = { site: 'demo' }

/** Run the contract against one store; `extra` adds the store's own tests with the same setup. */
export function describeFrontier(
  name: string,
  opts: {
    create: () => FrontierStore | Promise<FrontierStore>
    skip?: boolean
    extra?: (ctx: FrontierContext) => void
  },
): void {
  describe.skipIf(opts.skip)(`frontier: ${name}`, () => {
    const ctx = {} as FrontierContext
    const opened: Frontier[] = []
    /** Another instance on the same rows, closed after the test. */
    const other = async (options?: { owner?: string }): Promise<Frontier> => {
      const f = await ctx.store.open(options)
      opened.push(f)
      return f
    }

    beforeAll(async () => {
      ctx.store = await opts.create()
    })
    beforeEach(async () => {
      await ctx.store.clear()
      ctx.frontier = await ctx.store.open()
    })
    afterEach(async () => {
      for (const f of opened.splice(0)) await f.close()
      await ctx.frontier?.close()
    })
    afterAll(async () => {
      await ctx.store?.dispose()
    })

    it('keys visits by (url, due time): idempotent per pair, several visits per url', async () => {
      const { frontier } = ctx
      expect(await frontier.schedule('http://a/1', T0, meta)).toBe(true)
      expect(await frontier.schedule('http://a/1', T0, meta)).toBe(false)
      expect(await frontier.schedule('http://a/1', T0 + 60_000, meta)).toBe(true)
      expect((await frontier.visits('http://a/1')).map((v) => v.dueAt)).toEqual([T0, T0 + 60_000])
    })

    it('adds discovered urls only when the url is unknown in any state', async () => {
      const { frontier } = ctx
      expect(await frontier.addNew([{ url: 'http://a/1', dueAt: T0, meta }])).toBe(1)
      const [claim] = await frontier.claim({ now: T0, limit: 10 })
      await frontier.complete(claim?.id as number, { outcome: 'unchanged', nextDueAt: T0 + 1000 })
      // Discovered again in a later pass: no new row, the planned revisit stands.
      expect(
        await frontier.addNew([
          { url: 'http://a/1', dueAt: T0 + 500, meta },
          { url: 'http://a/2', dueAt: T0 + 500, meta },
        ]),
      ).toBe(1)
      expect((await frontier.visits('http://a/1')).map((v) => [v.dueAt, v.state])).toEqual([
        [T0, 'done'],
        [T0 + 1000, 'due'],
      ])
      // A url scheduled (not discovered) is known too; a url twice in one batch is added once, first wins.
      await frontier.schedule('http://a/3', T0 + 7, meta)
      expect(
        await frontier.addNew([
          { url: 'http://a/3', dueAt: T0, meta },
          { url: 'http://a/4', dueAt: T0 + 1, meta },
          { url: 'http://a/4', dueAt: T0 + 2, meta },
        ]),
      ).toBe(1)
      expect((await frontier.visits('http://a/4')).map((v) => v.dueAt)).toEqual([T0 + 1])
      expect(await frontier.addNew([])).toBe(0)
    })

    it('claims only due visits, oldest first, each once while leased', async () => {
      const { frontier } = ctx
      await frontier.schedule('http://a/late', T0 + 10_000, meta)
      await frontier.schedule('http://a/2', T0 - 1, meta)
      await frontier.schedule('http://a/1', T0 - 2, meta)
      await frontier.addNew([
        { url: 'http://a/same-b', dueAt: T0, meta },
        { url: 'http://a/same-a', dueAt: T0, meta },
      ])
      const first = await frontier.claim({ now: T0, limit: 10 })
      // Equal due times: in the order they were planned.
      expect(first.map((c) => c.url)).toEqual(['http://a/1', 'http://a/2', 'http://a/same-b', 'http://a/same-a'])
      expect(first.every((c) => c.previousClaimAt === null && c.visit === 1)).toBe(true)
      expect(await frontier.claim({ now: T0, limit: 10 })).toEqual([])
      expect(await (await other()).claim({ now: T0, limit: 10 })).toEqual([])
      expect(await frontier.counts(T0)).toMatchObject({ due: 0, later: 1, claimed: 4, done: 0, urls: 5 })
    })

    it('claims at most `limit` visits a call', async () => {
      const { frontier } = ctx
      await frontier.addNew([1, 2, 3].map((n) => ({ url: `http://a/${n}`, dueAt: T0 + n, meta })))
      expect((await frontier.claim({ now: T0 + 10, limit: 2 })).map((c) => c.url)).toEqual(['http://a/1', 'http://a/2'])
      expect((await frontier.claim({ now: T0 + 10, limit: 2 })).map((c) => c.url)).toEqual(['http://a/3'])
    })

    it('filters claims by site', async () => {
      const { frontier } = ctx
      await frontier.schedule('http://a/1', T0, { site: 'a' })
      await frontier.schedule('http://b/1', T0, { site: 'b' })
      expect(await frontier.claim({ now: T0, limit: 10, sites: [] })).toEqual([])
      expect((await frontier.claim({ now: T0, limit: 10, sites: ['b'] })).map((c) => c.url)).toEqual(['http://b/1'])
    })

    it('completes with the next visit carrying the url’s history, and stops without one', async () => {
      const { frontier } = ctx
      await frontier.schedule('http://a/1', T0, {
        site: 'demo',
        firstSeenAt: T0 - 5,
        publishedAt: 42,
        extra: { title: 't', foundOn: 'http://a/' },
      })
      const [c1] = await frontier.claim({ now: T0, limit: 1 })
      expect(c1).toMatchObject({ url: 'http://a/1', dueAt: T0, site: 'demo', firstSeenAt: T0 - 5, publishedAt: 42 })
      expect(await frontier.complete(c1?.id as number, { outcome: 'new-version', nextDueAt: T0 + 900_000 })).toBe(true)
      expect(await frontier.complete(c1?.id as number, { outcome: 'again' })).toBe(false)
      const [c2] = await frontier.claim({ now: T0 + 900_000, limit: 1 })
      expect(c2).toMatchObject({
        url: 'http://a/1',
        visit: 2,
        firstSeenAt: T0 - 5,
        publishedAt: 42,
        extra: { title: 't', foundOn: 'http://a/' },
      })
      // A publication date learnt from the article goes on the next row.
      await frontier.complete(c2?.id as number, { outcome: 'unchanged', nextDueAt: T0 + DAY, publishedAt: 77 })
      const [c3] = await frontier.claim({ now: T0 + DAY, limit: 1 })
      expect(c3).toMatchObject({ visit: 3, publishedAt: 77 })
      await frontier.complete(c3?.id as number, { outcome: 'skipped:irrelevant' })
      expect(await frontier.counts(T0 + 10 ** 10)).toEqual({
        due: 0,
        later: 0,
        claimed: 0,
        done: 3,
        urls: 1,
        outcomes: { 'new-version': 1, unchanged: 1, 'skipped:irrelevant': 1 },
      })
    })

    it('counts per site: waiting, claimed, next due, last finished visit and outcomes', async () => {
      const { frontier } = ctx
      const before = Date.now()
      await frontier.addNew([
        { url: 'http://a/1', dueAt: T0, meta: { site: 'a' } },
        { url: 'http://a/2', dueAt: T0 + 1_000, meta: { site: 'a' } },
        { url: 'http://b/1', dueAt: T0 + 5, meta: { site: 'b' } },
        { url: 'http://b/2', dueAt: T0 + 6, meta: { site: 'b' } },
      ])
      const [b1] = await frontier.claim({ now: T0 + 5, limit: 1, sites: ['b'] })
      await frontier.complete(b1?.id as number, { outcome: 'new-version', nextDueAt: T0 + 60_000 })
      expect(await frontier.claim({ now: T0 + 10, limit: 1, sites: ['b'] })).toHaveLength(1)
      const sites = await frontier.sites(T0 + 10)
      expect(sites).toEqual([
        { site: 'a', urls: 2, due: 1, later: 1, claimed: 0, nextDueAt: T0, lastDoneAt: null, outcomes: {} },
        {
          site: 'b',
          urls: 2,
          due: 0,
          later: 1,
          claimed: 1,
          nextDueAt: T0 + 60_000,
          lastDoneAt: expect.any(Number),
          outcomes: { 'new-version': 1 },
        },
      ])
      expect(sites[1]?.lastDoneAt).toBeGreaterThanOrEqual(before)
      // The per-site figures add up to the whole.
      const all = await frontier.counts(T0 + 10)
      expect(sites.reduce((n, s) => n + s.due + s.later, 0)).toBe(all.due + all.later)
      expect(sites.reduce((n, s) => n + s.urls, 0)).toBe(all.urls)
    })

    it('gives a released visit back at once', async () => {
      const { frontier } = ctx
      await frontier.schedule('http://a/1', T0, meta)
      const [c] = await frontier.claim({ now: T0, limit: 1 })
      expect(await frontier.release(c?.id as number)).toBe(true)
      expect(await frontier.release(c?.id as number)).toBe(false)
      const [again] = await frontier.claim({ now: T0, limit: 1 })
      expect(again?.id).toBe(c?.id)
      expect(again?.previousClaimAt).toBeNull()
      expect(await frontier.complete(-1, { outcome: 'x' })).toBe(false)
    })

    it('takes over a claim after its lease ran out, remembering the earlier claim', async () => {
      const { frontier } = ctx
      await frontier.schedule('http://a/1', T0, meta)
      const before = Date.now()
      const [c] = await frontier.claim({ now: T0, limit: 1, leaseMs: 1 })
      const second = await other()
      await new Promise((r) => setTimeout(r, 5))
      const [taken] = await second.claim({ now: T0, limit: 1 })
      expect(taken?.id).toBe(c?.id)
      expect(taken?.previousClaimAt).toBeGreaterThanOrEqual(before)
      expect(taken?.previousClaimAt).toBeLessThanOrEqual(Date.now())
      // The first owner's late completion still finishes the visit (the row is claimed), once.
      expect(await frontier.complete(c?.id as number, { outcome: 'unchanged' })).toBe(true)
      expect(await second.complete(c?.id as number, { outcome: 'unchanged' })).toBe(false)
    })

    it('takes over the claims of a dead process on this host without waiting for the lease', async () => {
      const child = spawnSync(process.execPath, ['-e', 'process.exit(0)'])
      const dead = await other({ owner: `${hostname()}:${child.pid as number}:x` })
      // A live process's claims (this one's) and another host's are left alone until their lease ends.
      const alive = await other({ owner: `${hostname()}:${process.pid}:y` })
      const remote = await other({ owner: `elsewhere.example:${child.pid as number}:z` })
      await dead.schedule('http://a/1', T0, { site: 'dead' })
      await dead.schedule('http://a/2', T0 + 1, { site: 'alive' })
      await dead.schedule('http://a/3', T0 + 2, { site: 'remote' })
      const long = { now: T0 + 2, limit: 1, leaseMs: 3_600_000 }
      expect(await alive.claim({ ...long, sites: ['alive'] })).toHaveLength(1)
      expect(await remote.claim({ ...long, sites: ['remote'] })).toHaveLength(1)
      expect(await dead.claim({ ...long, sites: ['dead'] })).toHaveLength(1)
      const taken = await ctx.frontier.claim({ now: T0 + 2, limit: 10 })
      expect(taken.map((c) => c.url)).toEqual(['http://a/1'])
      expect(taken[0]?.previousClaimAt).not.toBeNull()
    })

    it('never hands one visit to two claimers at once', async () => {
      const { frontier } = ctx
      const n = 120
      await frontier.addNew(Array.from({ length: n }, (_, i) => ({ url: `http://a/${i}`, dueAt: T0 + i, meta })))
      const instances = [frontier, await other(), await other()]
      const claimed: number[] = []
      // Every instance claims small batches, several calls in flight each, until nothing is left.
      await Promise.all(
        instances.flatMap((f) =>
          [0, 1, 2].map(async () => {
            for (;;) {
              const batch = await f.claim({ now: T0 + n, limit: 3 })
              if (batch.length === 0) return
              claimed.push(...batch.map((c) => c.id))
            }
          }),
        ),
      )
      expect(claimed).toHaveLength(n)
      expect(new Set(claimed).size).toBe(n)
      expect(await frontier.counts(T0 + n)).toMatchObject({ due: 0, claimed: n })
    })

    it('refuses tables written by a newer parkwatch', async () => {
      const { store } = ctx
      await store.setSchemaVersion(store.schemaVersion + 1)
      try {
        const error = await store.open().then(
          () => null,
          (e: unknown) => e,
        )
        expect(error).toBeInstanceOf(FrontierError)
        expect(error).toMatchObject({ code: 'PARKWATCH_FRONTIER', message: expect.stringMatching(/newer/) })
      } finally {
        await store.setSchemaVersion(store.schemaVersion)
      }
    })

    it('checks the claim limit', async () => {
      await expect(ctx.frontier.claim({ now: T0, limit: 0 })).rejects.toThrow(TypeError)
      await expect(ctx.frontier.claim({ now: T0, limit: 1.5 })).rejects.toThrow(/limit/)
    })

    describe('pullForward', () => {
      /** A URL visited once (claimed now, wall clock), its next visit planned a day later. */
      const visited = async (url: string, outcome = 'new-version'): Promise<number> => {
        const { frontier } = ctx
        await frontier.addNew([{ url, dueAt: T0, meta }])
        const [claim] = await frontier.claim({ now: T0, limit: 1 })
        const claimedAt = Date.now()
        await frontier.complete(claim?.id as number, {
          outcome,
          nextDueAt: outcome.startsWith('skipped') ? null : T0 + DAY,
        })
        return claimedAt
      }

      it('plans a visit now for an article updated after its last visit began, superseding the later one', async () => {
        const { frontier } = ctx
        const claimedAt = await visited('http://a/1')
        expect(await frontier.pullForward([{ url: 'http://a/1', updatedAt: claimedAt + 1_000 }], T0 + 60_000)).toBe(1)
        expect((await frontier.visits('http://a/1')).map((v) => [v.dueAt, v.state, v.outcome])).toEqual([
          [T0, 'done', 'new-version'],
          [T0 + 60_000, 'due', null],
          [T0 + DAY, 'done', 'superseded'],
        ])
        // The pulled visit stands in for the superseded one (same visit number), and plans the next as usual.
        const [claim] = await frontier.claim({ now: T0 + 60_000, limit: 10 })
        expect(claim).toMatchObject({ url: 'http://a/1', visit: 2, dueAt: T0 + 60_000 })
        await frontier.complete(claim?.id as number, { outcome: 'new-version', nextDueAt: T0 + 2 * DAY })
        expect(await frontier.counts(T0 + 60_000)).toMatchObject({ due: 0, later: 1, claimed: 0 })
      })

      it('never duplicates a visit already due or in progress, and is idempotent', async () => {
        const { frontier } = ctx
        const claimedAt = await visited('http://a/1')
        const item = { url: 'http://a/1', updatedAt: claimedAt + 1_000 }
        // The same update listed twice in one batch (a feed and a sitemap): pulled once.
        expect(await frontier.pullForward([item, { ...item, updatedAt: item.updatedAt + 1 }], T0 + 60_000)).toBe(1)
        // The same update seen again (the next pass before the visit ran): nothing more.
        expect(await frontier.pullForward([item], T0 + 60_000)).toBe(0)
        expect(await frontier.pullForward([item], T0 + 120_000)).toBe(0)
        // In progress.
        await frontier.claim({ now: T0 + 60_000, limit: 1 })
        expect(await frontier.pullForward([item], T0 + 120_000)).toBe(0)
        // The revisit planned for later is due already by `dueAt`: nothing to pull.
        await visited('http://a/2')
        expect(await frontier.pullForward([{ url: 'http://a/2', updatedAt: Date.now() + 1_000 }], T0 + DAY)).toBe(0)
        expect((await frontier.visits('http://a/2')).map((v) => v.state)).toEqual(['done', 'due'])
        expect(await frontier.pullForward([], T0)).toBe(0)
      })

      it('ignores updates older than the last visit, unknown and unvisited urls, skips and future dates', async () => {
        const { frontier } = ctx
        const claimedAt = await visited('http://a/old')
        expect(await frontier.pullForward([{ url: 'http://a/old', updatedAt: claimedAt - 60_000 }], T0 + 1)).toBe(0)
        expect(await frontier.pullForward([{ url: 'http://a/unknown', updatedAt: Date.now() }], T0 + 1)).toBe(0)
        await frontier.addNew([{ url: 'http://a/new', dueAt: T0 + 5, meta }])
        expect(await frontier.pullForward([{ url: 'http://a/new', updatedAt: Date.now() }], T0 + 1)).toBe(0)
        const skippedAt = await visited('http://a/robots', 'skipped:robots')
        expect(await frontier.pullForward([{ url: 'http://a/robots', updatedAt: skippedAt + 1_000 }], T0 + 1)).toBe(0)
        const at = await visited('http://a/future')
        expect(
          await frontier.pullForward([{ url: 'http://a/future', updatedAt: at + MAX_UPDATE_SKEW_MS + 60_000 }], T0 + 1),
        ).toBe(0)
        expect(await frontier.pullForward([{ url: 'http://a/future', updatedAt: Number.NaN }], T0 + 1)).toBe(0)
        expect((await frontier.counts(T0 + 1)).due).toBe(0)
      })

      it('brings back an article whose revisits had stopped, for one visit', async () => {
        const { frontier } = ctx
        await frontier.addNew([{ url: 'http://a/1', dueAt: T0, meta: { ...meta, extra: { title: 'x' } } }])
        const [claim] = await frontier.claim({ now: T0, limit: 1 })
        const claimedAt = Date.now()
        // Past the age limit: no next visit was planned.
        await frontier.complete(claim?.id as number, { outcome: 'unchanged', nextDueAt: null })
        expect(await frontier.pullForward([{ url: 'http://a/1', updatedAt: claimedAt + 1_000 }], T0 + 5)).toBe(1)
        expect(await frontier.claim({ now: T0 + 5, limit: 1 })).toMatchObject([
          { url: 'http://a/1', visit: 2, extra: { title: 'x' } },
        ])
      })

      it('pulls each url once when two instances pull the same update at once', async () => {
        const { frontier } = ctx
        const urls = ['http://a/1', 'http://a/2', 'http://a/3']
        const times: number[] = []
        for (const url of urls) times.push(await visited(url))
        const items = urls.map((url, i) => ({ url, updatedAt: (times[i] as number) + 1_000 }))
        const second = await other()
        const pulled = await Promise.all([
          frontier.pullForward(items, T0 + 60_000),
          second.pullForward([...items].reverse(), T0 + 61_000),
        ])
        expect(pulled[0] + pulled[1]).toBeGreaterThanOrEqual(3)
        for (const url of urls) {
          // Whoever came second replaced the first one's pulled visit or left it: one pending visit per url.
          expect(
            (await frontier.visits(url)).filter((v) => v.state === 'due'),
            url,
          ).toHaveLength(1)
        }
      })
    })

    opts.extra?.(ctx)
  })
}
