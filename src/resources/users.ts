import { EPOCH } from './strategies/cursor.ts'
import { watermarkExtractor } from './strategies/watermark.ts'
import type { ResourceDefinition } from './types.ts'

const PAGE_SIZE = 200

/**
 * Users, DEPROVISIONED included: the default listing hides them, `search` does not, so even the
 * first run searches (from the epoch). Sorted ascending by `lastUpdated`, so every page advances
 * the watermark. Hard deletes come from the System Log or a full refresh.
 */
export const users: ResourceDefinition = {
  name: 'users',
  endpoint: '/api/v1/users',
  table: { table: 'users', primaryKey: [['id']], jsonPaths: [['_links'], ['_embedded']] },
  writeMode: 'merge',
  pageSize: PAGE_SIZE,
  cursorStrategy:
    'watermark on lastUpdated: search=lastUpdated gt "<watermark − lookback>" sorted ascending, advanced per page; full refresh sweeps users no longer listed',
  extract: watermarkExtractor({
    resource: 'users',
    path: '/api/v1/users',
    pageSize: PAGE_SIZE,
    query: (since, limit) => ({
      search: `lastUpdated gt "${since ?? EPOCH}"`,
      sortBy: 'lastUpdated',
      sortOrder: 'asc',
      limit,
    }),
    timestamps: (user) => [user['lastUpdated']],
    advance: 'page',
  }),
}
