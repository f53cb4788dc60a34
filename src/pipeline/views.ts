import { sql, type Kysely } from 'kysely'
import type { Destination } from '../destinations/destination.ts'
import type { TableDef } from '../schema/types.ts'
import { describeError } from '../util/errors.ts'
import type { Logger } from '../util/log.ts'

/**
 * The contract's views (PRODUCT.md, Tables): portable SQL over the loaded tables, identical in
 * every destination. A view is (re)created after each run once every table and column it reads
 * exists, so it follows the tables' evolution (a widened column, a table loaded for the first
 * time); until then it is left out and says why in a debug line.
 */
export interface ViewDefinition {
  name: string
  /** Columns it reads, per table (besides `_deleted_at`, which every data table has). */
  reads: Readonly<Record<string, readonly string[]>>
  select: string
}

export const VIEWS: readonly ViewDefinition[] = [
  {
    // One row per way a live user reaches a live app: a direct assignment, or each live group
    // assigned to the app that the user is a live member of.
    name: 'user_app_access',
    reads: {
      apps_assigned: ['app_id', 'user_id', 'scope'],
      app_groups: ['app_id', 'group_id'],
      group_users: ['group_id', 'user_id'],
      users: ['id'],
      groups: ['id'],
      apps: ['id'],
    },
    select: `
SELECT aa.user_id AS user_id, aa.app_id AS app_id, 'USER' AS via, CAST(NULL AS TEXT) AS group_id
FROM apps_assigned aa
JOIN users u ON u.id = aa.user_id AND u._deleted_at IS NULL
JOIN apps a ON a.id = aa.app_id AND a._deleted_at IS NULL
WHERE aa._deleted_at IS NULL AND aa.scope = 'USER'
UNION ALL
SELECT gu.user_id AS user_id, ag.app_id AS app_id, 'GROUP' AS via, ag.group_id AS group_id
FROM app_groups ag
JOIN groups g ON g.id = ag.group_id AND g._deleted_at IS NULL
JOIN group_users gu ON gu.group_id = ag.group_id AND gu._deleted_at IS NULL
JOIN users u ON u.id = gu.user_id AND u._deleted_at IS NULL
JOIN apps a ON a.id = ag.app_id AND a._deleted_at IS NULL
WHERE ag._deleted_at IS NULL`,
  },
  {
    // Every live user holding an admin role: directly (the user's own USER assignments) or through
    // each live group holding one that the user is a live member of. `role_status` follows the
    // contract's columns: an INACTIVE assignment grants nothing until activated.
    name: 'privileged_users',
    reads: {
      user_roles: ['user_id', 'id', 'type', 'assignment_type', 'status'],
      group_roles: ['group_id', 'id', 'type', 'status'],
      group_users: ['group_id', 'user_id'],
      users: ['id'],
      groups: ['id'],
    },
    select: `
SELECT ur.user_id AS user_id, ur.type AS role_type, 'USER' AS assignment_type, CAST(NULL AS TEXT) AS group_id, ur.id AS role_id, ur.status AS role_status
FROM user_roles ur
JOIN users u ON u.id = ur.user_id AND u._deleted_at IS NULL
WHERE ur._deleted_at IS NULL AND ur.assignment_type = 'USER'
UNION ALL
SELECT gu.user_id AS user_id, gr.type AS role_type, 'GROUP' AS assignment_type, gr.group_id AS group_id, gr.id AS role_id, gr.status AS role_status
FROM group_roles gr
JOIN groups g ON g.id = gr.group_id AND g._deleted_at IS NULL
JOIN group_users gu ON gu.group_id = gr.group_id AND gu._deleted_at IS NULL
JOIN users u ON u.id = gu.user_id AND u._deleted_at IS NULL
WHERE gr._deleted_at IS NULL`,
  },
]

/** What a view still lacks among the tables (`table.column`), empty when it can be created. */
export function missingFor(view: ViewDefinition, tables: readonly TableDef[]): string[] {
  const byName = new Map(tables.map((t) => [t.name, new Set(t.columns.map((c) => c.name))]))
  const missing: string[] = []
  for (const [table, columns] of Object.entries(view.reads)) {
    const have = byName.get(table)
    if (!have) missing.push(table)
    else for (const c of columns) if (!have.has(c)) missing.push(`${table}.${c}`)
  }
  return missing
}

/**
 * Drops and recreates every view whose tables exist, each in one transaction (a reader never sees
 * it missing). Returns the names created.
 */
export async function ensureViews(db: Kysely<any>, tables: readonly TableDef[], logger: Logger): Promise<string[]> {
  const created: string[] = []
  for (const view of VIEWS) {
    const missing = missingFor(view, tables)
    if (missing.length > 0) {
      logger({ level: 'debug', event: 'views.skipped', msg: `view ${view.name} not created yet: needs ${missing.join(', ')}`, view: view.name })
      continue
    }
    await db.transaction().execute(async (tx) => {
      await sql.raw(`DROP VIEW IF EXISTS ${view.name}`).execute(tx)
      await sql.raw(`CREATE VIEW ${view.name} AS ${view.select}`).execute(tx)
    })
    created.push(view.name)
  }
  return created
}

/**
 * The contract's views over what a destination now holds, after a run or a backfill. Derived
 * objects only: a failure is a warning, never a failed load (the rows and cursors committed are
 * what matters; the next run tries again).
 */
export async function refreshViews(destination: Destination, logger: Logger): Promise<void> {
  try {
    const created = await ensureViews(destination.db, await destination.readSchema(), logger)
    if (created.length > 0) logger({ level: 'debug', event: 'views.refreshed', msg: `views refreshed: ${created.join(', ')}`, views: created })
  } catch (err) {
    logger({ level: 'warn', event: 'views.failed', msg: `views not refreshed: ${describeError(err)}` })
  }
}
