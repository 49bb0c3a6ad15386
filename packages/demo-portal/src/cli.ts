#!/usr/bin/env node
/**
 * `parkwatch-demo-portal [--port-base N] [--edits-every S] [--slow-ms MS] [--sources FILE]`: start the demo
 * portal, print its hosts, optionally advance the revision every S seconds, and serve until SIGINT/SIGTERM.
 */
import { realpathSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { startDemoPortal } from './portal.js'
import { MAX_REVISION } from './types.js'

/** Usage text printed for `--help` and after a usage error. */
export const USAGE = `Usage: parkwatch-demo-portal [options]

  --port-base N     portals on N..N+4, control server on N+5 (default: free ports)
  --edits-every S   advance the revision every S seconds (default: never; POST /__demo/advance instead)
  --slow-ms MS      delay of the slow host (default: 800)
  --sources FILE    also write a sources file pointing at this run's ports
  -h, --help        show this help`

/** Run the CLI; resolves with the exit code once the portal has shut down. */
export async function main(argv: readonly string[]): Promise<number> {
  let values: { 'port-base'?: string; 'edits-every'?: string; 'slow-ms'?: string; sources?: string; help?: boolean }
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        'port-base': { type: 'string' },
        'edits-every': { type: 'string' },
        'slow-ms': { type: 'string' },
        sources: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`)
    return 2
  }
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  const editsEvery = values['edits-every'] === undefined ? null : Number(values['edits-every'])
  if (editsEvery !== null && !(editsEvery > 0)) {
    console.error(`Expected \`--edits-every\` to be a positive number of seconds, got \`${values['edits-every']}\``)
    return 2
  }
  let portal: Awaited<ReturnType<typeof startDemoPortal>>
  try {
    portal = await startDemoPortal({
      portBase: values['port-base'] === undefined ? 0 : Number(values['port-base']),
      slowMs: values['slow-ms'] === undefined ? undefined : Number(values['slow-ms']),
    })
  } catch (error) {
    console.error(`[demo-portal] ${(error as Error).message}`)
    return 1
  }
  for (const host of portal.hosts) console.log(`${host.id.padEnd(9)} ${host.url}  ${host.role}`)
  console.log(`control   ${portal.controlUrl}  POST /__demo/advance, GET /__demo/state`)
  if (values.sources) {
    await writeFile(values.sources, portal.sourcesYaml())
    console.log(`sources written to ${values.sources}`)
  }
  const timer =
    editsEvery === null
      ? null
      : setInterval(() => {
          const before = portal.revision
          const after = portal.advance()
          if (after !== before) console.log(`revision ${after}/${MAX_REVISION}`)
        }, editsEvery * 1000)
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  if (timer) clearInterval(timer)
  await portal.close()
  console.log('demo portal stopped')
  return 0
}

// Run only when executed directly (through the bin symlink too), so tests can import `main`.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code
  })
}
