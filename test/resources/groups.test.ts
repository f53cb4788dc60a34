import { afterEach, describe, expect, it } from 'vitest'
import { Mirror, run, startOrg, type Org } from './harness.ts'

const MINUTE = 60_000

function memberships(org: Org): string[] {
  return org.sim.org.groupIds().flatMap((g) => org.sim.org.groupMemberIds(g).map((u) => `${g}|${u}`)).sort()
}

function paths(requests: readonly { path: string }[]): string[] {
  return requests.map((r) => r.path)
}

describe('groups extractor', () => {
  let org: Org
  afterEach(async () => org?.close())

  it('lists every group with stats, advances the watermark only at the end, then filters by both change fields', async () => {
    org = await startOrg({ size: { users: 200, groups: 230, apps: 2, logEvents: 0 } })
    const mirror = new Mirror()
    const first = await run(org, mirror, 'groups')
    expect(mirror.liveKeys('groups')).toEqual([...org.sim.org.groupIds()].sort())
    expect(first.requests).toHaveLength(2)
    // Unsorted pages: earlier batches must not move the watermark.
    expect(first.batches[0]!.state).toEqual([])
    expect(first.batches.at(-1)!.state).toHaveLength(1)
    const anyGroup = mirror.live('groups')[0] as { _embedded?: { stats?: { usersCount?: number } } }
    expect(typeof anyGroup._embedded?.stats?.usersCount).toBe('number')
    const expected = mirror
      .live('groups')
      .flatMap((g) => [g['lastUpdated'], g['lastMembershipUpdated']])
      .filter((t): t is string => typeof t === 'string')
      .sort()
      .at(-1)
    expect(mirror.cursor('groups')).toEqual({ watermark: expected, seen: expect.any(Object) })

    const quiet = await run(org, mirror, 'groups')
    expect(quiet.requests).toHaveLength(1)
    expect(quiet.records).toEqual([])
    const filter = new URL(quiet.requests[0]!.url, org.sim.url).searchParams.get('filter')
    expect(filter).toMatch(/^lastUpdated gt ".+" or lastMembershipUpdated gt ".+"$/)

    org.sim.clock.advance(MINUTE)
    const [renamed, joined] = org.sim.org.groupIds().slice(5, 7) as [string, string]
    org.sim.org.updateGroup(renamed, { description: 'renamed' })
    org.sim.org.addMember(joined, [...org.sim.org.userIds()].find((u) => !org.sim.org.groupMemberIds(joined).includes(u))!)
    const changed = await run(org, mirror, 'groups')
    expect(changed.requests).toHaveLength(1)
    // Exactly the changed groups: those of the watermark's millisecond, re-read by design, are skipped.
    expect(changed.records.map((g) => g['id']).sort()).toEqual([renamed, joined].sort())
  })

  it('skips groups of the overlap already loaded, but not one whose membership moved since (same lastUpdated)', async () => {
    org = await startOrg({ size: { users: 200, groups: 12, apps: 2, logEvents: 0 } })
    const lookback = { options: { lookbackMs: 5 * MINUTE } }
    const mirror = new Mirror()
    await run(org, mirror, 'groups', lookback)
    org.sim.clock.advance(MINUTE)
    const [renamed, joined] = org.sim.org.groupIds().slice(3, 5) as [string, string]
    org.sim.org.updateGroup(renamed, { description: 'renamed' })
    const second = await run(org, mirror, 'groups', lookback)
    expect(second.records.map((g) => g['id'])).toEqual([renamed])
    const seen = (mirror.cursor('groups') as { seen: Record<string, string> }).seen
    const row = second.records[0]!
    expect(seen[renamed]).toBe(`${String(row['lastUpdated'])},${String(row['lastMembershipUpdated'])}`)

    const quiet = await run(org, mirror, 'groups', lookback)
    expect(quiet.requests).toHaveLength(1)
    expect(quiet.records).toEqual([])

    // The renamed group gains a member: lastUpdated unchanged, lastMembershipUpdated moves.
    org.sim.clock.advance(1000)
    org.sim.org.addMember(renamed, [...org.sim.org.userIds()].find((u) => !org.sim.org.groupMemberIds(renamed).includes(u))!)
    org.sim.org.addMember(joined, [...org.sim.org.userIds()].find((u) => !org.sim.org.groupMemberIds(joined).includes(u))!)
    const third = await run(org, mirror, 'groups', lookback)
    expect(third.records.map((g) => g['id']).sort()).toEqual([renamed, joined].sort())
    expect(third.records.find((g) => g['id'] === renamed)!['lastUpdated']).toBe(row['lastUpdated'])
    expect((await run(org, mirror, 'groups', lookback)).records).toEqual([])
  })

  it('a full refresh sweeps deleted groups', async () => {
    org = await startOrg({ size: { users: 100, groups: 12, apps: 2, logEvents: 0 } })
    const mirror = new Mirror()
    await run(org, mirror, 'groups')
    const target = org.sim.org.groupIds()[3]!
    org.sim.clock.advance(MINUTE)
    org.sim.org.deleteGroup(target)
    await run(org, mirror, 'groups')
    expect(mirror.deletedKeys('groups')).toEqual([])
    await run(org, mirror, 'groups', { fullRefresh: true })
    expect(mirror.deletedKeys('groups')).toEqual([target])
  })
})

