import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startSimulator, type Simulator } from '../../src/simulator/index.ts'
import { get, type Json } from './helpers.ts'

let sim: Simulator

beforeAll(async () => {
  sim = await startSimulator({ size: { users: 50, logEvents: 20 } })
})
afterAll(async () => {
  await sim.close()
})
beforeEach(() => {
  sim.faults.clear()
  sim.clearRequests()
})

const raw = (path: string, signal?: AbortSignal): Promise<Response> =>
  fetch(sim.url + path, { headers: { authorization: `SSWS ${sim.token}` }, ...(signal ? { signal } : {}) })

describe('fault injection', () => {
  it('rate_limit: 429 E0000047 with Remaining 0, for `times` requests after skipping `after`', async () => {
    sim.faults.inject({ kind: 'rate_limit', path: '/api/v1/users', after: 1, times: 2 })
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) {
      const res = await get<Json>(sim, '/api/v1/users?limit=1')
      statuses.push(res.status)
      if (res.status === 429) {
        expect(res.body.errorCode).toBe('E0000047')
        expect(res.headers.get('x-rate-limit-remaining')).toBe('0')
      }
    }
    expect(statuses).toEqual([200, 429, 429, 200])
    expect(sim.requests.map((r) => r.fault)).toEqual([undefined, 'rate_limit', 'rate_limit', undefined])
    expect(sim.requests.map((r) => r.status)).toEqual([200, 429, 429, 200])
  })

  it('concurrency, server_error, unavailable and bad_gateway answer their statuses', async () => {
    sim.faults.inject({ kind: 'concurrency' })
    const c = await get<Json>(sim, '/api/v1/groups')
    expect([c.status, c.headers.get('x-rate-limit-limit'), c.headers.get('x-rate-limit-remaining')]).toEqual([429, '0', '0'])
    sim.faults.inject({ kind: 'server_error' })
    expect((await get<Json>(sim, '/api/v1/groups')).body).toMatchObject({ errorCode: 'E0000009' })
    sim.faults.inject({ kind: 'unavailable' })
    const u = await get<Json>(sim, '/api/v1/groups')
    expect([u.status, u.body.errorCode]).toEqual([503, 'E0000010'])
    sim.faults.inject({ kind: 'bad_gateway' })
    const b = await raw('/api/v1/groups')
    expect(b.status).toBe(502)
    expect(b.headers.get('content-type')).toBe('text/html')
    expect(await b.text()).toContain('502')
    expect((await get(sim, '/api/v1/groups')).status).toBe(200)
  })

  it('reset destroys the connection, truncate cuts the body, hang never answers', async () => {
    sim.faults.inject({ kind: 'reset', path: /^\/api\/v1\/apps$/ })
    await expect(raw('/api/v1/apps')).rejects.toThrow()
    sim.faults.inject({ kind: 'truncate', path: '/api/v1/users' })
    const t = await raw('/api/v1/users')
    expect(t.status).toBe(200)
    await expect(t.text()).rejects.toThrow()
    sim.faults.inject({ kind: 'hang', path: '/api/v1/logs' })
    const started = Date.now()
    await expect(raw('/api/v1/logs', AbortSignal.timeout(300))).rejects.toThrow()
    expect(Date.now() - started).toBeGreaterThanOrEqual(290)
    expect(sim.requests.map((r) => r.fault)).toEqual(['reset', 'truncate', 'hang'])
    expect((await get(sim, '/api/v1/logs')).status).toBe(200)
  })

  it('slow delays the real response', async () => {
    sim.faults.inject({ kind: 'slow', delayMs: 250 })
    const started = Date.now()
    const res = await get<Json[]>(sim, '/api/v1/users?limit=2')
    expect(Date.now() - started).toBeGreaterThanOrEqual(240)
    expect(res.status).toBe(200)
    expect(res.body).toHaveLength(2)
  })

  it('shape mangles the first record: profile becomes a boolean, an object field a string', async () => {
    sim.faults.inject({ kind: 'shape', path: '/api/v1/users', times: Infinity })
    const res = await get<Json[]>(sim, '/api/v1/users?limit=3')
    expect(res.body[0]!.profile).toBe(true)
    expect(typeof res.body[0]!.type).toBe('string')
    expect(typeof res.body[1]!.profile).toBe('object')
    const again = await get<Json[]>(sim, '/api/v1/users?limit=3')
    expect(again.body[0]!.profile).toBe(true)
    sim.faults.clear()
    const clean = await get<Json[]>(sim, '/api/v1/users?limit=3')
    expect(typeof clean.body[0]!.profile).toBe('object')
  })

  it('affects only API requests by default, not the token endpoint', async () => {
    sim.faults.inject({ kind: 'server_error', times: Infinity })
    const token = await fetch(`${sim.url}/oauth2/v1/token`, { method: 'POST', body: 'grant_type=client_credentials' })
    expect(token.status).toBe(400)
    expect((await get(sim, '/api/v1/users')).status).toBe(500)
  })
})
