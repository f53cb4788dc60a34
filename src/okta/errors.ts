import { OktaEltError, UsageError } from '../util/errors.ts'

/**
 * Typed errors of the Okta client. Callers match on `code`; Okta's own `E0000…` code is in
 * `errorCode`. Messages are one line, e.g.
 * `Okta GET /api/v1/users failed: 401 E0000011 Invalid token provided (request id abc)`.
 *
 * None of these ever carries the token, the Authorization header, the private key or the client
 * assertion: they are built only from the method, the path, the status and Okta's error body.
 */

/** What every failed request knows about itself. */
export interface OktaRequestErrorInit {
  method: string
  /** Path (+ query) of the request; never an Authorization value. */
  path: string
  status?: number | null
  errorCode?: string | null
  errorSummary?: string | null
  requestId?: string | null
  /** Attempts made before giving up (1 = no retry). */
  attempts?: number
  retryable?: boolean
  cause?: unknown
}

/** Base of every error raised while talking to Okta. */
export class OktaRequestError extends OktaEltError {
  readonly method: string
  readonly path: string
  /** HTTP status, or null when no response arrived (network error, timeout). */
  readonly status: number | null
  /** Okta's `errorCode` (`E0000011`), or the OAuth `error` (`invalid_client`) from the token endpoint. */
  readonly errorCode: string | null
  readonly errorSummary: string | null
  /** `X-Okta-Request-Id` of the failing response. */
  readonly requestId: string | null
  readonly attempts: number

  constructor(code: string, init: OktaRequestErrorInit, opts: { exitCode?: 1 | 2; detail?: string } = {}) {
    super(code, formatMessage(init, opts.detail), {
      retryable: init.retryable ?? false,
      exitCode: opts.exitCode ?? 1,
      cause: init.cause,
    })
    this.method = init.method
    this.path = init.path
    this.status = init.status ?? null
    this.errorCode = init.errorCode ?? null
    this.errorSummary = init.errorSummary ?? null
    this.requestId = init.requestId ?? null
    this.attempts = init.attempts ?? 1
  }
}

/** An Okta error response (4xx/5xx) that is neither auth nor rate limiting. */
export class OktaApiError extends OktaRequestError {
  constructor(init: OktaRequestErrorInit) {
    super('ERR_OKTA_API', init)
  }
}

/** 401/403 from the API, or a failure at the token endpoint. A configuration problem: exit 2. */
export class OktaAuthError extends OktaRequestError {
  /** For a 403 `insufficient_scope`: the scope the token lacks (from `WWW-Authenticate`). */
  readonly missingScope: string | null

  /** `hint`: what the user can change, e.g. the `okta.auth.dpop` setting a DPoP-requiring app needs. */
  constructor(init: OktaRequestErrorInit & { missingScope?: string | null; hint?: string }) {
    const missingScope = init.missingScope ?? null
    const detail = missingScope === null ? init.hint : `missing scope ${missingScope}`
    super('ERR_OKTA_AUTH', { ...init, retryable: false }, {
      exitCode: 2,
      ...(detail === undefined ? {} : { detail }),
    })
    this.missingScope = missingScope
  }
}

/** Still rate limited (429) after every retry. */
export class OktaRateLimitError extends OktaRequestError {
  /** True for the concurrent-request limit (`X-Rate-Limit-Limit: 0`), false for the per-window budget. */
  readonly concurrency: boolean

  constructor(init: OktaRequestErrorInit & { concurrency: boolean }) {
    super('ERR_OKTA_RATE_LIMIT', { ...init, retryable: true }, init.concurrency ? { detail: 'concurrent request limit' } : {})
    this.concurrency = init.concurrency
  }
}

/** No complete response within `requestTimeoutMs`. */
export class OktaTimeoutError extends OktaRequestError {
  readonly timeoutMs: number

  constructor(init: OktaRequestErrorInit & { timeoutMs: number }) {
    super('ERR_OKTA_TIMEOUT', { ...init, retryable: true }, { detail: `timed out after ${init.timeoutMs} ms` })
    this.timeoutMs = init.timeoutMs
  }
}

/** The connection failed or was reset. */
export class OktaNetworkError extends OktaRequestError {
  /** The socket-level code, e.g. `ECONNRESET`, `UND_ERR_SOCKET`. */
  readonly networkCode: string | null

  constructor(init: OktaRequestErrorInit & { networkCode: string | null; reason: string }) {
    super('ERR_OKTA_NETWORK', { ...init, retryable: true }, { detail: init.reason })
    this.networkCode = init.networkCode
  }
}

/** A response whose body is not what Okta sends: truncated or invalid JSON, a page that is not an array. */
export class OktaResponseError extends OktaRequestError {
  constructor(init: OktaRequestErrorInit & { reason: string }) {
    super('ERR_OKTA_RESPONSE', init, { detail: init.reason })
  }
}

/** A `next` link (or a caller's URL) pointing away from the configured org: refused so the token stays home. */
export class OktaForeignUrlError extends OktaEltError {
  readonly url: string

  constructor(url: string, orgOrigin: string) {
    super('ERR_OKTA_FOREIGN_URL', `Refusing to request ${safeUrl(url)}: not on the configured Okta org ${orgOrigin}`)
    this.url = safeUrl(url)
  }
}

/** An invalid client option, named. */
export class OktaConfigError extends UsageError {
  readonly option: string

  constructor(option: string, problem: string) {
    super(`Invalid Okta client option ${option}: ${problem}`, 'ERR_OKTA_CONFIG')
    this.option = option
  }
}

function formatMessage(init: OktaRequestErrorInit, detail: string | undefined): string {
  const attempts = init.attempts ?? 1
  const parts: string[] = []
  if (init.status !== undefined && init.status !== null) parts.push(String(init.status))
  if (init.errorCode) parts.push(init.errorCode)
  if (init.errorSummary) parts.push(oneLine(init.errorSummary))
  if (detail) parts.push(parts.length > 0 ? `(${detail})` : detail)
  if (init.requestId) parts.push(`(request id ${init.requestId})`)
  const after = attempts > 1 ? ` after ${attempts} attempts` : ''
  return `Okta ${init.method} ${pathOnly(init.path)} failed${after}: ${parts.join(' ') || 'unknown error'}`
}

/** The message names the path without its query: filters make lines long and carry nothing the reader needs. */
function pathOnly(path: string): string {
  const q = path.indexOf('?')
  return q === -1 ? path : path.slice(0, q)
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim().slice(0, 500)
}

/** Strips userinfo so `https://user:pass@host` never reaches a message. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url)
    u.username = ''
    u.password = ''
    return `${u.origin}${u.pathname}`
  } catch {
    return '(unparseable URL)'
  }
}
