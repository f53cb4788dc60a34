import { EPOCH, oktaTime } from './strategies/cursor.ts'
import { targetIds } from './strategies/log-events.ts'
import { eventsSinceLastPass, fullPassCursor, listIds } from './strategies/log-narrowing.ts'
import { perParentExtractor, type ParentPlan } from './strategies/per-parent.ts'
import type { ExtractContext, ResourceDefinition } from './types.ts'

const USER_PAGE_SIZE = 200
/** Factor enrolments, resets and updates, and new users (who may enrol at once). */
const FACTOR_EVENTS = 'eventType sw "user.mfa.factor" or eventType eq "user.lifecycle.create" or eventType eq "user.lifecycle.activate"'

/**
 * Which users' factors to re-pull. A first run, a full refresh or a run without the System Log
 * lists every user (DEPROVISIONED included, one request per 200) and pulls each one's factors: one
 * request per user, which is why the resource is not in the default set. Later runs pull only
 * users with factor events or new users; hard-deleted users' rows go with them (`sweptBy`).
 */
async function plan(ctx: ExtractContext): Promise<ParentPlan> {
  const passStartedAt = oktaTime(ctx.now().getTime())
  const changed = new Set<string>()
  const cursor = await eventsSinceLastPass(ctx, {
    resource: 'user_factors',
    filter: FACTOR_EVENTS,
    until: passStartedAt,
    onEvent: (event) => {
      for (const id of targetIds(event, 'User')) changed.add(id)
    },
  })
  const pulledCursor = { pulledAt: passStartedAt }
  if (cursor !== undefined) return { pull: [...changed].map((id) => ({ id, cursor: pulledCursor })), cursor }
  const users = await listIds(ctx, '/api/v1/users', { search: `lastUpdated gt "${EPOCH}"`, limit: USER_PAGE_SIZE })
  return { pull: [...users].map((id) => ({ id, cursor: pulledCursor })), existing: users, cursor: fullPassCursor(passStartedAt) }
}

/** MFA factors enrolled by users. */
export const userFactors: ResourceDefinition = {
  name: 'user_factors',
  endpoint: '/api/v1/users/{id}/factors',
  table: { table: 'user_factors', primaryKey: [['user_id'], ['id']], jsonPaths: [['_links'], ['_embedded'], ['profile']] },
  parent: { resource: 'users', keyPath: ['user_id'] },
  sweptBy: [{ resource: 'users', keyPath: ['user_id'] }],
  runAfter: ['users'],
  scopes: ['okta.users.read'],
  writeMode: 'merge',
  pageSize: USER_PAGE_SIZE,
  cursorStrategy:
    'per user: replaced by a full re-pull; first run and full refresh pull every user (one request each); with system_log, later runs pull only users with user.mfa.factor.* or creation events',
  extract: perParentExtractor({
    resource: 'user_factors',
    childPath: (userId) => `/api/v1/users/${encodeURIComponent(userId)}/factors`,
    pageSize: undefined,
    toRecord: (userId, factor) => ({ user_id: userId, ...factor }),
    plan,
  }),
}
