import { fullListingExtractor } from './strategies/full-listing.ts'
import { versionOf } from './strategies/seen-set.ts'
import type { ResourceDefinition } from './types.ts'

const PAGE_SIZE = 200

/**
 * Group rules: a small collection with no change filter and no System Log event for edits, so
 * every run lists them all (one request per 200 rules) and writes the ones whose `lastUpdated`
 * or `status` moved; rules gone from the listing get `_deleted_at`.
 */
export const groupRules: ResourceDefinition = {
  name: 'group_rules',
  endpoint: '/api/v1/groups/rules',
  // `groupIdToGroupNameMap` is keyed by group ids: one JSON column, not a column per group.
  table: { table: 'group_rules', primaryKey: [['id']], jsonPaths: [['_links'], ['_embedded']] },
  scopes: ['okta.groups.read'],
  writeMode: 'merge',
  pageSize: PAGE_SIZE,
  cursorStrategy: 'full listing every run (small; no change filter or edit event exists); only rules whose lastUpdated or status moved are written; rules no longer listed are marked deleted',
  extract: fullListingExtractor({
    resource: 'group_rules',
    path: '/api/v1/groups/rules',
    pageSize: PAGE_SIZE,
    query: { expand: 'groupIdToGroupNameMap' },
    version: (rule) => versionOf([rule['lastUpdated'], rule['status']]),
  }),
}
