import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimulator, type Simulator } from '../../src/simulator/index.ts'
import { get, getAll, q, type Json } from './helpers.ts'

const DAY = 86_400_000
const NOW = new Date('2026-03-01T12:00:00.000Z')
let sim: Simulator

beforeAll(async () => {
  sim = await startSimulator({ seed: 9, size: { users: 300, logEvents: 50 }, now: NOW })
})
afterAll(async () => {
  await sim.close()
})

/** Events polled since `mark` (a `next` URL), and the new mark. */
async function newEvents(mark: string): Promise<{ events: Json[]; mark: string }> {
  const res = await get<Json[]>(sim, mark)
  return { events: res.body, mark: res.next! }
}

async function startMark(): Promise<string> {
  let url = `/api/v1/logs?since=${q(new Date(sim.clock.now().getTime() - 60 * DAY).toISOString())}&limit=1000`
  for (;;) {
    const res = await get<Json[]>(sim, url)
    if (res.body.length === 0) return url
    url = res.next!
  }
}

const types = (events: Json[]): string[] => events.map((e) => e.eventType)

describe('org mutations', () => {
  it('creates, updates, deactivates and hard-deletes users with lastUpdated stamps and System Log events', async () => {
    let mark = await startMark()
    sim.clock.advance(DAY)
    const id = sim.org.createUser({ login: 'new.hire@example.com', firstName: 'New', lastName: 'Hire' })
    const created = await get<Json>(sim, `/api/v1/users/${id}`)
    expect(created.body).toMatchObject({ status: 'ACTIVE', profile: { login: 'new.hire@example.com', email: 'new.hire@example.com' } })
    expect(Math.abs(Date.parse(created.body.lastUpdated) - sim.clock.now().getTime())).toBeLessThan(1000)
    let ev = await newEvents(mark)
    mark = ev.mark
    expect(types(ev.events)).toEqual(['user.lifecycle.create', 'user.lifecycle.activate'])
    expect(ev.events[0]!.target[0]).toMatchObject({ id, type: 'User', alternateId: 'new.hire@example.com' })

    const since = sim.clock.now().toISOString()
    sim.clock.advance(1000)
    const other = [...sim.org.userIds()].find((u) => sim.org.getUser(u)!.status === 'ACTIVE')!
    sim.org.updateUser(other, { title: 'CTO' })
    sim.clock.advance(5)
    sim.org.setUserStatus(id, 'SUSPENDED')
    const changed = await get<Json[]>(sim, `/api/v1/users?search=${q(`lastUpdated gt "${since}"`)}&sortBy=lastUpdated`)
    expect(changed.body.map((u) => u.id)).toEqual([other, id])
    expect(changed.body[0]!.profile.title).toBe('CTO')
    expect(changed.body[1]!.status).toBe('SUSPENDED')
    ev = await newEvents(mark)
    mark = ev.mark
    expect(types(ev.events)).toEqual(['user.account.update_profile', 'user.lifecycle.suspend'])

    sim.org.setUserStatus(id, 'DEPROVISIONED')
    const listed = await getAll<Json>(sim, '/api/v1/users')
    expect(listed.items.map((u) => u.id)).not.toContain(id)
    const deprov = await getAll<Json>(sim, `/api/v1/users?filter=${q('status eq "DEPROVISIONED"')}`)
    expect(deprov.items.map((u) => u.id)).toContain(id)

    const countsBefore = sim.org.counts()
    const member = sim.org.groupMemberIds(sim.org.groupIds()[1]!)[0]!
    const apps = sim.org.appIds().filter((a) => sim.org.appAssigneeIds(a).includes(member))
    sim.org.deleteUser(member)
    ev = await newEvents(mark)
    mark = ev.mark
    expect(types(ev.events).slice(-2)).toEqual(['user.lifecycle.delete.initiated', 'user.lifecycle.delete.completed'])
    expect(types(ev.events)).toContain('user.lifecycle.deactivate')
    expect((await get<Json>(sim, `/api/v1/users/${member}`)).status).toBe(404)
    expect(sim.org.getUser(member)).toBeUndefined()
    expect([...sim.org.userIds()]).not.toContain(member)
    expect(sim.org.groupMemberIds(sim.org.groupIds()[1]!)).not.toContain(member)
    for (const a of apps) expect(sim.org.appAssigneeIds(a)).not.toContain(member)
    const all = await getAll<Json>(sim, `/api/v1/users?filter=${q('status eq "DEPROVISIONED"')}`)
    expect(all.items.map((u) => u.id)).not.toContain(member)
    expect(sim.org.counts().users).toBe(countsBefore.users - 1)
  })

  it('changes memberships and groups, bumping lastMembershipUpdated / lastUpdated, with events', async () => {
    let mark = await startMark()
    sim.clock.advance(DAY)
    const groupId = sim.org.createGroup('Incident Responders')
    const users = [...sim.org.userIds()].slice(10, 13)
    for (const u of users) sim.org.addMember(groupId, u)
    sim.org.removeMember(groupId, users[1]!)
    sim.org.updateGroup(groupId, { description: 'Pager duty' })
    const group = await get<Json>(sim, `/api/v1/groups/${groupId}?expand=stats`)
    expect(group.body).toMatchObject({ type: 'OKTA_GROUP', profile: { name: 'Incident Responders', description: 'Pager duty' }, _embedded: { stats: { usersCount: 2 } } })
    const members = await getAll<Json>(sim, `/api/v1/groups/${groupId}/users`)
    expect(members.items.map((u) => u.id)).toEqual([users[0], users[2]])
    let ev = await newEvents(mark)
    mark = ev.mark
    expect(types(ev.events)).toEqual(['group.lifecycle.create', 'group.user_membership.add', 'group.user_membership.add', 'group.user_membership.add', 'group.user_membership.remove', 'group.profile.update'])
    expect(ev.events[1]!.target.map((t: Json) => t.type)).toEqual(['User', 'UserGroup'])
    sim.org.deleteGroup(groupId)
    expect((await get<Json>(sim, `/api/v1/groups/${groupId}`)).body.errorCode).toBe('E0000007')
    const everyone = sim.org.groupIds()[0]!
    expect(() => sim.org.removeMember(everyone, users[0]!)).toThrow(/BUILT_IN/)
    ev = await newEvents(mark)
    expect(types(ev.events)).toEqual(['group.lifecycle.delete'])
  })

  it('emits application lifecycle and membership events', async () => {
    const mark = await startMark()
    const appId = sim.org.createApp('Payroll', 'SAML_2_0')
    const u = [...sim.org.userIds()][20]!
    sim.org.assignUser(appId, u)
    sim.org.unassignUser(appId, u)
    sim.org.deleteApp(appId)
    const ev = await newEvents(mark)
    expect(types(ev.events)).toEqual(['application.lifecycle.create', 'application.user_membership.add', 'application.user_membership.remove', 'application.lifecycle.delete'])
    expect(ev.events[1]!.target.map((t: Json) => t.type)).toEqual(['User', 'AppInstance'])
  })

  it('adds a custom attribute to everyone without touching lastUpdated, and changes a type with a bump', async () => {
    const ids = [...sim.org.userIds()]
    const before = await get<Json[]>(sim, '/api/v1/users?limit=5')
    sim.org.addCustomAttribute('badgeId', (_id, index) => index * 10)
    const after = await get<Json[]>(sim, '/api/v1/users?limit=5')
    expect(after.body.map((u) => u.lastUpdated)).toEqual(before.body.map((u) => u.lastUpdated))
    expect(after.body.every((u) => typeof u.profile.badgeId === 'number')).toBe(true)
    const since = sim.clock.now().toISOString()
    sim.clock.advance(1000)
    sim.clock.freeze()
    sim.org.setAttribute(ids.slice(0, 2), 'badgeId', (id) => `B-${id}`)
    sim.clock.unfreeze()
    const changed = await get<Json[]>(sim, `/api/v1/users?search=${q(`lastUpdated gt "${since}"`)}`)
    // Same-millisecond updates are ordered by id.
    expect(changed.body.map((u) => u.profile.badgeId)).toEqual(ids.slice(0, 2).sort().map((id) => `B-${id}`))
    const search = await get<Json[]>(sim, `/api/v1/users?search=${q(`profile.badgeId eq "B-${ids[1]}"`)}`)
    expect(search.body.map((u) => u.id)).toEqual([ids[1]])
  })

  it('moves the org clock with advance and set', async () => {
    const t0 = sim.clock.now().getTime()
    sim.clock.advance(3 * DAY)
    expect(sim.clock.now().getTime() - t0).toBeGreaterThanOrEqual(3 * DAY)
    sim.clock.set(new Date('2030-01-01T00:00:00.000Z'))
    expect(Math.abs(sim.clock.now().getTime() - Date.parse('2030-01-01T00:00:00.000Z'))).toBeLessThan(1000)
    sim.clock.freeze()
    const frozen = sim.clock.now().getTime()
    await new Promise((r) => setTimeout(r, 20))
    expect(sim.clock.now().getTime()).toBe(frozen)
    sim.clock.unfreeze()
  })
})

