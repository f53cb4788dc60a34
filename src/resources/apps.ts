import { fullListingExtractor } from './strategies/full-listing.ts'
import { versionOf } from './strategies/seen-set.ts'
import type { ResourceDefinition } from './types.ts'

const PAGE_SIZE = 200

/**
 * Apps: Okta offers no change filter, so every run lists them all (one request per 200 apps), but
 * writes only apps new or changed since the last listing (`lastUpdated` moved) and marks deleted
 * the ones that disappeared. Cursor: `{ listedAt, versions: { appId: lastUpdated } }` (see
 * `FullListingCursor`); orgs hold hundreds of apps, a few thousand at most, so the map stays small.
 */
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
  scopes: ['okta.apps.read'],
  writeMode: 'merge',
  pageSize: PAGE_SIZE,
  cursorStrategy:
    'full listing every run (no change filter exists); only apps whose lastUpdated moved are written; apps no longer listed are marked deleted',
  extract: fullListingExtractor({
    resource: 'apps',
    path: '/api/v1/apps',
    pageSize: PAGE_SIZE,
    version: (app) => versionOf([app['lastUpdated']]),
  }),
}
