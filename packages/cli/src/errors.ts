/**
 * Errors of `@parkwatch/cli`. One base class with a stable `code`; the CLI maps `UsageError` to exit code 2
 * (bad arguments, bad sources file) and everything else to 1.
 */

/** Base class of every error raised by the job runner, the frontier and the `parkwatch` command. */
export class ParkwatchError extends Error {
  /** Stable identifier to branch on. */
  readonly code: string = 'PARKWATCH_ERR'
  constructor(message: string, options?: ErrorOptions) {
    super(`[parkwatch] ${message}`, options)
    this.name = 'ParkwatchError'
  }
}

/** The frontier's database cannot be opened, is from a newer parkwatch, or a query failed. */
export class FrontierError extends ParkwatchError {
  override readonly code: string = 'PARKWATCH_FRONTIER'
  constructor(
    /** Where the frontier is: its SQLite file, or `postgres://host:port/db (schema s)`. */
    readonly file: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`frontier ${file}: ${message}`, options)
    this.name = 'FrontierError'
  }
}

/** The command line is wrong (unknown command or option, missing value); the CLI exits with code 2. */
export class UsageError extends ParkwatchError {
  override readonly code = 'PARKWATCH_USAGE'
  constructor(
    message: string,
    /** The command whose usage to print, e.g. `run`; null for the top level. */
    readonly command: string | null = null,
    options?: ErrorOptions,
  ) {
    super(message, options)
    this.name = 'UsageError'
  }
}
