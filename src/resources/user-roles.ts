import { oktaTime, parentCursors } from './strategies/cursor.ts'
import { envelopePages } from './strategies/envelope-pages.ts'
import { targetIds } from './strategies/log-events.ts'
import { eventsSinceLastPass, fullPassCursor } from './strategies/log-narrowing.ts'
import { perParentExtractor, type ParentPlan } from './strategies/per-parent.ts'
import type { ExtractContext, ResourceDefinition } from './types.ts'
import { targetPairEvents } from './strategies/history-effects.ts'

const ASSIGNEE_PAGE_SIZE = 100
/**
 * Events that can change a user's roles: direct grants and revokes (target the user), and changes
 * that reach users through groups or custom roles (group grants, resource-set bindings, custom
 * role edits, group deletions: every assignee is re-pulled), and memberships (a member of an admin
 * group gains or loses its GROUP-held roles; only users the assignee list names are re-pulled).
 * A deleted group logs no membership removals: its members who still hold a role of their own
 * stay named by the assignee list, and only a re-pull drops the roles they held through it.
 */
const ROLE_EVENTS = 'eventType sw "user.account.privilege" or eventType sw "group.privilege" or eventType sw "iam.resourceset.bindings" or eventType sw "iam.role" or eventType sw "group.user_membership" or eventType eq "group.lifecycle.delete"'
const EVERY_ASSIGNEE = ['group.privilege', 'iam.', 'group.lifecycle.delete']

/**
 * Which users' roles to re-pull. The assignee listing (`/api/v1/iam/assignees/users`, one request
 * per 100 users holding a role) names every user holding one; users it no longer names are gone
 * (their rows swept). Narrowed by the System Log to the named users with role events not acted
 * upon, plus users it newly names; every named user on a first run, a full refresh or without
 * the System Log.
 */
async function plan(ctx: ExtractContext): Promise<ParentPlan> {
  const passStartedAt = oktaTime(ctx.now().getTime())
  const assignees = new Set<string>()
  for await (const items of envelopePages(ctx, '/api/v1/iam/assignees/users', { limit: ASSIGNEE_PAGE_SIZE })) {
    for (const item of items) if (typeof item['id'] === 'string') assignees.add(item['id'])
  }
  const changed = new Set<string>()
  let everyone = false
  const cursor = await eventsSinceLastPass(ctx, {
    resource: 'user_roles',
    filter: ROLE_EVENTS,
    until: passStartedAt,
    onEvent: (event) => {
      const type = String(event['eventType'])
      if (EVERY_ASSIGNEE.some((prefix) => type.startsWith(prefix))) everyone = true
      else for (const id of targetIds(event, 'User')) changed.add(id)
    },
  })
  const narrowed = cursor !== undefined && !everyone
  const saved = parentCursors(ctx.state)
  const pull = [...assignees].filter((id) => !narrowed || changed.has(id) || !saved.has(id))
  ctx.logger({ level: 'debug', event: 'extract.plan', msg: `user_roles: re-pulling ${pull.length} of ${assignees.size} users holding roles`, resource: 'user_roles', pulling: pull.length })
  return { pull: pull.map((id) => ({ id, cursor: { pulledAt: passStartedAt } })), existing: assignees, cursor: cursor ?? fullPassCursor(passStartedAt) }
}

/** Admin roles held by users, directly (`assignment_type` USER) or through a group (GROUP). */
export const userRoles: ResourceDefinition = {
  name: 'user_roles',
  endpoint: '/api/v1/users/{id}/roles',
  // Columns the contract's views read exist even before a row holds them (an org with no admin group).
  table: { table: 'user_roles', primaryKey: [['user_id'], ['id']], jsonPaths: [['_links']], declaredColumns: [{ path: ['type'], type: 'text' }, { path: ['status'], type: 'text' }, { path: ['assignmentType'], type: 'text' }] },
  parent: { resource: 'users', keyPath: ['user_id'] },
  sweptBy: [{ resource: 'users', keyPath: ['user_id'] }],
  // The events name the user, not the role: they time every role row of that user.
  history: { events: targetPairEvents({ opens: ['user.account.privilege.grant'], closes: ['user.account.privilege.revoke'], first: 'User' }) },
  scopes: ['okta.roles.read'],
  writeMode: 'merge',
  pageSize: ASSIGNEE_PAGE_SIZE,
  cursorStrategy:
    'per user: replaced by a full re-pull; the assignee listing names the users holding roles (those it no longer names are swept); with system_log, only named users with privilege/membership events not yet acted upon, plus newly named users, are re-pulled (every named user after a group privilege change or a group deletion)',
  extract: perParentExtractor({
    resource: 'user_roles',
    childPath: (userId) => `/api/v1/users/${encodeURIComponent(userId)}/roles`,
    pageSize: undefined,
    toRecord: (userId, role) => ({ user_id: userId, ...role }),
    plan,
  }),
}
