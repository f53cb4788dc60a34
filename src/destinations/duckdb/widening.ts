import { sql } from 'kysely'
import type { RawBuilder } from 'kysely'
import type { ColumnType } from '../../schema/types.ts'
import type { Widening } from '../dialect.ts'
import { DestinationSchemaError } from '../errors.ts'
import type { LiveTable } from '../live-schema.ts'
import { DUCKDB_TYPES } from './types.ts'

/**
 * One `ALTER COLUMN … SET DATA TYPE … USING` per widening, inside the batch's transaction. The
 * text forms match the other destinations so a widened column reads the same everywhere (and a
 * backfill between them compares equal): timestamps as ISO-8601 UTC with milliseconds, integral
 * doubles without `.0`, booleans as `true`/`false`. DuckDB cannot change the type of a primary-key
 * column (its index): like SQLite, that is a schema error.
 */
export function duckdbWidening(schema: string): Widening {
  return {
    steps(table: LiveTable, column: string, from: ColumnType, to: ColumnType): RawBuilder<unknown>[] {
      if (table.def.primaryKey.includes(column)) {
        throw new DestinationSchemaError(`cannot widen primary key column ${table.def.name}.${column} from ${from} to ${to} in DuckDB`)
      }
      const col = sql.id(column)
      const isoText = sql`strftime(${col}, '%Y-%m-%dT%H:%M:%S.%gZ')`
      const plainText =
        from === 'timestamp'
          ? isoText
          : from === 'double'
            ? sql`case when ${col} = trunc(${col}) and abs(${col}) < 1e15 then cast(cast(${col} as bigint) as varchar) else cast(${col} as varchar) end`
            : sql`cast(${col} as varchar)`
      let using: RawBuilder<unknown>
      if (to === 'json') using = from === 'text' || from === 'timestamp' ? sql`to_json(${plainText})` : sql`cast(${plainText} as json)`
      else if (to === 'text') using = plainText
      else using = sql`cast(${col} as ${sql.raw(DUCKDB_TYPES[to])})`
      return [sql`alter table ${sql.id(schema, table.def.name)} alter column ${col} set data type ${sql.raw(DUCKDB_TYPES[to])} using ${using}`]
    },
  }
}
