/**
 * @file Typed errors of `@parkwatch/archive`. Every error extends `ArchiveError` and carries a stable
 * `code` (`ARCHIVE_*`) so callers can branch without parsing messages; data lives in `readonly` fields.
 */

/** Base class of every archive error. */
export class ArchiveError extends Error {
  /** Stable machine-readable code. */
  readonly code: string = 'ARCHIVE_ERR'
  constructor(message: string, options?: ErrorOptions) {
    super(`[archive] ${message}`, options)
    this.name = 'ArchiveError'
  }
}

/** The capture's URL cannot be parsed or is not http(s). */
export class InvalidUrlError extends ArchiveError {
  override readonly code: 'ARCHIVE_INVALID_URL' = 'ARCHIVE_INVALID_URL'
  constructor(
    readonly url: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`invalid URL ${JSON.stringify(url.slice(0, 200))}: ${reason}`, options)
    this.name = 'InvalidUrlError'
  }
}

/** The body is larger than the archive's `maxBodyBytes`. */
export class BodyTooLargeError extends ArchiveError {
  override readonly code: 'ARCHIVE_BODY_TOO_LARGE' = 'ARCHIVE_BODY_TOO_LARGE'
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`body of ${size} bytes is over the limit of ${limit} bytes`)
    this.name = 'BodyTooLargeError'
  }
}

/** A header name or value is not valid (bad UTF-8, control characters, not an HTTP token). */
export class InvalidHeaderError extends ArchiveError {
  override readonly code: 'ARCHIVE_INVALID_HEADER' = 'ARCHIVE_INVALID_HEADER'
  constructor(
    readonly header: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`invalid header ${JSON.stringify(header.slice(0, 100))}: ${reason}`, options)
    this.name = 'InvalidHeaderError'
  }
}

/** Any other field of a capture is invalid (date, status, timing, …). */
export class InvalidCaptureError extends ArchiveError {
  override readonly code: 'ARCHIVE_INVALID_CAPTURE' = 'ARCHIVE_INVALID_CAPTURE'
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`invalid capture field \`${field}\`: ${reason}`)
    this.name = 'InvalidCaptureError'
  }
}

/** What was asked for (a page, version, capture or blob) is not in the archive. */
export class NotFoundError extends ArchiveError {
  override readonly code: 'ARCHIVE_NOT_FOUND' = 'ARCHIVE_NOT_FOUND'
  constructor(
    readonly kind: 'page' | 'version' | 'capture' | 'blob',
    readonly key: string | number,
  ) {
    super(`no ${kind} ${typeof key === 'string' ? JSON.stringify(key) : `#${key}`}`)
    this.name = 'NotFoundError'
  }
}

/** A stored blob does not match its hash or cannot be decompressed. */
export class BlobCorruptError extends ArchiveError {
  override readonly code: 'ARCHIVE_BLOB_CORRUPT' = 'ARCHIVE_BLOB_CORRUPT'
  constructor(
    readonly hash: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`blob ${hash} is corrupt: ${reason}`, options)
    this.name = 'BlobCorruptError'
  }
}

/** The storage could not be opened or migrated (newer schema, unreadable file, …). */
export class StorageError extends ArchiveError {
  override readonly code: 'ARCHIVE_STORAGE' = 'ARCHIVE_STORAGE'
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'StorageError'
  }
}
