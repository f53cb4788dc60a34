import { OktaEltError } from '../util/errors.ts'
import type { LogEvent } from '../util/log.ts'
import { credentialHeaders, mayRetryUnauthorized } from './auth-step.ts'
import { dpopChallengeError, NONCE_RETRIES, type AuthProvider, type SignedTokenRequest } from './auth.ts'
import type { BucketName } from './buckets.ts'
import { classify, header, type RetryAfter } from './classify.ts'
import type { ResolvedClientConfig } from './config.ts'
import { OktaNetworkError, OktaTimeoutError, type OktaRequestError } from './errors.ts'
import type { Pacer, WaitContext } from './pacing.ts'
import { readRateLimitHeaders, type RateLimiter } from './rate-limit.ts'
import type { Reachability } from './reachability.ts'
import { backoffDelay, isRetryableNetworkCode, resetJitter } from './retry.ts'
import { Transport, TransportFailure, type TransportResponse } from './transport.ts'
import type { WaitClock } from './wait-clock.ts'

/** One logical request as the retry loop sees it. */
export interface Exchange {
  method: 'GET' | 'POST'
  /** Absolute URL (for `Page.url`, and what the auth step binds a credential to). */
  url: string
  /** Path + query as sent, verbatim. */
  path: string
  bucket: BucketName
  body?: string
  contentType?: string
  /** Send the API credential (false for the token endpoint itself). */
  auth: boolean
  /** Body and extra headers signed afresh for every attempt (the token request: single-use assertion and DPoP proof). */
  sign?: () => Promise<SignedTokenRequest>
  signal?: AbortSignal | undefined
  /** The caller's wait clock (a resource's "waited"), run alongside the bucket's and the client's. */
  waits?: WaitClock | undefined
}

export interface ExchangeResult {
  status: number
  headers: TransportResponse['headers']
  json: unknown
  requestId: string | null
}

export interface ExchangeDeps {
  config: ResolvedClientConfig
  transport: Transport
  limiter: RateLimiter
  pacer: Pacer
  reachability: Reachability
  auth: () => AuthProvider
  /** The client-wide wait clock. */
  waits: WaitClock
  closed: () => boolean
  log: (event: LogEvent) => void
}

type Attempt =
  | { kind: 'done'; result: ExchangeResult }
  | { kind: 'retry'; failure: OktaRequestError; after: RetryAfter; requestId: string | null }
  /** The credential was refreshed: try again at once, not counted as a retry attempt. */
  | { kind: 'reauth' }

/**
 * The retry loop around one logical request, in the order undici's retry handler layers it:
 * pacing (bucket + in-flight slot), the auth step, one send, `classify`, then act on the
 * verdict: return, refresh the credential once, pause and try again, or throw.
 */
export async function exchange(deps: ExchangeDeps, x: Exchange): Promise<ExchangeResult> {
  const { config } = deps
  const bucket = deps.limiter.bucket(x.bucket)
  const wait: WaitContext = { method: x.method, path: x.path, bucket, clocks: [bucket.waits, deps.waits, x.waits], signal: x.signal }
  const backoff = (n: number): number => backoffDelay(n, { baseMs: config.retryBaseDelayMs, maxMs: config.retryMaxDelayMs })
  let attempt = 0
  let authRetries = 0
  let previousRequestId: string | null = null

  for (;;) {
    if (deps.closed()) throw closedError()
    deps.reachability.check()
    attempt++
    const outcome = await attemptOnce(deps, x, wait, attempt, previousRequestId, authRetries)
    if (outcome.kind === 'done') return outcome.result
    if (outcome.kind === 'reauth') {
      authRetries++
      attempt--
      bucket.stats.retries++
      continue
    }
    const { failure, after } = outcome
    previousRequestId = outcome.requestId ?? previousRequestId
    // A 429's reset holds every request of the bucket (retried or not); the next admit waits for it, capped.
    const resetAt = after.kind === 'reset' ? bucket.resetLocalOf(after.rate) : null
    if (resetAt !== null) bucket.block(resetAt + resetJitter())
    if (attempt > config.maxRetries) throw failure
    let delay = 0
    if (after.kind === 'reset') {
      if (resetAt === null) delay = backoff(attempt)
    } else if (after.kind === 'at-least') {
      delay = Math.max(backoff(attempt), Math.min(after.ms, config.retryMaxDelayMs))
    } else {
      delay = backoff(attempt)
    }
    bucket.stats.retries++
    deps.log({
      level: 'warn',
      event: 'okta.retry',
      msg: `${failure.message}; retry ${attempt} of ${config.maxRetries}${delay > 0 ? ` in ${delay} ms` : ''}`,
      bucket: x.bucket,
      status: failure.status,
      errorCode: failure.errorCode,
      requestId: failure.requestId,
      attempt,
      delayMs: delay,
    })
    wait.last = { status: failure.status, errorCode: failure.errorCode, requestId: failure.requestId, attempts: attempt }
    await deps.pacer.pause(delay, wait)
  }
}

