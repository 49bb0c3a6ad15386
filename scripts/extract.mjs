#!/usr/bin/env node
/**
 * `pnpm extract …`: run the `parkwatch-extract` CLI from a fresh clone. Builds
 * `packages/extractor` first when `dist/cli.js` is missing or older than any file under `src/`
 * (compiler output goes to stderr, so stdout stays pure JSON), then runs the CLI with the same
 * arguments, stdin and exit code.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const pkg = join(root, 'packages', 'extractor')
const cli = join(pkg, 'dist', 'cli.js')

/** Newest modification time (ms) of any file below `dir`. */
function newestMtime(dir) {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    const mtime = entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs
    if (mtime > newest) newest = mtime
  }
  return newest
}

function isStale() {
  if (!existsSync(cli)) return true
  const built = statSync(cli).mtimeMs
  return newestMtime(join(pkg, 'src')) > built || statSync(join(pkg, 'tsconfig.build.json')).mtimeMs > built
}

if (isStale()) {
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc')
  process.stderr.write('extract: building @parkwatch/extractor (dist is missing or older than src)\n')
  // stdout of the compiler goes to our stderr: callers redirect our stdout into a JSON file.
  const build = spawnSync(process.execPath, [tsc, '-p', join(pkg, 'tsconfig.build.json')], {
    cwd: root,
    stdio: ['ignore', 2, 2],
  })
  if (build.status !== 0) {
    // tsc still emits JavaScript on type errors; run what was emitted rather than nothing.
    if (!existsSync(cli)) {
      process.stderr.write('extract: build failed and there is no dist/cli.js to run\n')
      process.exit(1)
    }
    process.stderr.write('extract: build reported errors; running the emitted dist/cli.js anyway\n')
  }
}

const run = spawnSync(process.execPath, [cli, ...process.argv.slice(2)], { stdio: 'inherit' })
if (run.error) {
  process.stderr.write(`extract: ${run.error.message}\n`)
  process.exit(1)
}
process.exit(run.status ?? 1)
