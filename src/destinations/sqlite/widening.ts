import { sql } from 'kysely'
import type { RawBuilder } from 'kysely'
import type { ColumnType } from '../../schema/types.ts'
import type { Widening } from '../dialect.ts'
import { DestinationSchemaError } from '../errors.ts'
import type { LiveTable } from '../live-schema.ts'
import { affinity } from './types.ts'

/**
 * SQLite types are affinities, so most widenings need no rewrite (INTEGER affinity stores
 * non-integral reals as REAL; timestamp/text/json are all TEXT). Only INTEGER/REAL → TEXT must
 * move values, because a TEXT value written into an INTEGER column that looks like a number
 * ('00123') would be coerced to 123: the column is renamed, re-added as TEXT, filled with the
 * converted values (booleans 1/0 become 'true'/'false', as Postgres' boolean::text) and the old one
 * dropped. text/timestamp → json re-encodes values as JSON strings (json_quote), as Postgres'
 * to_jsonb does.
 */
export const sqliteWidening: Widening = {
  steps(table: LiveTable, column: string, from: ColumnType, to: ColumnType): RawBuilder<unknown>[] {
    const ref = sql.id(table.def.name)
    const col = sql.id(column)
    const fromText = affinity(from) === 'TEXT'
    const toText = affinity(to) === 'TEXT'
    if (fromText) {
      // timestamp/text → json: same TEXT column, values re-encoded as JSON strings.
      return to === 'json' ? [sql`update ${ref} set ${col} = json_quote(${col}) where ${col} is not null`] : []
    }
    if (!toText) return [] // INTEGER → REAL affinity: values already fit.
    if (table.def.primaryKey.includes(column)) {
      throw new DestinationSchemaError(`cannot widen primary key column ${table.def.name}.${column} from ${from} to ${to} in SQLite`)
    }
    let tmp = `${column}__okta_elt_widen`
    while (table.byName.has(tmp)) tmp += '_'
    const old = sql.id(tmp)
    const converted =
      from === 'boolean'
        ? sql`case ${old} when 1 then 'true' when 0 then 'false' else cast(${old} as text) end`
        : // An integral REAL reads '2.0' through CAST; print it as '2' like Postgres and JavaScript do.
          sql`case when typeof(${old}) = 'real' and ${old} = cast(${old} as integer) and abs(${old}) < 1e15 then cast(cast(${old} as integer) as text) else cast(${old} as text) end`
    return [
      sql`alter table ${ref} rename column ${col} to ${old}`,
      sql`alter table ${ref} add column ${col} TEXT`,
      sql`update ${ref} set ${col} = ${converted}`,
      sql`alter table ${ref} drop column ${old}`,
    ]
  },
}
