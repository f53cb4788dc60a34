import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { defaultPipelineConfig } from '../../src/pipeline/defaults.ts'
import { runPipeline } from '../../src/pipeline/run.ts'
import type { PipelineConfig } from '../../src/pipeline/types.ts'
import { RESOURCE_NAMES } from '../../src/resources/types.ts'
import { startSimulator } from '../../src/simulator/index.ts'
import type { Simulator } from '../../src/simulator/types.ts'
import { destinationCases } from '../destinations/destinations.ts'
import { count, query } from '../helpers/query.ts'

const SIZE = { users: 400, groups: 40, apps: 6, logEvents: 200, logDays: 5 }

for (const dest of destinationCases()) {
  describe(`access graph → ${dest.kind}`, () => {
    let sim: Simulator
    let config: PipelineConfig

    beforeEach(async () => {
      sim = await startSimulator({ seed: 21, size: SIZE })
      config = {
        ...defaultPipelineConfig({ orgUrl: sim.url, auth: { type: 'ssws', token: sim.token }, destination: dest.freshUrl() }),
        resources: [...RESOURCE_NAMES],
      }
    })
    afterEach(async () => {
      await sim.close()
    })
    afterAll(async () => {
      await dest.cleanup()
    })

    it('loads all thirteen resources into typed tables, then a nightly run writes only what changed', async () => {
      const first = await runPipeline({ config })
      expect(first.resources.filter((r) => r.status !== 'succeeded')).toEqual([])
      const url = config.destination
      for (const table of ['app_groups', 'user_roles', 'group_roles', 'user_factors', 'group_rules', 'user_types', 'user_schema']) {
        expect(await count(url, table), table).toBeGreaterThan(0)
      }
      const [schemaRow] = await query<{ type: string; required: unknown; items__type: string | null }>(
        url, `SELECT type, required, items__type FROM user_schema WHERE name = 'entitlements'`,
      )
      expect(schemaRow).toMatchObject({ type: 'array', items__type: 'string' })
      const roles = await query<{ user_id: string; type: string; assignment_type: string }>(url, 'SELECT user_id, type, assignment_type FROM user_roles')
      expect(roles.some((r) => r.type === 'SUPER_ADMIN' && r.assignment_type === 'USER')).toBe(true)
      expect(roles.some((r) => r.assignment_type === 'GROUP')).toBe(true)
      const custom = await query<{ role: string; resource_set: string }>(url, `SELECT role, resource_set FROM group_roles WHERE type = 'CUSTOM'`)
      expect(custom[0]?.role).toMatch(/^cr0/)
      expect(custom[0]?.resource_set).toMatch(/^iam/)
      const factorTypes = await query<{ factor_type: string }>(url, 'SELECT DISTINCT factor_type FROM user_factors')
      expect(factorTypes.length).toBeGreaterThanOrEqual(4)

      // The views: user_app_access agrees with Okta's own answer (apps_assigned), pair for pair.
      const pairs = (rows: { user_id: string; app_id: string }[]): string[] => [...new Set(rows.map((r) => `${r.user_id}|${r.app_id}`))].sort()
      const access = await query<{ user_id: string; app_id: string; via: string; group_id: string | null }>(url, 'SELECT user_id, app_id, via, group_id FROM user_app_access')
      const assigned = await query<{ user_id: string; app_id: string }>(
        url, 'SELECT aa.user_id, aa.app_id FROM apps_assigned aa JOIN users u ON u.id = aa.user_id AND u._deleted_at IS NULL WHERE aa._deleted_at IS NULL',
      )
      expect(pairs(access)).toEqual(pairs(assigned))
      expect(new Set(access.map((r) => r.via))).toEqual(new Set(['USER', 'GROUP']))
      expect(access.filter((r) => r.via === 'USER').every((r) => r.group_id === null)).toBe(true)
      expect(access.filter((r) => r.via === 'GROUP').every((r) => typeof r.group_id === 'string')).toBe(true)
      // privileged_users: the GROUP path (group_roles through memberships) equals what Okta lists per user.
      const privileged = await query<{ user_id: string; role_type: string; assignment_type: string; group_id: string | null; role_id: string }>(
        url, 'SELECT user_id, role_type, assignment_type, group_id, role_id FROM privileged_users',
      )
      const viaGroup = (rows: { user_id: string; role_id: string }[]): string[] => rows.map((r) => `${r.user_id}|${r.role_id}`).sort()
      expect(viaGroup(privileged.filter((r) => r.assignment_type === 'GROUP'))).toEqual(
        viaGroup(await query(url, `SELECT user_id, id AS role_id FROM user_roles WHERE assignment_type = 'GROUP' AND _deleted_at IS NULL`)),
      )
      expect(privileged.some((r) => r.role_type === 'SUPER_ADMIN' && r.assignment_type === 'USER')).toBe(true)

      const userIds = [...sim.org.userIds()]
      const roleId = sim.org.grantUserRole(userIds[40]!, 'READ_ONLY_ADMIN')
      const factorId = sim.org.enrollFactor(userIds[41]!, 'push')
      const appId = sim.org.appIds()[1]!
      const groupId = sim.org.groupIds().find((g, i) => i > 0 && sim.org.groupMemberIds(g).length > 0 && !access.some((r) => r.app_id === appId && r.group_id === g))!
      sim.org.assignGroupToApp(appId, groupId)

      const second = await runPipeline({ config })
      expect(second.resources.filter((r) => r.status !== 'succeeded')).toEqual([])
      const rows = Object.fromEntries(second.resources.map((r) => [r.resource, r.rows]))
      expect(rows).toMatchObject({ group_rules: 0, user_types: 0, user_schema: 0 })
      expect(await query(url, `SELECT id FROM user_roles WHERE id = '${roleId}' AND _deleted_at IS NULL`)).toHaveLength(1)
      expect(await query(url, `SELECT id FROM user_factors WHERE id = '${factorId}' AND _deleted_at IS NULL`)).toHaveLength(1)
      expect(await query(url, `SELECT group_id FROM app_groups WHERE app_id = '${appId}' AND group_id = '${groupId}' AND _deleted_at IS NULL`)).toHaveLength(1)
      expect(second.requests.total.requests).toBeLessThan(first.requests.total.requests / 5)
      // The new group assignment reaches every member of that group through the view.
      const reached = await query<{ user_id: string }>(url, `SELECT user_id FROM user_app_access WHERE app_id = '${appId}' AND group_id = '${groupId}'`)
      expect(reached.map((r) => r.user_id).sort()).toEqual(sim.org.groupMemberIds(groupId).sort())
      expect(await query(url, `SELECT role_id FROM privileged_users WHERE role_id = '${roleId}'`)).toHaveLength(1)
    })

    it('types the users table by the profile schema: declared attributes get their column and type before any value; a contradicting value widens', async () => {
      sim.org.declareCustomAttribute('riskScore', { type: 'number' })
      const url = config.destination
      const typed = { ...config, resources: ['users', 'user_schema'] as PipelineConfig['resources'] }
      const first = await runPipeline({ config: typed })
      expect(first.status).toBe('succeeded')
      const columns = async (): Promise<Map<string, string>> =>
        new Map((await query<{ column_name: string; type: string }>(url, `SELECT column_name, type FROM _okta_elt_columns WHERE table_name = 'users'`)).map((c) => [c.column_name, c.type]))
      let cols = await columns()
      // Declared, held by no user: present, with the declared type.
      expect(cols.get('profile__badge_number')).toBe('text')
      expect(cols.get('profile__clearance_level')).toBe('bigint')
      expect(cols.get('profile__risk_score')).toBe('double')
      expect(cols.get('profile__employee_level')).toBe('bigint')
      expect(cols.get('profile__entitlements')).toBe('json')
      expect(await count(url, 'users WHERE profile__risk_score IS NOT NULL')).toBe(0)

      // A value that contradicts the declaration widens the column; nothing fails, nothing is lost.
      const someone = [...sim.org.userIds()][5]!
      sim.org.updateUser(someone, { clearanceLevel: 'top secret' })
      const second = await runPipeline({ config: typed })
      expect(second.status).toBe('succeeded')
      cols = await columns()
      expect(cols.get('profile__clearance_level')).toBe('text')
      const [row] = await query<{ v: string }>(url, `SELECT profile__clearance_level AS v FROM users WHERE id = '${someone}'`)
      expect(row?.v).toBe('top secret')
    })
  })
}
