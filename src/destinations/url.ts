import { UsageError } from '../util/errors.ts'
import { maskPasswords } from './errors.ts'

export type DestinationTarget =
  | { kind: 'sqlite'; path: string; displayName: string }
  | { kind: 'postgres'; connectionString: string; schema: string; displayName: string }

export const DEFAULT_PG_SCHEMA = 'okta'

/**
 * Parses a destination URL:
 *  - `sqlite:PATH` (`sqlite:./okta.db`, `sqlite:/abs/okta.db`; `sqlite://PATH` is tolerated). No
 *    query string and no in-memory database (see `sqlitePathProblem`).
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
    const problem = sqlitePathProblem(path)
    if (problem !== null) throw new UsageError(`destination ${problem}`, 'ERR_DESTINATION_URL')
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
 * Why a `sqlite:` path cannot be a destination, or null. Shared by the CLI's early check and the
 * parser so both refuse the same URLs:
 *  - empty: nothing to open (better-sqlite3 would make an anonymous temporary database);
 *  - `:memory:`: a run would "succeed" and keep nothing, since the database vanishes on close;
 *  - a query string: better-sqlite3 takes the path literally, so `q.db?mode=ro` would silently
 *    create a file of that name and ignore the option. No SQLite option is meaningful for a
 *    destination the pipeline writes, so every parameter is refused by name.
 */
export function sqlitePathProblem(path: string): string | null {
  const trimmed = path.trim()
  if (trimmed === '') return 'sqlite: needs a path to a file, e.g. sqlite:./okta.db'
  if (trimmed.toLowerCase().includes(':memory:')) {
    return `sqlite:${trimmed} keeps nothing (an in-memory database vanishes when the run ends): use a file path, e.g. sqlite:./okta.db`
  }
  const q = trimmed.indexOf('?')
  if (q >= 0) {
    const names = [...new URLSearchParams(trimmed.slice(q + 1)).keys()].filter((k) => k !== '')
    const what = names.length === 0 ? 'a query string' : `unknown parameter${names.length > 1 ? 's' : ''} ${names.map((n) => JSON.stringify(n.slice(0, 40))).join(', ')}`
    return `sqlite:${trimmed.slice(0, q)}: ${what}: a sqlite destination takes no query parameters (the path would be taken literally, "?" included)`
  }
  return null
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
