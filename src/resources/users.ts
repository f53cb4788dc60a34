import { EPOCH } from './strategies/cursor.ts'
import { watermarkExtractor, type WatermarkSpec } from './strategies/watermark.ts'
import type { ResourceDefinition } from './types.ts'

const PAGE_SIZE = 200

/** How users are read incrementally (exported so tests can build variants, e.g. a small seen-set cap). */
export const USERS_WATERMARK: WatermarkSpec = {
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
}

/**
 * Users, DEPROVISIONED included: the default listing hides them, `search` does not, so even the
 * first run searches (from the epoch). Sorted ascending by `lastUpdated`, so every page advances
 * the watermark. Hard deletes come from the System Log or a full refresh.
 * Cursor: `{ watermark, seen: { userId: lastUpdated } }` (see `WatermarkCursor`).
 */
export const users: ResourceDefinition = {
  name: 'users',
  endpoint: '/api/v1/users',
  table: { table: 'users', primaryKey: [['id']], jsonPaths: [['_links'], ['_embedded']] },
  scopes: ['okta.users.read'],
  writeMode: 'merge',
  pageSize: PAGE_SIZE,
  cursorStrategy:
    'watermark on lastUpdated: search=lastUpdated gt "<watermark − lookback>" sorted ascending, advanced per page; users of the overlap already loaded at the same lastUpdated are skipped; full refresh sweeps users no longer listed',
  extract: watermarkExtractor(USERS_WATERMARK),
}
