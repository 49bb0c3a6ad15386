import type { ExtractOptions, ExtractResult } from './types.js'

/**
 * Extract the article from an HTML page.
 * STUB: replaced by the real implementation.
 */
export function extract(_input: string | Uint8Array | ArrayBuffer, options: ExtractOptions = {}): ExtractResult {
  return {
    type: 'not-article',
    url: options.url ?? null,
    reason: 'empty',
    message: 'not implemented',
    title: null,
    decode: null,
  }
}
