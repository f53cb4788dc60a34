/**
 * The simulator's HTTP front: node:http with keep-alive. Every request goes through the same
 * pipeline (concurrency limit → injected fault → rate limit → latency → auth and scope → route),
 * and every response carries `X-Okta-Request-Id`, `Date` and the `X-Rate-Limit-*` headers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ApiError, oktaError, type ApiResponse } from './api-response.ts'
import type { FaultInjector } from './faults.ts'
import type { OAuthServer } from './oauth.ts'
import type { OrgStore } from './org-store.ts'
import type { BucketState, RateLimiter } from './rate-limiter.ts'
import { bucketOf, routeOf } from './router.ts'
import type { FaultKind, RecordedRequest } from './types.ts'

export interface ServerDeps {
  store: OrgStore
  limiter: RateLimiter
  faults: FaultInjector
  oauth: OAuthServer
  /** SSWS tokens → granted scopes (`null`: every scope). */
  apiTokens: Map<string, Set<string> | null>
  requests: RecordedRequest[]
  concurrencyLimit: number | undefined
  serverClockSkewMs: number
  latencyMs: number
}

const RATE_LIMITED = 'API call exceeded rate limit due to too many requests.'
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

let requestCounter = 0
function requestId(): string {
  requestCounter = (requestCounter + 1) % 0x7fffffff
  return `sim${Date.now().toString(36)}${requestCounter.toString(36).padStart(6, '0')}`
}

