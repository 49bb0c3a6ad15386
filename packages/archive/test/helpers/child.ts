/**
 * @file Helpers for tests that need real child processes: a transpiled copy of `src/` the children can
 * import (plain `node`, no vitest), and a way to run `writer.mjs` and wait for it.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const pkgDir = fileURLToPath(new URL('../..', import.meta.url))
/** The child script every process test runs. */
export const WRITER: string = fileURLToPath(new URL('./writer.mjs', import.meta.url))

/**
 * Transpile `src/**` to plain JS (no type check, so a sibling module that does not typecheck yet cannot
 * break these tests) under `node_modules/.cache`, where node still resolves the package's dependencies.
 * Returns the folder holding `index.js` and a function that removes it.
 */
export function transpileSources(): { dir: string; remove: () => void } {
  const out = join(pkgDir, 'node_modules', '.cache', `archive-test-${process.pid}-${Date.now()}`)
  const src = join(pkgDir, 'src')
  for (const file of walk(src)) {
    if (!file.endsWith('.ts')) continue
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      compilerOptions: {
        module: ts.ModuleKind.ES2022,
        target: ts.ScriptTarget.ES2023,
        verbatimModuleSyntax: true,
      },
      fileName: file,
    })
    const target = join(out, relative(src, file)).replace(/\.ts$/, '.js')
    mkdirSync(dirname(target), { recursive: true })
    writeFileSync(target, outputText)
  }
  // The transpiled files are ESM; the package.json next to them says so.
  writeFileSync(join(out, 'package.json'), '{ "type": "module" }')
  return { dir: out, remove: () => rmSync(out, { recursive: true, force: true }) }
}

/** Every child started by `startWriter`, so a failed or timed-out test can still kill them all. */
const started = new Set<ChildProcess>()

/** SIGKILL every writer that is still running (call from `afterAll`). */
export function killAllWriters(): void {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  started.clear()
}

/** Start `writer.mjs` with a JSON job; resolves the child once it has printed `ready`. */
export function startWriter(job: Record<string, unknown>): Promise<ChildProcess & { output: () => string }> {
  const child = spawn(process.execPath, [WRITER, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] })
  started.add(child)
  child.once('exit', () => started.delete(child))
  let out = ''
  child.stdout.on('data', (d: Buffer) => {
    out += d
  })
  child.stderr.on('data', (d: Buffer) => {
    out += d
  })
  return new Promise((resolve, reject) => {
    const onData = (): void => {
      if (out.includes('ready')) {
        child.stdout.off('data', onData)
        resolve(Object.assign(child, { output: () => out }))
      }
    }
    child.stdout.on('data', onData)
    child.once('exit', (code) => {
      if (!out.includes('ready')) reject(new Error(`writer exited with ${code} before ready:\n${out}`))
    })
  })
}

/** Wait for a child to exit; resolves its exit code and signal. */
export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode })
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
}

// --- Internal helpers ---

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) yield* walk(path)
    else yield path
  }
}
