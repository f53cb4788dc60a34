import type { OktaEltError } from '../util/errors.ts'
import { decodeBody } from './body.ts'
import { OktaApiError, OktaAuthError, OktaRateLimitError, OktaRedirectError, OktaResponseError, type OktaRequestError } from './errors.ts'
import { parseJson } from './json.ts'
import { readRateLimitHeaders, type RateLimitHeaders } from './rate-limit.ts'
import { isRetryableStatus, retryAfterMs } from './retry.ts'

/**
 * What one HTTP response means for the request that got it, decided from the response alone:
 * no I/O, no clock but the one passed in, no state. The retry loop (exchange.ts) acts on the
 * verdict; this is where Okta's statuses, error bodies and rate-limit headers are read.
 *
 * - `ok`: a 2xx with a readable body (JSON, or empty).
 * - `retry`: worth another attempt, after `after` (backoff, a bucket reset, or a `Retry-After`).
 * - `token-answer`: an OAuth error from the token endpoint, handed to the auth step as data.
 * - `unauthorized`: a 401 on an API call; the auth step decides whether a fresh credential may help.
 * - `fail`: final.
 */
export type Verdict =
  | { kind: 'ok'; json: unknown }
  /** The token endpoint's OAuth error (a 4xx other than 429): the auth step reads it (DPoP's nonce handshake among them). */
  | { kind: 'token-answer'; json: unknown }
  | { kind: 'retry'; error: OktaRequestError; after: RetryAfter; rateLimited?: 'window' | 'concurrency' }
  | { kind: 'unauthorized'; error: OktaAuthError }
  | { kind: 'fail'; error: OktaEltError }

export type RetryAfter =
  /** Exponential backoff (retry.ts). */
  | { kind: 'backoff' }
  /** A 429 of the per-window budget: wait for the bucket's reset as the headers report it. */
  | { kind: 'reset'; rate: RateLimitHeaders }
  /** The server asked for at least this long (`Retry-After`), ms. */
  | { kind: 'at-least'; ms: number }

export interface ClassifiedResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Uint8Array
}

export interface ClassifyContext {
  method: string
  path: string
  /** 1 for the first attempt. */
  attempt: number
  /** The request went to the token endpoint (its 4xx are credential problems, never retried). */
  tokenEndpoint: boolean
  maxResponseBytes: number
  /** Local ms, for an HTTP-date `Retry-After`. */
  now: number
}

export function classify(res: ClassifiedResponse, ctx: ClassifyContext): Verdict {
  const requestId = header(res.headers, 'x-okta-request-id')
  const base = { method: ctx.method, path: ctx.path, status: res.status, requestId, attempts: ctx.attempt }
  const decoded = decodeBody(res.body, header(res.headers, 'content-encoding') ?? undefined, ctx.maxResponseBytes)

  if (res.status >= 200 && res.status < 300) {
    if (!decoded.ok) return { kind: 'fail', error: new OktaResponseError({ ...base, reason: decoded.reason }) }
    if (decoded.text.length === 0) return { kind: 'ok', json: null }
    try {
      return { kind: 'ok', json: parseJson(decoded.text) }
    } catch (err) {
      // Usually a body cut short by a proxy or a reset: worth another attempt.
      const reason = `invalid JSON body (${decoded.text.length} bytes): ${err instanceof Error ? err.message : String(err)}`
      return { kind: 'retry', error: new OktaResponseError({ ...base, retryable: true, reason }), after: { kind: 'backoff' } }
    }
  }

  if (res.status >= 300 && res.status < 400) {
    return { kind: 'fail', error: new OktaRedirectError({ ...base, location: header(res.headers, 'location') }) }
  }

  const body = readErrorBody(decoded.ok ? decoded.text : '')
  const init = { ...base, errorCode: body.errorCode, errorSummary: body.errorSummary }

  if (ctx.tokenEndpoint && res.status >= 400 && res.status < 500 && res.status !== 429) {
    return { kind: 'token-answer', json: decoded.ok ? lenientJson(decoded.text) : null }
  }
  if (res.status === 401) return { kind: 'unauthorized', error: new OktaAuthError(init) }
  if (res.status === 403) return { kind: 'fail', error: new OktaAuthError({ ...init, missingScope: missingScope(res.headers) }) }
  if (!isRetryableStatus(res.status)) return { kind: 'fail', error: new OktaApiError({ ...init, retryable: false }) }

  if (res.status === 429) {
    const rate = readRateLimitHeaders(res.headers)
    // Okta reports the concurrent-request limit as `X-Rate-Limit-Limit: 0`.
    const concurrency = rate.limit === 0
    const error = new OktaRateLimitError({ ...init, concurrency })
    if (concurrency || rate.reset === null) return { kind: 'retry', error, after: { kind: 'backoff' }, rateLimited: concurrency ? 'concurrency' : 'window' }
    return { kind: 'retry', error, after: { kind: 'reset', rate }, rateLimited: 'window' }
  }
  const error = new OktaApiError({ ...init, retryable: true })
  const asked = retryAfterMs(res.headers['retry-after'], ctx.now)
  return { kind: 'retry', error, after: asked === null ? { kind: 'backoff' } : { kind: 'at-least', ms: asked } }
}

function lenientJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}

export function header(headers: ClassifiedResponse['headers'], name: string): string | null {
  const v = headers[name]
  return (Array.isArray(v) ? v[0] : v) ?? null
}

/** Okta's error shape (`errorCode`/`errorSummary`) or OAuth's (`error`/`error_description`); tolerant of anything else. */
function readErrorBody(text: string): { errorCode: string | null; errorSummary: string | null } {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return { errorCode: null, errorSummary: null }
  }
  if (typeof body !== 'object' || body === null) return { errorCode: null, errorSummary: null }
  const b = body as Record<string, unknown>
  const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null)
  return {
    errorCode: str(b['errorCode']) ?? str(b['error']),
    errorSummary: str(b['errorSummary']) ?? str(b['error_description']),
  }
}

/** The scope named in a 403's `WWW-Authenticate: Bearer … scope="okta.users.read", error="insufficient_scope"`. */
function missingScope(headers: ClassifiedResponse['headers']): string | null {
  const v = headers['www-authenticate']
  const text = Array.isArray(v) ? v.join(', ') : v
  if (text === undefined) return null
  const m = /\bscope="([^"]*)"/i.exec(text)
  return m?.[1] ? m[1] : null
}
