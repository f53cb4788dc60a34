import { afterEach, describe, expect, it } from 'vitest'
import { Mirror, run, startOrg, type Org } from './harness.ts'

const MINUTE = 60_000

function assignments(org: Org): string[] {
  return org.sim.org.appIds().flatMap((a) => org.sim.org.appAssigneeIds(a).map((u) => `${a}|${u}`)).sort()
}

const memberPulls = (requests: readonly { path: string }[]) => requests.filter((r) => /^\/api\/v1\/apps\/[^/]+\/users$/.test(r.path)).map((r) => r.path.split('/')[4]!).sort()

describe('apps extractor', () => {
  let org: Org
  afterEach(async () => org?.close())

  it('lists every app each run and sweeps apps that disappeared', async () => {
    org = await startOrg({ size: { users: 100, groups: 4, apps: 8, logEvents: 0 } })
    const mirror = new Mirror()
    const first = await run(org, mirror, 'apps')
    expect(first.requests).toHaveLength(1)
    expect(new URL(first.requests[0]!.url, org.sim.url).searchParams.get('limit')).toBe('200')
    expect(mirror.liveKeys('apps')).toEqual([...org.sim.org.appIds()].sort())
    expect(first.batches.at(-1)!.sweep).toEqual({ resource: 'apps' })

    const victim = org.sim.org.appIds()[2]!
    org.sim.clock.advance(MINUTE)
    org.sim.org.deleteApp(victim)
    const second = await run(org, mirror, 'apps')
    expect(second.requests).toHaveLength(1)
    expect(mirror.deletedKeys('apps')).toEqual([victim])
    expect(mirror.liveKeys('apps')).toHaveLength(7)
  })
})

describe('apps_assigned extractor', () => {
  let org: Org
  afterEach(async () => org?.close())

  it('re-pulls every app by default, rows keyed (app_id, user_id), and applies unassignments per app', async () => {
    org = await startOrg({ size: { users: 200, groups: 4, apps: 6, logEvents: 0 } })
    const mirror = new Mirror()
    const first = await run(org, mirror, 'apps_assigned')
    expect(mirror.liveKeys('apps_assigned')).toEqual(assignments(org))
    const row = first.records[0]!
    expect(typeof row['app_id']).toBe('string')
    expect(typeof row['user_id']).toBe('string')
    expect(row).not.toHaveProperty('id')
    expect(row).toHaveProperty('scope')
    const listing = first.requests.filter((r) => r.path === '/api/v1/apps')
    expect(listing).toHaveLength(1)
    expect(memberPulls(first.requests)).toEqual([...org.sim.org.appIds()].sort())
    expect(new URL(first.requests.find((r) => r.path.endsWith('/users'))!.url, org.sim.url).searchParams.get('limit')).toBe('500')

    const app = org.sim.org.appIds().find((a) => org.sim.org.appAssigneeIds(a).length > 0)!
    const removed = org.sim.org.appAssigneeIds(app)[0]!
    org.sim.clock.advance(MINUTE)
    org.sim.org.unassignUser(app, removed)
    const second = await run(org, mirror, 'apps_assigned')
    // Without the System Log in the run, every app is re-pulled.
    expect(memberPulls(second.requests)).toHaveLength(6)
    expect(second.batches.flatMap((b) => (b.sweep ? [b.sweep] : []))).toContainEqual({ resource: 'apps_assigned', parentId: app })
    expect(mirror.deletedKeys('apps_assigned')).toEqual([`${app}|${removed}`])
    expect(mirror.liveKeys('apps_assigned')).toEqual(assignments(org))
  })

  it('with system_log selected, re-pulls only apps with assignment or lifecycle events, plus new apps', async () => {
    org = await startOrg({ size: { users: 200, groups: 4, apps: 10, logEvents: 0 } })
    const mirror = new Mirror()
    const selected = ['apps', 'apps_assigned', 'system_log'] as const
    const first = await run(org, mirror, 'apps_assigned', { selected })
    expect(memberPulls(first.requests)).toHaveLength(10)
    expect(mirror.cursor('apps_assigned')).toEqual({ passStartedAt: expect.any(String) })

    org.sim.clock.advance(MINUTE)
    const quiet = await run(org, mirror, 'apps_assigned', { selected })
    expect(memberPulls(quiet.requests)).toEqual([])
    // One app listing (apps bucket) and one bounded System Log query (logs bucket).
    expect(quiet.requests.map((r) => r.path).sort()).toEqual(['/api/v1/apps', '/api/v1/logs'])
    const logQuery = new URL(quiet.requests.find((r) => r.path === '/api/v1/logs')!.url, org.sim.url).searchParams
    expect(logQuery.get('until')).toBeTruthy()
    expect(logQuery.get('since')).toBeTruthy()
    expect(logQuery.get('filter')).toBe('eventType sw "application.user_membership" or eventType sw "application.lifecycle"')

    // An app we hold no cursor for (never pulled in full) is pulled even without events.
    const uncovered = org.sim.org.appIds()[5]!
    mirror.state.delete(`apps_assigned\u0000${uncovered}`)
    org.sim.clock.advance(MINUTE)
    const catchUp = await run(org, mirror, 'apps_assigned', { selected })
    expect(memberPulls(catchUp.requests)).toEqual([uncovered])

    org.sim.clock.advance(MINUTE)
    const [assignedTo, unassignedFrom] = org.sim.org.appIds().slice(1, 3) as [string, string]
    const user = [...org.sim.org.userIds()].find((u) => !org.sim.org.appAssigneeIds(assignedTo).includes(u))!
    org.sim.org.assignUser(assignedTo, user)
    const leaving = org.sim.org.appAssigneeIds(unassignedFrom)[0]!
    org.sim.org.unassignUser(unassignedFrom, leaving)
    const created = org.sim.org.createApp('Brand New')
    org.sim.org.assignUser(created, user)
    org.sim.clock.advance(MINUTE)

    const narrowed = await run(org, mirror, 'apps_assigned', { selected })
    expect(memberPulls(narrowed.requests)).toEqual([assignedTo, unassignedFrom, created].sort())
    expect(mirror.liveKeys('apps_assigned')).toEqual(assignments(org))
    expect(mirror.deletedKeys('apps_assigned')).toEqual([`${unassignedFrom}|${leaving}`])

    // A full refresh ignores the narrowing.
    const full = await run(org, mirror, 'apps_assigned', { selected, fullRefresh: true })
    expect(memberPulls(full.requests)).toHaveLength(11)
    expect(full.requests.some((r) => r.path === '/api/v1/logs')).toBe(false)
    expect(mirror.liveKeys('apps_assigned')).toEqual(assignments(org))
  })

  it('sweeps the assignments of a deleted app and drops its cursor', async () => {
    org = await startOrg({ size: { users: 150, groups: 4, apps: 5, logEvents: 0 } })
    const mirror = new Mirror()
    await run(org, mirror, 'apps_assigned')
    const victim = org.sim.org.appIds().find((a) => org.sim.org.appAssigneeIds(a).length > 0)!
    const victimRows = org.sim.org.appAssigneeIds(victim).map((u) => `${victim}|${u}`).sort()
    org.sim.clock.advance(MINUTE)
    org.sim.org.deleteApp(victim)

    await run(org, mirror, 'apps_assigned', { selected: ['apps_assigned', 'system_log'] })
    expect(mirror.deletedKeys('apps_assigned')).toEqual(victimRows)
    expect(mirror.cursor('apps_assigned', victim)).toBeUndefined()
    expect(mirror.liveKeys('apps_assigned')).toEqual(assignments(org))
  })
})
