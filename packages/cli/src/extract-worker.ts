/**
 * The body of an extraction worker thread (see `extract-pool.ts`): bytes, URL and content type in, the
 * extractor's answer out. Extraction is pure, so nothing but the task crosses the thread boundary. Errors
 * are returned as data, not thrown: an `Error` cloned across threads loses its `code`, and the runner keys
 * its error counts by that code.
 */
import type { Article, NotArticle } from '@parkwatch/extractor'
import { extract } from '@parkwatch/extractor'

/** One page to extract. */
export interface ExtractTask {
  bytes: Uint8Array
  /** The page URL (links and images are resolved against it). */
  url: string
  /** The Content-Type to decode with (the site's charset override already applied), or null. */
  contentType: string | null
  /** Names of the park to look for; omitted = the extractor's defaults. */
  parkNames?: readonly string[]
}

/** What a worker answers. */
export type ExtractReply =
  | { ok: true; result: Article | NotArticle }
  | { ok: false; error: { name: string; message: string; code: string | null } }

/** Extract one page (piscina calls the default export once per task). */
export default function extractTask(task: ExtractTask): ExtractReply {
  try {
    const result = extract(task.bytes, {
      url: task.url,
      contentType: task.contentType,
      ...(task.parkNames ? { parkNames: task.parkNames } : {}),
    })
    return { ok: true, result }
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error))
    const code = 'code' in e && typeof e.code === 'string' ? e.code : null
    return { ok: false, error: { name: e.name, message: e.message, code } }
  }
}
