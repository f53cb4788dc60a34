import { appParentPlan, planAppPass } from './strategies/app-narrowing.ts'
import { succeeded, targetIds } from './strategies/log-events.ts'
import type { NarrowingCursor } from './strategies/log-narrowing.ts'
import { perParentExtractor, type ParentPlan } from './strategies/per-parent.ts'
import type { ExtractContext, ResourceDefinition } from './types.ts'
import { targetPairEvents } from './strategies/history-effects.ts'

const PAGE_SIZE = 500
const USER_DELETED = 'user.lifecycle.delete.completed'
/**
 * Event types that can change who is assigned to an app (or whether the app exists): user and
 * group assignments, app lifecycle, and hard user deletes: Okta drops a deleted user's assignments
 * without necessarily logging an `application.user_membership.remove` per app (the simulator logs none).
 */
const ASSIGNMENT_EVENTS = `eventType sw "application.user_membership" or eventType sw "group.application_assignment" or eventType sw "application.lifecycle" or eventType eq "${USER_DELETED}"`

/** The resource-level cursor of `apps_assigned` (per-app cursors are `{ pulledAt }`); see `NarrowingCursor`. */
export type AppsAssignedCursor = NarrowingCursor

/**
 * Which apps' assignments to re-pull (see `planAppPass`); a hard user delete marks that user's
 * assignments to the apps not re-pulled deleted by key.
 */
async function plan(ctx: ExtractContext): Promise<ParentPlan> {
  const deletedUsers = new Set<string>()
  const pass = await planAppPass(
    ctx,
    {
      resource: 'apps_assigned',
      filter: ASSIGNMENT_EVENTS,
      appsOf: (event) => (event['eventType'] === USER_DELETED ? [] : targetIds(event, 'AppInstance')),
    },
    (event) => {
      if (event['eventType'] === USER_DELETED && succeeded(event)) for (const id of targetIds(event, 'User')) deletedUsers.add(id)
    },
  )
  const pulled = new Set(pass.pull)
  // Re-pulled apps are replaced (and swept) anyway; for the others, (app, deleted user) by key.
  // Keys of rows that never existed match nothing.
  const others = [...pass.existing].filter((id) => !pulled.has(id))
  return appParentPlan(pass, deletedUsers.size > 0 ? { deletes: crossKeys(others, [...deletedUsers]) } : {})
}

function* crossKeys(appIds: readonly string[], userIds: readonly string[]): Generator<string[]> {
  for (const appId of appIds) for (const userId of userIds) yield [appId, userId]
}

/** App assignments: one row per (app, user), the app user's own fields alongside. */
export const appsAssigned: ResourceDefinition = {
  name: 'apps_assigned',
  endpoint: '/api/v1/apps/{id}/users',
  // Columns the contract's views read exist even before a row holds them (an org with no admin group).
  table: { table: 'apps_assigned', primaryKey: [['app_id'], ['user_id']], jsonPaths: [['_links'], ['_embedded'], ['profile']], declaredColumns: [{ path: ['scope'], type: 'text' }] },
  parent: { resource: 'apps', keyPath: ['app_id'] },
  sweptBy: [{ resource: 'apps', keyPath: ['app_id'] }],
  // Not after system_log: the narrowing asks Okta's System Log itself (a bounded, filtered query), so
  // on a first run the per-app pulls (apps bucket) overlap the System Log backfill (logs bucket).
  runAfter: ['apps'],
  history: {
    changedAt: ['lastUpdated'],
    events: targetPairEvents({
      opens: ['application.user_membership.add', 'application.user_membership.update', 'application.user_membership.change_username'],
      closes: ['application.user_membership.remove'],
      first: 'AppInstance',
      second: 'User',
    }),
  },
  scopes: ['okta.apps.read'],
  writeMode: 'merge',
  pageSize: PAGE_SIZE,
  cursorStrategy:
    'per app: replaced by a full re-pull; when system_log runs too, only apps with application.user_membership/lifecycle events not yet acted upon (plus new apps) are re-pulled, and a hard-deleted user\'s other assignments are marked deleted',
  extract: perParentExtractor({
    resource: 'apps_assigned',
    childPath: (appId) => `/api/v1/apps/${encodeURIComponent(appId)}/users`,
    pageSize: PAGE_SIZE,
    toRecord: (appId, appUser) => {
      const { id, ...rest } = appUser
      return { app_id: appId, user_id: id, ...rest }
    },
    plan,
  }),
}