describe('determinism', () => {
  it('generates the same org for the same seed and a different one for another seed', async () => {
    const opts = { seed: 1234, size: { users: 250, logEvents: 300 }, now: NOW }
    const [a, b, c] = await Promise.all([startSimulator(opts), startSimulator(opts), startSimulator({ ...opts, seed: 4321 })])
    try {
      const strip = (items: Json[], s: Simulator): string => JSON.stringify(items).replaceAll(s.url, 'URL')
      for (const path of ['/api/v1/users', '/api/v1/groups?expand=stats', '/api/v1/apps?limit=200', `/api/v1/logs?since=${q('2026-02-01T00:00:00.000Z')}&until=${q('2026-03-01T00:00:00.000Z')}&limit=1000`]) {
        const [ra, rb] = await Promise.all([getAll<Json>(a, path), getAll<Json>(b, path)])
        expect(ra.items.length).toBeGreaterThan(0)
        expect(strip(ra.items, a)).toBe(strip(rb.items, b))
      }
      expect(a.token).toBe(b.token)
      expect([...a.org.userIds()]).toEqual([...b.org.userIds()])
      expect([...c.org.userIds()][0]).not.toBe([...a.org.userIds()][0])
      expect(a.org.counts()).toEqual(b.org.counts())
    } finally {
      await Promise.all([a.close(), b.close(), c.close()])
    }
  })
})
