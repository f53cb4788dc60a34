import type { LiveTable } from './live-schema.ts'
import { PARENT_ID } from './system-columns.ts'

/**
 * Whether every row is a child of a parent whose children this transaction has just deleted
 * (per-parent replacement, before any other write of the table): its key (`_parent_id`, `_idx`)
 * cannot be in the table, so a bulk writer may insert it without probing or merging. Compared as
 * the deletion compared them, as text. `columns`: the written columns' names and, for each, its
 * position in a row.
 */
export function allChildrenOfCleared(
  table: LiveTable,
  columns: { readonly names: readonly string[]; readonly idx: readonly number[] },
  rows: readonly (readonly unknown[])[],
  cleared: ReadonlySet<string> | undefined,
): boolean {
  if (cleared === undefined || table.byName.get(PARENT_ID)?.type !== 'text' || !table.def.primaryKey.includes(PARENT_ID)) return false
  const at = columns.names.indexOf(PARENT_ID)
  if (at < 0) return false
  const col = columns.idx[at]!
  return rows.every((row) => {
    const v = row[col]
    return typeof v === 'string' && cleared.has(v)
  })
}
