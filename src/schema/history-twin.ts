import type { ColumnDef, SchemaChange, TableDef } from './types.ts'

/**
 * A history table's shape, derived from its table's: `<table>_history` has the same columns plus
 * the interval (`_valid_from`, `_valid_to`: NULL while current) and where its start came from
 * (`_valid_source`), keyed by the table's key plus `_valid_from` (PRODUCT.md, History). Pure: the
 * pipeline derives the twin's schema changes from its table's, the destination applies them.
 */
export const VALID_FROM = '_valid_from'
export const VALID_TO = '_valid_to'
export const VALID_SOURCE = '_valid_source'

/** Where an interval's `_valid_from` came from. */
export type ValidSource =
  /** the record's own change time (`lastUpdated`) */
  | 'last_updated'
  /** the `published` time of the System Log event that explains the change */
  | 'system_log'
  /** nothing more precise: the start of the load that saw the change */
  | 'load'
  /** the interval began before the System Log reaches: `_valid_from` is where the log starts */
  | 'log_horizon'

const INTERVAL_COLUMNS: readonly ColumnDef[] = [
  { name: VALID_FROM, path: [], type: 'timestamp' },
  { name: VALID_TO, path: [], type: 'timestamp' },
  { name: VALID_SOURCE, path: [], type: 'text' },
]

export function historyTableName(table: string): string {
  return `${table}_history`
}

/** The history table of `table` as it stands. */
export function historyTwin(table: TableDef): TableDef {
  return {
    name: historyTableName(table.name),
    primaryKey: [...table.primaryKey, VALID_FROM],
    columns: [...table.columns.map((c) => ({ name: c.name, path: [...c.path], type: c.type })), ...INTERVAL_COLUMNS.map((c) => ({ ...c, path: [] }))],
  }
}

/**
 * The twin's changes for one commit: each change to a table that keeps history, repeated on its
 * history table, in order. A table that keeps history but has no twin yet (history turned on for
 * an existing table, or a destination loaded before history existed) gets it created from its
 * current shape: `created` names those, so the commit opens an interval for every live row.
 */
export function historyChanges(args: {
  changes: readonly SchemaChange[]
  /** Tables that keep history. */
  tracked: ReadonlySet<string>
  /** Every table as it stands after `changes`. */
  tablesAfter: ReadonlyMap<string, TableDef>
  /** Tables that existed before `changes` (history tables included). */
  existedBefore: ReadonlySet<string>
}): { changes: SchemaChange[]; created: string[] } {
  const out: SchemaChange[] = []
  const created: string[] = []
  const twinExists = (t: string): boolean => args.existedBefore.has(historyTableName(t)) || created.includes(t)
  // Twins missing for tables that were there before this commit: created from their shape before this commit's changes.
  for (const table of args.tracked) {
    if (!args.existedBefore.has(table) || twinExists(table)) continue
    const after = args.tablesAfter.get(table)
    if (after === undefined) continue
    const before = shapeBefore(after, args.changes)
    out.push({ kind: 'create_table', table: historyTwin(before) })
    created.push(table)
  }
  for (const change of args.changes) {
    const table = change.kind === 'create_table' ? change.table.name : change.table
    if (!args.tracked.has(table)) continue
    const twin = historyTableName(table)
    if (change.kind === 'create_table') {
      if (twinExists(table)) continue
      out.push({ kind: 'create_table', table: historyTwin(change.table) })
      created.push(table)
    } else if (change.kind === 'add_column') {
      out.push({ kind: 'add_column', table: twin, column: { ...change.column, path: [...change.column.path] } })
    } else {
      out.push({ ...change, table: twin })
    }
  }
  return { changes: out, created }
}

/** `table` as it was before `changes`: without the columns they add, with the types they widened from. */
function shapeBefore(after: TableDef, changes: readonly SchemaChange[]): TableDef {
  const added = new Set<string>()
  const widenedFrom = new Map<string, ColumnDef['type']>()
  for (const c of changes) {
    if (c.kind === 'add_column' && c.table === after.name) added.add(c.column.name)
    if (c.kind === 'widen_column' && c.table === after.name && !widenedFrom.has(c.column)) widenedFrom.set(c.column, c.from)
  }
  return {
    ...after,
    columns: after.columns.filter((c) => !added.has(c.name)).map((c) => ({ ...c, type: widenedFrom.get(c.name) ?? c.type })),
  }
}
