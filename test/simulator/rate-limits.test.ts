import { afterEach, describe, expect, it } from 'vitest'
import { startSimulator, type Simulator } from '../../src/simulator/index.ts'
import { get, type Json } from './helpers.ts'

let sim: Simulator | undefined
afterEach(async () => {
  await sim?.close()
  sim = undefined
})

const rl = (h: Headers): [number, number, number] => [
  Number(h.get('x-rate-limit-limit')), Number(h.get('x-rate-limit-remaining')), Number(h.get('x-rate-limit-reset')),
]

describe('rate limits', () => {
  it('sends huge-limit headers, a request id and a Date on every response when limits are off', async () => {
    sim = await startSimulator({ size: { users: 10 } })
    for (const path of ['/api/v1/users', '/api/v1/groups', '/api/v1/nope', '/api/v1/users/unknown']) {
      const res = await get(sim, path)
      const [limit, remaining, reset] = rl(res.headers)
      expect(limit).toBeGreaterThanOrEqual(1_000_000)
      expect(remaining).toBeGreaterThan(limit - 10)
      expect(reset).toBeGreaterThan(Date.now() / 1000)
      expect(res.headers.get('x-okta-request-id')).toBeTruthy()
      expect(Date.parse(res.headers.get('date')!)).toBeGreaterThan(Date.now() - 5000)
    }
    const unauth = await get(sim, '/api/v1/users', { token: 'bad' })
    expect(unauth.headers.get('x-rate-limit-limit')).toBeTruthy()
  })

  it('counts down per bucket and answers 429 E0000047 with Remaining 0 when the budget is spent; 429s cost nothing', async () => {
    sim = await startSimulator({ size: { users: 10 }, rateLimits: { users: 3, apps: 2 }, rateLimitWindowMs: 1500 })
    const seen: [number, number][] = []
    for (let i = 0; i < 3; i++) {
      const [limit, remaining] = rl((await get(sim, '/api/v1/users')).headers)
      seen.push([limit, remaining])
    }
    expect(seen).toEqual([[3, 2], [3, 1], [3, 0]])
    for (let i = 0; i < 3; i++) {
      const res = await get<Json>(sim, '/api/v1/users')
      expect(res.status).toBe(429)
      expect(res.body).toMatchObject({ errorCode: 'E0000047', errorSummary: 'API call exceeded rate limit due to too many requests.' })
      expect(rl(res.headers).slice(0, 2)).toEqual([3, 0])
    }
    const reset = rl((await get(sim, '/api/v1/users')).headers)[2]
    expect(reset * 1000).toBeGreaterThan(Date.now())
    expect(reset * 1000).toBeLessThanOrEqual(Date.now() + 2500)
    expect((await get(sim, '/api/v1/groups')).status).toBe(200)
    await new Promise((r) => setTimeout(r, Math.max(0, reset * 1000 - Date.now()) + 100))
    const fresh = await get(sim, '/api/v1/users')
    expect(fresh.status).toBe(200)
    expect(rl(fresh.headers).slice(0, 2)).toEqual([3, 2])
  })

  it('shares the apps bucket between /apps and /apps/{id}/users, but not /apps/{id}; /groups/{id}/users counts in groups', async () => {
    sim = await startSimulator({ size: { users: 40 }, rateLimits: { apps: 2, app: 10, groups: 2, group: 10 } })
    const appId = sim.org.appIds()[0]!
    expect((await get(sim, '/api/v1/apps')).status).toBe(200)
    expect((await get(sim, `/api/v1/apps/${appId}/users`)).status).toBe(200)
    expect((await get(sim, `/api/v1/apps/${appId}/users`)).status).toBe(429)
    expect((await get(sim, '/api/v1/apps')).status).toBe(429)
    const single = await get(sim, `/api/v1/apps/${appId}`)
    expect(single.status).toBe(200)
    expect(rl(single.headers).slice(0, 2)).toEqual([10, 9])
    const groupId = sim.org.groupIds()[1]!
    expect((await get(sim, '/api/v1/groups')).status).toBe(200)
    expect((await get(sim, `/api/v1/groups/${groupId}/users`)).status).toBe(200)
    expect((await get(sim, `/api/v1/groups/${groupId}/users`)).status).toBe(429)
    expect((await get(sim, `/api/v1/groups/${groupId}`)).status).toBe(200)
    expect(sim.requests.map((r) => r.bucket)).toEqual(['apps', 'apps', 'apps', 'apps', 'app', 'groups', 'groups', 'groups', 'group'])
    sim.setRateLimits(false)
    expect((await get(sim, '/api/v1/apps')).status).toBe(200)
  })

  it('rejects requests over the concurrency limit with Limit 0 / Remaining 0', async () => {
    sim = await startSimulator({ size: { users: 10 }, concurrencyLimit: 2, latencyMs: 300 })
    const results = await Promise.all(Array.from({ length: 5 }, () => get<Json>(sim!, '/api/v1/users')))
    const limited = results.filter((r) => r.status === 429)
    expect(results.filter((r) => r.status === 200)).toHaveLength(2)
    expect(limited).toHaveLength(3)
    for (const r of limited) {
      expect(rl(r.headers).slice(0, 2)).toEqual([0, 0])
      expect(r.body.errorCode).toBe('E0000047')
    }
  })

  it('shifts Date and X-Rate-Limit-Reset by the server clock skew', async () => {
    sim = await startSimulator({ size: { users: 10 }, rateLimits: { users: 5 }, serverClockSkewMs: 120_000 })
    const res = await get(sim, '/api/v1/users')
    const date = Date.parse(res.headers.get('date')!)
    expect(date - Date.now()).toBeGreaterThan(110_000)
    const reset = rl(res.headers)[2] * 1000
    expect(reset - Date.now()).toBeGreaterThan(170_000)
    expect(reset - Date.now()).toBeLessThan(185_000)
  })
})
