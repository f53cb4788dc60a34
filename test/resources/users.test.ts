import { afterEach, describe, expect, it } from 'vitest'
import { RESOURCES } from '../../src/resources/index.ts'
import { watermarkExtractor } from '../../src/resources/strategies/watermark.ts'
import { USERS_WATERMARK } from '../../src/resources/users.ts'
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

    // Sorted ascending: every page advances the watermark, to the max lastUpdated read so far; the
    // seen-set holds the users the next query reads again (lookback 0: the watermark's millisecond).
    const maxLastUpdated = mirror.live('users').map((u) => String(u['lastUpdated'])).sort().at(-1)!
    expect(first.batches[0]!.state).toHaveLength(1)
    const atMax = mirror.live('users').filter((u) => u['lastUpdated'] === maxLastUpdated)
    expect(mirror.cursor('users')).toEqual({ watermark: maxLastUpdated, seen: Object.fromEntries(atMax.map((u) => [u['id'], maxLastUpdated])) })
  })

  it('an incremental run with no change costs one request; small changes cost one request too', async () => {
    org = await startOrg({ size: { users: 300, groups: 4, apps: 2, logEvents: 0 } })
    const mirror = new Mirror()
    await run(org, mirror, 'users')

    const quiet = await run(org, mirror, 'users')
    expect(quiet.requests).toHaveLength(1)
    expect(quiet.records).toEqual([])
    expect(quiet.batches.flatMap((b) => b.state)).toEqual([])

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
    // The seen-set names exactly the 50 committed users of the tied millisecond, none of the 100
    // the crash left unread.
    const committedTied = crashed.records.filter((u) => u['lastUpdated'] === tiedAt).map((u) => u['id'] as string)
    expect(committedTied).toHaveLength(50)
    expect(mirror.cursor('users')).toEqual({ watermark: tiedAt, seen: Object.fromEntries(committedTied.map((id) => [id, tiedAt])) })
    expect(mirror.liveKeys('users')).toHaveLength(200)

    // Lookback 0: only the watermark rule keeps the other 100 of that millisecond; the 50 already
    // loaded are read again but not written.
    const resumed = await run(org, mirror, 'users', { options: { lookbackMs: 0 } })
    expect(mirror.liveKeys('users')).toEqual([...ids].sort())
    expect(resumed.records.map((u) => u['id']).sort()).toEqual(ids.slice(150).filter((id) => !committedTied.includes(id)).sort())
    expect(resumed.requests).toHaveLength(1)
    expect(Object.keys((mirror.cursor('users') as { seen: object }).seen).sort()).toEqual(ids.slice(150).sort())
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

describe('users overlap window (seen-set)', () => {
  let org: Org
  afterEach(async () => org?.close())
  const LOOKBACK = { options: { lookbackMs: 5 * MINUTE } }
  const seenOf = (mirror: Mirror): Record<string, string> => (mirror.cursor('users') as { seen?: Record<string, string> }).seen ?? {}

  it('re-reads the lookback window after a run with changes but writes nothing; a later change or a late-indexed user in it is loaded', async () => {
    org = await startOrg({ size: { users: 300, groups: 4, apps: 2, logEvents: 0 } })
    const ids = [...org.sim.org.userIds()]
    const mirror = new Mirror()
    await run(org, mirror, 'users', LOOKBACK)
    org.sim.clock.advance(MINUTE)
    const changed = [ids[1]!, ids[2]!, ids[3]!]
    for (const id of changed) org.sim.org.updateUser(id, { title: 'Changed' })
    const second = await run(org, mirror, 'users', LOOKBACK)
    expect(second.records.map((u) => u['id']).sort()).toEqual([...changed].sort())
    const { watermark } = mirror.cursor('users') as { watermark: string }
    for (const u of second.records) expect(seenOf(mirror)[u['id'] as string]).toBe(u['lastUpdated'])

    // The request still covers the overlap (how late-indexed users are found), the rows are not rewritten.
    const third = await run(org, mirror, 'users', LOOKBACK)
    expect(third.requests).toHaveLength(1)
    expect(new URL(third.requests[0]!.url, org.sim.url).searchParams.get('search')).toBe(
      `lastUpdated gt "${new Date(Date.parse(watermark) - 5 * MINUTE - 1).toISOString()}"`,
    )
    expect(third.records).toEqual([])
    expect(third.batches.flatMap((b) => b.state)).toEqual([])

    // Changed again: a new lastUpdated, loaded. Late-indexed: stamped inside the window, before the
    // watermark (as if the search index surfaced it after the last run), never seen: loaded.
    org.sim.clock.advance(1000)
    org.sim.org.updateUser(changed[0]!, { title: 'Again' })
    const now = org.sim.clock.now()
    org.sim.clock.set(new Date(Date.parse(watermark) - 2 * MINUTE))
    const late = ids[200]!
    org.sim.org.updateUser(late, { title: 'Late' })
    org.sim.clock.set(now)
    const fourth = await run(org, mirror, 'users', LOOKBACK)
    expect(fourth.records.map((u) => u['id']).sort()).toEqual([changed[0]!, late].sort())
    const rows = new Map(mirror.live('users').map((u) => [u['id'], u as { profile: Record<string, unknown> }]))
    expect(rows.get(late)?.profile['title']).toBe('Late')
    expect(rows.get(changed[0]!)?.profile['title']).toBe('Again')
    expect((await run(org, mirror, 'users', LOOKBACK)).records).toEqual([])
  })

  it('past its cap the seen-set keeps the latest entries and the rest is simply loaded again', async () => {
    org = await startOrg({ size: { users: 300, groups: 4, apps: 2, logEvents: 0 } })
    const capped = { ...RESOURCES.users, extract: watermarkExtractor({ ...USERS_WATERMARK, seenCap: 100 }) }
    // A window wide enough to hold every user.
    const wide = { def: capped, options: { lookbackMs: 100 * 365 * 24 * 60 * MINUTE } }
    const mirror = new Mirror()
    await run(org, mirror, 'users', wide)
    const seen = seenOf(mirror)
    expect(Object.keys(seen)).toHaveLength(100)
    const oldestSeen = Object.values(seen).sort()[0]!

    const again = await run(org, mirror, 'users', wide)
    const reloaded = again.records.map((u) => u['id'] as string)
    expect(reloaded).toHaveLength(200)
    expect(reloaded.filter((id) => id in seen)).toEqual([])
    for (const u of again.records) expect(String(u['lastUpdated']) <= oldestSeen).toBe(true)
    expect(Object.keys(seenOf(mirror))).toHaveLength(100)
    expect(mirror.liveKeys('users')).toHaveLength(300)
  })

  it('a crash mid-listing with a large seen-set commits the watermark alone, then loads the rest once', async () => {
    org = await startOrg({ size: { users: 1300, groups: 2, apps: 1, logEvents: 0 } })
    const ids = [...org.sim.org.userIds()]
    org.sim.clock.advance(MINUTE)
    const tiedAt = frozen(org, () => {
      for (const id of ids) org.sim.org.updateUser(id, { title: 'Bulk' })
      return org.sim.clock.now().toISOString()
    })
    const mirror = new Mirror()
    // 7 pages; after 6 the window holds 1200 users: too many to rewrite with every page.
    const crashed = await run(org, mirror, 'users', { crashAfter: 6 })
    expect(crashed.records).toHaveLength(1200)
    expect(mirror.cursor('users')).toEqual({ watermark: tiedAt })
    const resumed = await run(org, mirror, 'users')
    expect(resumed.records).toHaveLength(1300)
    expect(Object.keys(seenOf(mirror))).toHaveLength(1300)
    expect((await run(org, mirror, 'users')).records).toEqual([])
    expect(mirror.liveKeys('users')).toEqual([...ids].sort())
  })
})
