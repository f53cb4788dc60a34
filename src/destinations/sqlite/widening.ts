import { sql } from 'kysely'
import type { RawBuilder } from 'kysely'
import type Database from 'better-sqlite3'
import { widenValue } from '../../schema/type-lattice.ts'
import type { ColumnType, RowValue } from '../../schema/types.ts'
import type { DependentView, Widening } from '../dialect.ts'
import { DestinationSchemaError } from '../errors.ts'
import type { LiveTable } from '../live-schema.ts'
import { affinity, sqliteTypes } from './types.ts'

/** SQL function (registered on the connection) that widens one stored value: the lattice's `widenValue`. */
const WIDEN_FUNCTION = 'okta_elt_widen'

/**
 * The schema layer decides what each stored value becomes (src/schema/type-lattice.ts
 * `widenValue`); SQLite performs it through that very function, registered on the connection as
 * `okta_elt_widen` (`registerWidenFunction`), so a widened row reads exactly like one written after
 * the widening. Within one affinity (text/timestamp → json) the column is updated in place; across
 * affinities (INTEGER → REAL, INTEGER/REAL → TEXT) it is renamed, re-added with the new affinity,
 * filled with the converted values and the old one dropped.
 */
export const sqliteWidening: Widening = {
  /** Views whose stored SQL names the table (SQLite keeps each view as its CREATE text). */
  async dependentViews(query, table: LiveTable): Promise<DependentView[]> {
    const rows = await query(sql`select name, sql from sqlite_master where type = 'view'`)
    const names = new RegExp(`(^|[^A-Za-z0-9_$])["\`\\[]?${table.def.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["\`\\]]?($|[^A-Za-z0-9_$])`, 'i')
    return (rows as { name: string; sql: string }[])
      .filter((v) => names.test(v.sql))
      .map((v) => ({ name: v.name, drop: sql`drop view ${sql.id(v.name)}`, create: sql.raw(v.sql) }))
  },

  steps(table: LiveTable, column: string, from: ColumnType, to: ColumnType): RawBuilder<unknown>[] {
    const ref = sql.id(table.def.name)
    const col = sql.id(column)
    // Every stored value becomes exactly what the schema layer's `widenValue` says (WIDEN_FUNCTION).
    const convert = (value: RawBuilder<unknown>) => sql`${sql.raw(WIDEN_FUNCTION)}(${value}, ${sql.lit(from)}, ${sql.lit(to)})`
    if (affinity(from) === affinity(to)) {
      // timestamp → text: the canonical text is already stored; text/timestamp → json: same TEXT column.
      return from === 'timestamp' && to === 'text' ? [] : [sql`update ${ref} set ${col} = ${convert(col)} where ${col} is not null`]
    }
    // INTEGER → REAL or → TEXT: a new column of the new affinity (an INTEGER column would keep
    // 3 an integer, so `x / 2` would differ from a column created REAL; a TEXT value '00123'
    // written into it would be coerced to 123).
    if (table.def.primaryKey.includes(column)) {
      throw new DestinationSchemaError(`cannot widen primary key column ${table.def.name}.${column} from ${from} to ${to} in SQLite`)
    }
    let tmp = `${column}__okta_elt_widen`
    while (table.byName.has(tmp)) tmp += '_'
    const old = sql.id(tmp)
    return [
      sql`alter table ${ref} rename column ${col} to ${old}`,
      sql`alter table ${ref} add column ${col} ${sql.raw(sqliteTypes.sqlType(to, table.def, column))}`,
      sql`update ${ref} set ${col} = ${convert(old)}`,
      sql`alter table ${ref} drop column ${old}`,
    ]
  },
}

/** Registers `okta_elt_widen(value, from, to)` on a connection (the driver does, at open). */
export function registerWidenFunction(db: Database.Database): void {
  // safeIntegers: integers arrive as BigInt, so digits beyond 2^53 stay exact.
  db.function(WIDEN_FUNCTION, { deterministic: true, safeIntegers: true }, (value: unknown, from: unknown, to: unknown) => {
    const f = from as ColumnType
    let v: RowValue
    if (value === null) v = null
    else if (f === 'boolean') v = value === 1n || value === 1
    else if (f === 'double') v = Number(value)
    else v = value as RowValue
    const out = widenValue(v, f, to as ColumnType)
    return typeof out === 'boolean' ? (out ? 1 : 0) : out
  })
}
