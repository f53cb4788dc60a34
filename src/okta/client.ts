import { OktaEltError } from '../util/errors.ts'
import type { LogEvent } from '../util/log.ts'
import { createAuth, TOKEN_PATH, type AuthProvider, type SignedTokenRequest, type TokenReply } from './auth.ts'
import { bucketForPath } from './buckets.ts'
import { resolveClientConfig, type OktaClientConfig, type ResolvedClientConfig } from './config.ts'
import { OktaBadLinkError, OktaConfigError, OktaForeignUrlError, OktaPaginationLoopError, OktaResponseError } from './errors.ts'
import { exchange, type Exchange, type ExchangeDeps, type ExchangeResult } from './exchange.ts'
import { nextLink } from './link-header.ts'
import { resolveOnOrg, type OrgTarget } from './org-target.ts'
import { Pacer } from './pacing.ts'
import { PageGuard } from './page-guard.ts'
import { RateLimiter } from './rate-limit.ts'
import { Reachability } from './reachability.ts'
import { Transport } from './transport.ts'
import type { BucketStats, ClientStats, OktaClient, Page, PageRequest } from './types.ts'
import { WaitClock } from './wait-clock.ts'

export type { OktaClientConfig } from './config.ts'

/**
 * The Okta Management API client: paced per rate-limit bucket, bounded in flight, retried, typed
 * errors, no secrets in anything it throws or logs. HTTP only: it knows no tables and no SQL.
 * The layers: `pages` (the listing and its guard) → `exchange` (the retry loop: pacing, the auth
 * step, send, `classify`) → `Transport` (one HTTP exchange).
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
  readonly #auth: AuthProvider
  readonly #waits = new WaitClock()
  readonly #deps: ExchangeDeps
  readonly #skipped = new Map<string, number>()
  #closed = false

  constructor(config: OktaClientConfig) {
    this.#config = resolveClientConfig(config)
    this.#limiter = new RateLimiter(this.#config.rateLimitShare)
    this.#auth = createAuth(
      this.#config.auth,
      this.#config.orgUrl,
      (sign, signal) => this.#requestToken(sign, signal),
      {
        onToken: (info) => this.#log({ level: 'debug', event: 'okta.token', msg: `OAuth access token obtained (${info.tokenType === 'DPoP' ? 'DPoP-bound, ' : ''}expires in ${info.expiresInS} s)`, ...info }),
        onScopesRefused: (scopes) =>
          this.#log({ level: 'warn', event: 'okta.scopes_refused', msg: `OAuth: the service app is not granted ${scopes.join(', ')}; the resources that need ${scopes.length === 1 ? 'it' : 'them'} will fail, the others load`, scopes }),
      },
    )
    this.#transport = new Transport({
      origin: this.#config.origin,
      connections: this.#config.maxInFlight,
      timeoutMs: this.#config.requestTimeoutMs,
      maxResponseBytes: this.#config.maxResponseBytes,
    })
    this.#deps = {
      config: this.#config,
      transport: this.#transport,
      limiter: this.#limiter,
      pacer: new Pacer({
        maxInFlight: this.#config.maxInFlight,
        maxWaitMs: this.#config.maxWaitMs,
        requestTimeoutMs: this.#config.requestTimeoutMs,
        logger: this.#config.logger,
      }),
      reachability: new Reachability(this.#config.origin),
      auth: () => this.#auth,
      waits: this.#waits,
      closed: () => this.#closed,
      log: (event) => this.#log(event),
    }
  }

  /** The configured org origin, e.g. `https://acme.okta.com`. */
  get orgUrl(): string {
    return this.#config.orgUrl
  }

  async *pages<T = Record<string, unknown>>(pathOrUrl: string, opts: PageRequest = {}): AsyncIterable<Page<T>> {
    const guard = new PageGuard()
    let target: OrgTarget | null = this.#target(pathOrUrl, opts.query)
    while (target !== null) {
      const loopAt = guard.visit(target.url)
      if (loopAt !== null) throw new OktaPaginationLoopError({ method: 'GET', path: target.path, reason: loopAt })
      const res: ExchangeResult = await this.#getTarget(target, opts)
      const fail: FailContext = { method: 'GET', path: target.path, status: res.status, requestId: res.requestId }
      if (!Array.isArray(res.json)) throw new OktaResponseError({ ...fail, reason: 'a page body is not a JSON array' })
      const next = nextLink(res.headers['link'])
      // Checked before the page is handed on: a resource may checkpoint `nextUrl`, so it must be a link this client follows.
      const nextTarget: OrgTarget | null = next === null ? null : this.#nextTarget(next, target, fail)
      const page = guard.accept<T>(res.json, nextTarget !== null)
      if ('loop' in page) throw new OktaPaginationLoopError({ ...fail, reason: page.loop })
      if (page.skipped > 0) this.#skippedRecords(target, page.skipped, res.requestId)
      if (page.repeats > 0) {
        this.#log({ level: 'debug', event: 'okta.repeated_records', msg: `Okta GET ${pathOnly(target.path)}: ${page.repeats} records repeated from earlier pages of this listing, dropped`, repeats: page.repeats, requestId: res.requestId })
      }
      yield { items: page.items, url: target.url, nextUrl: nextTarget?.url ?? null, requestId: res.requestId }
      target = nextTarget
    }
  }

  async get<T = unknown>(pathOrUrl: string, opts: PageRequest = {}): Promise<T> {
    const res = await this.#getTarget(this.#target(pathOrUrl, opts.query), opts)
    return res.json as T
  }

  stats(): ClientStats {
    const buckets: Record<string, BucketStats> = {}
    const total: BucketStats = { requests: 0, retries: 0, rateLimited: 0, concurrencyLimited: 0, waitMs: this.#waits.totalMs, limit: null, skippedRecords: 0 }
    for (const b of this.#limiter.all()) {
      const s = { ...b.snapshot(), skippedRecords: this.#skipped.get(b.name) ?? 0 }
      buckets[b.name] = s
      total.requests += s.requests
      total.retries += s.retries
      total.rateLimited += s.rateLimited
      total.concurrencyLimited += s.concurrencyLimited
      total.skippedRecords = (total.skippedRecords ?? 0) + (s.skippedRecords ?? 0)
    }
    return { total, buckets }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#transport.close()
  }

  /** One authenticated GET on the org, paced in its path's bucket. */
  #getTarget(target: OrgTarget, opts: PageRequest): Promise<ExchangeResult> {
    return this.#exchange({
      method: 'GET',
      url: target.url,
      path: target.path,
      bucket: bucketForPath(target.path),
      auth: true,
      signal: opts.signal,
      waits: opts.waits,
    })
  }

  #exchange(x: Exchange): Promise<ExchangeResult> {
    if (this.#closed) return Promise.reject(closedError())
    return exchange(this.#deps, x)
  }

  /** A caller's path (+ query) or absolute URL on the org; refuses any other origin. */
  #target(pathOrUrl: string, query?: PageRequest['query']): OrgTarget {
    const origin = this.#config.origin
    if (!pathOrUrl.startsWith('/') && !/^https?:\/\//i.test(pathOrUrl)) {
      throw new OktaConfigError('pathOrUrl', 'must be a path starting with / or an absolute URL on the org')
    }
    const resolved = resolveOnOrg(pathOrUrl, origin)
    if (!resolved.ok) {
      if (resolved.foreign) throw new OktaForeignUrlError(pathOrUrl, origin)
      throw new OktaConfigError('pathOrUrl', resolved.reason)
    }
    const qs = encodeQuery(query)
    if (!qs) return resolved.target
    const path = resolved.target.path + (resolved.target.path.includes('?') ? '&' : '?') + qs
    return { url: origin + path, path }
  }

  /** The page's `next` link as a target, or the server fault it is. */
  #nextTarget(link: string, from: OrgTarget, fail: FailContext): OrgTarget {
    const resolved = resolveOnOrg(link, this.#config.origin, from.url)
    if (!resolved.ok) throw new OktaBadLinkError({ ...fail, link, reason: resolved.reason })
    return resolved.target
  }

  #skippedRecords(target: OrgTarget, count: number, requestId: string | null): void {
    const bucket = bucketForPath(target.path)
    this.#skipped.set(bucket, (this.#skipped.get(bucket) ?? 0) + count)
    this.#log({
      level: 'warn',
      event: 'okta.skipped_records',
      msg: `Okta GET ${pathOnly(target.path)}: skipped ${count} page item${count === 1 ? '' : 's'} that ${count === 1 ? 'is' : 'are'} not a JSON object (e.g. null)${requestId ? ` (request id ${requestId})` : ''}`,
      bucket,
      skipped: count,
      requestId,
    })
  }

  /** The token call: `sign` runs before every attempt (a single-use assertion, a fresh DPoP proof). */
  async #requestToken(sign: () => Promise<SignedTokenRequest>, signal?: AbortSignal): Promise<TokenReply> {
    return this.#exchange({
      method: 'POST',
      url: this.#config.origin + TOKEN_PATH,
      path: TOKEN_PATH,
      bucket: 'token',
      sign,
      contentType: 'application/x-www-form-urlencoded',
      auth: false,
      signal,
    })
  }

  #log(event: LogEvent): void {
    this.#config.logger?.(event)
  }
}

/** What a listing's errors name about the page at fault. */
interface FailContext {
  method: string
  path: string
  status: number
  requestId: string | null
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

function pathOnly(path: string): string {
  const q = path.indexOf('?')
  return q === -1 ? path : path.slice(0, q)
}
