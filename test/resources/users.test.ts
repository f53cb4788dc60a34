import { afterEach, describe, expect, it } from 'vitest'
import { frozen, Mirror, run, startOrg, type Org } from './harness.ts'

const MINUTE = 60_000

describe('users extractor', () => {
  let org: Org
  afterEach(async () => org?.close())

  it('first run loads every user, DEPROVISIONED included, through search sorted by lastUpdated', async () => {
    org = await startOrg({ size: { users: 300, groups: 4, apps: 2, logEvents: 0 } })
    const ids = [...org.sim.org.userIds()]
    const gone = ids.slice(0, 5)
    org.sim.clock.advance(MINUTE)
    for (const id of gone) org.sim.org.setUserStatus(id, 'DEPROVISIONED')

    const mirror = new Mirror()
    const first = await run(org, mirror, 'users')
    expect(mirror.liveKeys('users')).toEqual([...ids].sort())
    const byId = new Map(mirror.live('users').map((u) => [u['id'], u]))
    for (const id of gone) expect(byId.get(id)?.['status']).toBe('DEPROVISIONED')

    expect(first.requests).toHaveLength(2)
    const url = new URL(first.requests[0]!.url, org.sim.url)
    expect(url.searchParams.get('search')).toBe('lastUpdated gt "1970-01-01T00:00:00.000Z"')
    expect(url.searchParams.get('sortBy')).toBe('lastUpdated')
    expect(url.searchParams.get('sortOrder')).toBe('asc')
    expect(url.searchParams.get('limit')).toBe('200')

    // Sorted ascending: every page advances the watermark, to the max lastUpdated read so far.
    const maxLastUpdated = mirror.live('users').map((u) => String(u['lastUpdated'])).sort().at(-1)
    expect(first.batches[0]!.state).toHaveLength(1)
    expect(mirror.cursor('users')).toEqual({ watermark: maxLastUpdated })
  })

  it('an incremental run with no change costs one request; small changes cost one request too', async () => {
    org = await startOrg({ size: { users: 300, groups: 4, apps: 2, logEvents: 0 } })
    const mirror = new Mirror()
    await run(org, mirror, 'users')

    const quiet = await run(org, mirror, 'users')
    expect(quiet.requests).toHaveLength(1)
    expect(quiet.records.length).toBeLessThan(5)

    org.sim.clock.advance(MINUTE)
    const ids = [...org.sim.org.userIds()]
    const changed = [ids[10]!, ids[150]!, ids[299]!]
    for (const id of changed) org.sim.org.updateUser(id, { title: 'Changed' })
    const created = org.sim.org.createUser({ firstName: 'New', lastName: 'Person' })

    const small = await run(org, mirror, 'users')
    expect(small.requests).toHaveLength(1)
    expect(small.records.map((u) => u['id']).sort()).toEqual([...changed, created].sort())
    for (const id of changed) {
      const row = mirror.live('users').find((u) => u['id'] === id) as { profile: Record<string, unknown> }
      expect(row.profile['title']).toBe('Changed')
    }
  })

  it('a crash between pages whose boundary splits one lastUpdated millisecond neither skips nor needs a lookback', async () => {
    org = await startOrg({ size: { users: 300, groups: 4, apps: 2, logEvents: 0 } })
    const ids = [...org.sim.org.userIds()]
    // 150 users share one millisecond, the other 150 a later one: sorted ascending, page 1 holds
    // the first 150 and 50 of the second millisecond, page 2 the other 100 of it.
    org.sim.clock.advance(MINUTE)
    frozen(org, () => {
      for (const id of ids.slice(0, 150)) org.sim.org.updateUser(id, { title: 'A' })
    })
    org.sim.clock.advance(MINUTE)
    const tiedAt = frozen(org, () => {
      for (const id of ids.slice(150)) org.sim.org.updateUser(id, { title: 'B' })
      return org.sim.clock.now().toISOString()
    })

    const mirror = new Mirror()
    const crashed = await run(org, mirror, 'users', { crashAfter: 1 })
    expect(crashed.records).toHaveLength(200)
    expect(crashed.records.at(-1)?.['lastUpdated']).toBe(tiedAt)
    expect(mirror.cursor('users')).toEqual({ watermark: tiedAt })
    expect(mirror.liveKeys('users')).toHaveLength(200)

    // Lookback 0: only the watermark rule keeps the other 100 of that millisecond.
    const resumed = await run(org, mirror, 'users', { options: { lookbackMs: 0 } })
    expect(mirror.liveKeys('users')).toEqual([...ids].sort())
    expect(resumed.records).toHaveLength(150)
    expect(resumed.requests).toHaveLength(1)
  })

  it('a user updated during the run ends up current', async () => {
    org = await startOrg({ size: { users: 450, groups: 4, apps: 2, logEvents: 0 } })
    const ids = [...org.sim.org.userIds()]
    const mirror = new Mirror()
    const early = ids[0]! // read on page 1, then changed
    const late = ids[400]! // changed before its page is read
    await run(org, mirror, 'users', {
      afterBatch: (_b, i) => {
        if (i !== 0) return
        org.sim.clock.advance(MINUTE)
        org.sim.org.updateUser(early, { title: 'During' })
        org.sim.org.updateUser(late, { title: 'During' })
      },
    })
    await run(org, mirror, 'users')
    const rows = new Map(mirror.live('users').map((u) => [u['id'], u as { profile: Record<string, unknown> }]))
    expect(rows.get(early)?.profile['title']).toBe('During')
    expect(rows.get(late)?.profile['title']).toBe('During')
    expect(rows.size).toBe(450)
  })

  it('a full refresh marks hard-deleted users deleted; incremental runs do not', async () => {
    org = await startOrg({ size: { users: 120, groups: 4, apps: 2, logEvents: 0 } })
    const mirror = new Mirror()
    await run(org, mirror, 'users')
    const victim = [...org.sim.org.userIds()][7]!
    org.sim.clock.advance(MINUTE)
    org.sim.org.deleteUser(victim)

    const incremental = await run(org, mirror, 'users')
    expect(incremental.batches.some((b) => b.sweep)).toBe(false)
    expect(mirror.deletedKeys('users')).toEqual([])

    const full = await run(org, mirror, 'users', { fullRefresh: true })
    expect(full.batches.at(-1)?.sweep).toEqual({ resource: 'users' })
    expect(new URL(full.requests[0]!.url, org.sim.url).searchParams.get('search')).toBe('lastUpdated gt "1970-01-01T00:00:00.000Z"')
    expect(mirror.deletedKeys('users')).toEqual([victim])
    expect(mirror.liveKeys('users')).toHaveLength(119)
  })
})
