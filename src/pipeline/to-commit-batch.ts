import type { CommitBatch } from '../destinations/destination.ts'
import type { ExtractBatch, ResourceDefinition, ResourceName } from '../resources/types.ts'
import type { SchemaChange, TableDef } from '../schema/types.ts'
import type { RowBatch } from '../schema/types.ts'
import type { PastInterval } from '../history/timeline.ts'
import { samePath } from './record-paths.ts'
import { toCommitHistory, type LoadHistory } from './to-commit-history.ts'

/**
 * Translates extracted batches (resource vocabulary: records, resource names, record paths) into
 * one destination commit (table vocabulary: row batches, table and column names). Several batches
 * may share a commit: their rows are normalized together, their deletes, sweeps and cursor writes
 * kept in order (the destination writes rows first, then deletes, sweeps and state; a sweep spares
 * every row of the current load, so rows of a later batch in the same commit are never swept).
 * The only place where resources and tables meet.
 */
export function toCommitBatch(args: {
  loadId: string
  resource: ResourceDefinition
  batches: readonly ExtractBatch[]
  normalized: { changes: SchemaChange[]; batches: RowBatch[] }
  /** The schema after normalization (to resolve sweep/delete targets). */
  tables: readonly TableDef[]
  registry: Readonly<Record<ResourceName, ResourceDefinition>>
  /** History: what the load knows, the tables committed before this commit, and (last commit only) the intervals the log shows. */
  history?: { load: LoadHistory; committed: ReadonlySet<string>; past?: readonly PastInterval[] }
}): CommitBatch {
  const { loadId, resource, batches, normalized, tables, registry } = args
  const rootTable = resource.table.table
  // Later entries win: the resource's own normalizer knows its tables best.
  const known = new Map(tables.map((t) => [t.name, t]))

  const deletes: CommitBatch['deletes'] = []
  for (const d of batches.flatMap((b) => b.deletes ?? [])) {
    const table = registry[d.resource].table.table
    // Nothing to mark when the table has never been loaded.
    if (known.has(table) && d.keys.length > 0) deletes.push({ table, keys: d.keys, ...(d.times === undefined ? {} : { times: d.times }) })
  }

  const sweeps: CommitBatch['sweeps'] = []
  for (const sweep of batches.flatMap((b) => (b.sweep ? [b.sweep] : []))) {
    const target = registry[sweep.resource]
    const table = known.get(target.table.table)
    if (table) {
      if (sweep.parentId === undefined) {
        sweeps.push({ table: table.name })
      } else {
        const keyPath = target.parent?.keyPath
        const column = keyPath && table.columns.find((c) => samePath(c.path, keyPath))
        if (!column) throw new Error(`resource ${target.name} has no parent key column for a per-parent sweep`)
        sweeps.push({ table: table.name, where: { column: column.name, value: sweep.parentId } })
      }
    }
  }

  // A record gone takes its dependants with it: every resource swept by that record's resource.
  for (const cascade of batches.flatMap((b) => b.cascades ?? [])) {
    for (const dependant of Object.values(registry)) {
      const by = dependant.sweptBy?.find((s) => s.resource === cascade.resource)
      const table = by && known.get(dependant.table.table)
      if (!by || !table) continue
      const column = table.columns.find((c) => samePath(c.path, by.keyPath))
      if (column) sweeps.push({ table: table.name, where: { column: column.name, value: cascade.id }, ...(cascade.at === undefined ? {} : { at: cascade.at }) })
    }
  }

  const history =
    args.history === undefined
      ? undefined
      : toCommitHistory({ resource, batches, changes: normalized.changes, tables: known, committed: args.history.committed, registry, load: args.history.load, ...(args.history.past ? { past: args.history.past } : {}) })

  return {
    loadId,
    resource: resource.name,
    // A history table's changes follow its table's (it is created from, and widened like, that table).
    schemaChanges: history === undefined ? normalized.changes : [...normalized.changes, ...history.changes],
    writes: normalized.batches.map((rows) => ({
      // Child tables are always replaced per parent (merge + replaceChildrenOf); only the root
      // table follows the resource's disposition (System Log: append, dedupe by uuid).
      mode: rows.table === rootTable ? resource.writeMode : 'merge',
      rows,
    })),
    deletes,
    sweeps,
    state: batches.flatMap((b) => b.state),
    counts: { rows: batches.reduce((n, b) => n + b.records.length, 0) },
    ...(history === undefined ? {} : { history: history.history }),
  }
}
