/**
 * The file piscina loads in each extraction worker. It is CommonJS on purpose: piscina `require()`s its
 * worker file, and on Node 20 `require()` of an ES module aborts the whole process (`FATAL ERROR:
 * v8::Module::IsGraphAsync must be used on an instantiated module`) when the worker is terminated while the
 * module graph is being instantiated, as happens when a short run closes the pool before its second worker
 * has loaded. A dynamic `import()` of the same module fails gracefully there, so the ES module
 * (`extract-worker.js`) is imported on the first task instead.
 */
import type { ExtractReply, ExtractTask } from './extract-worker.js'

let handler: Promise<(task: ExtractTask) => ExtractReply> | undefined

function run(task: ExtractTask): Promise<ExtractReply> {
  handler ??= import('./extract-worker.js').then((m) => m.default)
  return handler.then((extract) => extract(task))
}

export = run
