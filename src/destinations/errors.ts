import { OktaEltError } from '../util/errors.ts'

/** Another run holds the one-writer lock and did not release it within `waitMs`. */
export class DestinationLockedError extends OktaEltError {
  readonly holder: string

  constructor(destination: string, holder: string) {
    super('ERR_DESTINATION_LOCKED', `${destination} is locked by another okta-elt run (${holder}); try again when it finishes`, {
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
  return maskPasswords(text)
}

export function maskPasswords(text: string): string {
  return text.replace(/(\w+:\/\/[^:/@\s]*:)[^@\s]*@/g, '$1***@')
}