/** One attempt: credential, admission, send, classification. Throws what is final. */
async function attemptOnce(
  deps: ExchangeDeps,
  x: Exchange,
  wait: WaitContext,
  attempt: number,
  previousRequestId: string | null,
  authRetries: number,
): Promise<Attempt> {
  const { config, reachability } = deps
  const bucket = wait.bucket
  const credential = x.auth ? await credentialHeaders(deps.auth(), { method: x.method, url: x.url }, x.signal) : {}
  // Signed before admission: a proof's `iat` must stay within Okta's 5 minutes, and waits are capped.
  const signed = x.sign === undefined ? null : await x.sign()
  const release = await deps.pacer.admit(wait)
  try {
    // The org may have been judged unreachable while this request waited for its turn.
    reachability.check()
  } catch (err) {
    bucket.cancel()
    release()
    throw err
  }
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': config.userAgent, ...credential, ...signed?.headers }
  if (x.contentType !== undefined) headers['content-type'] = x.contentType
  if (attempt > 1 && previousRequestId !== null) {
    // What Okta's own SDK sends, so support can correlate retries.
    headers['x-okta-retry-for'] = previousRequestId
    headers['x-okta-retry-count'] = String(attempt - 1)
  }

  const sentAt = Date.now()
  let res: TransportResponse
  try {
    res = await deps.transport.send({
      method: x.method,
      path: x.path,
      headers,
      ...(signed !== null ? { body: signed.form } : x.body === undefined ? {} : { body: x.body }),
      ...(x.signal === undefined ? {} : { signal: x.signal }),
    })
  } catch (err) {
    if (!(err instanceof TransportFailure)) {
      bucket.finish(null, sentAt, Date.now())
      release()
      throw err
    }
    // A truncated body is a failure mid-stream: the server did respond, so its headers count.
    bucket.finish(err.headers === null ? null : readRateLimitHeaders(err.headers), sentAt, Date.now())
    release()
    if (err.status !== null) reachability.answered()
    const unreachable = reachability.judge(err, x, config.requestTimeoutMs)
    if (unreachable !== null) throw unreachable
    const base = { method: x.method, path: x.path, status: err.status, attempts: attempt, cause: err.cause }
    const failure =
      err.kind === 'timeout'
        ? new OktaTimeoutError({ ...base, timeoutMs: config.requestTimeoutMs })
        : new OktaNetworkError({ ...base, networkCode: err.networkCode, reason: err.message })
    // DNS failures and the like: a retry within seconds will not find the host either.
    if (failure instanceof OktaNetworkError && !isRetryableNetworkCode(failure.networkCode) && err.status === null) throw failure
    return { kind: 'retry', failure, after: { kind: 'backoff' }, requestId: null }
  }

  bucket.finish(readRateLimitHeaders(res.headers), res.sentAt, res.receivedAt)
  release()
  reachability.answered()
  const requestId = header(res.headers, 'x-okta-request-id')
  const verdict = classify(res, {
    method: x.method,
    path: x.path,
    attempt,
    tokenEndpoint: x.bucket === 'token',
    maxResponseBytes: config.maxResponseBytes,
    now: Date.now(),
  })
  switch (verdict.kind) {
    case 'ok':
    case 'token-answer':
      return { kind: 'done', result: { status: res.status, headers: res.headers, json: verdict.json, requestId } }
    case 'fail':
      throw verdict.error
    case 'unauthorized':
      // A refreshed token is tried once; a DPoP nonce challenge a few times, since the server may
      // rotate its nonce again before the retry arrives (seen under load: two challenges in a row).
      if (!x.auth || authRetries >= (dpopChallengeError(res.headers) === 'use_dpop_nonce' ? NONCE_RETRIES : 1) || !mayRetryUnauthorized(deps.auth(), credential, res.headers)) throw verdict.error
      deps.log({ level: 'info', event: 'okta.token_rejected', msg: `Okta ${x.method} ${pathOnly(x.path)}: access token rejected (401), refreshing`, bucket: x.bucket, status: 401, errorCode: verdict.error.errorCode, requestId })
      return { kind: 'reauth' }
    case 'retry': {
      if (verdict.rateLimited !== undefined) {
        const concurrency = verdict.rateLimited === 'concurrency'
        if (concurrency) bucket.stats.concurrencyLimited++
        else bucket.stats.rateLimited++
        const rate = readRateLimitHeaders(res.headers)
        deps.log({
          level: 'warn',
          event: 'okta.rate_limited',
          msg: `Okta ${x.method} ${pathOnly(x.path)}: 429 ${concurrency ? 'concurrent request limit' : (verdict.error.errorCode ?? 'rate limit')}${requestId ? ` (request id ${requestId})` : ''}`,
          bucket: x.bucket,
          status: 429,
          errorCode: verdict.error.errorCode,
          requestId,
          concurrency,
          limit: rate.limit,
          remaining: rate.remaining,
        })
      }
      return { kind: 'retry', failure: verdict.error, after: verdict.after, requestId }
    }
  }
}

function closedError(): OktaEltError {
  return new OktaEltError('ERR_OKTA_CLIENT_CLOSED', 'The Okta client is closed')
}

function pathOnly(path: string): string {
  const q = path.indexOf('?')
  return q === -1 ? path : path.slice(0, q)
}
