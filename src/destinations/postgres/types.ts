import { sql } from 'kysely'
import type { RawBuilder } from 'kysely'
import type { ColumnDef, ColumnType, RowValue } from '../../schema/types.ts'
import type { SqlTypeMap } from '../dialect.ts'

export const PG_TYPES: Record<ColumnType, string> = {
  boolean: 'boolean',
  bigint: 'bigint',
  double: 'double precision',
  timestamp: 'timestamptz',
  text: 'text',
  json: 'jsonb',
}

/** Real types; timestamps as Date in and out, jsonb read back as its exact text. */
export const postgresTypes: SqlTypeMap = {
  sqlType: (type: ColumnType): string => PG_TYPES[type],

  selectColumn(column: ColumnDef): RawBuilder<unknown> {
    // jsonb as its text: pg would JSON.parse it, rounding integers beyond 2^53.
    return column.type === 'json' ? sql`${sql.id(column.name)}::text` : sql.id(column.name)
  },

  decodeValue(type: ColumnType, value: unknown): RowValue {
    if (value === null || value === undefined) return null
    if (value instanceof Date) return value.toISOString()
    if (type === 'text' && typeof value !== 'string') return String(value)
    return value as RowValue
  },

  tsParam: (d: Date): Date => d,
  jsonParam: (value: unknown): unknown => JSON.stringify(value),
  readJson: (value: unknown): unknown => value,
}
