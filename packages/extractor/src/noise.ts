import type { Block } from './types.js'

/** What `cleanBlocks` took out of the body and moved into metadata. */
export interface CleanedBlocks {
  blocks: Block[]
  byline: string[]
  editors: string[]
  source: string | null
  publishedAt: string | null
}

/**
 * Text-level clean-up of the body blocks: watermarks repeated across blocks, per-character pinyin
 * annotations, share counters, copyright/disclaimer lines, and metadata lines at the edges of the body
 * (记者 …, 编辑: …, a trailing (王梦菲 王艳艳)) moved into metadata.
 * STUB: replaced by the real implementation.
 */
export function cleanBlocks(blocks: Block[]): CleanedBlocks {
  return { blocks, byline: [], editors: [], source: null, publishedAt: null }
}
