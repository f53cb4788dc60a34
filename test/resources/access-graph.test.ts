import { afterEach, describe, expect, it } from 'vitest'
import type { ResourceName } from '../../src/resources/types.ts'
import { Mirror, run, startOrg, type Org } from './harness.ts'

const MINUTE = 60_000
let org: Org | undefined

afterEach(async () => {
  await org?.close()
  org = undefined
})

const paths = (requests: Org['sim']['requests'], pattern: RegExp): string[] => requests.filter((r) => pattern.test(r.path)).map((r) => r.path)

/** Runs `name` with the System Log selected (so the run may narrow), after the org clock moved on. */
async function nightly(o: Org, mirror: Mirror, name: ResourceName): ReturnType<typeof run> {
  return run(o, mirror, name, { selected: [name, 'system_log'] })
}

describe('app_groups', () => {
  it('loads every app-group assignment, then re-pulls only apps with assignment events; removals and deleted groups are marked', async () => {
    org = await startOrg({ size: { users: 300, groups: 20, apps: 10, logEvents: 20, logDays: 1 } })
    const { sim } = org
    const mirror = new Mirror()
    await nightly(org, mirror, 'app_groups')
    const expected: string[] = []
    for (const appId of sim.org.appIds()) {
      const res = await org.client.get<{ id: string }[]>(`/api/v1/apps/${appId}/groups`, { query: { limit: 200 } })
      for (const g of res) expected.push(`${appId}|${g.id}`)
    }
    expect(expected.length).toBeGreaterThan(0)
    expect(mirror.liveKeys('app_groups')).toEqual(expected.sort())
    expect(mirror.live('app_groups')[0]).toMatchObject({ priority: expect.any(Number), _links: expect.any(Object) })

    sim.clock.advance(MINUTE)
    const appId = sim.org.appIds()[3]!
    const groupId = sim.org.groupIds().find((g) => !expected.includes(`${appId}|${g}`))!
    sim.org.assignGroupToApp(appId, groupId)
    sim.clock.advance(MINUTE)
    const second = await nightly(org, mirror, 'app_groups')
    expect(paths(second.requests, /\/apps\/[^/]+\/groups$/)).toEqual([`/api/v1/apps/${appId}/groups`])
    expect(mirror.liveKeys('app_groups')).toContain(`${appId}|${groupId}`)

    sim.clock.advance(MINUTE)
    sim.org.unassignGroupFromApp(appId, groupId)
    sim.clock.advance(MINUTE)
    await nightly(org, mirror, 'app_groups')
    expect(mirror.deletedKeys('app_groups')).toEqual([`${appId}|${groupId}`])

    // A deleted group takes its assignments with it through the System Log (no event per app).
    const [doomedApp, doomed] = expected[0]!.split('|') as [string, string]
    sim.clock.advance(MINUTE)
    await run(org, mirror, 'system_log')
    sim.org.deleteGroup(doomed)
    sim.clock.advance(MINUTE)
    await run(org, mirror, 'system_log')
    expect(mirror.deletedKeys('app_groups')).toContain(`${doomedApp}|${doomed}`)
  })
})

describe('user_roles', () => {
  it('in a 10,000-user org, one grant re-pulls the roles of one user, not every user; a revoke that leaves none sweeps the user', async () => {
    org = await startOrg({ size: { users: 10_000, groups: 40, apps: 5, logEvents: 20, logDays: 1 } })
    const { sim } = org
    const mirror = new Mirror()
    const first = await nightly(org, mirror, 'user_roles')
    const pulled = paths(first.requests, /\/users\/[^/]+\/roles$/)
    // A first load asks once per user holding a role (directly or through an admin group).
    expect(pulled.length).toBeGreaterThan(10)
    expect(pulled.length).toBeLessThan(sim.org.counts().users / 2)
    expect(new Set(mirror.live('user_roles').map((r) => r['user_id'])).size).toBe(pulled.length)
    const superAdmin = [...sim.org.userIds()][0]!
    expect(mirror.live('user_roles').filter((r) => r['user_id'] === superAdmin).map((r) => r['type'])).toContain('SUPER_ADMIN')
    expect(new Set(mirror.live('user_roles').map((r) => r['assignmentType']))).toEqual(new Set(['USER', 'GROUP']))

    sim.clock.advance(MINUTE)
    const userId = [...sim.org.userIds()].find((id) => !mirror.live('user_roles').some((r) => r['user_id'] === id))!
    const roleId = sim.org.grantUserRole(userId, 'REPORT_ADMIN')
    sim.clock.advance(MINUTE)
    const second = await nightly(org, mirror, 'user_roles')
    expect(paths(second.requests, /\/users\/[^/]+\/roles$/)).toEqual([`/api/v1/users/${userId}/roles`])
    expect(mirror.liveKeys('user_roles')).toContain(`${userId}|${roleId}`)

    // A user already holding roles: named by the event, re-pulled alone.
    sim.clock.advance(MINUTE)
    const extra = sim.org.grantUserRole(superAdmin, 'APP_ADMIN')
    sim.clock.advance(MINUTE)
    const third = await nightly(org, mirror, 'user_roles')
    expect(paths(third.requests, /\/users\/[^/]+\/roles$/)).toEqual([`/api/v1/users/${superAdmin}/roles`])
    expect(mirror.liveKeys('user_roles')).toContain(`${superAdmin}|${extra}`)

    sim.clock.advance(MINUTE)
    sim.org.revokeUserRole(userId, roleId)
    sim.clock.advance(MINUTE)
    const fourth = await nightly(org, mirror, 'user_roles')
    expect(paths(fourth.requests, /\/users\/[^/]+\/roles$/)).toEqual([])
    expect(mirror.deletedKeys('user_roles')).toEqual([`${userId}|${roleId}`])
  })
})

