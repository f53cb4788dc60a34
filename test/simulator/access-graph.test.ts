import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimulator, type Simulator } from '../../src/simulator/index.ts'
import { get, getAll, q, type Json, type Res } from './helpers.ts'

const NOW = new Date('2026-03-01T12:00:00.000Z')
let sim: Simulator

beforeAll(async () => {
  sim = await startSimulator({ seed: 7, size: { users: 1200, groups: 40, apps: 12, logEvents: 10 }, now: NOW })
})
afterAll(async () => {
  await sim.close()
})

/** Events of `eventType` published from `since` on. */
async function events(eventType: string, since: Date): Promise<Json[]> {
  const res = await get<Json[]>(sim, `/api/v1/logs?since=${q(since.toISOString())}&until=${q(new Date(sim.clock.now().getTime() + 1).toISOString())}&filter=${q(`eventType eq "${eventType}"`)}`)
  expect(res.status).toBe(200)
  return res.body
}

const targetsOf = (e: Json): Record<string, string> => Object.fromEntries((e.target as Json[]).map((t) => [t.type, t.id]))

describe('roles', () => {
  it('lists users holding roles as an envelope paged by body _links.next, with no Link header', async () => {
    const ids: string[] = []
    let url: string | null = '/api/v1/iam/assignees/users?limit=3'
    let pages = 0
    while (url !== null) {
      const res: Res<Json> = await get<Json>(sim, url)
      expect(res.status).toBe(200)
      expect(res.headers.get('link')).toBeNull()
      expect(Array.isArray(res.body.value)).toBe(true)
      for (const u of res.body.value as Json[]) {
        expect(u.orn).toContain(u.id)
        expect(u._links.roles.href).toContain(`/api/v1/users/${u.id}/roles`)
        ids.push(u.id)
      }
      url = res.body._links.next?.href ?? null
      pages++
    }
    expect(pages).toBeGreaterThan(1)
    expect(new Set(ids).size).toBe(ids.length)
    const userIds = [...sim.org.userIds()]
    expect(ids).toContain(userIds[0]) // the super admin
    // Every named user holds a role; a user not named holds none.
    for (const id of ids.slice(0, 5)) expect((await get<Json[]>(sim, `/api/v1/users/${id}/roles`)).body.length).toBeGreaterThan(0)
    const plain = userIds.find((id) => !ids.includes(id))!
    expect((await get<Json[]>(sim, `/api/v1/users/${plain}/roles`)).body).toEqual([])
  })

  it('user roles carry USER and GROUP assignments (custom roles with role and resource-set); group roles match the stats flag', async () => {
    const superAdmin = [...sim.org.userIds()][0]!
    const own = (await get<Json[]>(sim, `/api/v1/users/${superAdmin}/roles`)).body
    expect(own[0]).toMatchObject({ type: 'SUPER_ADMIN', status: 'ACTIVE', assignmentType: 'USER' })
    expect(own[0]!._links.assignee.href).toContain(superAdmin)

    const groups = (await getAll<Json>(sim, '/api/v1/groups?expand=stats')).items
    const admins = groups.filter((g) => g._embedded.stats.hasAdminPrivlege)
    expect(admins.length).toBeGreaterThan(0)
    for (const g of groups) {
      const roles = (await get<Json[]>(sim, `/api/v1/groups/${g.id}/roles`)).body
      expect(roles.length > 0).toBe(g._embedded.stats.hasAdminPrivlege)
    }
    const custom = (await get<Json[]>(sim, `/api/v1/groups/${admins[0]!.id}/roles`)).body.find((r) => r.type === 'CUSTOM')!
    expect(custom.id).toMatch(/^irb/)
    expect(custom.role).toMatch(/^cr0/)
    expect(custom['resource-set']).toMatch(/^iam/)
    const member = sim.org.groupMemberIds(admins[0]!.id)[0]!
    const viaGroup = (await get<Json[]>(sim, `/api/v1/users/${member}/roles`)).body.filter((r) => r.assignmentType === 'GROUP')
    expect(viaGroup.map((r) => r.id)).toEqual(expect.arrayContaining([custom.id]))
    expect(viaGroup[0]!._links.assignee.href).toContain(admins[0]!.id)
  })

  it('grant and revoke change the listings and log privilege events', async () => {
    const since = sim.clock.now()
    const userId = [...sim.org.userIds()][20]!
    const roleId = sim.org.grantUserRole(userId, 'APP_ADMIN')
    expect((await get<Json[]>(sim, `/api/v1/users/${userId}/roles`)).body.map((r) => r.id)).toContain(roleId)
    const group = sim.org.groupIds().find((g) => g !== sim.org.groupIds()[0])!
    const before = (await get<Json[]>(sim, `/api/v1/groups/${group}/roles`)).body.length
    const groupRole = sim.org.grantGroupRole(group, 'HELP_DESK_ADMIN')
    const stats = (await get<Json>(sim, `/api/v1/groups?filter=${q(`id eq "${group}"`)}&expand=stats`)).body[0]._embedded.stats
    expect(stats.hasAdminPrivlege).toBe(true)
    sim.org.revokeUserRole(userId, roleId)
    sim.org.revokeGroupRole(group, groupRole)
    expect((await get<Json[]>(sim, `/api/v1/users/${userId}/roles`)).body.map((r) => r.id)).not.toContain(roleId)
    expect((await get<Json[]>(sim, `/api/v1/groups/${group}/roles`)).body.length).toBe(before)
    const grant = await events('user.account.privilege.grant', since)
    expect(grant.map(targetsOf)).toEqual([{ User: userId }])
    expect(grant[0]!.debugContext.debugData.privilegeGranted).toBe('Application Administrator')
    expect((await events('user.account.privilege.revoke', since)).map(targetsOf)).toEqual([{ User: userId }])
    expect((await events('group.privilege.grant', since)).map(targetsOf)).toEqual([{ UserGroup: group }])
    expect((await events('group.privilege.revoke', since)).map(targetsOf)).toEqual([{ UserGroup: group }])
  })

  it('needs okta.roles.read', async () => {
    const scoped = await startSimulator({ seed: 7, size: { users: 10, logEvents: 0 }, now: NOW, scopedTokens: { narrow: ['okta.users.read'] } })
    try {
      const res = await get<Json>(scoped, '/api/v1/iam/assignees/users', { token: 'narrow' })
      expect(res.status).toBe(403)
      expect(res.headers.get('www-authenticate')).toContain('okta.roles.read')
    } finally {
      await scoped.close()
    }
  })
})

