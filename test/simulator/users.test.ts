import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimulator, type Simulator } from '../../src/simulator/index.ts'
import { get, getAll, q, type Json } from './helpers.ts'

const NOW = new Date('2026-03-01T12:00:00.000Z')
let sim: Simulator

beforeAll(async () => {
  sim = await startSimulator({ seed: 7, size: { users: 450, logEvents: 100 }, now: NOW })
})
afterAll(async () => {
  await sim.close()
})

const statusOf = (id: string): string => sim.org.getUser(id)!.status as string

describe('GET /api/v1/users', () => {
  it('lists every user but DEPROVISIONED by default, 200 per page, in (lastUpdated, id) order', async () => {
    const all = [...sim.org.userIds()]
    const { items, pages } = await getAll<Json>(sim, '/api/v1/users')
    const expected = all.filter((id) => statusOf(id) !== 'DEPROVISIONED')
    expect(expected.length).toBeLessThan(all.length)
    expect(pages).toBe(Math.ceil(expected.length / 200))
    expect(items.map((u) => u.id).sort()).toEqual([...expected].sort())
    const keys = items.map((u) => `${u.lastUpdated}|${u.id}`)
    expect([...keys].sort()).toEqual(keys)
    const deprovisioned = await getAll<Json>(sim, `/api/v1/users?filter=${q('status eq "DEPROVISIONED"')}`)
    expect(deprovisioned.items.length).toBe(all.length - expected.length)
    expect(deprovisioned.items.every((u) => u.status === 'DEPROVISIONED')).toBe(true)
  })

  it('generates users in every status with profiles carrying every JSON type', async () => {
    const statuses = new Set([...sim.org.userIds()].map(statusOf))
    expect([...statuses].sort()).toEqual(['ACTIVE', 'DEPROVISIONED', 'LOCKED_OUT', 'PASSWORD_EXPIRED', 'PROVISIONED', 'RECOVERY', 'STAGED', 'SUSPENDED'])
    const res = await get<Json[]>(sim, '/api/v1/users?limit=50')
    const p = res.body.find((u) => u.profile.nickName === null)!.profile
    expect(typeof p.login).toBe('string')
    expect(Number.isInteger(p.employeeLevel)).toBe(true)
    expect(Number.isInteger(p.hourlyRate)).toBe(false)
    expect(typeof p.isContractor).toBe('boolean')
    expect(Array.isArray(p.entitlements)).toBe(true)
    expect(res.body[0]!.type.id).toMatch(/^oty/)
    expect(res.body[0]!._links.self.href).toBe(`${sim.url}/api/v1/users/${res.body[0]!.id}`)
  })

  it('caps limit at 200 and rejects garbage limits', async () => {
    const capped = await get<Json[]>(sim, '/api/v1/users?limit=1000')
    expect(capped.body).toHaveLength(200)
    expect(capped.next).toContain('limit=1000')
    const bad = await get<Json>(sim, '/api/v1/users?limit=abc')
    expect(bad.status).toBe(400)
    expect(bad.body.errorCode).toBe('E0000054')
  })

  it('filters by lastUpdated ranges, id and login, with and/or/parentheses and case-insensitive operators', async () => {
    const ids = [...sim.org.userIds()]
    const u10 = sim.org.getUser(ids[10]!)!
    const u20 = sim.org.getUser(ids[20]!)!
    const from = new Date(u10.lastUpdated as string).toISOString()
    const to = new Date(u20.lastUpdated as string).toISOString()
    const range = await getAll<Json>(sim, `/api/v1/users?filter=${q(`lastUpdated GT "${from}" AnD lastUpdated le "${to}"`)}&limit=3`)
    expect(range.items.map((u) => u.id)).toEqual(ids.slice(11, 21))
    expect(range.pages).toBe(4)
    const either = await get<Json[]>(sim, `/api/v1/users?filter=${q(`(id eq "${ids[3]}" or profile.login eq "${(u20.profile as Json).login}")`)}`)
    expect(either.body.map((u) => u.id).sort()).toEqual([ids[3], ids[20]].sort())
    const byId = await get<Json[]>(sim, `/api/v1/users?filter=${q(`id eq "${ids[5]}" and status eq "${statusOf(ids[5]!)}"`)}`)
    expect(byId.body.map((u) => u.id)).toEqual([ids[5]])
  })

  it('searches with sortBy/sortOrder', async () => {
    const ids = [...sim.org.userIds()]
    const from = new Date(sim.org.getUser(ids[400]!)!.lastUpdated as string).toISOString()
    const asc = await getAll<Json>(sim, `/api/v1/users?search=${q(`lastUpdated ge "${from}"`)}&sortBy=lastUpdated&sortOrder=asc&limit=20`)
    expect(asc.items.map((u) => u.id)).toEqual(ids.slice(400))
    const desc = await getAll<Json>(sim, `/api/v1/users?search=${q(`lastUpdated ge "${from}"`)}&sortBy=lastUpdated&sortOrder=desc&limit=20`)
    expect(desc.items.map((u) => u.id)).toEqual(ids.slice(400).reverse())
    const prefix = await get<Json[]>(sim, `/api/v1/users?search=${q('profile.department eq "engineering" and profile.employeeLevel gt 5')}`)
    expect(prefix.body.length).toBeGreaterThan(0)
    expect(prefix.body.every((u) => u.profile.department === 'Engineering' && u.profile.employeeLevel > 5)).toBe(true)
  })

  it('answers Okta error codes for bad requests', async () => {
    const both = await get<Json>(sim, `/api/v1/users?filter=${q('status eq "ACTIVE"')}&search=${q('status eq "ACTIVE"')}`)
    expect(both.status).toBe(400)
    expect(both.body).toMatchObject({ errorCode: 'E0000033', errorLink: 'E0000033', errorCauses: [] })
    expect(typeof both.body.errorId).toBe('string')
    expect(both.headers.get('content-type')).toBe('application/json')
    const syntax = await get<Json>(sim, `/api/v1/users?filter=${q('status eq')}`)
    expect(syntax.status).toBe(400)
    expect(syntax.body.errorCode).toBe('E0000031')
    const unsupported = await get<Json>(sim, `/api/v1/users?filter=${q('profile.city eq "Paris"')}`)
    expect(unsupported.body.errorCode).toBe('E0000031')
    const ne = await get<Json>(sim, `/api/v1/users?search=${q('status ne "ACTIVE"')}`)
    expect(ne.body.errorCode).toBe('E0000031')
    const date = await get<Json>(sim, `/api/v1/users?filter=${q('lastUpdated gt "yesterday"')}`)
    expect(date.body.errorCode).toBe('E0000030')
    const cursor = await get<Json>(sim, '/api/v1/users?after=nonsense')
    expect(cursor.body.errorCode).toBe('E0000029')
    const missing = await get<Json>(sim, '/api/v1/users/00uDoesNotExist000000')
    expect(missing.status).toBe(404)
    expect(missing.body.errorCode).toBe('E0000007')
    const path = await get<Json>(sim, '/api/v1/nothing-here')
    expect(path.status).toBe(404)
    expect(path.body.errorCode).toBe('E0000008')
  })

  it('gets one user by id or login, with lifecycle links', async () => {
    const id = [...sim.org.userIds()][42]!
    const byId = await get<Json>(sim, `/api/v1/users/${id}`)
    expect(byId.status).toBe(200)
    expect(byId.body.id).toBe(id)
    expect(byId.body._links.deactivate ?? byId.body._links.activate).toBeDefined()
    const byLogin = await get<Json>(sim, `/api/v1/users/${encodeURIComponent(byId.body.profile.login)}`)
    expect(byLogin.body.id).toBe(id)
  })
})

