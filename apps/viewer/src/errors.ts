/**
 * @file Error classes of the viewer. Every error carries a stable `code` and, for request errors, the HTTP
 * status the server answers with; the JSON API returns `{ error: { code, message } }`.
 */

/** Base class of every viewer error. */
export class ViewerError extends Error {
  readonly code: string = 'VIEWER_ERR'
  /** HTTP status used when this error ends a request. */
  readonly status: number = 500
  constructor(message: string, options?: ErrorOptions) {
    super(`[viewer] ${message}`, options)
    this.name = 'ViewerError'
  }
}

/** A query parameter or path segment was missing or malformed (HTTP 400). */
export class BadParamError extends ViewerError {
  override readonly code = 'VIEWER_BAD_PARAM'
  override readonly status = 400
  constructor(
    readonly param: string,
    readonly expected: string,
    readonly got: string | undefined,
  ) {
    super(`Expected \`${param}\` to be ${expected}, got \`${got === undefined ? 'nothing' : truncate(got)}\``)
    this.name = 'BadParamError'
  }
}

/** The requested page, version or capture is not in the archive (HTTP 404). */
export class ViewerNotFoundError extends ViewerError {
  override readonly code = 'VIEWER_NOT_FOUND'
  override readonly status = 404
  constructor(
    readonly kind: 'page' | 'version' | 'capture' | 'body' | 'route',
    readonly ref: string | number,
  ) {
    super(`no ${kind} ${truncate(String(ref))}`)
    this.name = 'ViewerNotFoundError'
  }
}

/** The viewer was started with a token and the request did not carry it (HTTP 401). */
export class UnauthorizedError extends ViewerError {
  override readonly code = 'VIEWER_UNAUTHORIZED'
  override readonly status = 401
  constructor() {
    super('missing or wrong access token')
    this.name = 'UnauthorizedError'
  }
}

/** `startViewer` was asked to listen on a non-loopback address without an access token. */
export class InsecureBindError extends ViewerError {
  override readonly code = 'VIEWER_INSECURE_BIND'
  constructor(readonly host: string) {
    super(`refusing to listen on ${host} without a token: pass \`token\` (or bind to 127.0.0.1)`)
    this.name = 'InsecureBindError'
  }
}

// --- Internal helpers ---

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s
}
