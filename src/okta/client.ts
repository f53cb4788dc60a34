import type { BucketName } from '../simulator/types.ts'
import { OktaEltError } from '../util/errors.ts'
import type { LogEvent } from '../util/log.ts'
import { createAuth, TOKEN_PATH, type AuthProvider, type SignedTokenRequest, type TokenReply } from './auth.ts'
import { bucketForPath } from './buckets.ts'
import { resolveClientConfig, type OktaClientConfig, type ResolvedClientConfig } from './config.ts'
import {
  OktaApiError,
  OktaAuthError,
  OktaConfigError,
  OktaForeignUrlError,
  OktaNetworkError,
  OktaRateLimitError,
  OktaRequestError,
  OktaResponseError,
  OktaTimeoutError,
} from './errors.ts'
import { parseJson } from './json.ts'
import { nextLink } from './link-header.ts'
import { RateLimiter, readRateLimitHeaders, WAIT_FOR_RESPONSE, type RateLimitBucket } from './rate-limit.ts'
import { backoffDelay, isRetryableNetworkCode, isRetryableStatus, resetJitter, retryAfterMs } from './retry.ts'
import { Semaphore } from './semaphore.ts'
import { Transport, TransportFailure, type TransportResponse } from './transport.ts'
import type { BucketStats, ClientStats, OktaClient, Page, PageRequest } from './types.ts'

export type { OktaClientConfig } from './config.ts'

/** One request as the retry loop sees it. */
interface Exchange {
  method: 'GET' | 'POST'
  /** Absolute URL (for `Page.url`). */
  url: string
  /** Path + query as sent, verbatim. */
  path: string
  bucket: BucketName
  body?: string
  contentType?: string
  /** Send the API credential (false for the token endpoint itself). */
  auth: boolean
  /** Body and extra headers signed afresh for every attempt (the token request: single-use assertion and proof). */
  sign?: () => Promise<SignedTokenRequest>
  signal?: AbortSignal
}

interface ExchangeResult {
  status: number
  headers: TransportResponse['headers']
  json: unknown
  requestId: string | null
}

/**
 * The Okta Management API client: paced per rate-limit bucket, bounded in flight, retried, typed
 * errors, no secrets in anything it throws or logs. HTTP only: it knows no tables and no SQL.
 *
 * @example
 * const client = new OktaHttpClient({ orgUrl: 'https://acme.okta.com', auth: { type: 'ssws', token } })
 * for await (const page of client.pages('/api/v1/users', { query: { limit: 200 } })) console.log(page.items.length)
 * await client.close()
 */
export class OktaHttpClient implements OktaClient {
  readonly #config: ResolvedClientConfig
  readonly #transport: Transport
  readonly #limiter: RateLimiter
  readonly #slots: Semaphore
  readonly #auth: AuthProvider
  #closed = false

