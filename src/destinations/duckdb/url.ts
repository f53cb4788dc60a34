import { UsageError } from '../../util/errors.ts'
import type { DestinationTarget } from '../dialect.ts'

export const DEFAULT_DUCKDB_SCHEMA = 'main'

export interface DuckdbTarget extends DestinationTarget {
  kind: 'duckdb'
  path: string
  schema: string
}

/**
 * `duckdb:PATH[?schema=NAME]` (`duckdb:./okta.duckdb`, `duckdb:/abs/okta.duckdb`; `duckdb://PATH`
 * is tolerated). The schema defaults to `main`, DuckDB's own. Refused like SQLite's: no path, an
 * in-memory database (it keeps nothing), and any parameter but `schema` (the path would otherwise
 * be taken literally, `?` included).
 */
export function parseDuckdbUrl(url: string): DuckdbTarget {
  let rest = url.slice(url.indexOf(':') + 1)
  if (rest.startsWith('//')) rest = rest.slice(2)
  const q = rest.indexOf('?')
  const path = (q < 0 ? rest : rest.slice(0, q)).trim()
  const params = new URLSearchParams(q < 0 ? '' : rest.slice(q + 1))
  if (path === '') throw new UsageError('destination duckdb: needs a path to a file, e.g. duckdb:./okta.duckdb', 'ERR_DESTINATION_URL')
  if (path.toLowerCase().includes(':memory:')) {
    throw new UsageError(`destination duckdb:${path} keeps nothing (an in-memory database vanishes when the run ends): use a file path, e.g. duckdb:./okta.duckdb`, 'ERR_DESTINATION_URL')
  }
  const unknown = [...params.keys()].filter((k) => k !== 'schema')
  if (unknown.length > 0) {
    const names = unknown.map((n) => JSON.stringify(n.slice(0, 40))).join(', ')
    throw new UsageError(`destination duckdb:${path}: unknown parameter${unknown.length > 1 ? 's' : ''} ${names}: a duckdb destination takes only ?schema=NAME`, 'ERR_DESTINATION_URL')
  }
  const given = params.get('schema')
  const schema = given ?? DEFAULT_DUCKDB_SCHEMA
  const problem = duckdbSchemaProblem(schema)
  if (problem !== null) throw new UsageError(`duckdb destination URL: ${problem}`, 'ERR_DESTINATION_URL')
  return { kind: 'duckdb', path, schema, displayName: given === null ? `duckdb:${path}` : `duckdb:${path}?schema=${schema}` }
}

/** 1-63 bytes (the portable identifier limit), and not one of DuckDB's catalog schemas. */
export function duckdbSchemaProblem(schema: string): string | null {
  if (schema === '' || Buffer.byteLength(schema) > 63 || schema.includes('\0')) return `invalid ?schema= "${schema.slice(0, 70)}" (1-63 bytes)`
  if (['information_schema', 'pg_catalog', 'temp'].includes(schema.toLowerCase())) {
    return `?schema=${schema} is a DuckDB system schema: name a schema of your own (default ${DEFAULT_DUCKDB_SCHEMA})`
  }
  return null
}
