import { sql } from 'kysely'
import type { RawBuilder } from 'kysely'
import type { ColumnType } from '../../schema/types.ts'
import type { Widening } from '../dialect.ts'
import type { LiveTable } from '../live-schema.ts'
import { PG_TYPES } from './types.ts'

/** One `ALTER COLUMN … TYPE … USING` per widening; the table is rewritten inside the batch's transaction. */
export function postgresWidening(schema: string): Widening {
  return {
    steps(table: LiveTable, column: string, from: ColumnType, to: ColumnType): RawBuilder<unknown>[] {
      const col = sql.id(column)
      // timestamptz → text keeps the ISO-8601 UTC form SQLite stores (and Okta sends).
      const isoText = sql`to_char(${col} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
      let using: RawBuilder<unknown>
      if (to === 'json') using = from === 'timestamp' ? sql`to_jsonb(${isoText})` : sql`to_jsonb(${col})`
      else if (to === 'text') using = from === 'timestamp' ? isoText : sql`${col}::text`
      else if (from === 'boolean') using = sql`${col}::int::${sql.raw(PG_TYPES[to])}`
      else using = sql`${col}::${sql.raw(PG_TYPES[to])}`
      return [sql`alter table ${sql.id(schema, table.def.name)} alter column ${col} type ${sql.raw(PG_TYPES[to])} using ${using}`]
    },
  }
}
