import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimulator, type Simulator } from '../../src/simulator/index.ts'
import { get, getAll, q, type Json } from './helpers.ts'

const DAY = 86_400_000
const NOW = new Date('2026-03-01T12:00:00.000Z')
let sim: Simulator

beforeAll(async () => {
  sim = await startSimulator({ seed: 11, size: { users: 200, logEvents: 3000, logDays: 120 }, now: NOW })
})
afterAll(async () => {
  await sim.close()
})

const iso = (ms: number): string => new Date(ms).toISOString()

/** Follows polling `next` links until a page comes back empty; returns events and the last `next`. */
async function drain(start: string): Promise<{ events: Json[]; next: string }> {
  const events: Json[] = []
  let url = start
  for (;;) {
    const res = await get<Json[]>(sim, url)
    expect(res.status).toBe(200)
    expect(res.next).not.toBeNull()
    events.push(...res.body)
    if (res.body.length === 0) return { events, next: url }
    url = res.next!
  }
}

describe('GET /api/v1/logs', () => {
  it('polls in persistence order with a next link that never ends, and delivers later and late events', async () => {
    const since = iso(sim.clock.now().getTime() - 10 * DAY)
    const { events, next } = await drain(`/api/v1/logs?since=${q(since)}&limit=250`)
    expect(events.length).toBeGreaterThan(100)
    expect(events.every((e) => e.published >= since)).toBe(true)
    const published = events.map((e) => e.published)
    expect([...published].sort()).toEqual(published)
    const empty = await get<Json[]>(sim, next)
    expect(empty.body).toEqual([])
    expect(empty.next).not.toBeNull()

    const user = [...sim.org.userIds()][3]!
    sim.org.updateUser(user, { title: 'Changed' })
    const lateAt = new Date(sim.clock.now().getTime() - 5 * DAY)
    const lateUuid = sim.org.emitLogEvent({ eventType: 'user.session.start' }, { published: lateAt })
    const after = await get<Json[]>(sim, next)
    expect(after.body.map((e) => e.eventType)).toEqual(['user.account.update_profile', 'user.session.start'])
    expect(after.body[0]!.target[0].id).toBe(user)
    expect(after.body[1]).toMatchObject({ uuid: lateUuid, published: lateAt.toISOString() })
    expect(after.next).not.toBeNull()
    expect((await get<Json[]>(sim, after.next!)).body).toEqual([])
  })

  it('serves bounded queries in published order, finite, both directions', async () => {
    const now = sim.clock.now().getTime()
    const since = iso(now - 20 * DAY)
    const until = iso(now - 10 * DAY)
    const asc = await getAll<Json>(sim, `/api/v1/logs?since=${q(since)}&until=${q(until)}&limit=100`)
    expect(asc.items.length).toBeGreaterThan(150)
    expect(asc.items.every((e) => e.published >= since && e.published < until)).toBe(true)
    const published = asc.items.map((e) => e.published)
    expect([...published].sort()).toEqual(published)
    expect(new Set(asc.items.map((e) => e.uuid)).size).toBe(asc.items.length)
    const desc = await getAll<Json>(sim, `/api/v1/logs?since=${q(since)}&until=${q(until)}&limit=70&sortOrder=DESCENDING`)
    expect(desc.items.map((e) => e.uuid)).toEqual(asc.items.map((e) => e.uuid).reverse())
  })

  it('orders a late event by published in bounded mode', async () => {
    const s = await startSimulator({ seed: 2, size: { users: 20, logEvents: 50, logDays: 2 }, now: NOW })
    try {
      const lateAt = new Date(NOW.getTime() - DAY)
      const uuid = s.org.emitLogEvent({ eventType: 'user.lifecycle.create' }, { published: lateAt })
      const res = await getAll<Json>(s, `/api/v1/logs?since=${q(iso(NOW.getTime() - 3 * DAY))}&until=${q(iso(NOW.getTime() + 1000))}&limit=7`)
      expect(res.items).toHaveLength(51)
      const at = res.items.findIndex((e) => e.uuid === uuid)
      expect(res.items[at - 1]!.published <= lateAt.toISOString()).toBe(true)
      expect(res.items[at + 1]!.published >= lateAt.toISOString()).toBe(true)
    } finally {
      await s.close()
    }
  })

  it('never returns events older than 90 days and rejects since beyond 180 days', async () => {
    const now = sim.clock.now().getTime()
    const old = await getAll<Json>(sim, `/api/v1/logs?since=${q(iso(now - 150 * DAY))}&until=${q(iso(now))}&limit=1000`)
    expect(old.items.length).toBeGreaterThan(0)
    expect(old.items.every((e) => Date.parse(e.published) >= now - 90 * DAY)).toBe(true)
    const tooOld = await get<Json>(sim, `/api/v1/logs?since=${q(iso(now - 181 * DAY))}`)
    expect(tooOld.status).toBe(400)
    expect(tooOld.body.errorCode).toBe('E0000053')
    const badDate = await get<Json>(sim, '/api/v1/logs?since=yesterday')
    expect(badDate.status).toBe(400)
    expect(badDate.body.errorCode).toBe('E0000001')
    expect(badDate.body.errorCauses[0].errorSummary).toMatch(/^since:/)
  })

  it('filters by eventType eq / sw and target.id, with limit default 100 and max 1000', async () => {
    const now = sim.clock.now().getTime()
    const window = `since=${q(iso(now - 60 * DAY))}&until=${q(iso(now))}`
    const all = await getAll<Json>(sim, `/api/v1/logs?${window}&limit=5000`)
    expect(all.pages).toBeGreaterThan(1)
    const first = await get<Json[]>(sim, `/api/v1/logs?${window}`)
    expect(first.body).toHaveLength(100)
    const starts = await getAll<Json>(sim, `/api/v1/logs?${window}&filter=${q('eventType eq "user.session.start"')}&limit=1000`)
    expect(starts.items.length).toBe(all.items.filter((e) => e.eventType === 'user.session.start').length)
    const groupEvents = await getAll<Json>(sim, `/api/v1/logs?${window}&filter=${q('eventType sw "group.user_membership"')}&limit=1000`)
    expect(groupEvents.items.length).toBeGreaterThan(0)
    expect(groupEvents.items.every((e) => e.eventType.startsWith('group.user_membership.'))).toBe(true)
    expect(groupEvents.items.every((e) => e.target.some((t: Json) => t.type === 'UserGroup'))).toBe(true)
    const targetId = groupEvents.items[0]!.target[0].id as string
    const byTarget = await getAll<Json>(sim, `/api/v1/logs?${window}&filter=${q(`target.id eq "${targetId}" and (eventType sw "group" or eventType sw "user")`)}&limit=1000`)
    expect(byTarget.items.length).toBe(all.items.filter((e) => (e.target ?? []).some((t: Json) => t.id === targetId)
      && (e.eventType.startsWith('group') || e.eventType.startsWith('user'))).length)
    const published = await get<Json>(sim, `/api/v1/logs?filter=${q('published gt "2020-01-01T00:00:00.000Z"')}`)
    expect(published.body.errorCode).toBe('E0000031')
  })

  it('generates events shaped like Okta\'s, with target arrays and several event types', async () => {
    const now = sim.clock.now().getTime()
    const { items } = await getAll<Json>(sim, `/api/v1/logs?since=${q(iso(now - 30 * DAY))}&until=${q(iso(now))}&limit=1000`)
    const types = new Set(items.map((e) => e.eventType))
    for (const t of ['user.session.start', 'user.lifecycle.create', 'group.user_membership.add', 'application.user_membership.add']) expect(types).toContain(t)
    const e = items.find((x) => Array.isArray(x.target) && x.target.length > 1)!
    expect(e).toMatchObject({ version: '0', actor: { type: 'User' }, outcome: { result: expect.any(String) } })
    expect(e.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    expect(items.some((x) => x.target === null)).toBe(true)
  })
})
