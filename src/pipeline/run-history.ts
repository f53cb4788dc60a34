import type { CommitBatch, Destination } from '../destinations/destination.ts'
import type { PastInterval } from '../history/timeline.ts'
import { readHistoryLog, takeTimeline, windowStart, type HistoryLog, type WindowStart } from '../history/window.ts'
import type { OktaClient } from '../okta/types.ts'
import { RESOURCES } from '../resources/index.ts'
import { RESOURCE_NAMES } from '../resources/types.ts'
import type { ExtractOptions, ResourceDefinition, ResourceName } from '../resources/types.ts'
import { historyTableName, historyTwin } from '../schema/history-twin.ts'
import type { SchemaChange, TableDef } from '../schema/types.ts'
import type { Logger } from '../util/log.ts'
import { toCommitBatch } from './to-commit-batch.ts'
import type { LoadHistory } from './to-commit-history.ts'

/** Every resource table's history twin, whether or not it keeps history now. */
export const HISTORY_TABLES: ReadonlySet<string> = new Set(RESOURCE_NAMES.map((r) => historyTableName(RESOURCES[r].table.table)))

interface RunHistoryArgs {
  selected: readonly ResourceName[]
  destination: Destination
  client: OktaClient
  extract: ExtractOptions
  now: () => Date
  logger: Logger
  signal: AbortSignal | undefined
}

/**
 * One run's side of the history tables: which resources keep history, the run's one System Log
 * query that times them (read by the first load that needs it), and what each load knows before
 * its first commit.
 */
export class RunHistory {
  /** Resources whose tables keep history (the config's `history`). */
  readonly tracked: readonly ResourceName[]
  readonly #args: RunHistoryArgs
  #log?: Promise<{ log: HistoryLog; windows: Map<ResourceName, WindowStart> }>

  constructor(args: RunHistoryArgs & { historyTables: readonly string[] }) {
    this.tracked = RESOURCE_NAMES.filter((r) => args.historyTables.includes(RESOURCES[r].table.table))
    this.#args = args
  }

  /**
   * Starts the run's System Log query for the history tables at once, so that it overlaps the
   * loads' own requests instead of holding back their first commit.
   */
  prefetch(): void {
    if (this.tracked.some((r) => this.#timedByLog(r))) this.#shared().catch(() => undefined)
  }

  /**
   * What a load of `def` knows about history before its first commit: which resources keep it,
   * its start, and (for a resource whose changes System Log events time, with the log selected)
   * the events of its window. Undefined when no table keeps history. Only commits wait for it:
   * the load extracts meanwhile.
   */
  async forLoad(def: ResourceDefinition, loadStartedAt: Date): Promise<LoadHistory | undefined> {
    if (this.tracked.length === 0) return undefined
    if (!this.#timedByLog(def.name)) return { tracked: this.tracked, loadStartedAt }
    const { log, windows } = await this.#shared()
    return { tracked: this.tracked, loadStartedAt, timeline: takeTimeline(log, def.name, windows.get(def.name)!) }
  }

  /** The last commit of a load, with no rows: the intervals the log shows began and ended before it (undefined: none). */
  pastCommit(def: ResourceDefinition, loadId: string, history: LoadHistory, tables: ReadonlyMap<string, TableDef>): CommitBatch | undefined {
    const past: PastInterval[] = history.timeline?.pastIntervals() ?? []
    if (past.length === 0 || !tables.has(historyTableName(def.table.table))) return undefined
    return toCommitBatch({
      loadId,
      resource: def,
      batches: [],
      normalized: { changes: [], batches: [] },
      tables: [...tables.values()],
      registry: RESOURCES,
      history: { load: history, committed: new Set(tables.keys()), past },
    })
  }

  /** After a commit: the history tables it created or changed take their table's committed shape. */
  noteCommitted(tables: Map<string, TableDef>, changes: readonly SchemaChange[]): void {
    for (const change of changes) {
      const name = change.kind === 'create_table' ? change.table.name : change.table
      const base = this.tracked.map((r) => RESOURCES[r].table.table).find((t) => historyTableName(t) === name)
      const table = base === undefined ? undefined : tables.get(base)
      if (table !== undefined) tables.set(name, historyTwin(table))
    }
  }

  #timedByLog(name: ResourceName): boolean {
    const { selected } = this.#args
    return this.tracked.includes(name) && selected.includes(name) && selected.includes('system_log') && RESOURCES[name].history?.events !== undefined
  }

  #shared(): Promise<{ log: HistoryLog; windows: Map<ResourceName, WindowStart> }> {
    this.#log ??= (async () => {
      const { destination, extract, now, client, logger, signal } = this.#args
      const timed = this.tracked.filter((r) => this.#timedByLog(r))
      const nowMs = now().getTime()
      const windows = new Map<ResourceName, WindowStart>()
      for (const r of timed) {
        const last = await destination.lastSucceededRunStart(r)
        windows.set(r, windowStart({ lastSucceededRunStart: last, nowMs, lookbackMs: extract.lookbackMs, logStartMs: extract.systemLogStartMs }))
      }
      const log = await readHistoryLog({
        client,
        declarations: timed.map((r) => ({ resource: r, events: RESOURCES[r].history!.events! })),
        sinceMs: Math.min(...[...windows.values()].map((w) => w.sinceMs)),
        untilMs: nowMs,
        logger,
        ...(signal ? { signal } : {}),
      })
      return { log, windows }
    })()
    return this.#log
  }
}
