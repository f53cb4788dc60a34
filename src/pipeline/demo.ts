import Database from 'better-sqlite3'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { openDestination } from '../destinations/index.ts'
import { startSimulator } from '../simulator/index.ts'
import { randomStream } from '../simulator/random.ts'
import type { OrgControl, Simulator } from '../simulator/types.ts'
import { defaultPipelineConfig } from './defaults.ts'
import { runPipeline } from './run.ts'
import type { DemoOptions, DemoQuery, DemoResult } from './types.ts'

const MINUTE_MS = 60_000
/** Keeps the demo's draws independent of the simulator's own generation streams. */
const DEMO_SALT = 0xde70

/**
 * `okta-elt demo`: a seeded org in an in-process simulator, loaded into a SQLite file.
 *
 * Every demo run against the same file is one simulated "day": the org is regenerated from the
 * same seed and epoch (so unchanged objects keep their timestamps), the changes of earlier days
 * are replayed at the times those runs happened, and today's changes are applied now. The second
 * run therefore shows what a nightly run does: a few hundred rows and a handful of requests.
 */
export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const dbPath = resolve(opts.dbPath)
  const priorRuns = existsSync(dbPath) ? await readPriorRuns(dbPath) : []
  const nowMs = Date.now()
  // The org's epoch is fixed by the first demo run, so regenerating it yields the same objects.
  const epoch = new Date(Math.floor((priorRuns[0]?.getTime() ?? nowMs) / MINUTE_MS) * MINUTE_MS)
  const users = opts.users ?? 5_000
  const seed = opts.seed ?? 42

  const sim = await startSimulator({
    seed,
    now: epoch,
    size: { users, groups: Math.max(10, Math.round(users / 40)), apps: 40, logEvents: users * 4, logDays: 30 },
  })
  try {
    priorRuns.forEach((startedAt, i) => {
      if (i === 0) return // the first run loaded the org as generated
      applyDay(sim, i, seed, new Date(startedAt.getTime() - 1000))
    })
    if (priorRuns.length > 0) applyDay(sim, priorRuns.length, seed, new Date(nowMs - 1000))
    sim.clock.set(new Date(nowMs))

    const config = defaultPipelineConfig({
      orgUrl: sim.url,
      auth: { type: 'ssws', token: sim.token },
      destination: `sqlite:${dbPath}`,
    })
    const summary = await runPipeline({ config, logger: opts.logger, ...(opts.signal ? { signal: opts.signal } : {}) })
    return { summary, simulatorUrl: sim.url, queries: runExampleQueries(dbPath) }
  } finally {
    await sim.close()
  }
}

/** Start times of earlier runs against this file, oldest first. */
async function readPriorRuns(dbPath: string): Promise<Date[]> {
  const destination = openDestination(`sqlite:${dbPath}`)
  try {
    await destination.prepare()
    const loads = await destination.readLoads({ limit: 10_000 })
    const firstStart = new Map<string, number>()
    for (const load of loads) {
      const t = load.startedAt.getTime()
      firstStart.set(load.runId, Math.min(t, firstStart.get(load.runId) ?? t))
    }
    return [...firstStart.values()].sort((a, b) => a - b).map((t) => new Date(t))
  } finally {
    await destination.close()
  }
}

/**
 * One simulated day of org activity, deterministic in (seed, day) so that replays match: profile edits on ~1% of
 * users, joiners, leavers (deprovisioned), one hard delete, membership and assignment churn.
 */
