import { cursorString } from './strategies/cursor.ts'
import { succeeded, targetIds } from './strategies/log-events.ts'
import { logPollingExtractor, type LogPollingSpec } from './strategies/log-polling.ts'
import type { ResourceDefinition, ResourceName } from './types.ts'

const PAGE_SIZE = 1000

/** Events that prove a row gone: which table, and the target type carrying its id. */
const DELETIONS: Record<string, { resource: ResourceName; targetType: string; children?: ResourceName }> = {
  'user.lifecycle.delete.completed': { resource: 'users', targetType: 'User' },
  // A deleted group's memberships and a deleted app's assignments go with it: a per-parent
  // sweep from this load marks every row of that parent deleted.
  'group.lifecycle.delete': { resource: 'groups', targetType: 'UserGroup', children: 'group_users' },
  'application.lifecycle.delete': { resource: 'apps', targetType: 'AppInstance', children: 'apps_assigned' },
}

/** Deletions the events of one page prove. */
export const deletionsFromEvents: NonNullable<LogPollingSpec['derive']> = (events) => {
  const keys = new Map<ResourceName, string[][]>()
  const sweeps: { resource: ResourceName; parentId: string }[] = []
  for (const event of events) {
    const rule = typeof event['eventType'] === 'string' ? DELETIONS[event['eventType']] : undefined
    if (!rule || !succeeded(event)) continue
    for (const id of targetIds(event, rule.targetType)) {
      const list = keys.get(rule.resource) ?? []
      list.push([id])
      keys.set(rule.resource, list)
      if (rule.children) sweeps.push({ resource: rule.children, parentId: id })
    }
  }
  return { deletes: [...keys].map(([resource, k]) => ({ resource, keys: k })), sweeps }
}

/** The System Log, appended and de-duplicated by `uuid`, polled from a saved `next` link. */
export const systemLog: ResourceDefinition = {
  name: 'system_log',
  endpoint: '/api/v1/logs',
  table: {
    table: 'system_log',
    primaryKey: [['uuid']],
    // Free-form maps whose keys vary per event type.
    jsonPaths: [['debugContext', 'debugData'], ['transaction', 'detail'], ['actor', 'detailEntry']],
  },
  writeMode: 'append',
  pageSize: PAGE_SIZE,
  cursorStrategy:
    'polling (since, ascending, no until): checkpoint is the next link plus the last published time, resumed verbatim; stops at an empty or short page',
  extract: logPollingExtractor({ resource: 'system_log', path: '/api/v1/logs', pageSize: PAGE_SIZE, derive: deletionsFromEvents }),
  // Events arrive in time order from `since` up to now: how far the checkpoint has read is how far along the load is.
  timePosition: (cursor) => cursorString(cursor, 'readUpTo') ?? cursorString(cursor, 'lastPublished'),
}
