import { fullListingExtractor } from './strategies/full-listing.ts'
import type { ResourceDefinition } from './types.ts'

const PAGE_SIZE = 200

/** Apps: Okta offers no change filter, so every run lists them all and sweeps the ones that disappeared. */
export const apps: ResourceDefinition = {
  name: 'apps',
  endpoint: '/api/v1/apps',
  table: {
    table: 'apps',
    primaryKey: [['id']],
    // Shapes that vary per app (sign-on mode, template): one JSON column each rather than
    // hundreds of sparse columns.
    jsonPaths: [['_links'], ['_embedded'], ['settings'], ['profile'], ['visibility', 'appLinks']],
  },
  writeMode: 'merge',
  pageSize: PAGE_SIZE,
  cursorStrategy: 'full listing every run (no change filter exists); apps no longer listed are marked deleted',
  extract: fullListingExtractor({ resource: 'apps', path: '/api/v1/apps', pageSize: PAGE_SIZE }),
}
