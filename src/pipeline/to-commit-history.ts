import type { CommitHistory, HistoryTableSpec } from '../destinations/destination.ts'
import type { HistoryTimeline, PastInterval } from '../history/timeline.ts'
import type { ExtractBatch, ResourceDefinition, ResourceName } from '../resources/types.ts'
import { historyChanges } from '../schema/history-twin.ts'
import type { SchemaChange, TableDef } from '../schema/types.ts'
import { samePath, startsWith, valueAt } from './record-paths.ts'

/** What a load knows about history before its first commit (see run.ts). */
export interface LoadHistory {
  /** Resources whose tables keep history (the config's `history`). */
  tracked: readonly ResourceName[]
  loadStartedAt: Date
  /** The System Log events of this load's window, when its resource declares any. */
  timeline?: HistoryTimeline
}

/**
 * The history part of one commit, in table vocabulary: the history tables' schema changes (each
 * change to a table that keeps history, repeated on its twin), which tables keep history and how
 * each is timed (record paths resolved to columns), and the events timing the keys this commit
 * touches. Beside `toCommitBatch`: where resources and tables meet.
 */
export function toCommitHistory(args: {
  resource: ResourceDefinition
  batches: readonly ExtractBatch[]
  changes: readonly SchemaChange[]
  /** Every table after this commit's changes. */
  tables: ReadonlyMap<string, TableDef>
  /** Tables committed before this commit. */
  committed: ReadonlySet<string>
  registry: Readonly<Record<ResourceName, ResourceDefinition>>
  load: LoadHistory
  past?: readonly PastInterval[]
}): { changes: SchemaChange[]; history: CommitHistory } {
  const { resource, batches, tables, registry, load } = args
  const trackedTables = new Set(load.tracked.map((r) => registry[r].table.table))
  const twins = historyChanges({ changes: args.changes, tracked: trackedTables, tablesAfter: tables, existedBefore: args.committed })

  const specs: HistoryTableSpec[] = []
  for (const name of load.tracked) {
    const def = registry[name]
    const table = tables.get(def.table.table)
    if (table !== undefined) specs.push(specFor(def, table))
  }

  let events: CommitHistory['events'] = []
  const own = tables.get(resource.table.table)
  if (load.timeline !== undefined && own !== undefined && trackedTables.has(own.name)) {
    const keyPaths = resource.table.primaryKey
    const keys: string[][] = []
    for (const b of batches) {
      for (const record of b.records) keys.push(keyPaths.map((p) => String(valueAt(record, p))))
      for (const d of b.deletes ?? []) if (d.resource === resource.name) keys.push(...d.keys)
    }
    const sweeps = batches.flatMap((b) => (b.sweep?.resource === resource.name ? [b.sweep] : []))
    const scope = { keys, parents: sweeps.flatMap((s) => (s.parentId === undefined ? [] : [s.parentId])), all: sweeps.some((s) => s.parentId === undefined) }
    events = load.timeline.eventsFor(scope).map((e) => ({ table: own.name, kind: e.kind, key: e.key, at: e.at }))
  }
  const past = own === undefined ? [] : (args.past ?? []).map((p) => ({ table: own.name, ...p }))

  return {
    changes: twins.changes,
    history: { loadStartedAt: load.loadStartedAt, tables: specs, created: twins.created, events, past },
  }
}

function specFor(def: ResourceDefinition, table: TableDef): HistoryTableSpec {
  const changedAt = def.history?.changedAt
  const column = changedAt === undefined ? undefined : table.columns.find((c) => samePath(c.path, changedAt))
  const untracked = def.history?.untracked ?? []
  return {
    table: table.name,
    ...(column === undefined ? {} : { changedAt: column.name }),
    untracked: table.columns.filter((c) => untracked.some((u) => startsWith(c.path, u))).map((c) => c.name),
  }
}
