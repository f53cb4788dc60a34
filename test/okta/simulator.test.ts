import { exportSPKI, exportPKCS8, generateKeyPair } from 'jose'
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { OktaAuthError, OktaHttpClient, type OktaClientConfig } from '../../src/okta/index.ts'
import { startSimulator } from '../../src/simulator/index.ts'
import type { RecordedRequest, Simulator, SimulatorOptions } from '../../src/simulator/types.ts'
import { closedAfterEach, recordingLogger } from './helpers.ts'
import type { LogEvent } from '../../src/util/log.ts'

/** The Okta client against the bundled simulator, over real HTTP on loopback. */

const { track } = closedAfterEach()

async function sim(opts: SimulatorOptions): Promise<Simulator> {
  return track(await startSimulator(opts))
}

function client(s: Simulator, extra: Partial<OktaClientConfig> = {}): OktaHttpClient {
  const c = new OktaHttpClient({ orgUrl: s.url, auth: { type: 'ssws', token: s.token }, retryBaseDelayMs: 20, ...extra })
  return track(c)
}

const SMALL = { users: 230, groups: 5, apps: 3, logEvents: 20, membershipsPerUser: 1, assignmentsPerUser: 1, logDays: 1 }

async function allUsers(c: OktaHttpClient, limit: number): Promise<string[]> {
  const ids: string[] = []
  for await (const page of c.pages('/api/v1/users', { query: { limit } })) ids.push(...page.items.map((u) => String(u['id'])))
  return ids
}

