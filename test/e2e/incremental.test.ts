/**
 * The nightly-run story through the real binary, for SQLite and Postgres: a first run loads the
 * org, a day of changes in Okta, a second run picks up exactly those (removals and deletes
 * included) for a fraction of the requests, a third run with nothing new loads nothing, and
 * `status` reports what the destination holds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunSummary } from '../../src/pipeline/types.ts'
import { startSimulator } from '../../src/simulator/index.ts'
import type { Simulator } from '../../src/simulator/types.ts'
import type { StatusReport } from '../../src/cli/commands/status.ts'
import { destinationCases } from '../destinations/destinations.ts'
import { count, expectFirstLoadComplete, query } from '../helpers/query.ts'
import { expectExit, logEvents, okta, parseSummary, plainLines, rowsByResource, simConfig, workdir, type Workdir } from './helpers.ts'
import { DEFAULT_RESOURCES } from '../../src/resources/types.ts'

// Enough groups and apps that the first run's per-parent fetches dominate, as in a real org.
const SIZE = { users: 500, groups: 40, apps: 20, logEvents: 800, logDays: 10 }

for (const dest of destinationCases()) {
  describe(`okta-elt run, three nights → ${dest.kind}`, () => {
    let sim: Simulator
    let work: Workdir
    let url: string
    let env: Record<string, string>
    const runs: RunSummary[] = []
    const simRequests: number[] = []

    /** `okta-elt run --json`, counting what the simulator received. */
    async function nightlyRun(): Promise<RunSummary> {
      sim.clearRequests()
      const result = await okta(['run', '--json'], { cwd: work.dir, env })
      expectExit(result, 0)
      // Off a terminal stderr is pure JSON log lines: nothing a log collector would choke on.
      expect(plainLines(result.stderr)).toEqual([])
      expect(logEvents(result.stderr).some((e) => e['event'] === 'progress')).toBe(true)
      const summary = parseSummary(result)
      runs.push(summary)
      simRequests.push(sim.requests.length)
      return summary
    }

    beforeAll(async () => {
      sim = await startSimulator({ seed: 5, size: SIZE })
      work = workdir()
      url = dest.freshUrl()
      work.writeConfig(simConfig(sim.url, url))
      env = { OKTA_API_TOKEN: sim.token }
    })
    afterAll(async () => {
      await sim?.close()
      work?.cleanup()
      await dest.cleanup()
    })

    it('first run loads the whole org and prints a parseable JSON summary', async () => {
      const first = await nightlyRun()
      expect(first.status).toBe('succeeded')
      expect(first.exitCode).toBe(0)
      const counts = sim.org.counts()
      expect(rowsByResource(first)).toMatchObject({
        users: counts.users,
        groups: counts.groups,
        group_users: counts.memberships,
        apps: counts.apps,
        apps_assigned: counts.assignments,
        system_log: counts.logEvents,
      })
      expect(Object.keys(rowsByResource(first))).toEqual([...DEFAULT_RESOURCES])
      expect(first.resources.every((r) => r.status === 'succeeded' && r.batches > 0)).toBe(true)
      // Per-bucket requests add up, and match what the simulator actually received.
      const buckets = first.requests.buckets
      expect(Object.keys(buckets)).toEqual(expect.arrayContaining(['users', 'groups', 'apps', 'logs']))
      expect(Object.values(buckets).reduce((n, b) => n + b.requests, 0)).toBe(first.requests.total.requests)
      expect(first.requests.total.requests).toBe(simRequests[0])
      // Every table got created, and said so.
      expect(first.schemaChanges.filter((c) => c.kind === 'create_table').map((c) => (c.kind === 'create_table' ? c.table.name : '')))
        .toEqual(expect.arrayContaining(['users', 'groups', 'group_users', 'apps', 'apps_assigned', 'system_log']))

      await expectFirstLoadComplete(url, counts)
      expect(await count(url, 'users WHERE _deleted_at IS NOT NULL')).toBe(0)
    })

    const changed: Record<string, string> = {}

    it('second run reflects a day of changes, removals and deletes included, for far fewer requests', async () => {
      const org = sim.org
      const active = [...org.userIds()].filter((id) => org.getUser(id)?.['status'] === 'ACTIVE')
      changed.edited = active[1]!
      org.updateUser(changed.edited, { title: 'Chief Tester' })
      changed.deprovisioned = active[2]!
      org.setUserStatus(changed.deprovisioned, 'DEPROVISIONED')
      changed.hardDeleted = active[3]!
      org.setUserStatus(changed.hardDeleted, 'DEPROVISIONED')
      org.deleteUser(changed.hardDeleted)
      // A new custom attribute in the profile schema, set on one user.
      org.addCustomAttribute('securityClearance', () => null)
      changed.clearance = active[4]!
      org.setAttribute([changed.clearance], 'securityClearance', () => 'TOP-SECRET')
      // Not Everyone (BUILT_IN): Okta refuses membership edits there.
      changed.group = org.groupIds().find((g, i) => i > 0 && org.groupMemberIds(g).length > 1)!
      changed.removedMember = org.groupMemberIds(changed.group).find((u) => u !== changed.hardDeleted)!
      org.removeMember(changed.group, changed.removedMember)
      changed.app = org.appIds()[0]!
      changed.unassigned = org.appAssigneeIds(changed.app).find((u) => u !== changed.hardDeleted)!
      org.unassignUser(changed.app, changed.unassigned)
      changed.deletedApp = org.appIds()[1]!
      org.deleteApp(changed.deletedApp)

      const second = await nightlyRun()
      expect(second.status).toBe('succeeded')
      expect(second.requests.total.requests).toBe(simRequests[1])
      // Far fewer: the first run paid one request per group and per app; this one only for what changed.
      expect(simRequests[1]!).toBeLessThan(simRequests[0]! / 3)
      // The six base resources took at most 20; the access graph adds its listings and narrowing
      // queries (apps and groups listings, the role assignees, one log query each, rules, types,
      // the schema twice: user_schema and the users columns it types).
      expect(simRequests[1]!).toBeLessThanOrEqual(31)
      const rows = rowsByResource(second)
      // The edited, deprovisioned and custom-attribute users; the hard delete arrives through the System Log.
      expect(rows['users']).toBeGreaterThanOrEqual(3)
      expect(rows['users']).toBeLessThan(SIZE.users / 10)
      expect(rows['system_log']).toBeGreaterThan(0)

      // The new attribute is a schema change, reported in the summary.
      expect(second.schemaChanges).toContainEqual(
        expect.objectContaining({ kind: 'add_column', table: 'users', column: expect.objectContaining({ name: 'profile__security_clearance' }) }),
      )

      const user = async (id: string) =>
        (await query<{ status: string; title: string | null; clearance: string | null; deleted: string | null }>(
          url,
          `SELECT status, profile__title AS title, profile__security_clearance AS clearance, _deleted_at AS deleted FROM users WHERE id = '${id}'`,
        ))[0]
      expect(await user(changed.edited)).toMatchObject({ title: 'Chief Tester', deleted: null })
      expect(await user(changed.deprovisioned)).toMatchObject({ status: 'DEPROVISIONED', deleted: null })
      // Hard-deleted in Okta: the row stays, marked.
      expect((await user(changed.hardDeleted))?.deleted).not.toBeNull()
      expect((await user(changed.clearance))?.clearance).toBe('TOP-SECRET')

      const gone = async (table: string, where: string) =>
        (await query<{ deleted: string | null }>(url, `SELECT _deleted_at AS deleted FROM ${table} WHERE ${where}`))[0]?.deleted
      expect(await gone('group_users', `group_id = '${changed.group}' AND user_id = '${changed.removedMember}'`)).not.toBeNull()
      expect(await gone('apps_assigned', `app_id = '${changed.app}' AND user_id = '${changed.unassigned}'`)).not.toBeNull()
      expect(await gone('apps', `id = '${changed.deletedApp}'`)).not.toBeNull()

      const counts = sim.org.counts()
      expect(await count(url, 'users WHERE _deleted_at IS NULL')).toBe(counts.users)
      expect(await count(url, 'group_users WHERE _deleted_at IS NULL')).toBe(counts.memberships)
      expect(await count(url, 'apps WHERE _deleted_at IS NULL')).toBe(counts.apps)
      expect(await count(url, 'apps_assigned WHERE _deleted_at IS NULL')).toBe(counts.assignments)
      expect(await count(url, 'system_log')).toBe(counts.logEvents)
    })

    it('third run with no changes loads nothing new', async () => {
      const before = await tableCounts(url)
      const third = await nightlyRun()
      expect(third.status).toBe('succeeded')
      expect(third.schemaChanges).toEqual([])
      const rows = rowsByResource(third)
      // Every resource re-reads its overlap window (users/groups lookback, the apps listing, the
      // log's last page) but writes nothing it already holds.
      expect(rows).toEqual(Object.fromEntries(DEFAULT_RESOURCES.map((r) => [r, 0])))
      expect(simRequests[2]!).toBeLessThanOrEqual(simRequests[1]!)
      // 8 for the six base resources; the access graph: the apps and groups listings, the assignee
      // listing, a log query each for app_groups, user_roles and group_roles, rules, types, the schema
      // twice; the history tables: one log query for all of them.
      expect(simRequests[2]!).toBeLessThanOrEqual(19)
      // Nothing changed in the tables, and no row carries this run's loads.
      expect(await tableCounts(url)).toEqual(before)
      const loadIds = third.resources.map((r) => `'${r.loadId}'`).join(',')
      for (const table of ['users', 'groups', 'group_users', 'apps', 'apps_assigned', 'system_log']) {
        expect(await count(url, `${table} WHERE _load_id IN (${loadIds})`), table).toBe(0)
      }
    })

    it('status shows cursors, last successful loads, row counts and recent loads', async () => {
      const human = await okta(['status'], { cwd: work.dir, env: {} })
      expectExit(human, 0)
      const text = human.stdout
      expect(text).toMatch(/resource\s+rows\s+deleted\s+last successful load\s+cursor/)
      const counts = sim.org.counts()
      const line = (resource: string) => text.split('\n').find((l) => l.trimStart().startsWith(`${resource} `)) ?? ''
      // rows are the live ones; the hard-deleted user is counted as deleted.
      expect(line('users')).toMatch(new RegExp(`users\\s+${fmt(counts.users)}\\s+1\\s+\\d{4}-\\S+ \\(\\d+ rows\\)\\s+\\w+=`))
      expect(line('group_users')).toContain('per-parent cursors')
      expect(line('system_log')).toContain('next=/api/v1/logs')
      expect(text).toContain('Recent loads (10)')
      expect(text).toContain('system_log__target')

      const perRun = DEFAULT_RESOURCES.length
      const json = await okta(['status', '--json', '--loads', String(3 * perRun)], { cwd: work.dir, env: {} })
      expectExit(json, 0)
      const report = JSON.parse(json.stdout) as StatusReport
      expect(report.resources.map((r) => r.resource)).toEqual([...DEFAULT_RESOURCES])
      const users = report.resources.find((r) => r.resource === 'users')!
      expect(users).toMatchObject({ rows: counts.users, deleted: 1 })
      expect(users.cursor).toMatchObject({ watermark: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) })
      expect(users.lastSuccess?.loadId).toBe(runs[2]!.resources.find((r) => r.resource === 'users')!.loadId)
      const apps = report.resources.find((r) => r.resource === 'apps')!
      expect(apps).toMatchObject({ rows: counts.apps, deleted: 1 })
      const groupUsers = report.resources.find((r) => r.resource === 'group_users')!
      expect(groupUsers.parentCursors).toBe(counts.groups)
      // Three runs of every default resource, newest first.
      expect(report.loads).toHaveLength(3 * perRun)
      expect(report.loads.every((l) => l.status === 'succeeded')).toBe(true)
      const newestRun = runs[2]!.runId
      expect(report.loads.slice(0, perRun).every((l) => l.runId === newestRun)).toBe(true)
      expect(report.loads.slice(2 * perRun).every((l) => l.runId === runs[0]!.runId)).toBe(true)
    })
  })
}

function fmt(n: number): string {
  return n.toLocaleString('en-US')
}

async function tableCounts(url: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const table of ['users', 'groups', 'group_users', 'apps', 'apps_assigned', 'system_log']) {
    out[table] = await count(url, table)
    out[`${table} deleted`] = await count(url, `${table} WHERE _deleted_at IS NOT NULL`)
  }
  return out
}
