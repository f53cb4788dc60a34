import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimulator, type Simulator } from '../../src/simulator/index.ts'
import { get, getAll, q, type Json } from './helpers.ts'

const NOW = new Date('2026-03-01T12:00:00.000Z')
let sim: Simulator

beforeAll(async () => {
  sim = await startSimulator({ seed: 5, size: { users: 1200, groups: 40, apps: 30, logEvents: 10 }, now: NOW })
})
afterAll(async () => {
  await sim.close()
})

describe('groups', () => {
  it('lists groups of all three types with one BUILT_IN Everyone holding every user', async () => {
    const { items } = await getAll<Json>(sim, '/api/v1/groups')
    expect(items.map((g) => g.id)).toEqual(sim.org.groupIds())
    expect(new Set(items.map((g) => g.type))).toEqual(new Set(['OKTA_GROUP', 'APP_GROUP', 'BUILT_IN']))
    const everyone = items.filter((g) => g.type === 'BUILT_IN')
    expect(everyone.map((g) => g.profile.name)).toEqual(['Everyone'])
    expect(sim.org.groupMemberIds(everyone[0]!.id)).toEqual([...sim.org.userIds()])
    const appGroup = items.find((g) => g.type === 'APP_GROUP')!
    expect(sim.org.appIds()).toContain(appGroup.source.id)
    expect(appGroup._links.source.href).toContain(appGroup.source.id)
    expect(appGroup.objectClass).toEqual(['okta:windows_security_principal'])
  })

  it('filters on type and lastUpdated / lastMembershipUpdated, and expands stats', async () => {
    const okta = await getAll<Json>(sim, `/api/v1/groups?filter=${q('type eq "OKTA_GROUP"')}`)
    expect(okta.items.length).toBeGreaterThan(10)
    expect(okta.items.every((g) => g.type === 'OKTA_GROUP')).toBe(true)
    const groupId = okta.items[3]!.id as string
    const userId = [...sim.org.userIds()].find((u) => !sim.org.groupMemberIds(groupId).includes(u))!
    const before = sim.clock.now().toISOString()
    await new Promise((r) => setTimeout(r, 5))
    sim.org.addMember(groupId, userId)
    const changed = await get<Json[]>(sim, `/api/v1/groups?filter=${q(`lastUpdated gt "${before}" or lastMembershipUpdated gt "${before}"`)}&expand=stats`)
    expect(changed.body.map((g) => g.id)).toEqual([groupId])
    const stats = changed.body[0]!._embedded.stats
    expect(stats).toMatchObject({ usersCount: sim.org.groupMemberIds(groupId).length, groupPushMappingsCount: 0, hasAdminPrivlege: false })
    expect(typeof stats.appsCount).toBe('number')
    const members = await getAll<Json>(sim, `/api/v1/groups/${groupId}/users?limit=7`)
    expect(members.items.map((u) => u.id)).toEqual(sim.org.groupMemberIds(groupId))
    expect(members.items.map((u) => u.id)).toContain(userId)
    expect(members.items[0]!.profile.login).toBeTruthy()
    const bad = await get<Json>(sim, `/api/v1/groups?filter=${q('profile.name eq "x"')}`)
    expect(bad.body.errorCode).toBe('E0000031')
  })

  it('skews group sizes and pages members 1000 at a time', async () => {
    const sizes = sim.org.groupIds().slice(1).map((g) => sim.org.groupMemberIds(g).length).sort((a, b) => b - a)
    expect(sizes[0]!).toBeGreaterThan(4 * sizes[Math.floor(sizes.length / 2)]!)
    const everyone = sim.org.groupIds()[0]!
    const page = await get<Json[]>(sim, `/api/v1/groups/${everyone}/users`)
    expect(page.body).toHaveLength(1000)
    expect(page.next).not.toBeNull()
    const capped = await get<Json[]>(sim, `/api/v1/groups/${everyone}/users?limit=5000`)
    expect(capped.body).toHaveLength(1000)
    const missing = await get<Json>(sim, '/api/v1/groups/00gMissing0000000000/users')
    expect(missing).toMatchObject({ status: 404, body: { errorCode: 'E0000007' } })
  })
})

