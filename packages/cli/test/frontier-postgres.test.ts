/**
 * The frontier contract on PostgreSQL (`ARCHIVE_PG_URL`; CI must set it, locally the suite is skipped
 * without it), in a fresh schema per run of this file, dropped at the end. Plus what only PostgreSQL has:
 * several processes claiming from one schema at once, the archive's schema shared with the archive, and
 * concurrent first opens (migration under an advisory lock).
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createArchive, postgresBackend } from '@parkwatch/archive'
import pg from 'pg'
import { afterAll, expect, it } from 'vitest'
import { openStores } from '../src/commands.js'
import { FrontierError, openPostgresFrontier, POSTGRES_FRONTIER_SCHEMA_VERSION } from '../src/index.js'
import { describeFrontier, type FrontierStore, T0 } from './frontier-contract.js'

const url = process.env.ARCHIVE_PG_URL
if (!url && process.env.CI) throw new Error('CI must set ARCHIVE_PG_URL')
const run = `pwf_${process.pid}_${Date.now().toString(36)}`
const schemas = new Set<string>()
const schemaName = (label: string): string => {
  const name = `${run}_${label}`
  schemas.add(name)
  return name
}
const sql = async (text: string, values: unknown[] = []): Promise<pg.QueryResult> => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await client.query(text, values)
  } finally {
    await client.end()
  }
}

afterAll(async () => {
  if (!url) return
  for (const s of schemas) await sql(`DROP SCHEMA IF EXISTS "${s}" CASCADE`)
})

describeFrontier('postgres', {
  skip: !url,
  create: async (): Promise<FrontierStore> => {
    const schema = schemaName('contract')
    // Created once here, so `clear` can always truncate.
    await (await openPostgresFrontier({ connectionString: url, schema })).close()
    return {
      open: (options) => openPostgresFrontier({ connectionString: url, schema, ...options }),
      clear: async () => {
        await sql(`TRUNCATE "${schema}".parkwatch_frontier, "${schema}".parkwatch_frontier_urls RESTART IDENTITY`)
      },
      setSchemaVersion: async (version) => {
        await sql(`UPDATE "${schema}".parkwatch_meta SET value = $1 WHERE key = 'frontier_schema_version'`, [
          String(version),
        ])
      },
      schemaVersion: POSTGRES_FRONTIER_SCHEMA_VERSION,
      dispose: async () => {},
    }
  },
  extra: (ctx) => {
    it('names where it is without the credentials', () => {
      expect(ctx.frontier.location).toMatch(new RegExp(`^postgres(ql)?://[^@]+/\\w+ \\(schema ${run}_contract\\)$`))
    })

    it('never hands one visit to two processes at once', async () => {
      const n = 300
      await ctx.frontier.addNew(
        Array.from({ length: n }, (_, i) => ({ url: `http://a/${i}`, dueAt: T0 + i, meta: { site: 'demo' } })),
      )
      // Separate processes (separate pools, sessions and pids), each with claims in flight on 3 connections.
      // They stay alive until all are done: a claim of a process that has exited is up for grabs again.
      const children = [1, 2, 3].map(() => claimInChild(`${run}_contract`, T0 + n))
      await Promise.all(children.map((c) => c.ready))
      for (const c of children) c.go()
      const outputs = await Promise.all(children.map((c) => c.ids))
      for (const c of children) c.exit()
      const ids = outputs.flat()
      // They really ran side by side (all three usually get some; a busy machine may starve one).
      expect(outputs.filter((o) => o.length > 0).length).toBeGreaterThanOrEqual(2)
      expect(ids).toHaveLength(n)
      expect(new Set(ids).size).toBe(n)
      expect(await ctx.frontier.counts(T0 + n)).toMatchObject({ due: 0, claimed: n })
    })

    it('shares the archive’s schema without disturbing it', async () => {
      const schema = `${run}_contract`
      const archive = createArchive({ backend: postgresBackend({ connectionString: url, schema }) })
      try {
        await archive.ingest({ url: 'http://a/1', status: 200, body: 'x', fetchedAt: T0 }, null)
        await ctx.frontier.schedule('http://a/1', T0, { site: 'demo' })
        const report = await archive.verify()
        expect(report.issues).toEqual([])
        expect(report.ok).toBe(true)
      } finally {
        await archive.close()
      }
      const { rows } = await sql(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
        [schema],
      )
      expect(rows.map((r) => r.table_name)).toEqual(
        expect.arrayContaining(['pages', 'parkwatch_frontier', 'parkwatch_frontier_urls', 'parkwatch_meta']),
      )
    })

    it('creates its tables once when several processes open a new schema at once, next to the archive', async () => {
      const schema = schemaName('fresh')
      const archive = createArchive({ backend: postgresBackend({ connectionString: url, schema }) })
      try {
        const [frontiers] = await Promise.all([
          Promise.all([1, 2, 3, 4].map(() => openPostgresFrontier({ connectionString: url, schema }))),
          archive.stats(),
        ])
        await frontiers[0]?.schedule('http://a/1', T0, { site: 'demo' })
        for (const f of frontiers) expect(await f.visits('http://a/1')).toHaveLength(1)
        for (const f of frontiers) await f.close()
      } finally {
        await archive.close()
      }
      const { rows } = await sql(`SELECT key, value FROM "${schema}".parkwatch_meta`)
      expect(rows).toEqual([{ key: 'frontier_schema_version', value: String(POSTGRES_FRONTIER_SCHEMA_VERSION) }])
    })

    it('checks its options and reports an unreachable database as a FrontierError', async () => {
      await expect(openPostgresFrontier({ connectionString: url, schema: 'bad-name' })).rejects.toThrow(/schema/)
      await expect(openPostgresFrontier({ connectionString: url, poolSize: 0 })).rejects.toThrow(/poolSize/)
      await expect(openPostgresFrontier({ connectionString: 'mysql://x' })).rejects.toThrow(/postgres:\/\//)
      const error = await openPostgresFrontier({
        connectionString: 'postgres://nobody:secret@127.0.0.1:1/none',
        schema: schemaName('unreachable'),
      }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(FrontierError)
      expect((error as FrontierError).file).toBe(`postgres://127.0.0.1:1/none (schema ${run}_unreachable)`)
      expect((error as Error).message).not.toMatch(/secret/)
    })

    it('is where `parkwatch` keeps the frontier of a postgres archive: its schema, never a file in --data', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'pw-stores-'))
      const data = join(dir, 'data')
      try {
        const stores = await openStores({ data, archive: url, pgSchema: `${run}_contract` })
        try {
          expect(stores.frontier.location).toBe(ctx.frontier.location)
          await stores.frontier.schedule('http://a/stores', T0, { site: 'demo' })
          expect(await ctx.frontier.visits('http://a/stores')).toHaveLength(1)
          expect((await stores.archive.verify()).ok).toBe(true)
        } finally {
          await stores.close()
        }
        expect(existsSync(join(data, 'frontier.sqlite'))).toBe(false)
        expect(existsSync(data) ? readdirSync(data) : []).toEqual([])
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })

    it('refuses calls after close', async () => {
      const f = await openPostgresFrontier({ connectionString: url, schema: `${run}_contract` })
      await f.close()
      await f.close()
      await expect(f.counts(T0)).rejects.toThrow(FrontierError)
    })
  },
})

// --- Internal helpers ---

const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url))

/**
 * A child process that opens the frontier on `schema` (then `ready` resolves), and on `go()` claims batches
 * of 2 (3 claims in flight at once) until nothing is due; `ids` resolves with the ids it got. It exits on
 * `exit()`. Uses the built package (`pnpm build`).
 */
