import type { ColumnDef, TableDef } from '../schema/types.ts'

/** Every data table carries the load that last wrote each row and, for rows known gone, when. */
export const LOAD_ID = '_load_id'
export const DELETED_AT = '_deleted_at'
export const PARENT_ID = '_parent_id'

export function isManagedColumn(name: string): boolean {
  return name === LOAD_ID || name === DELETED_AT
}

/**
 * The table as the destination creates it: the normalizer's definition plus `_load_id` and
 * `_deleted_at` when it did not list them (recorded like any other column, so `readSchema()`
 * describes the real table).
 */
export function withSystemColumns(def: TableDef): TableDef {
  const columns: ColumnDef[] = def.columns.map((c) => ({ name: c.name, path: [...c.path], type: c.type }))
  if (!columns.some((c) => c.name === LOAD_ID)) columns.push({ name: LOAD_ID, path: [], type: 'text' })
  if (!columns.some((c) => c.name === DELETED_AT)) columns.push({ name: DELETED_AT, path: [], type: 'timestamp' })
  return {
    name: def.name,
    ...(def.parent === undefined ? {} : { parent: def.parent }),
    ...(def.path === undefined ? {} : { path: [...def.path] }),
    primaryKey: [...def.primaryKey],
    columns,
  }
}
