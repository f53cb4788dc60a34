import { afterEach, describe, expect, it } from 'vitest'
import { RESOURCES } from '../../src/resources/index.ts'
import { Mirror, run, startOrg, type Org } from './harness.ts'

const MINUTE = 60_000

function assignments(org: Org): string[] {
  return org.sim.org.appIds().flatMap((a) => org.sim.org.appAssigneeIds(a).map((u) => `${a}|${u}`)).sort()
}

const memberPulls = (requests: readonly { path: string }[]) => requests.filter((r) => /^\/api\/v1\/apps\/[^/]+\/users$/.test(r.path)).map((r) => r.path.split('/')[4]!).sort()

describe('apps extractor', () => {
  let org: Org
  afterEach(async () => org?.close())
  const versions = (mirror: Mirror): Record<string, string> => (mirror.cursor('apps') as { versions: Record<string, string> }).versions

  it('lists every app each run but writes only new or changed ones, and marks vanished apps deleted by key', async () => {
    org = await startOrg({ size: { users: 100, groups: 4, apps: 8, logEvents: 0 } })
    const mirror = new Mirror()
    const first = await run(org, mirror, 'apps')
    expect(first.requests).toHaveLength(1)
    expect(new URL(first.requests[0]!.url, org.sim.url).searchParams.get('limit')).toBe('200')
    expect(mirror.liveKeys('apps')).toEqual([...org.sim.org.appIds()].sort())
    // No saved versions yet: everything written, and the table reconciled by a sweep.
    expect(first.batches.at(-1)!.sweep).toEqual({ resource: 'apps' })
    expect(versions(mirror)).toEqual(Object.fromEntries(first.records.map((a) => [a['id'], a['lastUpdated']])))

    const quiet = await run(org, mirror, 'apps')
    expect(quiet.requests).toHaveLength(1)
    expect(quiet.records).toEqual([])
    expect(quiet.batches.some((b) => b.sweep || b.deletes)).toBe(false)

    const [victim, stale] = org.sim.org.appIds().slice(2, 4) as [string, string]
    org.sim.clock.advance(MINUTE)
    org.sim.org.deleteApp(victim)
    const created = org.sim.org.createApp('Brand New')
    // As if `stale` had changed in Okta since we loaded it (the simulator has no app update).
    versions(mirror)[stale] = '2001-01-01T00:00:00.000Z'
    const second = await run(org, mirror, 'apps')
    expect(second.requests).toHaveLength(1)
    expect(second.records.map((a) => a['id']).sort()).toEqual([created, stale].sort())
    // A set difference, not a sweep: a sweep would also hit the six unchanged apps this load did not write.
    expect(second.batches.some((b) => b.sweep)).toBe(false)
    expect(second.batches.flatMap((b) => b.deletes ?? [])).toEqual([{ resource: 'apps', keys: [[victim]] }])
    expect(mirror.deletedKeys('apps')).toEqual([victim])
    expect(mirror.liveKeys('apps')).toEqual([...org.sim.org.appIds()].sort())
    expect(Object.keys(versions(mirror)).sort()).toEqual([...org.sim.org.appIds()].sort())
  })

  it('a crash mid-listing keeps every saved id in the cursor and claims only apps committed', async () => {
    // 250 apps: two pages.
    org = await startOrg({ size: { users: 100, groups: 4, apps: 250, logEvents: 0 } })
    const mirror = new Mirror()
    // A first run that dies after page 1: the cursor names exactly the 200 apps written.
    const crashed = await run(org, mirror, 'apps', { crashAfter: 1 })
    expect(crashed.records).toHaveLength(200)
    expect(Object.keys(versions(mirror)).sort()).toEqual(mirror.liveKeys('apps'))
    expect(mirror.cursor('apps')).not.toHaveProperty('listedAt')

    const apps = org.sim.org.appIds()
    const goneEarly = apps[5]!
    org.sim.clock.advance(MINUTE)
    org.sim.org.deleteApp(goneEarly)
    await run(org, mirror, 'apps')
    expect(mirror.deletedKeys('apps')).toEqual([goneEarly])
    expect(mirror.liveKeys('apps')).toEqual([...org.sim.org.appIds()].sort())

    // Another crash after page 1, with an app deleted and one created (on page 2): the deleted app
    // stays in the cursor until a complete listing proves it gone; the new one is not named yet.
    const goneLater = org.sim.org.appIds()[10]!
    org.sim.org.deleteApp(goneLater)
    const created = org.sim.org.createApp('Late Arrival')
    const partial = await run(org, mirror, 'apps', { crashAfter: 1 })
    expect(partial.records).toEqual([])
    expect(versions(mirror)).toHaveProperty(goneLater)
    expect(versions(mirror)).not.toHaveProperty(created)
    const resumed = await run(org, mirror, 'apps')
    expect(resumed.records.map((a) => a['id'])).toEqual([created])
    expect(mirror.deletedKeys('apps')).toEqual([goneEarly, goneLater].sort())
    expect(mirror.liveKeys('apps')).toEqual([...org.sim.org.appIds()].sort())
    expect((await run(org, mirror, 'apps')).records).toEqual([])
  })

  it('a full refresh, or a cursor without versions, writes every app and reconciles by a sweep', async () => {
    org = await startOrg({ size: { users: 100, groups: 4, apps: 6, logEvents: 0 } })
    const mirror = new Mirror()
    await run(org, mirror, 'apps')
    const full = await run(org, mirror, 'apps', { fullRefresh: true })
    expect(full.records).toHaveLength(6)
    expect(full.batches.at(-1)!.sweep).toEqual({ resource: 'apps' })
    expect(mirror.liveKeys('apps')).toHaveLength(6)

    // A cursor written before versions were kept.
    mirror.commit(RESOURCES.apps, { resource: 'apps', records: [], state: [{ resource: 'apps', parentId: '', cursor: { listedAt: '2024-01-01T00:00:00.000Z' } }] }, mirror.newLoad())
    const victim = org.sim.org.appIds()[0]!
    org.sim.org.deleteApp(victim)
    const legacy = await run(org, mirror, 'apps')
    expect(legacy.records).toHaveLength(5)
    expect(mirror.deletedKeys('apps')).toEqual([victim])
    expect(Object.keys(versions(mirror))).toHaveLength(5)
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
    // Every app re-pulled: nothing before the pass is left to find in the log.
    const { passStartedAt } = mirror.cursor('apps_assigned') as { passStartedAt: string }
    expect(mirror.cursor('apps_assigned')).toEqual({ passStartedAt, logSince: passStartedAt })

    org.sim.clock.advance(MINUTE)
    const quiet = await run(org, mirror, 'apps_assigned', { selected })
    expect(memberPulls(quiet.requests)).toEqual([])
    // One app listing (apps bucket) and one bounded System Log query (logs bucket).
    expect(quiet.requests.map((r) => r.path).sort()).toEqual(['/api/v1/apps', '/api/v1/logs'])
    const logQuery = new URL(quiet.requests.find((r) => r.path === '/api/v1/logs')!.url, org.sim.url).searchParams
    expect(logQuery.get('until')).toBeTruthy()
    expect(logQuery.get('since')).toBeTruthy()
    expect(logQuery.get('since')).toBe(passStartedAt)
    expect(logQuery.get('filter')).toBe(
      'eventType sw "application.user_membership" or eventType sw "group.application_assignment" or eventType sw "application.lifecycle" or eventType eq "user.lifecycle.delete.completed"',
    )

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

  it('a pass right after a narrowed pass skips the events already acted upon, but not a late one in the overlap', async () => {
    org = await startOrg({ size: { users: 200, groups: 4, apps: 8, logEvents: 0 } })
    const mirror = new Mirror()
    const opts = { selected: ['apps', 'apps_assigned', 'system_log'] as const, options: { lookbackMs: 5 * MINUTE } }
    await run(org, mirror, 'apps_assigned', opts)
    org.sim.clock.advance(MINUTE)
    const [touched, other, lateApp] = org.sim.org.appIds().slice(0, 3) as [string, string, string]
    const user = [...org.sim.org.userIds()].find((u) => !org.sim.org.appAssigneeIds(touched).includes(u))!
    org.sim.org.assignUser(touched, user)
    org.sim.clock.advance(1000)

    const narrowed = await run(org, mirror, 'apps_assigned', opts)
    expect(memberPulls(narrowed.requests)).toEqual([touched])
    const cursor = mirror.cursor('apps_assigned') as { passStartedAt: string; logSince: string; seenEvents: Record<string, string> }
    // The previous pass re-pulled every app, so the overlap cannot start before it.
    expect(Date.parse(cursor.logSince)).toBeGreaterThanOrEqual(Date.parse(cursor.passStartedAt) - 5 * MINUTE)
    expect(Object.keys(cursor.seenEvents)).toHaveLength(1)

    // Right after: the same window is queried, its event skipped, nothing re-pulled.
    org.sim.clock.advance(1000)
    const quiet = await run(org, mirror, 'apps_assigned', opts)
    expect(new URL(quiet.requests.find((r) => r.path === '/api/v1/logs')!.url, org.sim.url).searchParams.get('since')).toBe(cursor.logSince)
    expect(memberPulls(quiet.requests)).toEqual([])
    expect(quiet.records).toEqual([])

    // A late event: published inside the overlap (before the last pass), persisted only now.
    org.sim.org.emitLogEvent(
      { eventType: 'application.user_membership.add', target: [{ id: lateApp, type: 'AppInstance' }] },
      { published: new Date(Date.parse(cursor.passStartedAt) - 1000) },
    )
    org.sim.org.assignUser(other, user)
    org.sim.clock.advance(1000)
    const late = await run(org, mirror, 'apps_assigned', opts)
    expect(memberPulls(late.requests)).toEqual([lateApp, other].sort())
    expect(memberPulls((await run(org, mirror, 'apps_assigned', opts)).requests)).toEqual([])
    expect(mirror.liveKeys('apps_assigned')).toEqual(assignments(org))
  })

  it('a crash mid-pass keeps the previous cursor, so the next pass acts on every event again', async () => {
    org = await startOrg({ size: { users: 200, groups: 4, apps: 8, logEvents: 0 } })
    const mirror = new Mirror()
    const opts = { selected: ['apps', 'apps_assigned', 'system_log'] as const, options: { lookbackMs: 5 * MINUTE, childConcurrency: 1 } }
    await run(org, mirror, 'apps_assigned', opts)
    const before = structuredClone(mirror.cursor('apps_assigned'))
    org.sim.clock.advance(MINUTE)
    const touched = org.sim.org.appIds().slice(0, 3)
    const user = [...org.sim.org.userIds()].find((u) => touched.every((a) => !org.sim.org.appAssigneeIds(a).includes(u)))!
    for (const app of touched) org.sim.org.assignUser(app, user)
    org.sim.clock.advance(1000)

    const crashed = await run(org, mirror, 'apps_assigned', { ...opts, crashAfter: 1 })
    expect(memberPulls(crashed.requests).length).toBeGreaterThan(0)
    // No event is claimed as acted upon before the whole pass commits.
    expect(mirror.cursor('apps_assigned')).toEqual(before)
    const resumed = await run(org, mirror, 'apps_assigned', opts)
    expect(memberPulls(resumed.requests)).toEqual([...touched].sort())
    expect(mirror.liveKeys('apps_assigned')).toEqual(assignments(org))
    expect(Object.keys((mirror.cursor('apps_assigned') as { seenEvents: object }).seenEvents)).toHaveLength(3)
  })

  it('marks a hard-deleted user\'s assignments deleted without re-pulling the apps', async () => {
    org = await startOrg({ size: { users: 200, groups: 4, apps: 6, logEvents: 0 } })
    const mirror = new Mirror()
    const opts = { selected: ['apps', 'apps_assigned', 'system_log'] as const }
    await run(org, mirror, 'apps_assigned', opts)
    const [a, b] = org.sim.org.appIds() as [string, string]
    const leaver = [...org.sim.org.userIds()].find((u) => !org.sim.org.appAssigneeIds(a).includes(u) && !org.sim.org.appAssigneeIds(b).includes(u))!
    org.sim.clock.advance(MINUTE)
    org.sim.org.assignUser(a, leaver)
    org.sim.org.assignUser(b, leaver)
    org.sim.clock.advance(1000)
    await run(org, mirror, 'apps_assigned', opts)
    const held = mirror.liveKeys('apps_assigned').filter((k) => k.endsWith(`|${leaver}`))
    expect(held).toEqual(expect.arrayContaining([`${a}|${leaver}`, `${b}|${leaver}`]))

    org.sim.clock.advance(MINUTE)
    org.sim.org.deleteUser(leaver)
    org.sim.clock.advance(1000)
    const next = await run(org, mirror, 'apps_assigned', opts)
    // The simulator, like Okta, logs no per-app unassignment for a deleted user.
    expect(memberPulls(next.requests)).toEqual([])
    expect(mirror.deletedKeys('apps_assigned')).toEqual(held)
    expect(mirror.liveKeys('apps_assigned')).toEqual(assignments(org))
  })
})
