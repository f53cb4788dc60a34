import { cursorString, oktaTime, parentCursors, parseTime, resourceCursor } from './strategies/cursor.ts'
import { succeeded, targetIds } from './strategies/log-events.ts'
import { LOG_RETENTION_MS } from './strategies/log-polling.ts'
import { perParentExtractor, type ParentPlan } from './strategies/per-parent.ts'
import { readStringMap, SEEN_CAP, SeenSet, versionOf } from './strategies/seen-set.ts'
import type { ExtractContext, ResourceDefinition } from './types.ts'

const PAGE_SIZE = 500
const APP_PAGE_SIZE = 200
const LOG_PAGE_SIZE = 1000
const USER_DELETED = 'user.lifecycle.delete.completed'
/**
 * Event types that can change who is assigned to an app (or whether the app exists), plus hard
 * user deletes: Okta drops a deleted user's assignments without necessarily logging an
 * `application.user_membership.remove` per app (the simulator logs none).
 */
const ASSIGNMENT_EVENTS = `eventType sw "application.user_membership" or eventType sw "application.lifecycle" or eventType eq "${USER_DELETED}"`

/**
 * The resource-level cursor of `apps_assigned` (per-app cursors are `{ pulledAt }`).
 * - `passStartedAt`: when the last complete pass started (the `until` of its System Log query).
 * - `logSince`: where the next pass's System Log query starts. After a pass that re-pulled every
 *   app it is `passStartedAt` (every change before it is in the tables); after a narrowed pass it
 *   is `passStartedAt − lookback` (never earlier than the previous `logSince`), since an event
 *   may be persisted a little after it was published.
 * - `seenEvents`: `uuid → published` of the events of that overlap (published ≥ `logSince`)
 *   already acted upon: the next pass skips them instead of re-pulling the same apps.
 *   At most `SEEN_CAP` entries; past it the oldest are just acted upon again.
 */
export interface AppsAssignedCursor {
  passStartedAt: string
  logSince: string
  seenEvents?: Record<string, string>
}

/**
 * Which apps' assignments to re-pull. The `/api/v1/apps/*` bucket is small (100/min for the whole
 * org) and `/apps/{id}/users` has no change filter, so when the System Log is extracted in the same
 * run the pass narrows to the apps with assignment or lifecycle events not yet acted upon (a
 * bounded System Log query on the logs bucket), plus apps without a cursor (new to us); a hard
 * user delete marks that user's assignments to the other apps deleted by key. Otherwise, and on a
 * full refresh, every app is re-pulled. The app listing itself is always complete (one request per
 * 200 apps), so apps that vanished are detected either way.
 */
async function plan(ctx: ExtractContext): Promise<ParentPlan> {
  const passStartedAt = oktaTime(ctx.now().getTime())
  const signal = ctx.signal ? { signal: ctx.signal } : {}
  const cursors = parentCursors(ctx.state)

  const existing = new Set<string>()
  for await (const page of ctx.client.pages('/api/v1/apps', { query: { limit: APP_PAGE_SIZE }, ...signal })) {
    for (const app of page.items) if (typeof app['id'] === 'string') existing.add(app['id'])
  }

  const events = await eventsSinceLastPass(ctx, passStartedAt)
  const pull = [...existing]
    .filter((id) => events === undefined || events.apps.has(id) || !cursors.has(id))
    .map((id) => ({ id, cursor: { pulledAt: passStartedAt } }))
  const pulled = new Set(pull.map((p) => p.id))
  const deletedUsers = events?.deletedUsers ?? []
  ctx.logger({
    level: 'debug',
    event: 'extract.plan',
    msg: `apps_assigned: re-pulling ${pull.length} of ${existing.size} apps${events ? ' (narrowed by System Log events)' : ''}`,
    resource: 'apps_assigned',
    apps: existing.size,
    pulling: pull.length,
    deletedUsers: deletedUsers.length,
  })
  const cursor: AppsAssignedCursor = events?.cursor ?? { passStartedAt, logSince: passStartedAt }
  return {
    pull,
    existing,
    cursor,
    // Re-pulled apps are replaced (and swept) anyway; for the others, (app, deleted user) by key.
    // Keys of rows that never existed match nothing.
    ...(deletedUsers.length > 0 ? { deletes: crossKeys([...existing].filter((id) => !pulled.has(id)), deletedUsers) } : {}),
  }
}

