/**
 * The access graph run after run, through `runPipeline` against the simulator over HTTP, into
 * every destination: after each run, the live rows of the seven access-graph tables are exactly
 * what Okta serves (keys and significant columns, asked of the simulator's API directly, one
 * request per user, group and app: no narrowing); deletions cascade (a deleted app sweeps its
 * app_groups, a deleted group its app_groups and group_roles, a hard-deleted user their
 * user_roles and user_factors); user types, schema attributes and group rules that come and go
 * are reflected; user_factors picks up users new since the last run.
 *
 * One org for every destination and step: each step mutates it once, then runs every
 * destination against it (one at a time, so request counts are each run's own), and asks the
 * simulator for the truth once.
 */
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defaultPipelineConfig } from '../../src/pipeline/defaults.ts'
import { runPipeline } from '../../src/pipeline/run.ts'
import type { PipelineConfig, RunSummary } from '../../src/pipeline/types.ts'
import { RESOURCES, scopesFor } from '../../src/resources/index.ts'
import { RESOURCE_NAMES } from '../../src/resources/types.ts'
import { startSimulator } from '../../src/simulator/index.ts'
import type { Simulator } from '../../src/simulator/types.ts'
import { destinationCases, type DestinationCase } from '../destinations/destinations.ts'
import { count, query } from '../helpers/query.ts'
import { get, getAll, type Json } from '../simulator/helpers.ts'

// 32 groups: group 30 is the org's admin group (USER_ADMIN and a custom role).
const SIZE = { users: 150, groups: 32, apps: 4, logEvents: 60, logDays: 2 }
const ADMIN_GROUP = 30

type Row = (string | number | null)[]

/** Booleans as 0/1 (SQLite has no boolean), absent as null: the three databases and the API compare alike. */
const norm = (v: unknown): string | number | null => (v === undefined || v === null ? null : typeof v === 'boolean' ? Number(v) : (v as string | number))

/** Each table's key and significant columns, and how to read the same from the API. */
const TABLES: { table: string; columns: string[]; okta: (truth: OktaTruth) => Row[] }[] = [
  { table: 'app_groups', columns: ['app_id', 'group_id', 'priority'], okta: (t) => t.appGroups },
  { table: 'user_roles', columns: ['user_id', 'id', 'type', 'assignment_type', 'status', 'label'], okta: (t) => t.userRoles },
  { table: 'group_roles', columns: ['group_id', 'id', 'type', 'status', 'role', 'resource_set'], okta: (t) => t.groupRoles },
  { table: 'user_factors', columns: ['user_id', 'id', 'factor_type', 'provider', 'status', 'last_updated'], okta: (t) => t.userFactors },
  { table: 'group_rules', columns: ['id', 'name', 'status', 'conditions__expression__value'], okta: (t) => t.groupRules },
  { table: 'user_types', columns: ['id', 'name', 'display_name', '"default"', 'last_updated'], okta: (t) => t.userTypes },
  { table: 'user_schema', columns: ['name', 'section', 'type', 'required', 'items__type', 'mutability'], okta: (t) => t.userSchema },
]

interface OktaTruth {
  appGroups: Row[]
  userRoles: Row[]
  groupRoles: Row[]
  userFactors: Row[]
  groupRules: Row[]
  userTypes: Row[]
  userSchema: Row[]
}

/** `fn` over `items`, 16 at a time. */
async function eachLimited<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += 16) await Promise.all(items.slice(i, i + 16).map(fn))
}

