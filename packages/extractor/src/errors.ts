/** Base class of every error `@parkwatch/extractor` throws. `extract` itself never throws on bad HTML. */
export class ExtractorError extends Error {
  readonly code: string = 'EXTRACTOR_ERR'
  constructor(message: string, options?: ErrorOptions) {
    super(`[extractor] ${message}`, options)
    this.name = 'ExtractorError'
  }
}

/** An option had the wrong type or range. */
export class InvalidOptionError extends ExtractorError {
  override readonly code = 'EXTRACTOR_INVALID_OPTION'
  constructor(
    readonly option: string,
    readonly expected: string,
    readonly got: unknown,
  ) {
    super(`Expected \`${option}\` to be ${expected}, got \`${String(got)}\``)
    this.name = 'InvalidOptionError'
  }
}

/** The input was neither a string nor bytes. */
export class InvalidInputError extends ExtractorError {
  override readonly code = 'EXTRACTOR_INVALID_INPUT'
  constructor(readonly got: string) {
    super(`Expected input to be a string, Uint8Array or ArrayBuffer, got ${got}`)
    this.name = 'InvalidInputError'
  }
}

/** A charset label no decoder knows. */
export class UnsupportedCharsetError extends ExtractorError {
  override readonly code = 'EXTRACTOR_UNSUPPORTED_CHARSET'
  constructor(
    readonly charset: string,
    options?: ErrorOptions,
  ) {
    super(`unsupported charset "${charset}"`, options)
    this.name = 'UnsupportedCharsetError'
  }
}
