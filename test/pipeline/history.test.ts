import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { defaultPipelineConfig } from '../../src/pipeline/defaults.ts'
import { runPipeline } from '../../src/pipeline/run.ts'
import type { PipelineConfig } from '../../src/pipeline/types.ts'
import { RESOURCE_NAMES } from '../../src/resources/types.ts'
import { startSimulator } from '../../src/simulator/index.ts'
import type { Simulator } from '../../src/simulator/types.ts'
import { destinationCases } from '../destinations/destinations.ts'
import { query } from '../helpers/query.ts'

const HOUR = 3_600_000
const DAY = 24 * HOUR
const SIZE = { users: 120, groups: 12, apps: 4, logEvents: 40, logDays: 1 }
const HISTORY_TABLES = ['users', 'group_users', 'apps_assigned', 'app_groups', 'user_roles', 'group_roles']

/** What the test itself knows the org to be at one instant (the tables at the first load, then its own mutations). */
interface Truth {
  members: Set<string>
  assigned: Set<string>
  appGroups: Set<string>
  department: Map<string, string | null>
  status: Map<string, string>
}

const clone = (t: Truth): Truth => ({
  members: new Set(t.members),
  assigned: new Set(t.assigned),
  appGroups: new Set(t.appGroups),
  department: new Map(t.department),
  status: new Map(t.status),
})

const at = (iso: string) => `_valid_from <= '${iso}' AND (_valid_to IS NULL OR _valid_to > '${iso}')`
const pairs = (rows: { a: string; b: string }[]) => new Set(rows.map((r) => `${r.a}|${r.b}`))

