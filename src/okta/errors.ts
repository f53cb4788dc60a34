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

/**
 * The org cannot be reached at all: the first contact failed at the connection level (refused,
 * DNS, connect timeout, unreachable network) or went unanswered for a whole request timeout, and
 * nothing from this org has answered in this run. Not retried: a wrong `okta.orgUrl`, a proxy or
 * firewall in the way, or an outage does not heal within a retry's backoff. Once raised, every
 * later request of the same client fails with it at once, so the other resources stop too.
 * Exit 2, like an unreachable destination: the setup is wrong until proven otherwise.
 * `okta-elt check` reports this same error for its reachability line.
 */
export class OktaUnreachableError extends OktaEltError {
  readonly orgUrl: string
  /** The socket-level code (`ECONNREFUSED`, `ENOTFOUND`, `UND_ERR_CONNECT_TIMEOUT`), or `ETIMEDOUT` for a request that got no answer. */
  readonly networkCode: string | null

  constructor(init: { orgUrl: string; method: string; path: string; networkCode: string | null; reason: string; cause?: unknown }) {
    super(
      'ERR_OKTA_UNREACHABLE',
      `Okta org ${init.orgUrl} is unreachable: ${oneLine(init.reason)} (${init.method} ${pathOnly(init.path)}; check okta.orgUrl, DNS, proxy and firewall)`,
      { exitCode: 2, cause: init.cause },
    )
    this.orgUrl = init.orgUrl
    this.networkCode = init.networkCode
  }
}

/**
 * A wait longer than `okta.maxWaitSeconds`: a rate-limit reset (or a 429's) far in the future,
 * typically a proxy or clock gone wrong. The request fails instead of sleeping for hours.
 */
export class OktaWaitTooLongError extends OktaRequestError {
  readonly waitMs: number
  readonly maxWaitMs: number

  constructor(init: OktaRequestErrorInit & { bucket: string; waitMs: number; maxWaitMs: number }) {
    const until = Date.now() + init.waitMs
    const when = Number.isFinite(until) && until < 8.64e15 ? `until ${new Date(until).toISOString()}` : `${Math.round(init.waitMs / 1000)} s`
    super('ERR_OKTA_WAIT_TOO_LONG', { ...init, retryable: false }, {
      detail: `rate-limit bucket ${init.bucket} would wait ${when}, longer than okta.maxWaitSeconds (${Math.round(init.maxWaitMs / 1000)} s)`,
    })
    this.waitMs = init.waitMs
    this.maxWaitMs = init.maxWaitMs
  }
}

/**
 * A listing that does not end: a `next` link already followed, a page holding only records this
 * listing already returned, or a long run of empty pages. A server (or proxy) fault: exit 1.
 */
export class OktaPaginationLoopError extends OktaRequestError {
  constructor(init: OktaRequestErrorInit & { reason: string }) {
    super('ERR_OKTA_PAGINATION_LOOP', { ...init, retryable: false }, { detail: `pagination loop: ${init.reason}` })
  }
}

/** A `next` link the client will not follow (another host, a `//host` path, not a URL): a server fault, exit 1. */
export class OktaBadLinkError extends OktaRequestError {
  constructor(init: OktaRequestErrorInit & { link: string; reason: string }) {
    super('ERR_OKTA_BAD_LINK', { ...init, retryable: false }, { detail: `refusing its next link ${safeLink(init.link)}: ${init.reason}` })
  }
}

/** A 3xx answer. Never followed: an API call that redirects means the org URL or a proxy is wrong. */
export class OktaRedirectError extends OktaRequestError {
  /** The `Location` header without userinfo or query, or null. */
  readonly location: string | null

  constructor(init: OktaRequestErrorInit & { location: string | null }) {
    const location = init.location === null ? null : safeLink(init.location)
    super('ERR_OKTA_REDIRECT', { ...init, retryable: false }, {
      detail: `redirect to ${location ?? '(no Location header)'}, not followed; set okta.orgUrl to the org's own URL`,
    })
    this.location = location
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

/** A link for a message: absolute ones without userinfo or query, anything else cut short. */
function safeLink(link: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(link)) return safeUrl(link)
  const q = link.search(/[?#]/)
  const path = q === -1 ? link : link.slice(0, q)
  return oneLine(path).slice(0, 200)
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
