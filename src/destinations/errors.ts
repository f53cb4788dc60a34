import { OktaEltError } from '../util/errors.ts'

/** Another run holds the one-writer lock and did not release it within `waitMs`. */
export class DestinationLockedError extends OktaEltError {
  readonly holder: string

  /** `message` replaces the default line where the database knows better who holds it (DuckDB's file lock). */
  constructor(destination: string, holder: string, message?: string) {
    super('ERR_DESTINATION_LOCKED', message ?? `${destination} is locked by another okta-elt run (${holder}); try again when it finishes`, {
      exitCode: 1,
      retryable: true,
    })
    this.holder = holder
  }
}

/** The database cannot be opened or reached. A configuration problem: exit 2. */
export class DestinationUnreachableError extends OktaEltError {
  constructor(destination: string, reason: string, cause?: unknown) {
    super('ERR_DESTINATION_UNREACHABLE', `cannot reach destination ${destination}: ${reason}`, { exitCode: 2, cause })
  }
}

/**
 * The destination exists but refuses this user's writes (a read-only or immutable SQLite file or
 * directory, a Postgres role without a privilege it needs). Fixing it is a setup change, not a
 * retry: exit 2.
 */
export class DestinationNotWritableError extends OktaEltError {
  constructor(destination: string, reason: string, cause?: unknown) {
    super('ERR_DESTINATION_NOT_WRITABLE', `destination ${destination} is not writable: ${reason}`, { exitCode: 2, cause })
  }
}

/**
 * A read-only open (`status`) found no okta-elt destination there: no SQLite file, no Postgres
 * schema, or no okta-elt metadata in it. Exit 2: the URL points at the wrong place, or no run
 * has written it yet. The read-only open never creates it.
 */
export class DestinationMissingError extends OktaEltError {
  constructor(destination: string, reason: string) {
    super('ERR_DESTINATION_MISSING', `no such destination ${destination}: ${reason}`, { exitCode: 2 })
  }
}

/** Preparing a reachable destination (schema, migrations, reading its metadata) failed otherwise. */
export class DestinationSetupError extends OktaEltError {
  constructor(destination: string, reason: string, cause?: unknown) {
    super('ERR_DESTINATION_SETUP', `cannot prepare destination ${destination}: ${reason}`, { exitCode: 1, cause })
  }
}

/**
 * What a failure while preparing `destination` becomes: our own errors pass through; a missing
 * privilege (Postgres 42501) or a read-only SQLite database is `DestinationNotWritableError`;
 * anything else (a statement timeout, a lock held elsewhere) `DestinationSetupError`. Never a raw
 * driver error, which the CLI could only print as "unexpected error" without naming the destination.
 */
export function setupFailure(destination: string, err: unknown): OktaEltError {
  if (err instanceof OktaEltError) return err
  const code = (err as { code?: unknown } | null)?.code
  if (code === '42501' || (typeof code === 'string' && /^SQLITE_(READONLY|PERM)/.test(code))) {
    return new DestinationNotWritableError(destination, driverReason(err), err)
  }
  return new DestinationSetupError(destination, driverReason(err), err)
}

/** A write the destination could not apply (bad value for a column, constraint, lost connection). */
export class DestinationWriteError extends OktaEltError {
  constructor(message: string, cause?: unknown) {
    super('ERR_DESTINATION_WRITE', message, { exitCode: 1, cause })
  }
}

/**
 * The destination the run opened is no longer the one the user will read (its file deleted or
 * replaced mid-run): what was committed since is not there, so the run must not report it.
 */
export class DestinationGoneError extends OktaEltError {
  constructor(message: string) {
    super('ERR_DESTINATION_GONE', message, { exitCode: 1 })
  }
}

/** A schema change the destination cannot apply (e.g. a narrowing, or a table it never created). */
export class DestinationSchemaError extends OktaEltError {
  constructor(message: string) {
    super('ERR_DESTINATION_SCHEMA', message, { exitCode: 1 })
  }
}

/** First line of a driver error, with anything that looks like a URL password masked. */
export function driverReason(err: unknown): string {
  const raw = err instanceof Error ? (err.message.split('\n')[0] ?? err.name) : String(err)
  const maybeCode = (err as { code?: unknown } | null)?.code
  const code = typeof maybeCode === 'string' ? maybeCode : ''
  const text = raw === '' && code !== '' ? code : raw
  return maskPasswords(serverCancelHint(code, text) ?? text)
}

/**
 * Postgres cancels a statement that outlives the role's, database's or connection's
 * `statement_timeout` / `lock_timeout` (SQLSTATE 57014 / 55P03). Its own words ("canceling
 * statement due to statement timeout") read like our bug; say what it is and what to change.
 */
function serverCancelHint(code: string, text: string): string | null {
  if (code === '57014' && /statement timeout/i.test(text)) {
    return 'statement timeout: the server cancelled a statement that ran longer than its statement_timeout (set on the role, the database or the URL\'s options); allow the role longer, e.g. ALTER ROLE <role> SET statement_timeout = \'15min\''
  }
  if (code === '55P03' && /lock timeout/i.test(text)) {
    return 'lock timeout: the server gave up waiting for a table lock another session holds (lock_timeout); find the blocking session in pg_stat_activity, or allow the role longer'
  }
  return null
}

export function maskPasswords(text: string): string {
  return text.replace(/(\w+:\/\/[^:/@\s]*:)[^@\s]*@/g, '$1***@')
}