describe('factors', () => {
  it('lists factors of several types with type-specific profiles; enrol and reset log their events', async () => {
    const seen = new Map<string, Json>()
    for (const id of [...sim.org.userIds()].slice(0, 200)) {
      for (const f of (await get<Json[]>(sim, `/api/v1/users/${id}/factors`)).body) seen.set(f.factorType, f)
    }
    expect(seen.size).toBeGreaterThanOrEqual(4)
    expect(seen.get('sms')?.profile.phoneNumber).toMatch(/^\+1-555-/)
    expect(seen.get('push')?.profile).toMatchObject({ deviceType: expect.any(String), platform: 'IOS' })
    expect(seen.get('webauthn')?.profile.authenticatorName).toBeTruthy()

    const since = sim.clock.now()
    const userId = [...sim.org.userIds()][30]!
    const factorId = sim.org.enrollFactor(userId, 'webauthn')
    const listed = (await get<Json[]>(sim, `/api/v1/users/${userId}/factors`)).body
    expect(listed.find((f) => f.id === factorId)).toMatchObject({ factorType: 'webauthn', provider: 'FIDO', status: 'ACTIVE' })
    sim.org.resetFactor(userId, factorId)
    expect((await get<Json[]>(sim, `/api/v1/users/${userId}/factors`)).body.map((f) => f.id)).not.toContain(factorId)
    const enrolled = await events('user.mfa.factor.activate', since)
    expect(enrolled.map(targetsOf)).toEqual([{ User: userId, AuthenticatorEnrollment: factorId }])
    expect((await events('user.mfa.factor.deactivate', since)).map(targetsOf)).toEqual([{ User: userId, AuthenticatorEnrollment: factorId }])
    sim.org.resetAllFactors(userId)
    expect((await get<Json[]>(sim, `/api/v1/users/${userId}/factors`)).body).toEqual([])
    expect((await events('user.mfa.factor.reset_all', since)).map(targetsOf)).toEqual([{ User: userId }])
  })
})

describe('app ↔ group assignments', () => {
  it('assign / unassign a group change /apps/{id}/groups and the app users, logging group.application_assignment events', async () => {
    const appId = sim.org.appIds()[2]!
    const listed = async (): Promise<string[]> => (await getAll<Json>(sim, `/api/v1/apps/${appId}/groups?limit=20`)).items.map((g) => g.id)
    const group = sim.org.groupIds().find((g, i) => i > 0 && sim.org.groupMemberIds(g).length > 0 && !sim.org.groupMemberIds(g).every((u) => sim.org.appAssigneeIds(appId).includes(u)))!
    const before = await listed()
    expect(before).not.toContain(group)
    const since = sim.clock.now()
    sim.org.assignGroupToApp(appId, group)
    expect(await listed()).toContain(group)
    const item = (await getAll<Json>(sim, `/api/v1/apps/${appId}/groups`)).items.find((g) => g.id === group)!
    expect(item).toMatchObject({ profile: {}, priority: expect.any(Number), lastUpdated: expect.any(String) })
    expect(new Date(item.lastUpdated).getTime()).toBeGreaterThanOrEqual(since.getTime())
    expect(sim.org.appAssigneeIds(appId)).toEqual(expect.arrayContaining(sim.org.groupMemberIds(group)))
    sim.org.unassignGroupFromApp(appId, group)
    expect(await listed()).toEqual(before)
    expect((await events('group.application_assignment.add', since)).map(targetsOf)).toEqual([{ AppInstance: appId, UserGroup: group }])
    expect((await events('group.application_assignment.remove', since)).map(targetsOf)).toEqual([{ AppInstance: appId, UserGroup: group }])
  })
})