async function okJson<T>(sim: Simulator, path: string): Promise<T> {
  const res = await get<T>(sim, path)
  if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}`)
  return res.body
}

/** What the org holds, asked of the API endpoint by endpoint for every user, group and app. */
async function oktaTruth(sim: Simulator): Promise<OktaTruth> {
  const t: OktaTruth = { appGroups: [], userRoles: [], groupRoles: [], userFactors: [], groupRules: [], userTypes: [], userSchema: [] }
  for (const appId of sim.org.appIds()) {
    for (const g of (await getAll<Json>(sim, `/api/v1/apps/${appId}/groups?limit=200`)).items) t.appGroups.push([appId, g.id, g.priority])
  }
  await eachLimited([...sim.org.userIds()], async (userId) => {
    for (const r of await okJson<Json[]>(sim, `/api/v1/users/${userId}/roles`)) t.userRoles.push([userId, r.id, r.type, r.assignmentType, r.status, r.label])
    for (const f of await okJson<Json[]>(sim, `/api/v1/users/${userId}/factors`)) t.userFactors.push([userId, f.id, f.factorType, f.provider, f.status, f.lastUpdated])
  })
  await eachLimited(sim.org.groupIds(), async (groupId) => {
    for (const r of await okJson<Json[]>(sim, `/api/v1/groups/${groupId}/roles`)) t.groupRoles.push([groupId, r.id, r.type, r.status, r.role ?? null, r['resource-set'] ?? null])
  })
  for (const r of (await getAll<Json>(sim, '/api/v1/groups/rules?limit=200')).items) t.groupRules.push([r.id, r.name, r.status, r.conditions.expression.value])
  for (const ty of await okJson<Json[]>(sim, '/api/v1/meta/types/user')) t.userTypes.push([ty.id, ty.name, ty.displayName, Number(ty.default), ty.lastUpdated])
  const schema = await okJson<Json>(sim, '/api/v1/meta/schemas/user/default')
  for (const section of ['base', 'custom']) {
    const def = schema.definitions[section]
    for (const [name, a] of Object.entries<Json>(def.properties)) {
      // A base attribute is required by the section's list, a custom one by its own flag.
      const required = a.required === true || (def.required as string[]).includes(name)
      t.userSchema.push([name, section, a.type, Number(required), a.items?.type ?? null, a.mutability])
    }
  }
  return t
}

const sorted = (rows: Row[]): string[] => rows.map((r) => JSON.stringify(r.map(norm))).sort()

async function liveRows(url: string, table: string, columns: string[]): Promise<Row[]> {
  const rows = await query<Record<string, unknown>>(url, `SELECT ${columns.join(', ')} FROM ${table} WHERE _deleted_at IS NULL`)
  return rows.map((r) => Object.values(r).map(norm))
}

/** Every access-graph table's live rows equal what Okta serves, row for row. */
async function expectAsOkta(url: string, truth: OktaTruth, where: string): Promise<void> {
  for (const spec of TABLES) {
    const expected = sorted(spec.okta(truth))
    expect(expected.length, `${spec.table}: the org holds some`).toBeGreaterThan(0)
    expect(sorted(await liveRows(url, spec.table, spec.columns)), `${where}: ${spec.table}`).toEqual(expected)
  }
}

/** Rows of `table` matching `where`, with whether each is marked deleted. */
async function marks(url: string, table: string, where: string): Promise<boolean[]> {
  return (await query<{ d: unknown }>(url, `SELECT _deleted_at AS d FROM ${table} WHERE ${where}`)).map((r) => r.d !== null)
}

describe('the access graph, run after run, against Okta itself', () => {
  const dests: DestinationCase[] = destinationCases()
  const urls = new Map<DestinationCase, string>()
  let sim: Simulator

  const configOf = (dest: DestinationCase): PipelineConfig => ({
    ...defaultPipelineConfig({ orgUrl: sim.url, auth: { type: 'ssws', token: sim.token }, destination: urls.get(dest)! }),
    resources: [...RESOURCE_NAMES],
    // No history tables: they cost more than the rest on DuckDB (sweeps under history: test/pipeline/history.test.ts).
    history: [],
  })

  /** Runs every destination in turn; each one's requests as the simulator saw them. */
  async function runAll(): Promise<{ dest: DestinationCase; url: string; summary: RunSummary; paths: string[] }[]> {
    const out = []
    for (const dest of dests) {
      sim.clearRequests()
      const summary = await runPipeline({ config: configOf(dest) })
      expect(summary.resources.filter((r) => r.status !== 'succeeded'), dest.kind).toEqual([])
      out.push({ dest, url: urls.get(dest)!, summary, paths: sim.requests.map((r) => r.path) })
    }
    return out
  }

  // The users the steps act on.
  let roleHolder: string // a direct role and factors: hard-deleted in step 2
  let groupAdmin: string // a direct role and a member of the admin group (its GROUP roles go with the group)
  let adminGroup: string
  let goneApp: string

  beforeAll(async () => {
    sim = await startSimulator({ seed: 23, size: SIZE })
    for (const dest of dests) urls.set(dest, dest.freshUrl())
    const users = [...sim.org.userIds()]
    adminGroup = sim.org.groupIds()[ADMIN_GROUP]!
    // The org before the first load: the admin group reaches an app; a user holds a direct role and factors.
    sim.org.assignGroupToApp(sim.org.appIds()[2]!, adminGroup)
    // A second group holding a role, so group_roles keeps live rows once the admin group is gone.
    sim.org.grantGroupRole(sim.org.groupIds()[5]!, 'HELP_DESK_ADMIN')
    for (const id of users.slice(20)) {
      if ((await okJson<Json[]>(sim, `/api/v1/users/${id}/factors`)).length >= 2) {
        roleHolder = id
        break
      }
    }
    sim.org.grantUserRole(roleHolder, 'REPORT_ADMIN')
    groupAdmin = users[7]! // READ_ONLY_ADMIN in every generated org (index % 500 == 7)
    if (!sim.org.groupMemberIds(adminGroup).includes(groupAdmin)) sim.org.addMember(adminGroup, groupAdmin)
  })
  afterAll(async () => {
    await sim?.close()
    for (const d of dests) await d.cleanup()
  })

  it('first load: every access-graph table holds exactly what Okta serves', async () => {
    const runs = await runAll()
    const truth = await oktaTruth(sim)
    // The org exercises what the tables must get right: USER and GROUP roles, a custom role, several factor types.
    expect(new Set(truth.userRoles.map((r) => r[3]))).toEqual(new Set(['USER', 'GROUP']))
    expect(truth.groupRoles.some((r) => r[2] === 'CUSTOM' && r[4] !== null && r[5] !== null)).toBe(true)
    expect(new Set(truth.userFactors.map((r) => r[2])).size).toBeGreaterThanOrEqual(4)
    for (const r of runs) await expectAsOkta(r.url, truth, `${r.dest.kind}, first load`)
  })

  it('a deleted app sweeps its app_groups, a deleted group its app_groups and group_roles, a hard-deleted user their roles and factors', async () => {
    const url0 = urls.get(dests[0]!)!
    // Not the app the admin group reaches: that row must go with the group.
    const apps = sim.org.appIds().filter((_a, i) => i !== 2)
    const groupsOf = async (app: string): Promise<number> => (await getAll<Json>(sim, `/api/v1/apps/${app}/groups?limit=200`)).items.length
    for (const app of apps) if ((await groupsOf(app)) > 0) goneApp ??= app
    const appGroupsOfApp = await groupsOf(goneApp)
    expect(appGroupsOfApp).toBeGreaterThan(0)
    expect((await marks(url0, 'group_roles', `group_id = '${adminGroup}'`)).length).toBeGreaterThanOrEqual(2)
    expect(await marks(url0, 'app_groups', `group_id = '${adminGroup}'`)).toEqual([false])
    const factorsOfUser = (await marks(url0, 'user_factors', `user_id = '${roleHolder}'`)).length
    expect(factorsOfUser).toBeGreaterThanOrEqual(2)

    sim.org.deleteApp(goneApp)
    sim.org.deleteGroup(adminGroup)
    sim.org.deleteUser(roleHolder)
    const runs = await runAll()
    const truth = await oktaTruth(sim)
    for (const r of runs) {
      const where = r.dest.kind
      // Every row the deleted parent had stays, marked deleted.
      expect(await marks(r.url, 'app_groups', `app_id = '${goneApp}'`), where).toEqual(Array(appGroupsOfApp).fill(true))
      expect(await marks(r.url, 'app_groups', `group_id = '${adminGroup}'`), where).toEqual([true])
      expect((await marks(r.url, 'group_roles', `group_id = '${adminGroup}'`)).every(Boolean), where).toBe(true)
      expect(await marks(r.url, 'user_roles', `user_id = '${roleHolder}'`), where).toEqual([true])
      expect(await marks(r.url, 'user_factors', `user_id = '${roleHolder}'`), where).toEqual(Array(factorsOfUser).fill(true))
      // The admin group's roles no longer reach its members, not even one who holds a role of their own.
      expect(await query(r.url, `SELECT id FROM user_roles WHERE user_id = '${groupAdmin}' AND assignment_type = 'GROUP' AND _deleted_at IS NULL`), where).toEqual([])
      expect(await query(r.url, `SELECT id FROM user_roles WHERE user_id = '${groupAdmin}' AND assignment_type = 'USER' AND _deleted_at IS NULL`), where).toHaveLength(1)
      await expectAsOkta(r.url, truth, `${where}, after the deletions`)
    }
  })

  it('user types, schema attributes and group rules that appear, change or vanish are reflected (removed ones get _deleted_at); user_factors pulls users new since the last run', async () => {
    const types = await okJson<Json[]>(sim, '/api/v1/meta/types/user')
    const defaultType = types.find((t) => t.default)!.id as string
    const contractor = types.find((t) => t.name === 'contractor')!.id as string
    const partner = sim.org.createUserType('partner', 'Partner', 'Partner accounts')
    sim.org.updateUserType(defaultType, { displayName: 'Employee' })
    sim.org.deleteUserType(contractor)
    // A new attribute, and one declared but held by no user removed.
    sim.org.declareCustomAttribute('costCode', { type: 'string', title: 'Cost code' })
    sim.org.removeCustomAttribute('badgeNumber')
    const rules = (await getAll<Json>(sim, '/api/v1/groups/rules')).items
    const editedRule = rules[0]!.id as string
    const goneRule = rules[1]!.id as string
    sim.org.updateGroupRule(editedRule, { expression: 'user.department=="Platform"' })
    sim.org.deleteGroupRule(goneRule)
    const newUser = sim.org.createUser({ login: 'new.hire@example.com', firstName: 'New', lastName: 'Hire' })

    const runs = await runAll()
    const truth = await oktaTruth(sim)
    for (const r of runs) {
      const where = r.dest.kind
      const rows = Object.fromEntries(r.summary.resources.map((s) => [s.resource, s.rows]))
      // Only what changed is written: the new type and the edited one, the new attribute, the edited rule.
      expect(rows, where).toMatchObject({ user_types: 2, user_schema: 1, group_rules: 1 })
      expect(await query(r.url, `SELECT display_name FROM user_types WHERE id = '${defaultType}'`), where).toEqual([{ display_name: 'Employee' }])
      expect(await marks(r.url, 'user_types', `id IN ('${partner}', '${contractor}')`), where).toEqual(expect.arrayContaining([false, true]))
      expect(await marks(r.url, 'user_types', `id = '${contractor}'`), where).toEqual([true])
      expect(await marks(r.url, 'user_schema', `name = 'badgeNumber'`), where).toEqual([true])
      expect(await marks(r.url, 'user_schema', `name = 'costCode'`), where).toEqual([false])
      expect(await marks(r.url, 'group_rules', `id = '${goneRule}'`), where).toEqual([true])
      // The new user is asked for their factors (none yet), and no one else: nobody else had factor events.
      expect(r.paths.filter((p) => p.endsWith('/factors')), where).toEqual([`/api/v1/users/${newUser}/factors`])
      await expectAsOkta(r.url, truth, `${where}, after the edits`)
    }
  })
})

/**
 * A service app not granted the access graph's own scopes: only the resources needing one fail,
 * each with one line naming it; the rest load (users too, which reads the schema when it can).
 * Scopes are checked by Okta before any destination is involved: the first destination proves it.
 */
describe(`the access graph without its scopes → ${destinationCases()[0]!.kind}`, () => {
  const dest = destinationCases()[0]!
  let sim: Simulator
  afterAll(async () => {
    await sim?.close()
    await dest.cleanup()
  })

  it('an OAuth app lacking okta.roles.read, okta.userTypes.read and okta.schemas.read fails exactly the resources needing them, naming the scope', async () => {
    const keys = await generateKeyPair('RS256', { extractable: true })
    const lacking = ['okta.roles.read', 'okta.userTypes.read', 'okta.schemas.read']
    const everyScope = scopesFor(RESOURCE_NAMES)
    expect(everyScope).toEqual(expect.arrayContaining(lacking))
    const granted = everyScope.filter((s) => !lacking.includes(s))
    sim = await startSimulator({ seed: 23, size: { users: 60, groups: 32, apps: 3, logEvents: 30, logDays: 1 }, oauthClients: [{ clientId: '0oaNoRoles', publicKey: await exportSPKI(keys.publicKey), keyId: 'k1', scopes: granted }] })
    const url = dest.freshUrl()
    const events: { event: string; msg: string }[] = []
    const summary = await runPipeline({
      config: {
        ...defaultPipelineConfig({ orgUrl: sim.url, auth: { type: 'oauth', clientId: '0oaNoRoles', keyId: 'k1', privateKey: await exportPKCS8(keys.privateKey), scopes: everyScope }, destination: url }),
        resources: [...RESOURCE_NAMES],
        history: [],
      },
      logger: (e) => events.push(e),
    })
    expect(summary.status).toBe('failed')
    // A credential problem: exit 2, as for the base resources.
    expect(summary.exitCode).toBe(2)
    const needing = RESOURCE_NAMES.filter((r) => RESOURCES[r].scopes.some((s) => lacking.includes(s)))
    expect(needing).toEqual(['user_roles', 'group_roles', 'user_types', 'user_schema'])
    const failed = summary.resources.filter((r) => r.status !== 'succeeded')
    expect(failed.map((r) => r.resource)).toEqual(needing)
    for (const f of failed) {
      const scope = RESOURCES[f.resource].scopes.find((s) => lacking.includes(s))!
      expect(f.error, f.resource).toContain(`missing scope ${scope}`)
      expect(f.error, f.resource).not.toContain('\n')
    }
    // Told once, up front, which scopes the app lacks; users loaded without the schema's typing, saying so.
    expect(events.filter((e) => e.event === 'okta.scopes_refused').map((e) => e.msg)).toEqual([expect.stringContaining(lacking.join(', '))])
    expect(events.some((e) => e.event === 'extract.schema_unavailable')).toBe(true)
    const counts = sim.org.counts()
    expect(await count(url, 'users')).toBe(counts.users)
    expect(await count(url, 'apps_assigned')).toBe(counts.assignments)
    for (const table of ['app_groups', 'user_factors', 'group_rules']) expect(await count(url, table), table).toBeGreaterThan(0)
    // The loads table tells the same story.
    const loads = await query<{ resource: string; status: string; error: string | null }>(url, `SELECT resource, status, error FROM _okta_elt_loads WHERE status = 'failed'`)
    expect(loads.map((l) => l.resource).sort()).toEqual([...needing].sort())
  })
})