describe('apps', () => {
  it('lists apps 20 per page by default (max 200) with sign-on modes and their settings shapes', async () => {
    const first = await get<Json[]>(sim, '/api/v1/apps')
    expect(first.body).toHaveLength(20)
    expect(first.next).not.toBeNull()
    const all = await get<Json[]>(sim, '/api/v1/apps?limit=500')
    expect(all.body).toHaveLength(30)
    expect(all.next).toBeNull()
    expect(all.body.map((a) => a.id)).toEqual(sim.org.appIds())
    const modes = new Set(all.body.map((a) => a.signOnMode))
    for (const m of ['SAML_2_0', 'OPENID_CONNECT', 'BOOKMARK', 'AUTO_LOGIN', 'BROWSER_PLUGIN']) expect(modes).toContain(m)
    const saml = all.body.find((a) => a.signOnMode === 'SAML_2_0')!
    expect(saml.settings.signOn.ssoAcsUrl).toMatch(/^https:/)
    const bookmark = all.body.find((a) => a.signOnMode === 'BOOKMARK')!
    expect(bookmark.settings.app.url).toMatch(/^https:/)
    expect(bookmark.settings.signOn).toBeUndefined()
    const one = await get<Json>(sim, `/api/v1/apps/${saml.id}`)
    expect(one.body.id).toBe(saml.id)
  })

  it('lists app users (50 default, 500 max) with USER and GROUP scopes', async () => {
    const appId = sim.org.appIds().find((a) => {
      const assignees = sim.org.appAssigneeIds(a)
      return assignees.length > 60
    })!
    const expected = sim.org.appAssigneeIds(appId)
    const first = await get<Json[]>(sim, `/api/v1/apps/${appId}/users`)
    expect(first.body).toHaveLength(50)
    const { items } = await getAll<Json>(sim, `/api/v1/apps/${appId}/users?limit=500`)
    expect(items.map((u) => u.id)).toEqual(expected)
    expect(items[0]).toMatchObject({ credentials: { userName: expect.any(String) }, _links: { app: { href: expect.stringContaining(appId) } } })
    const capped = await get<Json[]>(sim, `/api/v1/apps/${appId}/users?limit=100000`)
    expect(capped.body.length).toBe(Math.min(500, expected.length))
    const scopes = new Set<string>()
    for (const a of sim.org.appIds()) {
      const { items: users } = await getAll<Json>(sim, `/api/v1/apps/${a}/users?limit=500`)
      for (const u of users) {
        scopes.add(u.scope)
        if (u.scope === 'GROUP') expect(u._links.group.href).toContain('/api/v1/groups/')
        else expect(u._links.group).toBeUndefined()
      }
    }
    expect(scopes).toEqual(new Set(['USER', 'GROUP']))
  })

  it('reflects assignments, unassignments and app lifecycle in the listings', async () => {
    const appId = sim.org.createApp('Fresh App', 'OPENID_CONNECT')
    const users = [...sim.org.userIds()].slice(0, 3)
    sim.org.assignUser(appId, users[0]!)
    sim.org.assignUser(appId, users[1]!, 'GROUP')
    sim.org.assignUser(appId, users[2]!)
    sim.org.unassignUser(appId, users[2]!)
    const { items } = await getAll<Json>(sim, `/api/v1/apps/${appId}/users`)
    expect(items.map((u) => [u.id, u.scope])).toEqual([[users[0], 'USER'], [users[1], 'GROUP']])
    expect(items[1]!._links.group).toBeDefined()
    const app = await get<Json>(sim, `/api/v1/apps/${appId}`)
    expect(app.body).toMatchObject({ label: 'Fresh App', signOnMode: 'OPENID_CONNECT' })
    sim.org.deleteApp(appId)
    expect((await get<Json>(sim, `/api/v1/apps/${appId}`)).body.errorCode).toBe('E0000007')
    expect(sim.org.appIds()).not.toContain(appId)
  })
})
