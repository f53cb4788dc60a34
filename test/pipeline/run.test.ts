import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { defaultPipelineConfig } from '../../src/pipeline/defaults.ts'
import { runPipeline } from '../../src/pipeline/run.ts'
import type { PipelineConfig, RunSummary } from '../../src/pipeline/types.ts'
import { startSimulator } from '../../src/simulator/index.ts'
import type { Simulator } from '../../src/simulator/types.ts'
import { destinationCases } from '../destinations/destinations.ts'
import { count, expectFirstLoadComplete, query } from '../helpers/query.ts'
import { RESOURCES } from '../../src/resources/index.ts'

const BASE_RESOURCES = ['users', 'groups', 'group_users', 'apps', 'apps_assigned', 'system_log'] as const

const SIZE = { users: 300, groups: 12, apps: 6, logEvents: 600, logDays: 10 }

function rowsOf(summary: RunSummary): Record<string, number> {
  return Object.fromEntries(summary.resources.map((r) => [r.resource, r.rows]))
}

/**
 * The simulator's requests attributed to the resource that made them (paths are shared: the
 * `groups` listing asks for stats, `group_users`' for a membership filter; `apps_assigned` lists
 * apps too, and queries the log bounded by `until`, where `system_log` polls).
 */
function requestsPerResource(requests: Simulator['requests'], base: string): Record<string, number> {
  const counts: Record<string, number> = {}
  const add = (name: string): void => {
    counts[name] = (counts[name] ?? 0) + 1
  }
  for (const r of requests) {
    const params = new URL(r.url, base).searchParams
    if (r.path === '/api/v1/users') add('users')
    else if (r.path === '/api/v1/groups') add(params.get('expand') === 'stats' ? 'groups' : 'group_users')
    else if (/^\/api\/v1\/groups\/[^/]+\/users$/.test(r.path)) add('group_users')
    else if (r.path === '/api/v1/apps' || /^\/api\/v1\/apps\/[^/]+\/users$/.test(r.path)) add('apps or apps_assigned')
    else if (r.path === '/api/v1/logs') add(!params.has('until') ? 'system_log' : params.get('filter')?.includes('group.user_membership') ? 'history' : 'apps_assigned')
    else add(r.path)
  }
  return counts
}

