import type { ColumnType } from '../schema/types.ts'
import type { WriteMode } from './destination.ts'
import { DestinationSchemaError } from './errors.ts'
import type { LiveTable } from './live-schema.ts'
import { isManagedColumn } from './system-columns.ts'

/**
 * The columns a staged bulk write carries (Postgres COPY, DuckDB's appender), shared by both: a
 * batch's columns minus those the destination manages itself (`_load_id`, `_deleted_at`; a
 * `copy` keeps them), each with its position in the batch's rows, its value encoder and the SQL
 * expression that casts the staged text column `cN` back to the column's type.
 */
export function stagedColumns<E>(
  mode: WriteMode,
  table: LiveTable,
  columns: readonly string[],
  dialect: { encoder(type: ColumnType): E; cast(staged: string, type: ColumnType): string },
): { names: string[]; idx: number[]; encode: E[]; casts: string[] } {
  const idx: number[] = []
  const encode: E[] = []
  const casts: string[] = []
  for (const [i, name] of columns.entries()) {
    if (mode !== 'copy' && isManagedColumn(name)) continue
    const col = table.byName.get(name)
    if (col === undefined) throw new DestinationSchemaError(`rows for ${table.def.name} carry column ${name}, which the table does not have`)
    idx.push(i)
    encode.push(dialect.encoder(col.type))
    const staged = `c${idx.length}`
    casts.push(col.type === 'text' ? staged : dialect.cast(staged, col.type))
  }
  return { names: idx.map((i) => columns[i]!), idx, encode, casts }
}
