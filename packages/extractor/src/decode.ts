import type { DecodeInfo } from './types.js'

/** Options for `decodeHtml`. */
export interface DecodeOptions {
  /** The HTTP `Content-Type` header value, if known. @default null */
  contentType?: string | null
  /** Force this charset, skipping detection (a sources-file override). @default null */
  charset?: string | null
}

/** Decoded text plus how it was decoded. */
export interface DecodedHtml extends DecodeInfo {
  text: string
}

/**
 * Turn the bytes of an HTML page into text the way browsers do: BOM, then the HTTP header charset,
 * then a `<meta charset>` / `http-equiv` prescan, then detection.
 * STUB: owned by the metadata/decoding work; replaced by the real implementation.
 */
export function decodeHtml(bytes: Uint8Array | ArrayBuffer, _options: DecodeOptions = {}): DecodedHtml {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)
  return { text: new TextDecoder('utf-8').decode(u8), charset: 'utf-8', source: 'default', declared: null }
}
