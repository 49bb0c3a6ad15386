/**
 * `parkwatch archive backup`, end to end: a copy taken while `parkwatch run` is writing to the archive
 * verifies, holds the frontier too (a run pointed at the copy goes on from where the copy was taken), and a
 * bad command line changes nothing.
 */

import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { type Archive, createArchive, postgresBackend, sqliteBackend } from '@parkwatch/archive'
import { type DemoPortal, startDemoPortal } from '@parkwatch/demo-portal'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureBuilt, parkwatch, startCli, summaryFigure, type TempDir, tempDir } from '../helpers/parkwatch.js'

const SITES = ['demo-blog', 'demo-netease', 'demo-xjnnet']
const PG_URL = process.env.ARCHIVE_PG_URL
if (!PG_URL && process.env.CI) throw new Error('CI must set ARCHIVE_PG_URL')

async function withClosed<T>(archive: Archive, fn: (archive: Archive) => Promise<T>): Promise<T> {
  try {
    return await fn(archive)
  } finally {
    await archive.close()
  }
}

async function captures(dir: string): Promise<number> {
  if (!existsSync(`${dir}/archive.sqlite`)) return 0
  const archive = createArchive({ backend: sqliteBackend({ dir }) })
  try {
    return (await archive.stats()).captures
  } finally {
    await archive.close()
  }
}

async function pageUrls(dir: string): Promise<string[]> {
  const archive = createArchive({ backend: sqliteBackend({ dir }) })
  try {
    return (await archive.listPages({ limit: 1000 })).map((p) => p.url).sort()
  } finally {
    await archive.close()
  }
}

describe('`parkwatch archive backup`', () => {
  let portal: DemoPortal
  let work: TempDir

  beforeAll(async () => {
    ensureBuilt()
    work = tempDir('pw-e2e-backup-')
    // A slow host keeps the run writing while the copy is taken.
    portal = await startDemoPortal({ slowMs: 200 })
  }, 60_000)
  afterAll(async () => {
    await portal?.close()
    work?.cleanup()
  })

  it('copies the archive while a run writes to it; the copy verifies and a run on it goes on', async () => {
    const sources = work.write('sources.yaml', portal.sourcesYaml())
    const data = work.path('data')
    const siteArgs = SITES.flatMap((id) => ['--site', id])
    const run = startCli(['run', '--sources', sources, '--data', data, ...siteArgs])
    // Wait for the first captures (the reader must not be the one to create the file).
    for (let i = 0; i < 400 && (await captures(data)) < 3; i++) await new Promise((r) => setTimeout(r, 50))
    const copy = work.path('copy')
    const backup = await parkwatch('archive', 'backup', '--data', data, '--out', copy)
    const end = await run.done
    expect(end.code, end.stderr).toBe(0)
    expect(backup.code, backup.stderr).toBe(0)
    expect(backup.stdout).toMatch(/verify\s+ok/)
    const copied = summaryFigure(backup.stdout, 'captures')
    expect(copied).toBeGreaterThan(0)
    expect(copied).toBeLessThanOrEqual(await captures(data))

    const verify = await parkwatch('archive', 'verify', '--data', copy)
    expect(verify.code, verify.stdout).toBe(0)
    // The frontier came along: a run on the copy finds the pages it knew and fetches what was left to do.
    const resumed = await parkwatch('run', '--sources', sources, '--data', copy, ...siteArgs)
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(await captures(copy)).toBeGreaterThan(copied)
    // …and ends with the pages the original run ended with.
    expect(await pageUrls(copy)).toEqual(await pageUrls(data))
  }, 120_000)

  it.skipIf(!PG_URL)('dumps a PostgreSQL archive with pg_dump; the dump restores to the same archive', async () => {
    const schema = `pw_e2e_backup_${process.pid}_${Date.now().toString(36)}`
    const pgArchive = () => createArchive({ backend: postgresBackend({ connectionString: PG_URL, schema }) })
    const drop = () => spawnSync('psql', [PG_URL ?? '', '-q', '-c', `DROP SCHEMA IF EXISTS "${schema}" CASCADE`])
    try {
      const archive = pgArchive()
      const t = Date.parse('2026-11-22T08:00:00Z')
      try {
        for (let i = 0; i < 3; i++) {
          const body = `<html><body><article><h1>园区 ${i}</h1><p>苏州工业园区第${i}条</p></article></body></html>`
          await archive.ingest(
            { url: `http://news.example.cn/${i % 2}.html`, status: 200, body, fetchedAt: t + i },
            null,
          )
        }
      } finally {
        await archive.close()
      }
      const before = await withClosed(pgArchive(), (a) => a.stats())
      const out = work.path('pg-backup')
      const run = await startCli(['archive', 'backup', '--archive', PG_URL ?? '', '--out', out], {
        PARKWATCH_PG_SCHEMA: schema,
      }).done
      expect(run.code, run.stderr).toBe(0)
      expect(run.stdout).toMatch(/readable\s+ok/)
      // Lose the archive, restore the dump: the same archive, and it verifies.
      drop()
      const restore = spawnSync('pg_restore', [`--dbname=${PG_URL}`, `${out}/archive.pgdump`])
      expect(restore.status, restore.stderr.toString()).toBe(0)
      const after = pgArchive()
      try {
        expect(await after.stats()).toEqual(before)
        expect((await after.verify()).ok).toBe(true)
      } finally {
        await after.close()
      }
    } finally {
      drop()
    }
  })

  it('refuses a folder that is not empty and a missing archive, with exit 2', async () => {
    const data = work.path('data')
    const taken = work.path('taken')
    const first = await parkwatch('archive', 'backup', '--data', data, '--out', taken, '--no-verify')
    expect(first.code, first.stderr).toBe(0)
    const files = readdirSync(taken).sort()
    const again = await parkwatch('archive', 'backup', '--data', data, '--out', taken)
    expect(again.code).toBe(2)
    expect(again.stderr).toContain('empty folder')
    expect(readdirSync(taken).sort()).toEqual(files)
    const none = await parkwatch('archive', 'backup', '--data', work.path('nothing'), '--out', work.path('n'))
    expect(none.code).toBe(2)
    expect(existsSync(work.path('n'))).toBe(false)
  })
})