for (const dest of destinationCases()) {
  describe(`access history → ${dest.kind}`, () => {
    let sim: Simulator | undefined
    afterEach(async () => {
      await sim?.close()
      sim = undefined
    })
    afterAll(async () => {
      await dest.cleanup()
    })

    async function start(now: Date): Promise<{ sim: Simulator; config: PipelineConfig; run: () => Promise<void> }> {
      const s = await startSimulator({ seed: 33, size: SIZE, now })
      sim = s
      s.clock.freeze(now)
      const config: PipelineConfig = {
        ...defaultPipelineConfig({ orgUrl: s.url, auth: { type: 'ssws', token: s.token }, destination: dest.freshUrl() }),
        resources: [...RESOURCE_NAMES],
      }
      const run = async () => {
        s.clock.advance(60_000)
        const summary = await runPipeline({ config, clock: () => s.clock.now() })
        expect(summary.resources.filter((r) => r.status !== 'succeeded').map((r) => `${r.resource}: ${r.error}`)).toEqual([])
        s.clock.advance(60_000)
      }
      return { sim: s, config, run }
    }

    it('point-in-time queries give the org as it was at every instant, timed by lastUpdated and the System Log', async () => {
      const t0 = new Date(Date.now() - 30 * DAY)
      const { sim: s, config, run } = await start(t0)
      const url = config.destination
      const org = s.org
      const emptyGroup = org.createGroup('History-Empty')
      await run()

      // The truth at the first load: the tables (checked against Okta by the other suites).
      const truth: Truth = {
        members: pairs(await query(url, 'SELECT group_id AS a, user_id AS b FROM group_users WHERE _deleted_at IS NULL')),
        assigned: pairs(await query(url, 'SELECT app_id AS a, user_id AS b FROM apps_assigned WHERE _deleted_at IS NULL')),
        appGroups: pairs(await query(url, 'SELECT app_id AS a, group_id AS b FROM app_groups WHERE _deleted_at IS NULL')),
        department: new Map((await query<{ id: string; d: string | null }>(url, 'SELECT id, profile__department AS d FROM users')).map((r) => [r.id, r.d])),
        status: new Map((await query<{ id: string; s: string }>(url, 'SELECT id, status AS s FROM users')).map((r) => [r.id, r.s])),
      }
      const timeline: { at: string; truth: Truth }[] = [{ at: s.clock.now().toISOString(), truth: clone(truth) }]
      const step = (mutate: () => void) => {
        s.clock.advance(HOUR)
        mutate()
        timeline.push({ at: s.clock.now().toISOString(), truth: clone(truth) })
      }

      const users = [...org.userIds()]
      const [gA, gB] = org.groupIds().filter((g, i) => i > 0 && org.groupMemberIds(g).length > 2)
      const member = org.groupMemberIds(gA!)[0]!
      const outsider = (g: string) => users.find((u) => !truth.members.has(`${g}|${u}`) && truth.status.get(u) === 'ACTIVE')!
      const u1 = outsider(gA!)
      const u4 = outsider(gB!)
      const u2 = users.find((u) => truth.status.get(u) === 'ACTIVE')!
      const app = org.appIds()[0]!
      const direct = (await query<{ user_id: string }>(url, `SELECT user_id FROM apps_assigned WHERE app_id = '${app}' AND scope = 'USER' AND _deleted_at IS NULL`))[0]!.user_id
      const u3 = users.find((u) => !truth.assigned.has(`${app}|${u}`) && truth.status.get(u) === 'ACTIVE')!

      step(() => (org.addMember(gA!, u1), truth.members.add(`${gA}|${u1}`)))
      step(() => (org.removeMember(gA!, member), truth.members.delete(`${gA}|${member}`)))
      step(() => (org.updateUser(u2, { department: 'History' }), truth.department.set(u2, 'History')))
      step(() => (org.assignUser(app, u3), truth.assigned.add(`${app}|${u3}`)))
      step(() => (org.unassignUser(app, direct), truth.assigned.delete(`${app}|${direct}`)))
      await run()
      // Removed and added again, added and removed: both inside one night.
      step(() => (org.removeMember(gA!, u1), truth.members.delete(`${gA}|${u1}`)))
      step(() => (org.addMember(gA!, u1), truth.members.add(`${gA}|${u1}`)))
      step(() => (org.addMember(gB!, u4), truth.members.add(`${gB}|${u4}`)))
      step(() => (org.removeMember(gB!, u4), truth.members.delete(`${gB}|${u4}`)))
      step(() => (org.setUserStatus(u2, 'SUSPENDED'), truth.status.set(u2, 'SUSPENDED')))
      step(() => (org.assignGroupToApp(app, emptyGroup), truth.appGroups.add(`${app}|${emptyGroup}`)))
      await run()
      step(() => (org.unassignGroupFromApp(app, emptyGroup), truth.appGroups.delete(`${app}|${emptyGroup}`)))
      step(() => (org.updateUser(u2, { department: 'Later' }), truth.department.set(u2, 'Later')))
      await run()

      const instants = timeline.flatMap((p) => [p, { at: new Date(Date.parse(p.at) + HOUR / 2).toISOString(), truth: p.truth }])
      for (const { at: t, truth: expected } of instants) {
        expect(pairs(await query(url, `SELECT group_id AS a, user_id AS b FROM group_users_history WHERE ${at(t)}`)), `members at ${t}`).toEqual(expected.members)
        expect(pairs(await query(url, `SELECT app_id AS a, user_id AS b FROM apps_assigned_history WHERE ${at(t)}`)), `assignments at ${t}`).toEqual(expected.assigned)
        expect(pairs(await query(url, `SELECT app_id AS a, group_id AS b FROM app_groups_history WHERE ${at(t)}`)), `app groups at ${t}`).toEqual(expected.appGroups)
        const [user] = await query<{ status: string; d: string | null }>(url, `SELECT status, profile__department AS d FROM users_history WHERE id = '${u2}' AND ${at(t)}`)
        expect(user, `user at ${t}`).toEqual({ status: expected.status.get(u2), d: expected.department.get(u2) })
      }

      // Precision: each change at the instant Okta says it happened, and says how it knows.
      const [readded] = await query<{ f: string; src: string }>(url, `SELECT _valid_from AS f, _valid_source AS src FROM group_users_history WHERE group_id = '${gA}' AND user_id = '${u1}' AND _valid_to IS NULL`)
      expect({ f: new Date(readded!.f).toISOString(), src: readded!.src }).toEqual({ f: timeline[7]!.at, src: 'system_log' })
      const [suspended] = await query<{ f: string; src: string }>(url, `SELECT _valid_from AS f, _valid_source AS src FROM users_history WHERE id = '${u2}' AND status = 'SUSPENDED'`)
      expect({ f: new Date(suspended!.f).toISOString(), src: suspended!.src }).toEqual({ f: timeline[10]!.at, src: 'last_updated' })
      await expectIntervalInvariants(url)
      // A user's groups at T is an index range too (the primary key serves a group's members).
      if (dest.kind === 'sqlite') expect(await query(url, `SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'group_users_history__user_id'`)).toHaveLength(1)
      // In this destination's schema: other files' schemas in the same database have one too.
      if (dest.kind === 'postgres') {
        const schema = new URL(url).searchParams.get('schema')
        expect(await query(url, `SELECT indexname FROM pg_indexes WHERE schemaname = '${schema}' AND indexname = 'group_users_history__user_id'`)).toHaveLength(1)
      }

      // A full refresh re-reads every record: nothing changed, so nothing opens or closes.
      const before = await historyCounts(url)
      s.clock.advance(60_000)
      const refresh = await runPipeline({ config, fullRefresh: true, clock: () => s.clock.now() })
      expect(refresh.status).toBe('succeeded')
      expect(await historyCounts(url)).toEqual(before)
      await expectIntervalInvariants(url)
    })

    it('a System Log that cannot be read times nothing: the rows load, their history is timed by lastUpdated or the load', async () => {
      const t0 = new Date(Date.now() - DAY)
      const { sim: s, config } = await start(t0)
      s.faults.inject({ kind: 'unavailable', path: '/api/v1/logs', times: Infinity })
      const summary = await runPipeline({ config: { ...config, okta: { ...config.okta, maxRetries: 1 } }, clock: () => s.clock.now() })
      expect(summary.resources.filter((r) => r.status !== 'succeeded').map((r) => r.resource)).toEqual(['system_log'])
      const sources = await query<{ src: string }>(config.destination, 'SELECT DISTINCT _valid_source AS src FROM group_users_history')
      expect(sources.map((r) => r.src)).toEqual(['load'])
      await expectIntervalInvariants(config.destination)
    })

    it('a first load reconstructs membership history from the System Log, back to where it reaches', async () => {
      const t0 = new Date(Date.now() - DAY)
      const s = await startSimulator({ seed: 34, size: SIZE, now: t0 })
      sim = s
      const org = s.org
      const [g] = org.groupIds().filter((id, i) => i > 0 && org.groupMemberIds(id).length > 3)
      const [longMember, added, removed] = org.groupMemberIds(g!)
      const passer = [...org.userIds()].find((u) => !org.groupMemberIds(g!).includes(u))!
      s.clock.freeze(new Date(t0.getTime() - 40 * DAY))
      org.removeMember(g!, removed!)
      const removedAt = s.clock.now().toISOString()
      s.clock.set(new Date(t0.getTime() - 30 * DAY))
      org.addMember(g!, passer)
      const passerFrom = s.clock.now().toISOString()
      s.clock.set(new Date(t0.getTime() - 20 * DAY))
      org.removeMember(g!, passer)
      const passerTo = s.clock.now().toISOString()
      s.clock.set(new Date(t0.getTime() - 10 * DAY))
      org.removeMember(g!, added!)
      org.addMember(g!, added!)
      const addedAt = s.clock.now().toISOString()
      s.clock.set(t0)

      const url = dest.freshUrl()
      const config = { ...defaultPipelineConfig({ orgUrl: s.url, auth: { type: 'ssws' as const, token: s.token }, destination: url }), resources: [...RESOURCE_NAMES] }
      const summary = await runPipeline({ config, clock: () => s.clock.now() })
      expect(summary.status).toBe('succeeded')

      const rows = async (user: string) =>
        (await query<{ f: string; t: string | null; src: string }>(
          url, `SELECT _valid_from AS f, _valid_to AS t, _valid_source AS src FROM group_users_history WHERE group_id = '${g}' AND user_id = '${user}' ORDER BY _valid_from`,
        )).map((r) => ({ f: new Date(r.f).toISOString(), t: r.t === null ? null : new Date(r.t).toISOString(), src: r.src }))
      const horizon = new Date(t0.getTime() - 90 * DAY).toISOString()
      // Removed 40 days ago, member since before the log reaches.
      expect(await rows(removed!)).toEqual([{ f: horizon, t: removedAt, src: 'log_horizon' }])
      // In for ten days, a month ago.
      expect(await rows(passer)).toEqual([{ f: passerFrom, t: passerTo, src: 'system_log' }])
      // Removed and added back ten days ago: a member since then (and before, back to the log's start).
      expect(await rows(added!)).toEqual([
        { f: horizon, t: addedAt, src: 'log_horizon' },
        { f: addedAt, t: null, src: 'system_log' },
      ])
      // No event: a member as far as this load knows, from the load.
      expect(await rows(longMember!)).toEqual([{ f: t0.toISOString(), t: null, src: 'load' }])
      await expectIntervalInvariants(url)
    })
  })
}

