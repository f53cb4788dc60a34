import { describeError } from '../util/errors.ts'
import { EPOCH } from './strategies/cursor.ts'
import { watermarkExtractor, type WatermarkSpec } from './strategies/watermark.ts'
import type { ExtractBatch, ExtractContext, ResourceDefinition } from './types.ts'
import { declaredProfileColumns, fetchUserSchema } from './user-schema.ts'

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
  // A sign-in moves lastLogin but not lastUpdated: not a new version of the user.
  history: { changedAt: ['lastUpdated'], untracked: [['lastLogin']] },
  scopes: ['okta.users.read'],
  writeMode: 'merge',
  pageSize: PAGE_SIZE,
  cursorStrategy:
    'watermark on lastUpdated: search=lastUpdated gt "<watermark − lookback>" sorted ascending, advanced per page; users of the overlap already loaded at the same lastUpdated are skipped; full refresh sweeps users no longer listed',
  extract: typedBySchema(watermarkExtractor(USERS_WATERMARK)),
}

/**
 * With `user_schema` selected, the profile schema types the table: one request per run, and its
 * custom attributes ride on the first batch as declared columns (created before any user holds a
 * value, with the declared type). Without the schema (not selected, or the request refused) the
 * columns appear with their first values, as before.
 */
function typedBySchema(extract: (ctx: ExtractContext) => AsyncGenerator<ExtractBatch>): (ctx: ExtractContext) => AsyncGenerator<ExtractBatch> {
  return async function* (ctx) {
    let declared = ctx.selected.includes('user_schema') ? await declaredColumns(ctx) : []
    for await (const batch of extract(ctx)) {
      yield declared.length > 0 ? { ...batch, declaredColumns: declared } : batch
      declared = []
    }
  }
}

async function declaredColumns(ctx: ExtractContext): Promise<NonNullable<ExtractBatch['declaredColumns']>> {
  try {
    return declaredProfileColumns(await fetchUserSchema(ctx))
  } catch (err) {
    // A refused credential fails the listing too: say it once, there.
    if (ctx.signal?.aborted || (err as { status?: unknown }).status === 401) throw err
    ctx.logger({ level: 'warn', event: 'extract.schema_unavailable', msg: `users: the user schema could not be read, columns follow the values: ${describeError(err)}`, resource: 'users' })
    return []
  }
}
