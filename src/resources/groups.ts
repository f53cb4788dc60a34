import { watermarkExtractor } from './strategies/watermark.ts'
import type { ResourceDefinition } from './types.ts'

const PAGE_SIZE = 200

/**
 * Groups with `expand=stats`. A group changes through its profile (`lastUpdated`) or its members
 * (`lastMembershipUpdated`); the watermark is the max of both. Listing order is not by time, so
 * only the last batch advances the watermark. Deletes come from the System Log or a full refresh.
 * Cursor: `{ watermark, seen: { groupId: "lastUpdated,lastMembershipUpdated" } }` (see `WatermarkCursor`).
 */
export const groups: ResourceDefinition = {
  name: 'groups',
  endpoint: '/api/v1/groups',
  table: { table: 'groups', primaryKey: [['id']], jsonPaths: [['_links']] },
  scopes: ['okta.groups.read'],
  writeMode: 'merge',
  pageSize: PAGE_SIZE,
  cursorStrategy:
    'watermark on max(lastUpdated, lastMembershipUpdated): filter=lastUpdated gt "…" or lastMembershipUpdated gt "…", advanced at the end of the listing; groups of the overlap already loaded at the same timestamps are skipped; full refresh sweeps groups no longer listed',
  extract: watermarkExtractor({
    resource: 'groups',
    path: '/api/v1/groups',
    pageSize: PAGE_SIZE,
    query: (since, limit) => ({
      ...(since === undefined ? {} : { filter: `lastUpdated gt "${since}" or lastMembershipUpdated gt "${since}"` }),
      expand: 'stats',
      limit,
    }),
    timestamps: (group) => [group['lastUpdated'], group['lastMembershipUpdated']],
    advance: 'end',
  }),
}
