import { UsageError } from '../../util/errors.ts'
import type { DestinationTarget } from '../dialect.ts'
import { maskPasswords } from '../errors.ts'

export const DEFAULT_PG_SCHEMA = 'okta'

export interface PostgresTarget extends DestinationTarget {
  kind: 'postgres'
  /** The URL without `schema=` (other parameters, e.g. `sslmode`, go to the driver untouched). */
  connectionString: string
  schema: string
}

/** `postgres://user:pass@host:port/db[?schema=NAME]` or `postgresql://…` (default schema `okta`). */
export function parsePostgresUrl(url: string): PostgresTarget {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new UsageError(`invalid postgres destination URL "${maskPasswords(url)}" (expected postgres://user:pass@host:5432/db)`, 'ERR_DESTINATION_URL')
  }
  if (u.hostname === '') throw new UsageError('postgres destination URL has no host', 'ERR_DESTINATION_URL')
  const schema = u.searchParams.get('schema') ?? DEFAULT_PG_SCHEMA
  const problem = pgSchemaProblem(schema)
  if (problem !== null) throw new UsageError(`postgres destination URL: ${problem}`, 'ERR_DESTINATION_URL')
  u.searchParams.delete('schema')
  const connectionString = u.toString()

  const shown = new URL(u.toString())
  shown.password = ''
  shown.searchParams.set('schema', schema)
  // `postgres://user@host:5432/db?schema=okta`: no password, host/port/db as given.
  const displayName = shown.toString().replace(/^postgresql:/, 'postgres:')
  return { kind: 'postgres', connectionString, schema, displayName }
}

/**
 * Why `?schema=NAME` cannot hold the pipeline's tables, or null: 1-63 bytes (identifiers are
 * always quoted), and not one of Postgres' system schemas (`pg_catalog`, `pg_toast`, any `pg_*`,
 * `information_schema`): Postgres reserves the `pg_` prefix and writing into its catalog is never
 * what the user meant, so it is a usage error before anything connects.
 */
export function pgSchemaProblem(schema: string): string | null {
  if (schema === '' || Buffer.byteLength(schema) > 63 || schema.includes('\0')) return `invalid ?schema= "${schema.slice(0, 70)}" (1-63 bytes)`
  if (schema.startsWith('pg_') || schema === 'information_schema') {
    return `?schema=${schema} is a Postgres system schema: name a schema of your own (default ${DEFAULT_PG_SCHEMA})`
  }
  return null
}
