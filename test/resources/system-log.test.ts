import { afterEach, describe, expect, it } from 'vitest'
import { Mirror, run, startOrg, type Org } from './harness.ts'

const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE

describe('system_log extractor', () => {
  let org: Org
  afterEach(async () => org?.close())

  it('polls from the configured start to a short page, checkpointing the next link with every page', async () => {
    org = await startOrg({ size: { users: 50, groups: 3, apps: 2, logEvents: 2500, logDays: 3 } })
    const total = org.sim.org.counts().logEvents
    const mirror = new Mirror()
    const first = await run(org, mirror, 'system_log')
    expect(first.records).toHaveLength(total)
    expect(new Set(first.records.map((e) => e['uuid'])).size).toBe(total)
    expect(first.requests).toHaveLength(Math.floor(total / 1000) + 1)
    const q = new URL(first.requests[0]!.url, org.sim.url).searchParams
    expect(q.get('sortOrder')).toBe('ASCENDING')
    expect(q.get('limit')).toBe('1000')
    expect(q.get('until')).toBeNull()
    expect(Date.parse(q.get('since')!)).toBeCloseTo(org.sim.clock.now().getTime() - 7 * DAY, -5)
    for (const b of first.batches) expect(b.state).toEqual([{ resource: 'system_log', parentId: '', cursor: expect.objectContaining({ next: expect.any(String) }) }])
    const checkpoint = mirror.cursor('system_log') as { next: string; lastPublished: string }
    const latest = first.records.map((e) => String(e['published'])).sort().at(-1)
    expect(checkpoint.lastPublished).toBe(latest)

    // Nothing new: one request, to the saved link verbatim.
    const quiet = await run(org, mirror, 'system_log')
    expect(quiet.requests).toHaveLength(1)
    expect(checkpoint.next).toMatch(/^\/api\/v1\/logs\?/)
    expect(quiet.requests[0]!.url).toBe(checkpoint.next)
    expect(quiet.records).toEqual([])
  })

  it('resumes a checkpoint saved as an absolute link under another base URL on the configured org', async () => {
    org = await startOrg({ size: { users: 30, groups: 3, apps: 2, logEvents: 50, logDays: 1 } })
    const mirror = new Mirror()
    await run(org, mirror, 'system_log')
    const key = 'system_log\u0000'
    const row = mirror.state.get(key)!
    const path = (row.cursor as { next: string }).next
    row.cursor = { ...(row.cursor as object), next: `https://old-name.okta.example${path}` }
    const fresh = org.sim.org.emitLogEvent({ eventType: 'user.session.start' })
    const resumed = await run(org, mirror, 'system_log')
    expect(resumed.requests[0]!.url).toBe(path)
    expect(resumed.records.map((e) => e['uuid'])).toEqual([fresh])
  })

  it('a checkpoint an older version saved from a bad next link (//host) is never followed: it resumes from the last event read', async () => {
    org = await startOrg({ size: { users: 30, groups: 3, apps: 2, logEvents: 50, logDays: 1 } })
    const mirror = new Mirror()
    await run(org, mirror, 'system_log')
    const row = mirror.state.get('system_log\u0000')!
    const lastPublished = (row.cursor as { lastPublished: string }).lastPublished
    row.cursor = { ...(row.cursor as object), next: '//evil.example/api/v1/logs?after=x' }
    const fresh = org.sim.org.emitLogEvent({ eventType: 'user.session.start' })
    const resumed = await run(org, mirror, 'system_log')
    expect(resumed.logs.some((e) => e.event === 'system_log.bad_checkpoint' && e.level === 'warn')).toBe(true)
    expect(resumed.requests.every((r) => r.path === '/api/v1/logs')).toBe(true)
    expect(new URL(resumed.requests[0]!.url, org.sim.url).searchParams.get('since')).toBe(lastPublished)
    // The last event read comes again (de-duplicated by uuid downstream), then the new one.
    expect(resumed.records.map((e) => e['uuid'])).toContain(fresh)
    expect((mirror.cursor('system_log') as { next: string }).next).toMatch(/^\/api\/v1\/logs\?/)
  })

  it('picks up late events published before ones already served', async () => {
    org = await startOrg({ size: { users: 50, groups: 3, apps: 2, logEvents: 300, logDays: 2 } })
    const mirror = new Mirror()
    await run(org, mirror, 'system_log')
    org.sim.clock.advance(MINUTE)
    const late = org.sim.org.emitLogEvent({ eventType: 'user.session.start' }, { published: new Date(org.sim.clock.now().getTime() - 3 * 3600_000) })
    const onTime = org.sim.org.emitLogEvent({ eventType: 'user.session.end' })
    const second = await run(org, mirror, 'system_log')
    expect(second.records.map((e) => e['uuid'])).toEqual([late, onTime])
    expect(second.requests).toHaveLength(1)
  })

  it('resumes from the saved polling link after a crash: no gap, nothing a uuid dedupe cannot absorb', async () => {
    org = await startOrg({ size: { users: 50, groups: 3, apps: 2, logEvents: 2300, logDays: 3 } })
    const total = org.sim.org.counts().logEvents
    const mirror = new Mirror()
    const crashed = await run(org, mirror, 'system_log', { crashAfter: 1 })
    expect(crashed.records).toHaveLength(1000)
    const saved = (mirror.cursor('system_log') as { next: string }).next

    org.sim.clock.advance(MINUTE)
    const emitted = org.sim.org.emitLogEvent({ eventType: 'user.session.start' })
    const resumed = await run(org, mirror, 'system_log')
    expect(resumed.requests[0]!.url).toBe(saved)
    const seen = [...crashed.records, ...resumed.records].map((e) => e['uuid'])
    expect(new Set(seen).size).toBe(total + 1)
    expect(seen).toContain(emitted)
    expect(mirror.liveKeys('system_log')).toHaveLength(total + 1)
  })

  it('turns delete events into deletes (and cascades to the rows that depend on them) for users, groups and apps', async () => {
    org = await startOrg({ size: { users: 80, groups: 5, apps: 4, logEvents: 100, logDays: 1 } })
    const mirror = new Mirror()
    for (const r of ['users', 'groups', 'group_users', 'apps', 'apps_assigned', 'system_log'] as const) await run(org, mirror, r)
    const user = [...org.sim.org.userIds()][3]!
    const group = org.sim.org.groupIds().find((g) => org.sim.org.groupMemberIds(g).length > 0 && org.sim.org.groupMemberIds(g).length < 80)!
    const members = org.sim.org.groupMemberIds(group).map((u) => `${group}|${u}`)
    const app = org.sim.org.appIds().find((a) => org.sim.org.appAssigneeIds(a).length > 0)!
    const assignees = org.sim.org.appAssigneeIds(app).map((u) => `${app}|${u}`)
    org.sim.clock.advance(MINUTE)
    org.sim.org.deleteUser(user)
    org.sim.org.deleteGroup(group)
    org.sim.org.deleteApp(app)

    const result = await run(org, mirror, 'system_log')
    const when = [expect.stringMatching(/^\d{4}-\d\d-\d\dT/)]
    expect(result.batches.flatMap((b) => b.deletes ?? [])).toEqual([
      { resource: 'users', keys: [[user]], times: when },
      { resource: 'groups', keys: [[group]], times: when },
      { resource: 'apps', keys: [[app]], times: when },
    ])
    expect(mirror.deletedKeys('users')).toEqual([user])
    expect(mirror.deletedKeys('groups')).toEqual([group])
    expect(mirror.deletedKeys('apps')).toEqual([app])
    expect(mirror.deletedKeys('group_users')).toEqual(expect.arrayContaining(members.filter((m) => !m.endsWith(`|${user}`))))
    expect(mirror.deletedKeys('apps_assigned')).toEqual(expect.arrayContaining(assignees.filter((m) => !m.endsWith(`|${user}`))))
  })

  it('says loudly when the checkpoint is older than Okta retention, records the gap and carries on', async () => {
    org = await startOrg({ size: { users: 30, groups: 3, apps: 2, logEvents: 50, logDays: 1 } })
    const mirror = new Mirror()
    await run(org, mirror, 'system_log')
    org.sim.clock.advance(100 * DAY)
    const fresh = org.sim.org.emitLogEvent({ eventType: 'user.session.start' })
    const late = await run(org, mirror, 'system_log')
    const warning = late.logs.find((e) => e.event === 'system_log.retention_gap')
    expect(warning?.level).toBe('warn')
    expect(warning?.msg).toMatch(/cannot be recovered/)
    expect(late.records.map((e) => e['uuid'])).toContain(fresh)
    const cursor = mirror.cursor('system_log') as { gaps: { from: string; to: string }[] }
    expect(cursor.gaps).toHaveLength(1)

    // Once caught up, no more warnings.
    const next = await run(org, mirror, 'system_log')
    expect(next.logs.some((e) => e.event === 'system_log.retention_gap')).toBe(false)
  })

  it('clamps a first-run start beyond 180 days so Okta does not reject it', async () => {
    org = await startOrg({ size: { users: 30, groups: 3, apps: 2, logEvents: 50, logDays: 1 } })
    const result = await run(org, new Mirror(), 'system_log', { options: { systemLogStartMs: 400 * DAY } })
    const since = Date.parse(new URL(result.requests[0]!.url, org.sim.url).searchParams.get('since')!)
    expect(org.sim.clock.now().getTime() - since).toBeLessThan(180 * DAY)
    expect(result.records.length).toBeGreaterThanOrEqual(50)
  })
})