describe('against the simulator', () => {
  it('pages through every user, one request per page, in the simulator’s buckets', async () => {
    const s = await sim({ size: SMALL })
    const c = client(s)
    const ids = await allUsers(c, 50)
    const listed = [...s.org.userIds()].filter((id) => s.org.getUser(id)?.['status'] !== 'DEPROVISIONED')
    expect(ids).toHaveLength(listed.length)
    expect(new Set(ids)).toEqual(new Set(listed))
    expect(s.requests).toHaveLength(Math.ceil(listed.length / 50) + (listed.length % 50 === 0 ? 1 : 0))
    expect(s.requests.every((r) => r.bucket === 'users' && r.status === 200)).toBe(true)
    expect(c.stats().buckets['users']).toMatchObject({ requests: s.requests.length, retries: 0, rateLimited: 0 })
  })

  it('OAuth: gets a token from the simulator, reuses it, and recovers when tokens are revoked mid-run', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true })
    const s = await sim({
      size: SMALL,
      oauthClients: [{ clientId: '0oaService', publicKey: await exportSPKI(publicKey), keyId: 'k1', scopes: ['okta.users.read', 'okta.groups.read'] }],
    })
    const pem = await exportPKCS8(privateKey)
    const c = client(s, { auth: { type: 'oauth', clientId: '0oaService', privateKey: pem, keyId: 'k1', scopes: ['okta.users.read', 'okta.groups.read'] } })
    const first = await allUsers(c, 100)
    await c.get('/api/v1/groups')
    const tokenCalls = (): RecordedRequest[] => s.requests.filter((r) => r.bucket === 'token')
    expect(tokenCalls()).toHaveLength(1)
    s.expireAccessTokens()
    const second = await allUsers(c, 100)
    expect(second).toEqual(first)
    expect(tokenCalls()).toHaveLength(2)
    expect(s.requests.filter((r) => r.status === 401)).toHaveLength(1)
  })

  it('an invalid SSWS token is a terminal OktaAuthError with E0000011, no retries', async () => {
    const s = await sim({ size: SMALL })
    const { logger, events } = recordingLogger()
    const c = client(s, { auth: { type: 'ssws', token: 'not-the-token-SECRET' }, logger })
    const err = await c.get('/api/v1/users').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(OktaAuthError)
    expect(err).toMatchObject({ code: 'ERR_OKTA_AUTH', status: 401, errorCode: 'E0000011', exitCode: 2 })
    expect((err as Error).message).toMatch(/^Okta GET \/api\/v1\/users failed: 401 E0000011 Invalid token provided \(request id \S+\)$/)
    expect(s.requests).toHaveLength(1)
    expect(JSON.stringify(err) + inspect(err, { depth: 10 }) + JSON.stringify(events)).not.toContain('SECRET')
  })

  it('a token without the needed scope fails naming the scope (SSWS and OAuth)', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true })
    const s = await sim({
      size: SMALL,
      scopedTokens: { 'users-only': ['okta.users.read'] },
      oauthClients: [{ clientId: 'svc', publicKey: await exportSPKI(publicKey), scopes: ['okta.users.read'] }],
    })
    const ssws = client(s, { auth: { type: 'ssws', token: 'users-only' } })
    await expect(ssws.get('/api/v1/users', { query: { limit: 1 } })).resolves.toHaveLength(1)
    const err = await ssws.get('/api/v1/logs').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(OktaAuthError)
    expect(err).toMatchObject({ status: 403, missingScope: 'okta.logs.read' })
    expect((err as Error).message).toContain('missing scope okta.logs.read')

    const oauth = client(s, { auth: { type: 'oauth', clientId: 'svc', privateKey: await exportPKCS8(privateKey), scopes: ['okta.users.read'] } })
    const err2 = await oauth.get('/api/v1/groups').catch((e: unknown) => e)
    expect(err2).toMatchObject({ code: 'ERR_OKTA_AUTH', status: 403, missingScope: 'okta.groups.read' })

    // Asking for a scope the app was never granted: Okta refuses the grant naming it; the client
    // asks again without it, so what the app may read still loads and the rest fails naming its scope.
    const events: LogEvent[] = []
    const greedy = client(s, { auth: { type: 'oauth', clientId: 'svc', privateKey: await exportPKCS8(privateKey), scopes: ['okta.users.read', 'okta.logs.read'] }, logger: (e) => events.push(e) })
    expect(await greedy.get('/api/v1/users')).toBeInstanceOf(Array)
    expect(events.find((e) => e.event === 'okta.scopes_refused')).toMatchObject({ level: 'warn', scopes: ['okta.logs.read'] })
    const err3 = await greedy.get('/api/v1/logs').catch((e: unknown) => e)
    expect(err3).toMatchObject({ code: 'ERR_OKTA_AUTH', status: 403, missingScope: 'okta.logs.read' })
  })

  it('under tight limits sends nothing beyond floor(limit × share) per simulator window: no 429s', async () => {
    const windowMs = 1500
    const s = await sim({ size: SMALL })
    s.setRateLimits({ users: 10 }, windowMs)
    const c = client(s, { maxInFlight: 4 })
    // Two extractors paging the same bucket at once, as the pipeline does.
    const [a, b] = await Promise.all([allUsers(c, 25), allUsers(c, 40)])
    expect(a.length).toBeGreaterThan(200)
    expect(b).toHaveLength(a.length)
    expect(s.requests.filter((r) => r.status === 429)).toHaveLength(0)
    // Replay the simulator's windows (they open at the first request after the previous one ended).
    const windows: number[] = []
    let end = 0
    for (const r of s.requests) {
      if (r.at >= end) {
        end = r.at + windowMs
        windows.push(0)
      }
      windows[windows.length - 1]!++
    }
    // More requests than one window allows (15 here), none beyond 9 in any window: the client waited
    // for resets. (Not a count of windows: how the replay's windows fall depends on the machine's
    // load, 7+7+1 on an idle one, 8+7 on a busy one, both within the limit.)
    expect(s.requests.length).toBeGreaterThan(9)
    expect(Math.max(...windows)).toBeLessThanOrEqual(9)
    expect(c.stats().buckets['users']).toMatchObject({ limit: 10, rateLimited: 0 })
  }, 30_000)

  it('rides out a 429 storm and 5xx faults, honouring the reported Reset', async () => {
    const s = await sim({ size: SMALL, rateLimits: { groups: 50 }, rateLimitWindowMs: 1000 })
    // Rules fire in injection order: a 429, then a 503, then a truncated body, then success.
    s.faults.inject({ kind: 'rate_limit', path: '/api/v1/users', times: 1 })
    s.faults.inject({ kind: 'unavailable', path: '/api/v1/users', times: 1 })
    s.faults.inject({ kind: 'truncate', path: '/api/v1/users', times: 1 })
    s.faults.inject({ kind: 'reset', path: '/api/v1/groups', times: 1 })
    const { logger, events } = recordingLogger()
    const c = client(s, { logger })
    const ids = await allUsers(c, 200)
    const listed = [...s.org.userIds()].filter((id) => s.org.getUser(id)?.['status'] !== 'DEPROVISIONED')
    expect(ids).toHaveLength(listed.length)
    await expect(c.get('/api/v1/groups')).resolves.toBeInstanceOf(Array)
    const users = c.stats().buckets['users']!
    expect(users.rateLimited).toBe(1)
    expect(users.retries).toBe(3)
    expect(c.stats().buckets['groups']!.retries).toBe(1)
    expect(events.filter((e) => e.event === 'okta.rate_limited')).toHaveLength(1)
    expect(events.filter((e) => e.event === 'okta.retry')).toHaveLength(4)
    // After a 429 the next request waited for the bucket's reset instead of hammering.
    const u = s.requests.filter((r) => r.bucket === 'users')
    expect(u[1]!.at - u[0]!.at).toBeGreaterThanOrEqual(900)
  }, 30_000)

  it('backs off from the org’s concurrent-request limit and still gets everything', async () => {
    const s = await sim({ size: SMALL, concurrencyLimit: 2, latencyMs: 30 })
    const c = client(s, { maxInFlight: 4 })
    const paths = ['/api/v1/users', '/api/v1/groups', '/api/v1/apps', '/api/v1/logs']
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => c.get<unknown[]>(paths[i % 4]!, { query: { limit: 5 } })))
    expect(results.every((r) => Array.isArray(r))).toBe(true)
    const limited = s.requests.filter((r) => r.status === 429).length
    expect(limited).toBeGreaterThan(0)
    expect(c.stats().total.concurrencyLimited).toBe(limited)
    expect(c.stats().total.rateLimited).toBe(0)
  }, 30_000)
})
