import { cursorString, oktaTime, parentCursors } from './strategies/cursor.ts'
import { targetIds } from './strategies/log-events.ts'
import { eventsSinceLastPass, fullPassCursor } from './strategies/log-narrowing.ts'
import { perParentExtractor, type ParentPlan } from './strategies/per-parent.ts'
import type { ExtractContext, ResourceDefinition } from './types.ts'
import { targetPairEvents } from './strategies/history-effects.ts'

const GROUP_PAGE_SIZE = 200
const ROLE_EVENTS = 'eventType sw "group.privilege" or eventType sw "iam.resourceset.bindings" or eventType sw "iam.role"'

/**
 * A group's "holds admin privileges" flag from `expand=stats`. The spec and every SDK spell it
 * `hasAdminPrivlege`; a 2026 release note writes `hasAdminPrivileges` (okta-api.md §8.2,
 * AMBIGUOUS): either counts. Absent (no stats): unknown, so the group is treated as holding roles.
 */
export function holdsAdminRoles(group: Record<string, unknown>): boolean {
  const embedded = group['_embedded']
  const stats = embedded !== null && typeof embedded === 'object' ? (embedded as Record<string, unknown>)['stats'] : undefined
  if (stats === null || typeof stats !== 'object') return true
  const s = stats as Record<string, unknown>
  const flag = s['hasAdminPrivlege'] ?? s['hasAdminPrivileges']
  return typeof flag === 'boolean' ? flag : true
}

/**
 * Which groups' roles to re-pull. One listing of every group with `expand=stats` (one request per
 * 200 groups) says which hold admin roles; a group is re-pulled when its flag is on and it is new
 * to us or has role events not acted upon (every such group without the System Log, on a first
 * run or a full refresh), or when its flag went off (its rows are then swept). Groups gone from
 * the listing are swept.
 */
async function plan(ctx: ExtractContext): Promise<ParentPlan> {
  const passStartedAt = oktaTime(ctx.now().getTime())
  const flags = new Map<string, boolean>()
  const query = { expand: 'stats', limit: GROUP_PAGE_SIZE }
  for await (const page of ctx.client.pages('/api/v1/groups', { query, ...(ctx.signal ? { signal: ctx.signal } : {}) })) {
    for (const group of page.items) if (typeof group['id'] === 'string') flags.set(group['id'], holdsAdminRoles(group))
  }
  const changed = new Set<string>()
  let everyGroup = false
  const cursor = await eventsSinceLastPass(ctx, {
    resource: 'group_roles',
    filter: ROLE_EVENTS,
    until: passStartedAt,
    onEvent: (event) => {
      if (String(event['eventType']).startsWith('iam.')) everyGroup = true
      else for (const id of targetIds(event, 'UserGroup')) changed.add(id)
    },
  })
  const narrowed = cursor !== undefined && !everyGroup
  const saved = parentCursors(ctx.state)
  const pull: ParentPlan['pull'] = []
  for (const [id, admin] of flags) {
    const before = saved.get(id)
    const wasAdmin = before !== undefined && cursorString(before, 'admin') !== 'false'
    const pulledCursor = { admin: String(admin), pulledAt: passStartedAt }
    if (admin ? !narrowed || changed.has(id) || !wasAdmin : wasAdmin) pull.push({ id, cursor: pulledCursor })
  }
  ctx.logger({ level: 'debug', event: 'extract.plan', msg: `group_roles: re-pulling ${pull.length} of ${flags.size} groups`, resource: 'group_roles', pulling: pull.length })
  return { pull, existing: new Set(flags.keys()), cursor: cursor ?? fullPassCursor(passStartedAt) }
}

/** Admin roles assigned to groups (held by every member). */
export const groupRoles: ResourceDefinition = {
  name: 'group_roles',
  endpoint: '/api/v1/groups/{id}/roles',
  // Columns the contract's views read exist even before a row holds them (an org with no admin group).
  table: { table: 'group_roles', primaryKey: [['group_id'], ['id']], jsonPaths: [['_links']], declaredColumns: [{ path: ['type'], type: 'text' }, { path: ['status'], type: 'text' }] },
  parent: { resource: 'groups', keyPath: ['group_id'] },
  sweptBy: [{ resource: 'groups', keyPath: ['group_id'] }],
  history: { events: targetPairEvents({ opens: ['group.privilege.grant'], closes: ['group.privilege.revoke'], first: 'UserGroup' }) },
  scopes: ['okta.roles.read', 'okta.groups.read'],
  writeMode: 'merge',
  pageSize: GROUP_PAGE_SIZE,
  cursorStrategy:
    'per group: replaced by a full re-pull; groups listed with expand=stats, re-pulled when they hold admin roles and are new or (with system_log) have group.privilege events, or when their flag went off',
  extract: perParentExtractor({
    resource: 'group_roles',
    childPath: (groupId) => `/api/v1/groups/${encodeURIComponent(groupId)}/roles`,
    pageSize: undefined,
    toRecord: (groupId, role) => ({ group_id: groupId, ...role }),
    plan,
  }),
}
