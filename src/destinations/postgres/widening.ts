import { sql } from 'kysely'
import type { RawBuilder } from 'kysely'
import type { ColumnType } from '../../schema/types.ts'
import type { DependentView, Widening } from '../dialect.ts'
import type { LiveTable } from '../live-schema.ts'
import { PG_TYPES } from './types.ts'

/**
 * Performs the schema layer's widening (src/schema/type-lattice.ts `widenValue`) with one
 * `ALTER COLUMN … TYPE … USING` inside the batch's transaction: the text of a value is what
 * JavaScript prints (booleans true/false, integers their digits, doubles their shortest form with
 * JavaScript's exponent rule, timestamps canonical UTC with milliseconds), and json of a scalar is
 * the JSON string of that text.
 */
export function postgresWidening(schema: string): Widening {
  return {
    /** Views reading the table, found through the rewrite rules that depend on it (any schema). */
    async dependentViews(query, table: LiveTable): Promise<DependentView[]> {
      const rows = await query(sql`
        select distinct n.nspname as schema, c.relname as name, pg_get_viewdef(c.oid) as def
        from pg_depend d
        join pg_rewrite r on r.oid = d.objid
        join pg_class c on c.oid = r.ev_class
        join pg_namespace n on n.oid = c.relnamespace
        where d.classid = 'pg_rewrite'::regclass and d.refobjid = ${sql.lit(`"${schema.replaceAll('"', '""')}"."${table.def.name.replaceAll('"', '""')}"`)}::regclass
          and c.relkind = 'v' and c.oid <> d.refobjid`)
      return (rows as { schema: string; name: string; def: string }[]).map((v) => ({
        name: `${v.schema}.${v.name}`,
        drop: sql`drop view ${sql.id(v.schema, v.name)}`,
        create: sql`create view ${sql.id(v.schema, v.name)} as ${sql.raw(v.def)}`,
      }))
    },
    steps(table: LiveTable, column: string, from: ColumnType, to: ColumnType): RawBuilder<unknown>[] {
      const col = sql.id(column)
      let text: RawBuilder<unknown>
      if (from === 'timestamp') text = sql`to_char(${col} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
      else if (from === 'double') {
        // float8::text is the shortest round-trip form in C's exponent style ('1e-07', '1e+15');
        // JavaScript writes plain digits for 1e-6 <= |x| < 1e21 (numeric prints those) and 'e-7' beyond.
        text = sql`case when ${col} = 0 then '0' when abs(${col}) >= 1e21 or abs(${col}) < 1e-6 then regexp_replace(${col}::text, 'e([+-])0*([0-9])', ${sql.lit('e\\1\\2')}) else ${col}::text::numeric::text end`
      } else text = sql`${col}::text`
      let using: RawBuilder<unknown>
      if (to === 'json') using = sql`to_jsonb(${text})`
      else if (to === 'text') using = text
      else using = sql`${col}::${sql.raw(PG_TYPES[to])}`
      return [sql`alter table ${sql.id(schema, table.def.name)} alter column ${col} type ${sql.raw(PG_TYPES[to])} using ${using}`]
    },
  }
}
