import { fullListingExtractor } from './strategies/full-listing.ts'
import { versionOf } from './strategies/seen-set.ts'
import type { ResourceDefinition } from './types.ts'

/** User types: a tiny unpaginated listing (one request per run); vanished types get `_deleted_at`. */
export const userTypes: ResourceDefinition = {
  name: 'user_types',
  endpoint: '/api/v1/meta/types/user',
  table: { table: 'user_types', primaryKey: [['id']], jsonPaths: [['_links']] },
  scopes: ['okta.userTypes.read'],
  writeMode: 'merge',
  pageSize: 1,
  cursorStrategy: 'full listing every run (one request, not paginated); only types whose lastUpdated moved are written; types no longer listed are marked deleted',
  extract: fullListingExtractor({
    resource: 'user_types',
    path: '/api/v1/meta/types/user',
    version: (type) => versionOf([type['lastUpdated']]),
  }),
}