function claimInChild(
  schema: string,
  now: number,
): { ready: Promise<void>; go(): void; ids: Promise<number[]>; exit(): void } {
  if (!existsSync(DIST)) throw new Error(`build @parkwatch/cli first: ${DIST} is missing`)
  const script = `
    import { createInterface } from 'node:readline'
    import { openPostgresFrontier } from ${JSON.stringify(DIST)}
    const f = await openPostgresFrontier({ connectionString: process.env.PG_URL, schema: ${JSON.stringify(schema)} })
    const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()
    process.stdout.write('ready\\n')
    await lines.next()
    const ids = []
    await Promise.all([0, 1, 2].map(async () => {
      for (;;) {
        const batch = await f.claim({ now: ${now}, limit: 2 })
        if (batch.length === 0) return
        ids.push(...batch.map((c) => c.id))
      }
    }))
    await f.close()
    process.stdout.write(JSON.stringify(ids) + '\\n')
    await lines.next()
    process.exit(0)
  `
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, PG_URL: url },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  const waiters: Array<() => void> = []
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString()
    for (const wake of waiters) wake()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString()
  })
  const exited = new Promise<never>((_, reject) => {
    child.on('close', (code) => reject(new Error(`claiming child exited with ${code}: ${err}`)))
  })
  exited.catch(() => {})
  /** The `n`th line the child prints (from 0), once it is complete. */
  const line = (n: number): Promise<string> =>
    Promise.race([
      exited,
      new Promise<string>((resolve) => {
        const check = (): void => {
          const parts = out.split('\n')
          if (parts.length > n + 1) resolve(parts[n] as string)
        }
        waiters.push(check)
        check()
      }),
    ])
  return {
    ready: line(0).then(() => {}),
    go: () => child.stdin.write('go\n'),
    ids: line(1).then((text) => JSON.parse(text) as number[]),
    exit: () => child.stdin.end(),
  }
}