function* crossKeys(appIds: readonly string[], userIds: readonly string[]): Generator<string[]> {
  for (const appId of appIds) for (const userId of userIds) yield [appId, userId]
}

interface PassEvents {
  /** Apps with assignment/lifecycle events not acted upon yet. */
  apps: Set<string>
  /** Users hard-deleted (events not acted upon yet). */
  deletedUsers: string[]
  /** The cursor this pass commits once every re-pull is done. */
  cursor: AppsAssignedCursor
}

/**
 * The relevant events since the last pass that it did not act upon, or undefined when the pass
 * cannot be narrowed: System Log not selected, a full refresh, no previous pass, or a previous
 * pass older than the log's retention.
 */
async function eventsSinceLastPass(ctx: ExtractContext, until: string): Promise<PassEvents | undefined> {
  if (ctx.fullRefresh || !ctx.selected.includes('system_log')) return undefined
  const saved = resourceCursor(ctx.state)
  const last = parseTime(cursorString(saved, 'passStartedAt'))
  if (last === undefined) return undefined
  const lookbackMs = Math.max(0, ctx.options.lookbackMs)
  // Cursors written before `logSince` existed: the lookback before the last pass.
  const sinceMs = parseTime(cursorString(saved, 'logSince')) ?? last - lookbackMs
  if (sinceMs < ctx.now().getTime() - LOG_RETENTION_MS) {
    ctx.logger({ level: 'warn', event: 'extract.full_pass', msg: 'apps_assigned: last pass is older than System Log retention; re-pulling every app', resource: 'apps_assigned' })
    return undefined
  }
  const actedUpon = new SeenSet(readStringMap(saved, 'seenEvents'))
  const nextSinceMs = Math.max(sinceMs, (parseTime(until) ?? 0) - lookbackMs)
  const seen = new SeenSet(new Map(), SEEN_CAP)
  const apps = new Set<string>()
  const deletedUsers = new Set<string>()

  // Bounded (since + until): finite pages, ordered by `published`.
  const query = { since: oktaTime(sinceMs), until, filter: ASSIGNMENT_EVENTS, limit: LOG_PAGE_SIZE }
  for await (const page of ctx.client.pages('/api/v1/logs', { query, ...(ctx.signal ? { signal: ctx.signal } : {}) })) {
    for (const event of page.items) {
      const uuid = event['uuid']
      const version = versionOf([event['published']])
      if (typeof uuid === 'string' && version !== undefined) {
        // This pass acts upon every event of its window: those it skips were acted upon before.
        seen.add(uuid, version)
        if (actedUpon.has(uuid, version)) continue
      }
      if (event['eventType'] === USER_DELETED) {
        if (succeeded(event)) for (const id of targetIds(event, 'User')) deletedUsers.add(id)
      } else {
        for (const id of targetIds(event, 'AppInstance')) apps.add(id)
      }
    }
  }
  seen.prune(nextSinceMs)
  const cursor: AppsAssignedCursor = {
    passStartedAt: until,
    logSince: oktaTime(nextSinceMs),
    ...(seen.size > 0 ? { seenEvents: seen.toJSON() } : {}),
  }
  return { apps, deletedUsers: [...deletedUsers], cursor }
}

/** App assignments: one row per (app, user), the app user's own fields alongside. */
export const appsAssigned: ResourceDefinition = {
  name: 'apps_assigned',
  endpoint: '/api/v1/apps/{id}/users',
  table: { table: 'apps_assigned', primaryKey: [['app_id'], ['user_id']], jsonPaths: [['_links'], ['_embedded'], ['profile']] },
  parent: { resource: 'apps', keyPath: ['app_id'] },
  // Not after system_log: the narrowing asks Okta's System Log itself (a bounded, filtered query), so
  // on a first run the per-app pulls (apps bucket) overlap the System Log backfill (logs bucket).
  runAfter: ['apps'],
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
