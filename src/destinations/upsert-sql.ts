import type { TableDef } from '../schema/types.ts'
import type { WriteMode } from './destination.ts'
import { DestinationSchemaError } from './errors.ts'
import { quoteIdent } from './identifiers.ts'
import { DELETED_AT, LOAD_ID, isManagedColumn } from './system-columns.ts'

/**
 * The cached write statement for one shape. `merge` replaces the whole row: columns of the table
 * that this shape does not carry are set to NULL (the record no longer has them), `_load_id` takes
 * this load and `_deleted_at` is cleared. `append` keeps the first row for a key (System Log dedupe).
 * `copy` writes the given columns as they are, `_load_id`/`_deleted_at` included (backfill).
 */
export function upsertSql(def: TableDef, names: readonly string[], mode: WriteMode): string {
  const target = (mode === 'copy' ? names : [...names, LOAD_ID, DELETED_AT]).map(quoteIdent).join(', ')
  const values = (mode === 'copy' ? names.map(() => '?') : [...names.map(() => '?'), '?', 'NULL']).join(', ')
  const head = `insert into ${quoteIdent(def.name)} (${target}) values (${values})`
  return head + conflictClause(def, names, mode, 'excluded')
}

/** Shared by every dialect (SQLite, Postgres and DuckDB all spell the pseudo-table EXCLUDED). */
export function conflictClause(def: TableDef, names: readonly string[], mode: WriteMode, excluded: string): string {
  const pk = def.primaryKey
  if (pk.length === 0) return ''
  for (const k of pk) {
    if (!names.includes(k)) throw new DestinationSchemaError(`rows for ${def.name} lack primary key column ${k}`)
  }
  if (mode === 'append') return ' on conflict do nothing'
  if (mode === 'copy') {
    const sets = names.filter((n) => !pk.includes(n)).map((n) => `${quoteIdent(n)} = ${excluded}.${quoteIdent(n)}`)
    return ` on conflict (${pk.map(quoteIdent).join(', ')}) ${sets.length === 0 ? 'do nothing' : `do update set ${sets.join(', ')}`}`
  }
  const carried = new Set(names)
  const sets = names.filter((n) => !pk.includes(n)).map((n) => `${quoteIdent(n)} = ${excluded}.${quoteIdent(n)}`)
  for (const c of def.columns) {
    if (!carried.has(c.name) && !pk.includes(c.name) && !isManagedColumn(c.name)) sets.push(`${quoteIdent(c.name)} = NULL`)
  }
  sets.push(`${quoteIdent(LOAD_ID)} = ${excluded}.${quoteIdent(LOAD_ID)}`, `${quoteIdent(DELETED_AT)} = NULL`)
  return ` on conflict (${pk.map(quoteIdent).join(', ')}) do update set ${sets.join(', ')}`
}