function applyDay(sim: Simulator, day: number, seed: number, at: Date): void {
  sim.clock.set(at)
  const org = sim.org
  const random = randomStream(seed * 1_000 + day, DEMO_SALT)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
  const userIds = [...org.userIds()]
  const live = userIds.filter((id) => org.getUser(id)?.['status'] !== 'DEPROVISIONED')
  // The generator's first group is Everyone (BUILT_IN): Okta, and the simulator, refuse membership edits there.
  const groupIds = org.groupIds().slice(1)
  const appIds = org.appIds()

  for (let i = 0; i < Math.max(1, Math.round(userIds.length / 100)); i++) {
    org.updateUser(pick(live), { title: pick(['Engineer', 'Senior Engineer', 'Manager', 'Director', 'Analyst']) })
  }
  const joiners: string[] = []
  for (let i = 0; i < 5; i++) {
    joiners.push(
      org.createUser(
        { firstName: `New${day}`, lastName: `Joiner${i}`, login: `new${day}.joiner${i}@example.com`, email: `new${day}.joiner${i}@example.com`, department: 'Engineering' },
        'ACTIVE',
      ),
    )
  }
  for (let i = 0; i < 3; i++) org.setUserStatus(pick(live), 'DEPROVISIONED')
  const deprovisioned = userIds.filter((id) => org.getUser(id)?.['status'] === 'DEPROVISIONED')
  if (deprovisioned.length > 0) org.deleteUser(pick(deprovisioned))

  for (const joiner of joiners) {
    org.addMember(pick(groupIds), joiner)
    org.assignUser(pick(appIds), joiner)
  }
  removeSomeMember(org, pick(groupIds))
  const app = pick(appIds)
  const assignee = org.appAssigneeIds(app)[0]
  if (assignee !== undefined) org.unassignUser(app, assignee)
  // The access graph moves too: a joiner becomes an admin, a group gets an app.
  org.grantUserRole(joiners[0]!, pick(['HELP_DESK_ADMIN', 'READ_ONLY_ADMIN', 'REPORT_ADMIN']))
  org.assignGroupToApp(pick(appIds), pick(groupIds))
}

function removeSomeMember(org: OrgControl, groupId: string): void {
  const member = org.groupMemberIds(groupId)[0]
  if (member !== undefined) org.removeMember(groupId, member)
}

/** A few questions analysts ask, answered with plain SQL on the loaded file. */
const EXAMPLE_QUERIES: readonly { title: string; sql: string }[] = [
  {
    title: 'Active users per department',
    sql: `SELECT profile__department AS department, count(*) AS users
FROM users WHERE status = 'ACTIVE' AND _deleted_at IS NULL
GROUP BY 1 ORDER BY 2 DESC LIMIT 5`,
  },
  {
    title: 'Users by status (DEPROVISIONED included, hard-deleted marked)',
    sql: `SELECT status, count(*) AS users, sum(_deleted_at IS NOT NULL) AS deleted
FROM users GROUP BY 1 ORDER BY 2 DESC`,
  },
  {
    title: 'Largest groups with their newest member login',
    sql: `SELECT g.profile__name AS "group", count(*) AS members, max(u.last_login) AS latest_login
FROM group_users gu JOIN groups g ON g.id = gu.group_id JOIN users u ON u.id = gu.user_id
WHERE gu._deleted_at IS NULL
GROUP BY g.id ORDER BY members DESC LIMIT 5`,
  },
  {
    title: 'Apps by assigned users',
    sql: `SELECT a.label AS app, a.sign_on_mode, count(*) AS assigned
FROM apps_assigned aa JOIN apps a ON a.id = aa.app_id
WHERE aa._deleted_at IS NULL AND a._deleted_at IS NULL
GROUP BY a.id ORDER BY assigned DESC LIMIT 5`,
  },
  {
    title: 'Who can reach each app, directly or through groups (view user_app_access)',
    sql: `SELECT a.label AS app, count(DISTINCT v.user_id) AS users,
  count(DISTINCT CASE WHEN v.via = 'GROUP' THEN v.group_id END) AS via_groups
FROM user_app_access v JOIN apps a ON a.id = v.app_id
GROUP BY a.id ORDER BY users DESC LIMIT 5`,
  },
  {
    title: 'Admins by role and how they hold it (view privileged_users)',
    sql: `SELECT role_type, assignment_type, count(DISTINCT user_id) AS users
FROM privileged_users GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 6`,
  },
  {
    title: 'System Log: most frequent event types',
    sql: `SELECT event_type, count(*) AS events, max(published) AS latest
FROM system_log GROUP BY 1 ORDER BY 2 DESC LIMIT 5`,
  },
]

function runExampleQueries(dbPath: string): DemoQuery[] {
  const db = new Database(dbPath, { readonly: true })
  try {
    return EXAMPLE_QUERIES.flatMap(({ title, sql }) => {
      try {
        const stmt = db.prepare(sql).raw(true)
        const columns = stmt.columns().map((c) => c.name)
        return [{ title, sql, columns, rows: stmt.all() as unknown[][] }]
      } catch {
        // A table the selection did not load (e.g. --resources users): skip its example.
        return []
      }
    })
  } finally {
    db.close()
  }
}
