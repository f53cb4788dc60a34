import { cursorString, oktaTime, parentCursors, parseTime, resourceCursor } from './strategies/cursor.ts'
import { LOG_RETENTION_MS } from './strategies/log-polling.ts'
import { perParentExtractor, type ParentPlan } from './strategies/per-parent.ts'
import type { ExtractContext, ResourceDefinition } from './types.ts'

const PAGE_SIZE = 500
const APP_PAGE_SIZE = 200
const LOG_PAGE_SIZE = 1000
/** Event types that can change who is assigned to an app (or whether the app exists). */
const ASSIGNMENT_EVENTS = 'eventType sw "application.user_membership" or eventType sw "application.lifecycle"'

/**
 * Which apps' assignments to re-pull. The `/api/v1/apps/*` bucket is small (100/min for the whole
 * org) and `/apps/{id}/users` has no change filter, so when the System Log is extracted in the same
 * run the pass narrows to the apps with assignment or lifecycle events since the last pass started
 * (a bounded System Log query on the logs bucket), plus apps without a cursor (new to us).
 * Otherwise, and on a full refresh, every app is re-pulled. The app listing itself is always
 * complete (one request per 200 apps), so apps that vanished are detected either way.
 */
async function plan(ctx: ExtractContext): Promise<ParentPlan> {
  const passStartedAt = oktaTime(ctx.now().getTime())
  const signal = ctx.signal ? { signal: ctx.signal } : {}
  const cursors = parentCursors(ctx.state)

  const existing = new Set<string>()
  for await (const page of ctx.client.pages('/api/v1/apps', { query: { limit: APP_PAGE_SIZE }, ...signal })) {
    for (const app of page.items) if (typeof app['id'] === 'string') existing.add(app['id'])
  }

  const changed = await appsWithEvents(ctx, passStartedAt)
  const pull = [...existing]
    .filter((id) => changed === undefined || changed.has(id) || !cursors.has(id))
    .map((id) => ({ id, cursor: { pulledAt: passStartedAt } }))
  ctx.logger({
    level: 'debug',
    event: 'extract.plan',
    msg: `apps_assigned: re-pulling ${pull.length} of ${existing.size} apps${changed ? ' (narrowed by System Log events)' : ''}`,
    resource: 'apps_assigned',
    apps: existing.size,
    pulling: pull.length,
  })
  return { pull, existing, cursor: { passStartedAt } }
}

/**
 * App ids with assignment/lifecycle events since the last pass (minus the lookback), or undefined
 * when the pass cannot be narrowed: System Log not selected, a full refresh, no previous pass, or a
 * previous pass older than the log's retention.
 */
async function appsWithEvents(ctx: ExtractContext, until: string): Promise<Set<string> | undefined> {
  if (ctx.fullRefresh || !ctx.selected.includes('system_log')) return undefined
  const last = parseTime(cursorString(resourceCursor(ctx.state), 'passStartedAt'))
  if (last === undefined) return undefined
  const sinceMs = last - ctx.options.lookbackMs
  if (sinceMs < ctx.now().getTime() - LOG_RETENTION_MS) {
    ctx.logger({ level: 'warn', event: 'extract.full_pass', msg: 'apps_assigned: last pass is older than System Log retention; re-pulling every app', resource: 'apps_assigned' })
    return undefined
  }
  // Bounded (since + until): finite pages, ordered by `published`.
  const query = { since: oktaTime(sinceMs), until, filter: ASSIGNMENT_EVENTS, limit: LOG_PAGE_SIZE }
  const ids = new Set<string>()
  for await (const page of ctx.client.pages('/api/v1/logs', { query, ...(ctx.signal ? { signal: ctx.signal } : {}) })) {
    for (const event of page.items) {
      const targets = event['target']
      if (!Array.isArray(targets)) continue
      for (const t of targets as unknown[]) {
        if (t === null || typeof t !== 'object') continue
        const target = t as Record<string, unknown>
        if (target['type'] === 'AppInstance' && typeof target['id'] === 'string') ids.add(target['id'])
      }
    }
  }
  return ids
}

/** App assignments: one row per (app, user), the app user's own fields alongside. */
export const appsAssigned: ResourceDefinition = {
  name: 'apps_assigned',
  endpoint: '/api/v1/apps/{id}/users',
  table: { table: 'apps_assigned', primaryKey: [['app_id'], ['user_id']], jsonPaths: [['_links'], ['_embedded'], ['profile']] },
  parent: { resource: 'apps', keyPath: ['app_id'] },
  runAfter: ['apps', 'system_log'],
  writeMode: 'merge',
  pageSize: PAGE_SIZE,
  cursorStrategy:
    'per app: replaced by a full re-pull; when system_log runs too, only apps with application.user_membership/lifecycle events since the last pass (plus new apps) are re-pulled',
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