for (const dest of destinationCases()) {
  describe(`pipeline run → ${dest.kind}`, () => {
    let sim: Simulator
    let config: PipelineConfig

    beforeEach(async () => {
      sim = await startSimulator({ seed: 11, size: SIZE })
      // The six base resources: this file counts their requests exactly (the access graph's are in access-graph.test.ts).
      config = { ...defaultPipelineConfig({ orgUrl: sim.url, auth: { type: 'ssws', token: sim.token }, destination: dest.freshUrl() }), resources: [...BASE_RESOURCES] }
    })
    afterEach(async () => {
      await sim.close()
    })
    afterAll(async () => {
      await dest.cleanup()
    })

    it('loads the whole org, then only what changed, reflecting updates, removals and deletes', async () => {
      const first = await runPipeline({ config })
      expect(first.status).toBe('succeeded')
      expect(first.exitCode).toBe(0)
      const counts = sim.org.counts()
      const url = config.destination
      await expectFirstLoadComplete(url, counts)
      expect(await count(url, 'system_log__target')).toBeGreaterThan(0)
      const firstRequests = first.requests.total.requests

      // A day in the org (the org clock is real time: Okta never publishes events from the future).
      const userIds = [...sim.org.userIds()]
      const edited = userIds[3]!
      sim.org.updateUser(edited, { title: 'Chief Tester' })
      const leaver = userIds.find((id) => sim.org.getUser(id)?.['status'] === 'ACTIVE' && id !== edited)!
      sim.org.setUserStatus(leaver, 'DEPROVISIONED')
      sim.org.deleteUser(leaver)
      // Not Everyone (BUILT_IN): Okta refuses membership edits there.
      const group = sim.org.groupIds().find((g, i) => i > 0 && sim.org.groupMemberIds(g).length > 1)!
      const removedMember = sim.org.groupMemberIds(group)[0]!
      sim.org.removeMember(group, removedMember)
      const app = sim.org.appIds()[0]!
      const unassigned = sim.org.appAssigneeIds(app)[0]!
      sim.org.unassignUser(app, unassigned)
      const goneApp = sim.org.appIds()[1]!
      sim.org.deleteApp(goneApp)

      const second = await runPipeline({ config })
      expect(second.status).toBe('succeeded')
      // One listing per resource, the members of the groups that changed (the edited group and the
      // leaver's groups), the assignments of the two touched apps, one narrowing log query.
      expect(second.requests.total.requests).toBeLessThan(firstRequests)
      expect(second.requests.total.requests).toBeLessThanOrEqual(16)

      const [row] = await query<{ title: string }>(url, `SELECT profile__title AS title FROM users WHERE id = '${edited}'`)
      expect(row?.title).toBe('Chief Tester')
      // Hard delete arrives through the System Log: the row stays, marked.
      const [gone] = await query<{ deleted: unknown }>(url, `SELECT _deleted_at AS deleted FROM users WHERE id = '${leaver}'`)
      expect(gone?.deleted).not.toBeNull()
      const [membership] = await query<{ deleted: unknown }>(
        url,
        `SELECT _deleted_at AS deleted FROM group_users WHERE group_id = '${group}' AND user_id = '${removedMember}'`,
      )
      expect(membership?.deleted).not.toBeNull()
      expect(await count(url, `group_users WHERE _deleted_at IS NULL`)).toBe(sim.org.counts().memberships)
      const [assignment] = await query<{ deleted: unknown }>(
        url,
        `SELECT _deleted_at AS deleted FROM apps_assigned WHERE app_id = '${app}' AND user_id = '${unassigned}'`,
      )
      expect(assignment?.deleted).not.toBeNull()
      const [appRow] = await query<{ deleted: unknown }>(url, `SELECT _deleted_at AS deleted FROM apps WHERE id = '${goneApp}'`)
      expect(appRow?.deleted).not.toBeNull()
      expect(await count(url, 'system_log')).toBe(sim.org.counts().logEvents)

      // No changes, right after a run with changes (inside every lookback window): nothing loaded,
      // and only the requests it must make: one listing or query per resource, apps listed twice
      // (apps, and apps_assigned's plan), no member or assignee pulls.
      const before = sim.requests.length
      const third = await runPipeline({ config })
      expect(third.status).toBe('succeeded')
      expect(rowsOf(third)).toEqual({ users: 0, groups: 0, group_users: 0, apps: 0, apps_assigned: 0, system_log: 0 })
      expect(requestsPerResource(sim.requests.slice(before), sim.url)).toEqual({
        users: 1,
        groups: 1,
        group_users: 1,
        'apps or apps_assigned': 2,
        apps_assigned: 1,
        system_log: 1,
        history: 1,
      })
      expect(third.requests.total.requests).toBe(8)
      expect(third.requests.total.retries).toBe(0)
      // Each resource's own count, as the summary reports it: apps_assigned's apps listing and its
      // narrowing query are its own; the history query belongs to the run (total = sum + 1).
      const own = Object.fromEntries(third.resources.map((r) => [r.resource, r.requests]))
      expect(own).toEqual({ users: 1, groups: 1, group_users: 1, apps: 1, apps_assigned: 2, system_log: 1 })
      expect(third.resources.reduce((n, r) => n + r.requests, 0) + 1).toBe(third.requests.total.requests)
    })

    it('records every load with its outcome and keeps other resources when one fails', async () => {
      const restricted = 'restricted-token-without-logs'
      await sim.close()
      sim = await startSimulator({ seed: 11, size: SIZE, scopedTokens: { [restricted]: ['okta.users.read', 'okta.groups.read', 'okta.apps.read'] } })
      config = { ...config, okta: { ...config.okta, orgUrl: sim.url, auth: { type: 'ssws', token: restricted } } }
      const summary = await runPipeline({ config })
      expect(summary.status).toBe('failed')
      expect(summary.exitCode).toBe(2)
      const log = summary.resources.find((r) => r.resource === 'system_log')!
      expect(log.status).toBe('failed')
      expect(log.error).toContain('okta.logs.read')
      // Exactly the resources needing a scope the token lacks fail; every other one loads.
      const granted = new Set(['okta.users.read', 'okta.groups.read', 'okta.apps.read'])
      const lacking = BASE_RESOURCES.filter((r) => RESOURCES[r].scopes.some((s) => !granted.has(s)))
      expect(lacking).toContain('system_log')
      expect(summary.resources.filter((r) => r.status !== 'succeeded').map((r) => r.resource)).toEqual(lacking)
      expect(await count(config.destination, 'users')).toBe(sim.org.counts().users)
      const loads = await query<{ resource: string; status: string; error: string | null }>(
        config.destination,
        'SELECT resource, status, error FROM _okta_elt_loads',
      )
      expect(loads).toHaveLength(BASE_RESOURCES.length)
      expect(loads.find((l) => l.resource === 'system_log')).toMatchObject({ status: 'failed' })
      expect(JSON.stringify(loads)).not.toContain(restricted)
    })
  })
}
