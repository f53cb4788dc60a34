import type { Logger } from '../util/log.ts'
import type { Destination } from './destination.ts'
import { PostgresDestination } from './postgres-destination.ts'
import type { DestinationOptions } from './sql-destination.ts'
import { SqliteDestination } from './sqlite-destination.ts'
import { parseDestinationUrl } from './url.ts'

export type { CommitBatch, Destination, DestinationCapabilities, LoadRecord, LoadResult, LoadStatus } from './destination.ts'
export type { DestinationOptions } from './sql-destination.ts'
export { DestinationLockedError, DestinationSchemaError, DestinationUnreachableError, DestinationWriteError } from './errors.ts'
export { parseDestinationUrl, DEFAULT_PG_SCHEMA } from './url.ts'
export type { DestinationTarget } from './url.ts'
export { PostgresDestination } from './postgres-destination.ts'
export { SqliteDestination } from './sqlite-destination.ts'

/**
 * Opens (lazily: nothing connects before `prepare()`) the destination a URL names:
 *  - `sqlite:PATH` (e.g. `sqlite:./okta.db`; `:memory:` and query strings are refused)
 *  - `postgres://user:pass@host:port/db[?schema=NAME]` / `postgresql://…` (default schema `okta`)
 * An unknown scheme or malformed URL throws a `UsageError` (exit 2). An unreachable database
 * surfaces from `prepare()` as `DestinationUnreachableError` (`ERR_DESTINATION_UNREACHABLE`, exit 2).
 * Passwords never appear in `displayName` or in any error.
 */
export function openDestination(url: string, opts: { logger?: Logger } & DestinationOptions = {}): Destination {
  const target = parseDestinationUrl(url)
  if (target.kind === 'sqlite') return new SqliteDestination(target.path, target.displayName, opts)
  return new PostgresDestination(target.connectionString, target.schema, target.displayName, opts)
}
