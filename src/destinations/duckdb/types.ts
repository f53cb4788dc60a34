import { sql } from 'kysely'
import type { RawBuilder } from 'kysely'
import type { ColumnDef, ColumnType, RowValue } from '../../schema/types.ts'
import type { SqlTypeMap } from '../dialect.ts'

export const DUCKDB_TYPES: Record<ColumnType, string> = {
  boolean: 'BOOLEAN',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  timestamp: 'TIMESTAMPTZ',
  text: 'VARCHAR',
  json: 'JSON',
}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER)
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)

/**
 * Real types, as on Postgres. Reads come back as the node-api's JS values: BIGINT as a BigInt
 * (narrowed here to a number when exact), TIMESTAMPTZ as a Date (millisecond precision, which is
 * Okta's), JSON as its text. Timestamp parameters are ISO-8601 strings, which DuckDB casts.
 */
export const duckdbTypes: SqlTypeMap = {
  sqlType: (type: ColumnType): string => DUCKDB_TYPES[type],

  selectColumn: (column: ColumnDef): RawBuilder<unknown> => sql.id(column.name),

  decodeValue(type: ColumnType, value: unknown): RowValue {
    if (value === null || value === undefined) return null
    if (value instanceof Date) return value.toISOString()
    if (typeof value === 'bigint') {
      if (type === 'bigint') return value >= MIN_SAFE && value <= MAX_SAFE ? Number(value) : value
      return type === 'double' ? Number(value) : value.toString()
    }
    if (type === 'text' && typeof value !== 'string') return String(value)
    return value as RowValue
  },

  tsParam: (d: Date): string => d.toISOString(),
  jsonParam: (value: unknown): unknown => JSON.stringify(value),
  readJson: (value: unknown): unknown => (typeof value === 'string' ? JSON.parse(value) : value),
}