  constructor(config: OktaClientConfig) {
    this.#config = resolveClientConfig(config)
    this.#limiter = new RateLimiter(this.#config.rateLimitShare)
    this.#slots = new Semaphore(this.#config.maxInFlight)
    this.#auth = createAuth(
      this.#config.auth,
      this.#config.orgUrl,
      (sign, signal) => this.#requestToken(sign, signal),
      (info) => this.#log({ level: 'debug', event: 'okta.token', msg: `OAuth access token obtained (${info.tokenType === 'DPoP' ? 'DPoP-bound, ' : ''}expires in ${info.expiresInS} s)`, ...info }),
    )
    this.#transport = new Transport({
      origin: this.#config.origin,
      connections: this.#config.maxInFlight,
      timeoutMs: this.#config.requestTimeoutMs,
      maxResponseBytes: this.#config.maxResponseBytes,
    })
  }

  /** The configured org origin, e.g. `https://acme.okta.com`. */
  get orgUrl(): string {
    return this.#config.orgUrl
  }

  async *pages<T = Record<string, unknown>>(pathOrUrl: string, opts: PageRequest = {}): AsyncIterable<Page<T>> {
    let target: { url: string; path: string } | null = this.#target(pathOrUrl, opts.query)
    while (target !== null) {
      const res = await this.#getTarget(target, opts.signal)
      if (!Array.isArray(res.json)) {
        throw new OktaResponseError({
          method: 'GET',
          path: target.path,
          status: res.status,
          requestId: res.requestId,
          reason: 'a page body is not a JSON array',
        })
      }
      const next = nextLink(res.headers['link'])
      const nextTarget: { url: string; path: string } | null = next === null ? null : this.#target(absolute(next, target.url))
      yield { items: res.json as T[], url: target.url, nextUrl: nextTarget?.url ?? null, requestId: res.requestId }
      target = nextTarget
    }
  }

  async get<T = unknown>(pathOrUrl: string, opts: PageRequest = {}): Promise<T> {
    const res = await this.#getTarget(this.#target(pathOrUrl, opts.query), opts.signal)
    return res.json as T
  }

  /** One authenticated GET on the org, paced in its path's bucket. */
  #getTarget(target: { url: string; path: string }, signal: AbortSignal | undefined) {
    return this.#exchange({
      method: 'GET',
      url: target.url,
      path: target.path,
      bucket: bucketForPath(target.path),
      auth: true,
      ...(signal === undefined ? {} : { signal }),
    })
  }

  stats(): ClientStats {
    const buckets: Record<string, BucketStats> = {}
    const total: BucketStats = { requests: 0, retries: 0, rateLimited: 0, concurrencyLimited: 0, waitMs: 0, limit: null }
    for (const b of this.#limiter.all()) {
      buckets[b.name] = { ...b.stats }
      total.requests += b.stats.requests
      total.retries += b.stats.retries
      total.rateLimited += b.stats.rateLimited
      total.concurrencyLimited += b.stats.concurrencyLimited
      total.waitMs += b.stats.waitMs
    }
    return { total, buckets }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#transport.close()
  }

  /** Resolves a path (+ query) or an absolute URL on the org; refuses any other origin. */
  #target(pathOrUrl: string, query?: PageRequest['query']): { url: string; path: string } {
    const origin = this.#config.origin
    let path: string
    if (pathOrUrl.startsWith('/') && !pathOrUrl.startsWith('//')) {
      path = pathOrUrl
    } else if (/^https?:\/\//i.test(pathOrUrl)) {
      let parsed: URL
      try {
        parsed = new URL(pathOrUrl)
      } catch {
        throw new OktaForeignUrlError(pathOrUrl, origin)
      }
      if (parsed.origin !== origin || parsed.username || parsed.password) throw new OktaForeignUrlError(pathOrUrl, origin)
      // Keep the path and query exactly as Okta wrote them (no re-encoding): `next` is opaque.
      const afterScheme = pathOrUrl.indexOf('//') + 2
      const slash = pathOrUrl.indexOf('/', afterScheme)
      const question = pathOrUrl.indexOf('?', afterScheme)
      if (slash === -1 || (question !== -1 && question < slash)) path = '/' + (question === -1 ? '' : pathOrUrl.slice(question))
      else path = pathOrUrl.slice(slash)
    } else {
      throw new OktaConfigError('pathOrUrl', 'must be a path starting with / or an absolute URL on the org')
    }
    const hash = path.indexOf('#')
    if (hash !== -1) path = path.slice(0, hash)
    const qs = encodeQuery(query)
    if (qs) path += (path.includes('?') ? '&' : '?') + qs
    return { url: origin + path, path }
  }

  async #requestToken(sign: () => Promise<SignedTokenRequest>, signal?: AbortSignal): Promise<TokenReply> {
    return this.#exchange({
      method: 'POST',
      url: this.#config.origin + TOKEN_PATH,
      path: TOKEN_PATH,
      bucket: 'token',
      sign,
      contentType: 'application/x-www-form-urlencoded',
      auth: false,
      ...(signal === undefined ? {} : { signal }),
    })
  }

  /**
   * The retry loop around one logical request: credential, pacing, in-flight slot, send, classify.
   * Waits (pacing and backoff) count in the bucket's `waitMs`.
   */
  async #exchange(x: Exchange): Promise<ExchangeResult> {
    if (this.#closed) throw closedError()
    const bucket = this.#limiter.bucket(x.bucket)
    const { maxRetries } = this.#config
    let attempt = 0
    let authRetried = false
    let previousRequestId: string | null = null

    for (;;) {
      if (this.#closed) throw closedError()
      attempt++
      const credentials = x.auth ? await this.#auth.headersFor({ method: x.method, url: x.url }, x.signal) : null
      const signed = x.sign === undefined ? null : await x.sign()
      const release = await this.#pace(bucket, x.signal)
      const headers: Record<string, string> = {
        accept: 'application/json',
        'user-agent': this.#config.userAgent,
        ...credentials,
        ...signed?.headers,
      }
      if (x.contentType !== undefined) headers['content-type'] = x.contentType
      if (attempt > 1 && previousRequestId !== null) {
        // What Okta's own SDK sends, so support can correlate retries.
        headers['x-okta-retry-for'] = previousRequestId
        headers['x-okta-retry-count'] = String(attempt - 1)
      }

      let res: TransportResponse | null = null
      let failure: OktaRequestError | null = null
      let delay = 0
      let requestId: string | null = null
      const sentAt = Date.now()
      try {
        res = await this.#transport.send({
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
        const base = { method: x.method, path: x.path, status: err.status, attempts: attempt, cause: err.cause }
        failure =
          err.kind === 'timeout'
            ? new OktaTimeoutError({ ...base, timeoutMs: this.#config.requestTimeoutMs })
            : new OktaNetworkError({ ...base, networkCode: err.networkCode, reason: err.message })
        // A truncated body is a failure mid-stream: the server did respond, so its headers count.
        bucket.finish(err.headers === null ? null : readRateLimitHeaders(err.headers), sentAt, Date.now())
        release()
        if (failure instanceof OktaNetworkError && !isRetryableNetworkCode(failure.networkCode) && err.status === null) throw failure
        delay = this.#backoff(attempt)
      }

      if (res !== null) {
        const rate = readRateLimitHeaders(res.headers)
        bucket.finish(rate, res.sentAt, res.receivedAt)
        release()
        requestId = header(res.headers, 'x-okta-request-id')
        const base = { method: x.method, path: x.path, status: res.status, requestId, attempts: attempt }

        if (res.status >= 200 && res.status < 300) {
          try {
            const json = res.text.length === 0 ? null : parseJson(res.text)
            return { status: res.status, headers: res.headers, json, requestId }
          } catch (err) {
            failure = new OktaResponseError({
              ...base,
              retryable: true,
              reason: `invalid JSON body (${res.text.length} bytes): ${err instanceof Error ? err.message : String(err)}`,
            })
            delay = this.#backoff(attempt)
          }
        } else {
          const body = readErrorBody(res.text)
          const errInit = { ...base, errorCode: body.errorCode, errorSummary: body.errorSummary }

          if (x.bucket === 'token' && res.status >= 400 && res.status < 500 && res.status !== 429) {
            // The token endpoint's OAuth errors are the auth step's to read (DPoP's nonce handshake among them).
            return { status: res.status, headers: res.headers, json: lenientJson(res.text), requestId }
          }
          if (res.status === 401 && credentials !== null && !authRetried && this.#auth.onUnauthorized(credentials, res.headers)) {
            // An expired or revoked OAuth token, or a DPoP nonce challenge: fresh headers, one more try.
            authRetried = true
            attempt--
            bucket.stats.retries++
            this.#log({ level: 'info', event: 'okta.token_rejected', msg: `Okta ${x.method} ${pathOnly(x.path)}: access token rejected (401), refreshing`, bucket: x.bucket, status: 401, errorCode: body.errorCode, requestId })
            continue
          }
          if (res.status === 401 || res.status === 403) {
            throw new OktaAuthError({ ...errInit, missingScope: res.status === 403 ? missingScope(res.headers) : null })
          }
          if (!isRetryableStatus(res.status)) throw new OktaApiError({ ...errInit, retryable: false })

          if (res.status === 429) {
            const concurrency = rate.limit === 0
            failure = new OktaRateLimitError({ ...errInit, concurrency })
            if (concurrency) {
              bucket.stats.concurrencyLimited++
              delay = this.#backoff(attempt)
            } else {
              bucket.stats.rateLimited++
              const resetAt = bucket.resetLocalOf(rate)
              if (resetAt === null) delay = this.#backoff(attempt)
              else bucket.block(resetAt + resetJitter())
            }
            this.#log({
              level: 'warn',
              event: 'okta.rate_limited',
              msg: `Okta ${x.method} ${pathOnly(x.path)}: 429 ${concurrency ? 'concurrent request limit' : (body.errorCode ?? 'rate limit')}${requestId ? ` (request id ${requestId})` : ''}`,
              bucket: x.bucket,
              status: 429,
              errorCode: body.errorCode,
              requestId,
              concurrency,
              limit: rate.limit,
              remaining: rate.remaining,
            })
          } else {
            failure = new OktaApiError({ ...errInit, retryable: true })
            delay = Math.max(this.#backoff(attempt), Math.min(retryAfterMs(res.headers['retry-after'], Date.now()) ?? 0, this.#config.retryMaxDelayMs))
          }
        }
      }

      // Every path reaching here set `failure`; the others returned or threw.
      if (failure === null) throw new Error('okta client: retry loop reached without a failure')
      if (attempt > maxRetries) throw failure
      bucket.stats.retries++
      this.#log({
        level: 'warn',
        event: 'okta.retry',
        msg: `${failure.message}; retry ${attempt} of ${maxRetries}${delay > 0 ? ` in ${delay} ms` : ''}`,
        bucket: x.bucket,
        status: failure.status,
        errorCode: failure.errorCode,
        requestId: failure.requestId,
        attempt,
        delayMs: delay,
      })
      if (delay > 0) {
        const t0 = Date.now()
        await sleep(delay, x.signal)
        bucket.stats.waitMs += Date.now() - t0
      }
      previousRequestId = requestId ?? previousRequestId
    }
  }

  /**
   * Waits until the bucket lets a request go and an in-flight slot is free. The slot is taken
   * first and the bucket asked synchronously, so a permit is never granted to a request that then
   * sits in the slot queue; a request that must wait gives its slot back, so one exhausted bucket
   * never blocks the others.
   */
  async #pace(bucket: RateLimitBucket, signal?: AbortSignal): Promise<() => void> {
    let waited = 0
    for (;;) {
      const release = await this.#slots.acquire(signal)
      const wait = bucket.reserve(Date.now())
      if (wait === 0) {
        if (waited > 0) {
          bucket.stats.waitMs += waited
          if (waited >= 1000) {
            this.#log({ level: 'info', event: 'okta.wait', msg: `Waited ${waited} ms for Okta rate-limit bucket ${bucket.name}`, bucket: bucket.name, waitMs: waited, limit: bucket.stats.limit })
          }
        }
        return release
      }
      release()
      const t0 = Date.now()
      await bucket.waitForChange(wait === WAIT_FOR_RESPONSE ? this.#config.requestTimeoutMs : wait, signal)
      waited += Date.now() - t0
    }
  }

  #backoff(attempt: number): number {
    return backoffDelay(attempt, { baseMs: this.#config.retryBaseDelayMs, maxMs: this.#config.retryMaxDelayMs })
  }

  #log(event: LogEvent): void {
    this.#config.logger?.(event)
  }
}

function closedError(): OktaEltError {
  return new OktaEltError('ERR_OKTA_CLIENT_CLOSED', 'The Okta client is closed')
}

function encodeQuery(query: PageRequest['query']): string {
  if (query === undefined) return ''
  const parts: string[] = []
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue
    // %20 rather than URLSearchParams' `+`: Okta's filter/search examples are encoded that way.
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
  }
  return parts.join('&')
}

function absolute(link: string, base: string): string {
  return /^https?:\/\//i.test(link) ? link : new URL(link, base).toString()
}

function header(headers: TransportResponse['headers'], name: string): string | null {
  const v = headers[name]
  return (Array.isArray(v) ? v[0] : v) ?? null
}

function pathOnly(path: string): string {
  const q = path.indexOf('?')
  return q === -1 ? path : path.slice(0, q)
}

function lenientJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
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
function missingScope(headers: TransportResponse['headers']): string | null {
  const v = headers['www-authenticate']
  const text = Array.isArray(v) ? v.join(', ') : v
  if (text === undefined) return null
  const m = /\bscope="([^"]*)"/i.exec(text)
  return m?.[1] ? m[1] : null
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
