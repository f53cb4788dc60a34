/**
 * The bundled Okta simulator: `startSimulator()` generates a seeded org and serves it over HTTP
 * like Okta's Management API (../shared/okta-api.md). Used by `okta-elt simulate` and `demo`, the
 * tests and the benchmarks.
 */
import { OrgClock } from './clock.ts'
import { FaultInjector } from './faults.ts'
import { OAuthServer } from './oauth.ts'
import { createContext, resolveSize } from './org-generator.ts'
import { OrgStore } from './org-store.ts'
import { hex } from './random.ts'
import { RateLimiter } from './rate-limiter.ts'
import { SimHttpServer } from './server.ts'
import type { BucketName, RecordedRequest, Simulator, SimulatorOptions } from './types.ts'

export type * from './types.ts'
export { OKTA_DEFAULT_RATE_LIMITS, UNLIMITED } from './rate-limiter.ts'
export { resolveSize } from './org-generator.ts'

/** Starts a simulator on loopback (any free port unless `port` is given). */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const seed = opts.seed ?? 1
  const clock = new OrgClock(opts.now)
  const size = resolveSize(opts.size)
  // Exactly `now` when given (not the clock a millisecond later): same seed + same now = the same org, to the millisecond.
  const ctx = createContext(seed, size, opts.now?.getTime() ?? clock.nowMs())
  const store = new OrgStore(ctx, clock)
  const token = opts.token ?? `00${hex(seed, 0, 9001, 8)}${hex(seed, 1, 9002, 8)}${hex(seed, 2, 9003, 8)}${hex(seed, 3, 9004, 8)}${hex(seed, 4, 9005, 8)}`
  const apiTokens = new Map<string, Set<string> | null>([[token, null]])
  for (const [t, scopes] of Object.entries(opts.scopedTokens ?? {})) apiTokens.set(t, new Set(scopes))
  const limiter = new RateLimiter(opts.rateLimits, opts.rateLimitWindowMs ?? 60_000)
  const faults = new FaultInjector()
  const oauth = new OAuthServer(opts.oauthClients ?? [], opts.accessTokenTtlSeconds ?? 3600, opts.dpop)
  const requests: RecordedRequest[] = []
  const server = new SimHttpServer({
    store,
    limiter,
    faults,
    oauth,
    apiTokens,
    requests,
    concurrencyLimit: opts.concurrencyLimit,
    serverClockSkewMs: opts.serverClockSkewMs ?? 0,
    latencyMs: opts.latencyMs ?? 0,
  })
  const url = await server.listen(opts.host ?? '127.0.0.1', opts.port ?? 0)
  store.baseUrl = url
  return {
    url,
    token,
    clock,
    org: store,
    faults,
    get requests() {
      return requests
    },
    clearRequests() {
      requests.length = 0
    },
    setRateLimits(limits: Partial<Record<BucketName, number>> | false, windowMs?: number) {
      limiter.set(limits, windowMs)
    },
    expireAccessTokens() {
      oauth.expireAll()
    },
    rotateDpopNonce() {
      oauth.rotateDpopNonce()
    },
    close: () => server.close(),
  }
}
