import { UsageError } from '../util/errors.ts'
import { maskPasswords } from './errors.ts'

export type DestinationTarget =
  | { kind: 'sqlite'; path: string; displayName: string }
  | { kind: 'postgres'; connectionString: string; schema: string; displayName: string }

export const DEFAULT_PG_SCHEMA = 'okta'

/**
 * Parses a destination URL:
 *  - `sqlite:PATH` (`sqlite:./okta.db`, `sqlite:/abs/okta.db`, `sqlite::memory:`; `sqlite://PATH` is tolerated)
 *  - `postgres://user:pass@host:port/db[?schema=NAME]` or `postgresql://…` (default schema `okta`);
 *    other query parameters (e.g. `sslmode`) go to the driver untouched.
 * Throws a `UsageError` (code `ERR_DESTINATION_URL`) that never echoes a password.
 */
export function parseDestinationUrl(url: string): DestinationTarget {
  const trimmed = url.trim()
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed)?.[1]?.toLowerCase()
  if (scheme === 'sqlite') {
    let path = trimmed.slice('sqlite:'.length)
    if (path.startsWith('//')) path = path.slice(2)
    if (path === '') throw new UsageError('destination sqlite: needs a file path, e.g. sqlite:./okta.db', 'ERR_DESTINATION_URL')
    return { kind: 'sqlite', path, displayName: `sqlite:${path}` }
  }
  if (scheme === 'postgres' || scheme === 'postgresql') return parsePostgres(trimmed)
  const shown = scheme === undefined ? maskPasswords(trimmed).slice(0, 60) : `${scheme}:`
  throw new UsageError(
    `unsupported destination "${shown}": use sqlite:PATH or postgres://user:pass@host:port/db[?schema=NAME]`,
    'ERR_DESTINATION_URL',
  )
}

function parsePostgres(url: string): DestinationTarget {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new UsageError(`invalid postgres destination URL "${maskPasswords(url)}"`, 'ERR_DESTINATION_URL')
  }
  const schema = u.searchParams.get('schema') ?? DEFAULT_PG_SCHEMA
  if (schema === '' || Buffer.byteLength(schema) > 63 || schema.includes('\0')) {
    throw new UsageError(`invalid schema "${schema}" in the postgres destination URL (1-63 bytes)`, 'ERR_DESTINATION_URL')
  }
  u.searchParams.delete('schema')
  const connectionString = u.toString()

  const shown = new URL(u.toString())
  shown.password = ''
  shown.searchParams.set('schema', schema)
  // `postgres://user@host:5432/db?schema=okta`: no password, host/port/db as given.
  const displayName = shown.toString().replace(/^postgresql:/, 'postgres:')
  return { kind: 'postgres', connectionString, schema, displayName }
}