describe('group rules, user types, user schema', () => {
  it('lists group rules with Link paging and expand=groupIdToGroupNameMap; edits show', async () => {
    const { items, pages } = await getAll<Json>(sim, '/api/v1/groups/rules?limit=2&expand=groupIdToGroupNameMap')
    expect(pages).toBeGreaterThan(1)
    expect(items.length).toBeGreaterThanOrEqual(4)
    const rule = items[0]!
    expect(rule).toMatchObject({ type: 'group_rule', status: 'ACTIVE', conditions: { expression: { type: 'urn:okta:expression:1.0' } } })
    const target = rule.actions.assignUserToGroups.groupIds[0]
    expect(rule._embedded.groupIdToGroupNameMap[target]).toBeTruthy()
    sim.org.updateGroupRule(rule.id, { status: 'INACTIVE' })
    const created = sim.org.createGroupRule('New rule', 'user.title=="CEO"', [target])
    const after = (await getAll<Json>(sim, '/api/v1/groups/rules')).items
    expect(after.find((r) => r.id === rule.id)!.status).toBe('INACTIVE')
    expect(after.map((r) => r.id)).toContain(created)
    sim.org.deleteGroupRule(created)
    expect((await getAll<Json>(sim, '/api/v1/groups/rules')).items.map((r) => r.id)).not.toContain(created)
  })

  it('serves user types (exactly one default) and the default user schema with base and custom attributes', async () => {
    const types = (await get<Json[]>(sim, '/api/v1/meta/types/user')).body
    expect(types.filter((t) => t.default).map((t) => t.name)).toEqual(['user'])
    expect(types[0]!._links.schema.href).toContain('/api/v1/meta/schemas/user/osc')
    sim.org.declareCustomAttribute('costCode', { type: 'string', title: 'Cost code' })
    const schema = (await get<Json>(sim, '/api/v1/meta/schemas/user/default')).body
    expect(schema.definitions.base.required).toEqual(['login', 'firstName', 'lastName', 'email'])
    const custom = schema.definitions.custom.properties
    expect(custom.employeeLevel.type).toBe('integer')
    expect(custom.hourlyRate.type).toBe('number')
    expect(custom.entitlements).toMatchObject({ type: 'array', items: { type: 'string' } })
    expect(custom.costCode).toMatchObject({ type: 'string', title: 'Cost code', mutability: 'READ_WRITE' })
    expect(custom.badgeNumber).toBeTruthy() // declared, held by no user
  })

  it('user types can be created, edited and deleted (not the default one); a custom attribute can be removed from the schema and from every user', async () => {
    const types = async (): Promise<Json[]> => (await get<Json[]>(sim, '/api/v1/meta/types/user')).body
    const before = await types()
    sim.clock.freeze()
    const id = sim.org.createUserType('partner', 'Partner', 'Partner accounts')
    expect(id).toMatch(/^oty/)
    const created = (await types()).find((t) => t.id === id)!
    expect(created).toMatchObject({ name: 'partner', displayName: 'Partner', default: false, created: sim.clock.now().toISOString() })
    sim.clock.advance(1000)
    sim.org.updateUserType(id, { displayName: 'Partner (external)' })
    const edited = (await types()).find((t) => t.id === id)!
    expect(edited).toMatchObject({ displayName: 'Partner (external)', created: created.created, lastUpdated: sim.clock.now().toISOString() })
    sim.clock.unfreeze()
    expect(() => sim.org.createUserType('partner', 'Again')).toThrow(/exists/)
    sim.org.deleteUserType(id)
    expect((await types()).map((t) => t.id)).toEqual(before.map((t) => t.id))
    const defaultType = before.find((t) => t.default)!
    expect(() => sim.org.deleteUserType(defaultType.id)).toThrow(/default/)

    const someone = [...sim.org.userIds()][3]!
    sim.org.addCustomAttribute('shoeSize', () => 42)
    sim.org.updateUser(someone, { title: 'Materialized' })
    expect(sim.org.getUser(someone)!['profile']).toHaveProperty('shoeSize', 42)
    sim.org.removeCustomAttribute('shoeSize')
    const custom = (await get<Json>(sim, '/api/v1/meta/schemas/user/default')).body.definitions.custom.properties
    expect(custom).not.toHaveProperty('shoeSize')
    expect(sim.org.getUser(someone)!['profile']).not.toHaveProperty('shoeSize')
    expect(sim.org.getUser([...sim.org.userIds()][4]!)!['profile']).not.toHaveProperty('shoeSize')
    expect(() => sim.org.removeCustomAttribute('login')).toThrow(/base attribute/)
    expect(() => sim.org.removeCustomAttribute('employeeLevel')).toThrow(/generated user/)
    expect(() => sim.org.removeCustomAttribute('noSuchThing')).toThrow(/no custom attribute/)
  })
})