describe('group_users extractor', () => {
  let org: Org
  afterEach(async () => org?.close())

  it('loads (group_id, user_id) rows for every group on the first run, then re-pulls only groups whose membership moved', async () => {
    org = await startOrg({ size: { users: 300, groups: 20, apps: 2, logEvents: 0 } })
    const mirror = new Mirror()
    const first = await run(org, mirror, 'group_users')
    expect(mirror.liveKeys('group_users')).toEqual(memberships(org))
    for (const r of first.records) expect(Object.keys(r).sort()).toEqual(['group_id', 'user_id'])
    // One listing plus one member page per group.
    expect(first.requests).toHaveLength(1 + 20)
    expect(mirror.stateRows('group_users')).toHaveLength(21)

    const quiet = await run(org, mirror, 'group_users')
    expect(paths(quiet.requests)).toEqual(['/api/v1/groups'])

    org.sim.clock.advance(MINUTE)
    const [shrunk, grown] = org.sim.org.groupIds().slice(2, 4) as [string, string]
    const removed = org.sim.org.groupMemberIds(shrunk)[0]!
    org.sim.org.removeMember(shrunk, removed)
    const added = [...org.sim.org.userIds()].find((u) => !org.sim.org.groupMemberIds(grown).includes(u))!
    org.sim.org.addMember(grown, added)

    const changed = await run(org, mirror, 'group_users')
    expect(paths(changed.requests).sort()).toEqual(['/api/v1/groups', `/api/v1/groups/${grown}/users`, `/api/v1/groups/${shrunk}/users`].sort())
    const sweeps = changed.batches.flatMap((b) => (b.sweep ? [b.sweep] : []))
    expect(sweeps).toContainEqual({ resource: 'group_users', parentId: shrunk })
    expect(mirror.liveKeys('group_users')).toEqual(memberships(org))
    expect(mirror.deletedKeys('group_users')).toEqual([`${shrunk}|${removed}`])
    expect(mirror.live('group_users')).toContainEqual({ group_id: grown, user_id: added })
  })

  it('a group spanning several pages is swept only after its last page; a crash mid-run re-pulls only unfinished groups', async () => {
    // The Everyone group holds all 1100 users: two member pages.
    org = await startOrg({ size: { users: 1100, groups: 6, membershipsPerUser: 1, apps: 2, logEvents: 0 } })
    const everyone = org.sim.org.groupIds().find((g) => org.sim.org.groupMemberIds(g).length === 1100)!
    expect(everyone).toBeDefined()
    const whole = await run(org, new Mirror(), 'group_users')
    const everyoneBatches = whole.batches.filter((b) => b.records.some((r) => r['group_id'] === everyone))
    expect(everyoneBatches.map((b) => b.records.length)).toEqual([1000, 100])
    expect(everyoneBatches[0]!.sweep).toBeUndefined()
    expect(everyoneBatches[0]!.state).toEqual([])
    expect(everyoneBatches[1]!.sweep).toEqual({ resource: 'group_users', parentId: everyone })
    expect(everyoneBatches[1]!.state).toEqual([{ resource: 'group_users', parentId: everyone, cursor: expect.anything() }])

    const mirror = new Mirror()
    await run(org, mirror, 'group_users', { options: { childConcurrency: 1 }, crashAfter: 3 })
    const done = new Set(mirror.stateRows('group_users').map((r) => r.parentId))
    expect(done.has('')).toBe(false)
    expect(done.size).toBeGreaterThan(0)
    expect(done.size).toBeLessThan(6)

    const resumed = await run(org, mirror, 'group_users')
    const repulled = new Set(resumed.requests.filter((r) => r.path.endsWith('/users')).map((r) => r.path.split('/')[4]))
    for (const g of done) expect(repulled.has(g)).toBe(false)
    expect(repulled.size).toBe(6 - done.size)
    expect(mirror.liveKeys('group_users')).toEqual(memberships(org))
    expect(mirror.deletedKeys('group_users')).toEqual([])
  })

  it('a full refresh re-pulls every group, sweeps a deleted group\'s memberships and drops its cursor', async () => {
    org = await startOrg({ size: { users: 150, groups: 8, apps: 2, logEvents: 0 } })
    const mirror = new Mirror()
    await run(org, mirror, 'group_users')
    const victim = org.sim.org.groupIds().find((g) => org.sim.org.groupMemberIds(g).length > 0 && org.sim.org.groupMemberIds(g).length < 150)!
    const victimMembers = org.sim.org.groupMemberIds(victim).map((u) => `${victim}|${u}`).sort()
    org.sim.clock.advance(MINUTE)
    org.sim.org.deleteGroup(victim)

    const full = await run(org, mirror, 'group_users', { fullRefresh: true })
    expect(full.requests.filter((r) => r.path.endsWith('/users'))).toHaveLength(7)
    expect(full.batches.at(-1)!.sweep).toEqual({ resource: 'group_users' })
    expect(mirror.deletedKeys('group_users')).toEqual(victimMembers)
    expect(mirror.liveKeys('group_users')).toEqual(memberships(org))
    expect(mirror.cursor('group_users', victim)).toBeUndefined()
  })
})