describe('cursor stability', () => {
  it('never skips or repeats same-millisecond lastUpdated ties at page boundaries', async () => {
    const s = await startSimulator({ seed: 3, size: { users: 20, logEvents: 0 }, now: NOW })
    try {
      s.clock.freeze()
      const t = s.clock.now().toISOString()
      const created = Array.from({ length: 7 }, (_, i) => s.org.createUser({ login: `tie${i}@example.com`, firstName: 'Tie', lastName: String(i) }))
      const ids = [...s.org.userIds()]
      s.org.updateUser(ids[0]!, { title: 'Boss' })
      const tied = [...created, ids[0]!].sort()
      for (const limit of [1, 2, 3]) {
        const page = await getAll<Json>(s, `/api/v1/users?search=${q(`lastUpdated ge "${t}"`)}&sortBy=lastUpdated&limit=${limit}`)
        expect(page.items.map((u) => u.id)).toEqual(tied)
        expect(new Set(page.items.map((u) => u.lastUpdated)).size).toBe(1)
      }
    } finally {
      await s.close()
    }
  })

  it('moves a user updated during a paginated search to the end without skipping anyone', async () => {
    const ids = [...sim.org.userIds()]
    const search = `/api/v1/users?search=${q('lastUpdated gt "2000-01-01T00:00:00.000Z"')}&sortBy=lastUpdated&sortOrder=asc&limit=100`
    const first = await get<Json[]>(sim, search)
    const seen = first.body.map((u) => u.id)
    const early = seen[5]!
    const late = ids[300]!
    sim.org.updateUser(early, { title: 'Moved' })
    sim.org.updateUser(late, { title: 'Moved too' })
    const rest = await getAll<Json>(sim, first.next!)
    const all = [...seen, ...rest.items.map((u) => u.id)]
    expect(new Set(all)).toEqual(new Set(ids))
    expect(all.slice(-2)).toEqual([early, late])
    expect(all.filter((id) => id === late)).toHaveLength(1)
  })
})

describe('control surface reads', () => {
  it('getUser returns the user exactly as the listing serves it', async () => {
    const id = [...sim.org.userIds()][7]!
    const listed = await get<Json[]>(sim, `/api/v1/users?filter=${q(`id eq "${id}"`)}`)
    expect(sim.org.getUser(id)).toEqual(listed.body[0])
  })
})
