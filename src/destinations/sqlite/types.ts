import { sql } from 'kysely'
import type { RawBuilder } from 'kysely'
import type { ColumnDef, ColumnType, RowValue, TableDef } from '../../schema/types.ts'
import type { SqlTypeMap } from '../dialect.ts'

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER)
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)

/**
 * SQLite column types are affinities: booleans are INTEGER 1/0, timestamps ISO-8601 TEXT (one
 * canonical form, so text order is time order), JSON is TEXT. Reads come back with every INTEGER
 * as a BigInt (`safeIntegers`), narrowed here to a number when exact.
 */
export const sqliteTypes: SqlTypeMap = {
  sqlType(type: ColumnType, table: TableDef, column: string): string {
    switch (type) {
      case 'boolean':
        return 'INTEGER'
      case 'bigint':
        // A lone `INTEGER` primary key becomes the rowid alias, which rejects anything but
        // integers; `BIGINT` has the same INTEGER affinity without that.
        return table.primaryKey.length === 1 && table.primaryKey[0] === column ? 'BIGINT' : 'INTEGER'
      case 'double':
        return 'REAL'
      case 'timestamp':
      case 'text':
      case 'json':
        return 'TEXT'
    }
  },

  selectColumn(column: ColumnDef): RawBuilder<unknown> {
    return sql.id(column.name)
  },

  decodeValue(type: ColumnType, value: unknown): RowValue {
    if (value === null || value === undefined) return null
    if (typeof value === 'bigint') {
      if (type === 'boolean') return value !== 0n
      if (type === 'double') return Number(value)
      if (type === 'bigint') return value >= MIN_SAFE && value <= MAX_SAFE ? Number(value) : value
      return value.toString()
    }
    if (type === 'boolean' && typeof value === 'number') return value !== 0
    return value as RowValue
  },

  tsParam: (d: Date): string => d.toISOString(),
  jsonParam: (value: unknown): unknown => JSON.stringify(value),
  readJson: (value: unknown): unknown => (typeof value === 'string' ? JSON.parse(value) : value),
}

/** The storage class a column type lands in. */
export function affinity(type: ColumnType): 'INTEGER' | 'REAL' | 'TEXT' {
  return type === 'boolean' || type === 'bigint' ? 'INTEGER' : type === 'double' ? 'REAL' : 'TEXT'
}