describe('group_roles', () => {
  it('pulls the groups whose stats flag says they hold roles; a grant re-pulls that group; a flag turned off sweeps it', async () => {
    org = await startOrg({ size: { users: 400, groups: 200, apps: 3, logEvents: 10, logDays: 1 } })
    const { sim } = org
    const mirror = new Mirror()
    const first = await nightly(org, mirror, 'group_roles')
    const pulled = paths(first.requests, /\/groups\/[^/]+\/roles$/)
    expect(pulled.length).toBeGreaterThan(0)
    expect(pulled.length).toBeLessThan(sim.org.groupIds().length / 10)
    expect(mirror.live('group_roles').map((r) => r['type'])).toEqual(expect.arrayContaining(['USER_ADMIN', 'CUSTOM']))
    const custom = mirror.live('group_roles').find((r) => r['type'] === 'CUSTOM')!
    expect(custom['role']).toMatch(/^cr0/)

    sim.clock.advance(MINUTE)
    const groupId = sim.org.groupIds().find((g, i) => i > 0 && !pulled.includes(`/api/v1/groups/${g}/roles`))!
    const roleId = sim.org.grantGroupRole(groupId, 'HELP_DESK_ADMIN')
    sim.clock.advance(MINUTE)
    const second = await nightly(org, mirror, 'group_roles')
    expect(paths(second.requests, /\/groups\/[^/]+\/roles$/)).toEqual([`/api/v1/groups/${groupId}/roles`])
    expect(mirror.liveKeys('group_roles')).toContain(`${groupId}|${roleId}`)

    sim.clock.advance(MINUTE)
    sim.org.revokeGroupRole(groupId, roleId)
    sim.clock.advance(MINUTE)
    await nightly(org, mirror, 'group_roles')
    expect(mirror.deletedKeys('group_roles')).toEqual([`${groupId}|${roleId}`])
  })
})

describe('user_factors', () => {
  it('pulls every user once, then only users with factor events; a reset marks the factor deleted', async () => {
    org = await startOrg({ size: { users: 150, groups: 5, apps: 2, logEvents: 10, logDays: 1 } })
    const { sim } = org
    const mirror = new Mirror()
    const first = await nightly(org, mirror, 'user_factors')
    expect(paths(first.requests, /\/factors$/).length).toBe(sim.org.counts().users)
    expect(new Set(mirror.live('user_factors').map((f) => f['factorType'])).size).toBeGreaterThanOrEqual(4)

    sim.clock.advance(MINUTE)
    const userId = [...sim.org.userIds()][42]!
    const factorId = sim.org.enrollFactor(userId, 'webauthn')
    sim.clock.advance(MINUTE)
    const second = await nightly(org, mirror, 'user_factors')
    expect(paths(second.requests, /\/factors$/)).toEqual([`/api/v1/users/${userId}/factors`])
    expect(mirror.liveKeys('user_factors')).toContain(`${userId}|${factorId}`)

    sim.clock.advance(MINUTE)
    sim.org.resetFactor(userId, factorId)
    sim.clock.advance(MINUTE)
    await nightly(org, mirror, 'user_factors')
    expect(mirror.deletedKeys('user_factors')).toEqual([`${userId}|${factorId}`])
  })
})

describe('group_rules, user_types, user_schema', () => {
  it('list in full each run, write only what changed and mark what vanished', async () => {
    org = await startOrg({ size: { users: 50, groups: 20, apps: 2, logEvents: 10, logDays: 1 } })
    const { sim } = org
    const mirror = new Mirror()
    const rules = await run(org, mirror, 'group_rules')
    expect(rules.requests).toHaveLength(1)
    const live = mirror.live('group_rules')
    expect(live.length).toBeGreaterThanOrEqual(4)
    expect(live[0]).toMatchObject({ type: 'group_rule', conditions: { expression: { value: expect.stringContaining('user.') } } })
    const again = await run(org, mirror, 'group_rules')
    expect(again.records).toEqual([])
    sim.clock.advance(MINUTE)
    const edited = live[1]!['id'] as string
    sim.org.updateGroupRule(edited, { status: 'INACTIVE' })
    const gone = live[2]!['id'] as string
    sim.org.deleteGroupRule(gone)
    const third = await run(org, mirror, 'group_rules')
    expect(third.records.map((r) => r['id'])).toEqual([edited])
    expect(mirror.deletedKeys('group_rules')).toEqual([gone])

    const types = await run(org, mirror, 'user_types')
    expect(types.requests.map((r) => r.path)).toEqual(['/api/v1/meta/types/user'])
    expect(mirror.live('user_types').filter((t) => t['default'] === true).map((t) => t['name'])).toEqual(['user'])

    const schema = await run(org, mirror, 'user_schema')
    expect(schema.requests).toHaveLength(1)
    const attrs = new Map(mirror.live('user_schema').map((a) => [a['name'], a]))
    expect(attrs.get('login')).toMatchObject({ section: 'base', type: 'string', required: true })
    expect(attrs.get('employeeLevel')).toMatchObject({ section: 'custom', type: 'integer', required: false })
    expect(attrs.get('entitlements')).toMatchObject({ type: 'array', items: { type: 'string' } })
    expect((await run(org, mirror, 'user_schema')).records).toEqual([])
    sim.org.declareCustomAttribute('costCode', { type: 'string', title: 'Cost code' })
    const changed = await run(org, mirror, 'user_schema')
    expect(changed.records.map((r) => r['name'])).toEqual(['costCode'])
  })
})
