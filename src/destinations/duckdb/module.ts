/**
 * `@duckdb/node-api`, loaded on first use: its native library adds ~30 MB of resident memory to the
 * process that loads it, and the registry imports every dialect, so a SQLite or Postgres run would
 * pay for DuckDB without this. Only the driver's `open()` (instances.ts, widening.ts) needs it;
 * everything else in this folder imports its types alone.
 */
let loading: Promise<typeof import('@duckdb/node-api')> | undefined

export function duckdbModule(): Promise<typeof import('@duckdb/node-api')> {
  loading ??= import('@duckdb/node-api')
  return loading
}