async function historyCounts(url: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const t of HISTORY_TABLES) out[t] = Number((await query<{ n: number }>(url, `SELECT count(*) AS n FROM ${t}_history`))[0]!.n)
  return out
}

/** Per key: no overlapping intervals, at most one open, and an open one exactly for live rows. */
async function expectIntervalInvariants(url: string): Promise<void> {
  const keys: Record<string, string[]> = {
    users: ['id'], group_users: ['group_id', 'user_id'], apps_assigned: ['app_id', 'user_id'],
    app_groups: ['app_id', 'group_id'], user_roles: ['user_id', 'id'], group_roles: ['group_id', 'id'],
  }
  for (const [table, key] of Object.entries(keys)) {
    const k = key.map((c) => `CAST(${c} AS TEXT)`).join(` || '|' || `)
    const intervals = await query<{ k: string; f: string; t: string | null }>(url, `SELECT ${k} AS k, _valid_from AS f, _valid_to AS t FROM ${table}_history ORDER BY 1, 2`)
    const live = new Set((await query<{ k: string }>(url, `SELECT ${k} AS k FROM ${table} WHERE _deleted_at IS NULL`)).map((r) => r.k))
    const open = new Set<string>()
    let prev: { k: string; t: string | null } | undefined
    for (const i of intervals) {
      if (prev?.k === i.k) {
        expect(prev.t, `${table} ${i.k}: an interval after an open one`).not.toBeNull()
        expect(Date.parse(i.f), `${table} ${i.k}: overlapping intervals`).toBeGreaterThanOrEqual(Date.parse(prev.t!))
      }
      if (i.t !== null) expect(Date.parse(i.t), `${table} ${i.k}: an interval ending before it starts`).toBeGreaterThan(Date.parse(i.f))
      else open.add(i.k)
      prev = i
    }
    expect([...open].sort(), `${table}: open intervals are the live rows`).toEqual([...live].sort())
  }
}
