import type { Destination } from './destination.ts'
import type { DestinationOptions } from './dialect.ts'
import { dialectNamed } from './registry.ts'
import { parseDestinationUrl } from './url.ts'

export type { CommitBatch, Destination, DestinationCapabilities, LoadRecord, LoadResult, LoadStatus } from './destination.ts'
export type { DestinationOptions, DestinationTarget } from './dialect.ts'
export type { DestinationKind } from './registry.ts'
export { DESTINATION_DIALECTS } from './registry.ts'
export { DestinationLockedError, DestinationSchemaError, DestinationUnreachableError, DestinationWriteError } from './errors.ts'
export { parseDestinationUrl } from './url.ts'
export { DEFAULT_PG_SCHEMA } from './postgres/url.ts'

/**
 * Opens (lazily: nothing connects before `prepare()`) the destination a URL names; the registry
 * (registry.ts) lists the URL forms:
 *  - `sqlite:PATH` (e.g. `sqlite:./okta.db`; `:memory:` and query strings are refused)
 *  - `postgres://user:pass@host:port/db[?schema=NAME]` / `postgresql://…` (default schema `okta`)
 *  - `duckdb:PATH[?schema=NAME]` (default schema `main`)
 * An unknown scheme or malformed URL throws a `UsageError` (exit 2). An unreachable database
 * surfaces from `prepare()` as `DestinationUnreachableError` (`ERR_DESTINATION_UNREACHABLE`, exit 2).
 * Passwords never appear in `displayName` or in any error.
 */
export function openDestination(url: string, opts: DestinationOptions = {}): Destination {
  const target = parseDestinationUrl(url)
  return dialectNamed(target.kind)!.open(target, opts)
}

/** The local database file a URL names (SQLite, DuckDB), or null for a server database. */
export function localDatabaseFile(url: string): string | null {
  const target = parseDestinationUrl(url)
  return dialectNamed(target.kind)?.localFile?.(target) ?? null
}
