/**
 * Redis restarted in the middle of a run: workers reconnect and finish. The test runs its own redis-server
 * (the machine's keeps nothing on disk, so a restart would drop the queue; a deployment runs Redis with
 * persistence on, as this one does: appendonly, fsync always) and restarts it while two workers are busy.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Cluster, drained, READY, startCluster, until, type WorkerProcess } from './harness.js'

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** A persistent redis-server on `port` with its data in `dir`; resolves once it accepts connections. */
async function startRedis(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn('redis-server', [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--appendfsync',
    'always',
    '--save',
    '',
    '--maxmemory-policy',
    'noeviction',
  ])
  let out = ''
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString()
  })
  await until(
    () => out.includes('Ready to accept connections'),
    10_000,
    () => `redis-server did not start:\n${out}`,
  )
  return child
}

describe.skipIf(!READY)('Redis restarted mid-run', () => {
  let cluster: Cluster
  let redisServer: ChildProcess
  let dir: string
  const workers: WorkerProcess[] = []
  let archivedBeforeRestart = 0

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pw-redis-'))
    const port = await freePort()
    redisServer = await startRedis(port, dir)
    cluster = await startCluster({
      redisUrl: `redis://127.0.0.1:${port}`,
      sources: (y) => y.replace(/every: 10s/g, 'every: 1h'),
    })
    await cluster.schedule()
    for (let i = 0; i < 2; i++) workers.push(await cluster.worker())
    // Restart once a few articles are in and many visits are still queued or running.
    await until(async () => (await cluster.archive.stats()).pages >= 3, 60_000)
    archivedBeforeRestart = (await cluster.archive.stats()).pages
    const stopped = new Promise((resolve) => redisServer.once('exit', resolve))
    redisServer.kill('SIGTERM') // a clean shutdown: the AOF is complete
    await stopped
    await new Promise((r) => setTimeout(r, 1_500))
    redisServer = await startRedis(port, dir)
    await until(
      () => drained(cluster, 30 * 60_000),
      120_000,
      () => 'queue never drained after the restart',
    )
  }, 240_000)

  afterAll(async () => {
    await cluster?.close()
    redisServer?.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })

  it('finishes the run: every article archived exactly once, nothing dead-lettered', async () => {
    expect(archivedBeforeRestart).toBeLessThan(cluster.onTopic().length)
    for (const a of cluster.onTopic()) {
      const timeline = await cluster.archive.timeline(a.url)
      expect(timeline?.captures.length, a.id).toBe(1)
    }
    expect(await cluster.queue.getFailedCount()).toBe(0)
  })

  it('kept the workers alive through the outage; they exit cleanly afterwards', async () => {
    for (const w of workers) {
      expect(w.child.exitCode, w.stderr.slice(-1000)).toBeNull()
      // They did see the outage, and came back.
      expect(w.stderr).toContain('redis reconnecting')
      expect(w.stderr.slice(w.stderr.indexOf('redis reconnecting'))).toContain('redis ready')
    }
    for (const w of workers) w.child.kill('SIGTERM')
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0])
  })
})
