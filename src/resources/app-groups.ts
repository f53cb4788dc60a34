import { appParentPlan, planAppPass } from './strategies/app-narrowing.ts'
import { targetIds } from './strategies/log-events.ts'
import { perParentExtractor } from './strategies/per-parent.ts'
import type { ResourceDefinition } from './types.ts'
import { targetPairEvents } from './strategies/history-effects.ts'

const PAGE_SIZE = 200
/** Events that can change which groups an app is assigned to (or whether the app exists). */
const APP_GROUP_EVENTS = 'eventType sw "group.application_assignment" or eventType sw "application.lifecycle"'

/**
 * App ↔ group assignments (`/api/v1/apps/{id}/groups`): one row per (app, group) with the
 * assignment's `priority` and app-specific `profile`. Narrowed like `apps_assigned` (the same
 * `planAppPass`), by `group.application_assignment.*` and `application.lifecycle.*` events.
 * A deleted group's rows go with it (`sweptBy`), so no event per app is needed for that.
 */
export const appGroups: ResourceDefinition = {
  name: 'app_groups',
  endpoint: '/api/v1/apps/{id}/groups',
  table: { table: 'app_groups', primaryKey: [['app_id'], ['group_id']], jsonPaths: [['_links'], ['_embedded'], ['profile']] },
  parent: { resource: 'apps', keyPath: ['app_id'] },
  sweptBy: [{ resource: 'apps', keyPath: ['app_id'] }, { resource: 'groups', keyPath: ['group_id'] }],
  runAfter: ['apps'],
  history: {
    changedAt: ['lastUpdated'],
    events: targetPairEvents({ opens: ['group.application_assignment.add', 'group.application_assignment.update'], closes: ['group.application_assignment.remove'], first: 'AppInstance', second: 'UserGroup' }),
  },
  scopes: ['okta.apps.read'],
  writeMode: 'merge',
  pageSize: PAGE_SIZE,
  cursorStrategy:
    'per app: replaced by a full re-pull; when system_log runs too, only apps with group.application_assignment/application.lifecycle events not yet acted upon (plus new apps) are re-pulled',
  extract: perParentExtractor({
    resource: 'app_groups',
    childPath: (appId) => `/api/v1/apps/${encodeURIComponent(appId)}/groups`,
    pageSize: PAGE_SIZE,
    toRecord: (appId, assignment) => {
      const { id, ...rest } = assignment
      return { app_id: appId, group_id: id, ...rest }
    },
    plan: async (ctx) =>
      appParentPlan(await planAppPass(ctx, { resource: 'app_groups', filter: APP_GROUP_EVENTS, appsOf: (event) => targetIds(event, 'AppInstance') })),
  }),
}
