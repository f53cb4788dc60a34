import { cursorString, laterTime, parentCursors, resourceCursor, sinceWatermark } from './strategies/cursor.ts'
import { perParentExtractor, type ParentPlan } from './strategies/per-parent.ts'
import type { ExtractContext, ResourceDefinition } from './types.ts'
import { targetPairEvents } from './strategies/history-effects.ts'

const PAGE_SIZE = 1000
const GROUP_PAGE_SIZE = 200

/**
 * Which groups' members to re-pull: the groups whose `lastMembershipUpdated` differs from the one
 * saved when their members were last pulled in full. Candidates come from one cheap listing,
 * filtered by the resource-level watermark (max `lastMembershipUpdated` fully processed) on
 * incremental runs, unfiltered on the first run and on a full refresh (which pulls every group).
 */
async function plan(ctx: ExtractContext): Promise<ParentPlan> {
  const saved = ctx.fullRefresh ? undefined : cursorString(resourceCursor(ctx.state), 'watermark')
  const since = saved === undefined ? undefined : sinceWatermark(saved, ctx.options.lookbackMs)
  const cursors = parentCursors(ctx.state)
  const pull: ParentPlan['pull'] = []
  const existing = new Set<string>()
  let watermark = saved
  const query = { ...(since === undefined ? {} : { filter: `lastMembershipUpdated gt "${since}"` }), limit: GROUP_PAGE_SIZE }
  for await (const page of ctx.client.pages('/api/v1/groups', { query, ...(ctx.signal ? { signal: ctx.signal } : {}) })) {
    for (const group of page.items) {
      const id = group['id']
      if (typeof id !== 'string') continue
      const version = typeof group['lastMembershipUpdated'] === 'string' ? group['lastMembershipUpdated'] : null
      watermark = laterTime(watermark, version)
      existing.add(id)
      const cursor = { lastMembershipUpdated: version }
      const known = cursors.get(id)
      if (ctx.fullRefresh || known === undefined || cursorString(known, 'lastMembershipUpdated') !== (version ?? undefined)) {
        pull.push({ id, cursor })
      }
    }
  }
  return {
    pull,
    ...(since === undefined ? { existing } : {}),
    cursor: watermark === undefined ? null : { watermark },
  }
}

/** Group memberships as (group_id, user_id) rows, replaced per group. */
export const groupUsers: ResourceDefinition = {
  name: 'group_users',
  endpoint: '/api/v1/groups/{id}/users',
  table: { table: 'group_users', primaryKey: [['group_id'], ['user_id']] },
  parent: { resource: 'groups', keyPath: ['group_id'] },
  sweptBy: [{ resource: 'groups', keyPath: ['group_id'] }],
  runAfter: ['groups'],
  history: { events: targetPairEvents({ opens: ['group.user_membership.add'], closes: ['group.user_membership.remove'], first: 'UserGroup', second: 'User' }) },
  scopes: ['okta.groups.read'],
  writeMode: 'merge',
  pageSize: PAGE_SIZE,
  cursorStrategy:
    'per group: lastMembershipUpdated when its members were last pulled in full; members re-pulled (and replaced) only for groups where it moved, found via filter=lastMembershipUpdated gt "<watermark − lookback>"',
  extract: perParentExtractor({
    resource: 'group_users',
    childPath: (groupId) => `/api/v1/groups/${encodeURIComponent(groupId)}/users`,
    pageSize: PAGE_SIZE,
    toRecord: (groupId, user) => ({ group_id: groupId, user_id: user['id'] }),
    plan,
  }),
}
