import { oneLine } from './control-chars.ts'
import { redact } from './redact.ts'

/**
 * The one base error of okta-elt. Callers match on `code` (stable, documented), never on message text.
 * `retryable` says whether trying the same operation again may succeed; `exitCode` is what the CLI
 * exits with when this error ends a command (2 = usage/configuration/auth, 1 = the run failed).
 *
 * Messages are one line and must never contain secrets (tokens, keys, assertions).
 */
export class OktaEltError extends Error {
  readonly code: string
  readonly retryable: boolean
  readonly exitCode: 1 | 2

  constructor(code: string, message: string, opts: { retryable?: boolean; exitCode?: 1 | 2; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = new.target.name
    this.code = code
    this.retryable = opts.retryable ?? false
    this.exitCode = opts.exitCode ?? 1
  }
}

/** A bad flag, config key or value: exit 2. */
export class UsageError extends OktaEltError {
  constructor(message: string, code = 'ERR_USAGE') {
    super(code, message, { exitCode: 2 })
  }
}

/**
 * One line describing any thrown value, for summaries and `_okta_elt_loads.error`: redacted with
 * the live secrets (a server may quote the request's credential in its error body) and with its
 * control characters in visible form (the text is shown later, and Postgres text holds no NUL).
 */
export function describeError(err: unknown): string {
  const text = err instanceof Error ? (err.message.split('\n')[0] ?? err.name) : String(err)
  return oneLine(redact(text))
}
