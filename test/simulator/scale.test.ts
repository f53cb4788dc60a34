import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimulator, type Simulator } from '../../src/simulator/index.ts'
import { get, q, type Json } from './helpers.ts'

const DAY = 86_400_000
let sim: Simulator
let startMs = 0

beforeAll(async () => {
  const t = performance.now()
  sim = await startSimulator({ seed: 42, size: { users: 1_000_000, logEvents: 500_000 } })
  startMs = performance.now() - t
})
afterAll(async () => {
  await sim?.close()
})

describe('a million-user org', () => {
  it('starts fast, pages users and logs cheaply and keeps memory modest', async () => {
    expect(startMs).toBeLessThan(2000)
    const first = await get<Json[]>(sim, '/api/v1/users')
    expect(first.body).toHaveLength(200)
    let url = first.next!
    const t = performance.now()
    for (let i = 0; i < 20; i++) {
      const page = await get<Json[]>(sim, url)
      expect(page.body).toHaveLength(200)
      url = page.next!
    }
    // Generous bound for a shared CI machine; the server side is ~2-3 ms a page.
    expect((performance.now() - t) / 20).toBeLessThan(100)

    const since = new Date(sim.clock.now().getTime() - 3 * DAY).toISOString()
    const recent = await get<Json[]>(sim, `/api/v1/users?search=${q(`lastUpdated gt "${since}"`)}&sortBy=lastUpdated&limit=200`)
    expect(recent.body.length).toBeGreaterThan(0)
    expect(recent.body.every((u) => u.lastUpdated > since)).toBe(true)

    const res = await get<Json>(sim, `/api/v1/users?filter=${q('status eq "DEPROVISIONED"')}&limit=200`)
    expect((res.body as Json[]).every((u) => u.status === 'DEPROVISIONED')).toBe(true)

    const logs = await get<Json[]>(sim, `/api/v1/logs?since=${q(new Date(sim.clock.now().getTime() - 29 * DAY).toISOString())}&limit=1000`)
    expect(logs.body).toHaveLength(1000)
    const members = await get<Json[]>(sim, `/api/v1/groups/${sim.org.groupIds()[1]}/users`)
    expect(members.body).toHaveLength(1000)

    const single = await get<Json>(sim, `/api/v1/users/${recent.body[0]!.id}`)
    expect(single.body.id).toBe(recent.body[0]!.id)
    expect(process.memoryUsage().rss / 1e6).toBeLessThan(600)
  })
})