/** `shape` fault: the first record's `profile` becomes a boolean and one object field a string. */
function mangle(body: unknown): unknown {
  const first = Array.isArray(body) ? body[0] : body
  if (first === null || typeof first !== 'object') return body
  const copy = JSON.parse(JSON.stringify(first)) as Record<string, unknown>
  if ('profile' in copy) copy.profile = true
  const key = Object.keys(copy).find((k) => k !== 'profile' && copy[k] !== null && typeof copy[k] === 'object' && !Array.isArray(copy[k]))
  if (key !== undefined) copy[key] = JSON.stringify(copy[key])
  return Array.isArray(body) ? [copy, ...body.slice(1)] : copy
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

export class SimHttpServer {
  readonly #deps: ServerDeps
  readonly #server: Server
  #inflight = 0
  #url = ''

  constructor(deps: ServerDeps) {
    this.#deps = deps
    this.#server = createServer({ keepAlive: true }, (req, res) => {
      this.#handle(req, res).catch(() => {
        if (!res.headersSent) res.destroy()
      })
    })
    this.#server.keepAliveTimeout = 30_000
  }

  get url(): string {
    return this.#url
  }

  async listen(host: string, port: number): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen(port, host, () => resolve())
    })
    const addr = this.#server.address() as AddressInfo
    const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host
    this.#url = `http://${shownHost}:${addr.port}`
    return this.#url
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve())
      this.#server.closeAllConnections()
    })
  }

  #headers(bucket: BucketState | null): Record<string, string> {
    const now = Date.now()
    const skew = this.#deps.serverClockSkewMs
    const h: Record<string, string> = {
      'content-type': 'application/json',
      'x-okta-request-id': requestId(),
      date: new Date(now + skew).toUTCString(),
    }
    if (bucket) {
      h['x-rate-limit-limit'] = String(bucket.limit)
      h['x-rate-limit-remaining'] = String(bucket.remaining)
      h['x-rate-limit-reset'] = String(Math.ceil((bucket.resetAt + skew) / 1000))
    }
    return h
  }

  #send(res: ServerResponse, rec: RecordedRequest, response: ApiResponse, bucket: BucketState | null, fault?: FaultKind): void {
    const body = fault === 'shape' ? mangle(response.body) : response.body
    const payload = Buffer.from(body === undefined ? '' : JSON.stringify(body))
    const headers: Record<string, string | string[]> = { ...this.#headers(bucket), ...response.headers }
    if (response.links) headers.link = response.links
    headers['content-length'] = String(payload.length)
    rec.status = response.status
    const oauthCode = (body as { error?: unknown } | null)?.error
    if (typeof oauthCode === 'string') rec.oauthError = oauthCode
    res.writeHead(response.status, headers)
    if (fault === 'truncate') {
      // Half the body, then the connection ends: the client sees a premature close.
      res.write(payload.subarray(0, Math.floor(payload.length / 2)), () => res.destroy())
      return
    }
    res.end(payload)
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const deps = this.#deps
    const at = Date.now()
    const method = req.method ?? 'GET'
    const rawUrl = req.url ?? '/'
    const qi = rawUrl.indexOf('?')
    const path = qi === -1 ? rawUrl : rawUrl.slice(0, qi)
    const query = new URLSearchParams(qi === -1 ? '' : rawUrl.slice(qi + 1))
    const bucket = bucketOf(path)
    const rec: RecordedRequest = { method, url: rawUrl, path, bucket, status: 0, at }
    deps.requests.push(rec)
    this.#inflight++
    res.once('close', () => {
      this.#inflight--
    })
    const base = req.headers.host ? `http://${req.headers.host}` : this.#url
    const body = method === 'POST' ? await readBody(req) : ''

    if (deps.concurrencyLimit !== undefined && this.#inflight > deps.concurrencyLimit) {
      const resetAt = Date.now() + 1000
      this.#send(res, rec, oktaError(429, 'E0000047', RATE_LIMITED), { limit: 0, remaining: 0, resetAt })
      return
    }

    const fault = deps.faults.match(path)
    if (fault) {
      rec.fault = fault.kind
      const state = deps.limiter.peek(bucket, Date.now())
      switch (fault.kind) {
        case 'rate_limit':
          this.#send(res, rec, oktaError(429, 'E0000047', RATE_LIMITED), { ...state, remaining: 0 })
          return
        case 'concurrency':
          this.#send(res, rec, oktaError(429, 'E0000047', RATE_LIMITED), { limit: 0, remaining: 0, resetAt: Date.now() + 1000 })
          return
        case 'server_error':
          this.#send(res, rec, oktaError(500, 'E0000009', 'Internal Server Error'), state)
          return
        case 'unavailable':
          this.#send(res, rec, oktaError(503, 'E0000010', 'Service is in read only mode'), state)
          return
        case 'bad_gateway': {
          // Proxies answer 502 with HTML, not an Okta error object.
          const html = Buffer.from('<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>')
          rec.status = 502
          res.writeHead(502, { ...this.#headers(state), 'content-type': 'text/html', 'content-length': String(html.length) })
          res.end(html)
          return
        }
        case 'reset':
          rec.status = 0
          req.socket.resetAndDestroy()
          return
        case 'hang':
          // Never answer; close() or the client's timeout ends the connection.
          return
        case 'slow':
          await sleep(fault.delayMs ?? 1000)
          break
        case 'truncate':
        case 'shape':
          break
      }
    }

    const taken = deps.limiter.take(bucket, Date.now())
    if (!taken.allowed) {
      this.#send(res, rec, oktaError(429, 'E0000047', RATE_LIMITED), { ...taken, remaining: 0 })
      return
    }
    if (deps.latencyMs > 0) await sleep(deps.latencyMs)
    if (res.destroyed) return

    let response: ApiResponse
    try {
      response = await this.#route(method, path, rawUrl, query, base, body, req)
    } catch (err) {
      response = err instanceof ApiError ? err.response : oktaError(500, 'E0000009', 'Internal Server Error')
    }
    // Rate-limit headers reflect the state after this request.
    this.#send(res, rec, response, deps.limiter.peek(bucket, Date.now()), fault?.kind)
  }

  async #route(method: string, path: string, rawUrl: string, query: URLSearchParams, base: string, body: string, req: IncomingMessage): Promise<ApiResponse> {
    const deps = this.#deps
    if (path === '/oauth2/v1/token') {
      if (method !== 'POST') return oktaError(405, 'E0000022', 'The endpoint does not support the provided HTTP method')
      const audiences = [...new Set([`${base}/oauth2/v1/token`, `${this.#url}/oauth2/v1/token`])]
      return deps.oauth.token(new URLSearchParams(body), audiences, req.headers['dpop'])
    }
    const route = routeOf(path)
    if (!route) return oktaError(404, 'E0000008', 'The requested path was not found')
    if (method !== 'GET') return oktaError(405, 'E0000022', 'The endpoint does not support the provided HTTP method')

    const auth = req.headers.authorization ?? ''
    const space = auth.indexOf(' ')
    const scheme = space === -1 ? auth : auth.slice(0, space)
    const credential = space === -1 ? '' : auth.slice(space + 1).trim()
    let scopes: Set<string> | null | undefined
    if (scheme === 'SSWS') scopes = deps.apiTokens.get(credential)
    else if (scheme.toLowerCase() === 'bearer' || scheme.toLowerCase() === 'dpop') {
      const access = await deps.oauth.access({ scheme, accessToken: credential, proof: req.headers['dpop'], method, htu: `${base}${path}` }, Date.now())
      if (access !== undefined && 'response' in access) return access.response
      scopes = access?.scopes
    }
    const challenge = (extra: string): string =>
      `Bearer authorization_uri="${base}/oauth2/v1/authorize", realm="${base}", ${extra}, resource="${path}"`
    if (scopes === undefined) {
      const headers = scheme.toLowerCase() === 'bearer' || scheme.toLowerCase() === 'dpop'
        ? { 'www-authenticate': challenge('error="invalid_token", error_description="The token is not valid."') }
        : undefined
      return oktaError(401, 'E0000011', 'Invalid token provided', [], headers)
    }
    if (scopes !== null && !scopes.has(route.scope)) {
      return oktaError(403, 'E0000006', 'You do not have permission to perform the requested action', [], {
        'www-authenticate': challenge(`scope="${route.scope}", error="insufficient_scope", error_description="The access token provided does not contain the required scopes."`),
      })
    }
    return route.handle({ store: deps.store, base, rawUrl, path, query })
  }
}
