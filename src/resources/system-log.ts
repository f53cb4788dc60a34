import { cursorString } from './strategies/cursor.ts'
import { succeeded, targetIds } from './strategies/log-events.ts'
import { logPollingExtractor, type LogPollingSpec } from './strategies/log-polling.ts'
import type { ResourceDefinition, ResourceName } from './types.ts'

const PAGE_SIZE = 1000

/** Events that prove a row gone: which table, and the target type carrying its id. */
const DELETIONS: Record<string, { resource: ResourceName; targetType: string }> = {
  'user.lifecycle.delete.completed': { resource: 'users', targetType: 'User' },
  'group.lifecycle.delete': { resource: 'groups', targetType: 'UserGroup' },
  'application.lifecycle.delete': { resource: 'apps', targetType: 'AppInstance' },
}

/**
 * Deletions the events of one page prove: the deleted records by key, and a cascade per record, so
 * that rows depending on it (a group's memberships, an app's assignments, a user's roles) go with
 * it; which tables those are, each child resource declares (`sweptBy`).
 */
export const deletionsFromEvents: NonNullable<LogPollingSpec['derive']> = (events) => {
  const deleted = new Map<ResourceName, { keys: string[][]; times: (string | undefined)[] }>()
  const cascades: { resource: ResourceName; id: string; at?: string }[] = []
  for (const event of events) {
    const rule = typeof event['eventType'] === 'string' ? DELETIONS[event['eventType']] : undefined
    if (!rule || !succeeded(event)) continue
    // When it went, for the history tables.
    const at = typeof event['published'] === 'string' ? event['published'] : undefined
    for (const id of targetIds(event, rule.targetType)) {
      const list = deleted.get(rule.resource) ?? { keys: [], times: [] }
      list.keys.push([id])
      list.times.push(at)
      deleted.set(rule.resource, list)
      cascades.push({ resource: rule.resource, id, ...(at === undefined ? {} : { at }) })
    }
  }
  return { deletes: [...deleted].map(([resource, d]) => ({ resource, keys: d.keys, times: d.times })), cascades }
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
  scopes: ['okta.logs.read'],
  writeMode: 'append',
  pageSize: PAGE_SIZE,
  cursorStrategy:
    'polling (since, ascending, no until): checkpoint is the next link plus the last published time, resumed verbatim; stops at an empty or short page',
  extract: logPollingExtractor({ resource: 'system_log', path: '/api/v1/logs', pageSize: PAGE_SIZE, derive: deletionsFromEvents }),
  // Events arrive in time order from `since` up to now: how far the checkpoint has read is how far along the load is.
  timePosition: (cursor) => cursorString(cursor, 'readUpTo') ?? cursorString(cursor, 'lastPublished'),
}
