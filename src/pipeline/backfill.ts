import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import type { CommitBatch, Destination, EncodedRows } from '../destinations/destination.ts'
import { openDestination } from '../destinations/index.ts'
import { RESOURCE_NAMES } from '../resources/types.ts'
import type { RowValue, TableDef } from '../schema/types.ts'
import { describeError, UsageError } from '../util/errors.ts'
import { silentLogger, type Logger } from '../util/log.ts'
import { oneLine } from '../util/control-chars.ts'
import { redact } from '../util/redact.ts'
import { runPipeline } from './run.ts'
import type { BackfillOptions, BackfillResult, CopySummary } from './types.ts'
import { refreshViews } from './views.ts'

/** Rows per copy batch: big enough for the bulk paths, small enough for flat memory. */
const COPY_BATCH_ROWS = 5_000
const STATE_ROWS_PER_BATCH = 1_000
/**
 * Tables copied at once where the target allows it (`concurrentConnections`), each on its own
 * connections: pgloader's default of 4 COPY workers. One into SQLite, whose single writer would
 * only queue them (the source's page reads still overlap its writes). A SQLite source is shared by
 * the lanes: its reads are synchronous, and each is short next to the target's write of the page.
 */
export const COPY_TABLES_AT_ONCE = 4

/**
 * `okta-elt backfill --to URL [--from URL]`: fills a new destination.
 *  - extract: a full extraction from Okta with the new destination's own (empty) state.
 *  - copy: every data table, the schema record, the cursor state and the load history, copied in
 *    keyset-paginated batches and verified by row counts, so the next `run` against the copy is
 *    incremental and System Log history older than Okta's 90-day retention survives.
 */
export async function runBackfill(opts: BackfillOptions): Promise<BackfillResult> {
  const logger = opts.logger ?? silentLogger
  if (opts.mode === 'extract') {
    await assertNewDestination(opts.config.destination)
    const summary = await runPipeline({ config: opts.config, logger, ...(opts.signal ? { signal: opts.signal } : {}) })
    return { mode: 'extract', summary }
  }
  return { mode: 'copy', copy: await copyDestination(opts.from, opts.to, opts, logger, opts.signal) }
}

/**
 * A backfill fills a new destination: one that a run already loaded is refused (continue it with
 * `run --destination`). An interrupted backfill left no succeeded load, so it can be re-run.
 */
async function assertNewDestination(url: string, opened?: Destination): Promise<void> {
  const dest = opened ?? openDestination(url)
  try {
    if (!opened) await dest.prepare()
    const loads = await dest.readLoads({ limit: 10_000 })
    const used = loads.some((l) => l.status === 'succeeded' && (RESOURCE_NAMES as readonly string[]).includes(l.resource))
    if (used) throw new UsageError(`backfill: ${dest.displayName} already holds loaded data; use \`okta-elt run --destination\` to continue it`)
  } finally {
    if (!opened) await dest.close()
  }
}

/** Throws `DestinationMissingError` (exit 2) when `url` holds no okta-elt destination; creates nothing. */
async function assertExists(url: string): Promise<void> {
  const probe = openDestination(url, { readOnly: true })
  try {
    await probe.prepare()
  } finally {
    await probe.close()
  }
}

async function copyDestination(from: string, to: string, opts: { lockWaitMs: number; copyConcurrency?: number }, logger: Logger, signal: AbortSignal | undefined): Promise<CopySummary> {
  const { lockWaitMs } = opts
  const started = Date.now()
  const source = openDestination(from, { logger })
  const target = openDestination(to, { logger })
  const summary: CopySummary = { from: source.displayName, to: target.displayName, status: 'succeeded', durationMs: 0, tables: [], stateRows: 0 }
  const loadId = randomUUID()
  let loadStarted = false
  /** The lanes' own destinations (see `openLanes`), closed with the copy. */
  const opened: Destination[] = []
  try {
    // The source must already be an okta-elt destination: a typo in --from must neither create
    // one (the writable open below would) nor "succeed" copying nothing. Read-only, so nothing made.
    await assertExists(from)
    await source.prepare()
    await target.prepare()
    const owner = `${hostname()}:${process.pid}:backfill`
    // The source is locked too: a nightly run writing to it mid-copy would make the copy inconsistent.
    await source.lock({ waitMs: lockWaitMs, owner })
    await target.lock({ waitMs: lockWaitMs, owner })
    await assertNewDestination(to, target)

    await target.startLoad({ loadId, runId: loadId, resource: 'backfill', startedAt: new Date() })
    loadStarted = true
    const tables = await source.readSchema()
    // Tables this backfill creates get their rows without the conflict check (CommitBatch.writes'
    // `fresh`); a re-run after a failed copy finds them and merges into what the first one left.
    const existing = new Set((await target.readSchema()).map((t) => t.name))
    await target.commitBatch(emptyCommit(loadId, { schemaChanges: tables.map((table) => ({ kind: 'create_table', table })) }))

    // The source's counts, for the order and for the check at the end: the source is locked, so
    // they hold for the whole copy. The biggest tables first, so that the last one to finish started early.
    const sourceCounts = await source.countRows()
    const sizes = new Map(sourceCounts.map((t) => [t.table, t.rows + t.deleted]))
    const targetCounts = new Map<string, { rows: number; deleted: number }>()
    const order = tables.map((table, index) => ({ table, index })).sort((a, b) => (sizes.get(b.table.name) ?? 0) - (sizes.get(a.table.name) ?? 0))
    const copied: (number | undefined)[] = tables.map(() => undefined)
    const lanes = target.capabilities.concurrentConnections === true ? Math.max(1, Math.min(opts.copyConcurrency ?? COPY_TABLES_AT_ONCE, tables.length)) : 1
    // Every lane but the first on connections of its own: a second destination object on each side
    // (the tables exist by now, so each reads the schema as created; the lock stays with the first).
    const extra = await openLanes(from, to, lanes - 1, source, logger, opened)
    const pairs = [{ source, target }, ...extra]
    let next = 0
    let failure: { err: unknown } | null = null
    const stopped = (): boolean => failure !== null || summary.status === 'interrupted'
    await Promise.all(
      pairs.map(async (lane) => {
        while (next < order.length && !stopped()) {
          const { table, index } = order[next++]!
          try {
            const rows = await copyTable(table, !existing.has(table.name), lane.source, lane.target, loadId, logger, (n) => (copied[index] = n), () => {
              if (signal?.aborted) summary.status = 'interrupted'
              return stopped()
            })
            // The load's running counts, on the first target's connection (see CommitBatch.countLoad).
            await target.commitBatch(emptyCommit(loadId, { counts: { rows } }))
            if (!stopped()) {
              // The table is whole: counted for the check and its statistics refreshed now, on this
              // lane and the first target's pool, while the other lanes still copy.
              const [counted] = await Promise.all([lane.target.countRows([table.name]), target.refreshStatistics?.([table.name])])
              for (const c of counted) targetCounts.set(c.table, c)
            }
          } catch (err) {
            // The first failure stops every lane after its current batch; the copy then fails whole.
            failure ??= { err }
          }
        }
      }),
    )
    for (let i = 0; i < tables.length; i++) {
      const rows = copied[i]
      if (rows !== undefined) summary.tables.push({ table: tables[i]!.name, rows })
    }
    if (failure !== null) throw (failure as { err: unknown }).err

    if (summary.status === 'succeeded') {
      // Cursor state last, after every row it covers: an interrupted copy never leaves the new
      // destination with a cursor ahead of its data.
      const state = (await Promise.all(RESOURCE_NAMES.map((r) => source.readState(r)))).flat()
      for (let i = 0; i < state.length; i += STATE_ROWS_PER_BATCH) {
        const chunk = state.slice(i, i + STATE_ROWS_PER_BATCH).map((s) => ({ resource: s.resource, parentId: s.parentId, cursor: s.cursor }))
        await target.commitBatch(emptyCommit(loadId, { state: chunk }))
      }
      summary.stateRows = state.length
      // A stored error may predate redaction (or come from another writer): never carry a secret forward.
      const loads = await source.readLoads({ limit: Number.MAX_SAFE_INTEGER })
      await target.importLoads(loads.map((l) => (l.error === null ? l : { ...l, error: oneLine(redact(l.error)) })))
      const mismatch = await compareCounts(sourceCounts, targetCounts, target)
      if (mismatch) {
        summary.status = 'failed'
        summary.error = mismatch
      } else {
        await refreshViews(target, logger)
      }
    }
  } catch (err) {
    summary.status = signal?.aborted ? 'interrupted' : 'failed'
    summary.error = describeError(err)
    // Before the copy began (unreachable, locked, not a new destination): nothing to report but the error.
    if (!loadStarted) throw err
  } finally {
    if (loadStarted) {
      await target
        .finishLoad({ loadId, status: summary.status, finishedAt: new Date(), ...(summary.error ? { error: summary.error } : {}) })
        .catch(() => undefined)
    }
    await Promise.all(opened.map((d) => d.close().catch(() => undefined)))
    await Promise.all([source.close().catch(() => undefined), target.close().catch(() => undefined)])
  }
  summary.durationMs = Date.now() - started
  return summary
}

/**
 * `n` more source/target pairs for concurrent table copies. A source without concurrent
 * connections (SQLite) is shared by every lane: its reads are synchronous anyway. Each target lane
 * writes only rows (`copy` writes, no schema change, no state, no load counts), on its own
 * connection; the lock, the load record and everything else stay with the first target.
 */
async function openLanes(from: string, to: string, n: number, source: Destination, logger: Logger, opened: Destination[]): Promise<{ source: Destination; target: Destination }[]> {
  const lanes: { source: Destination; target: Destination }[] = []
  for (let i = 0; i < n; i++) {
    let laneSource = source
    if (source.capabilities.concurrentConnections === true) {
      laneSource = openDestination(from, { logger })
      opened.push(laneSource)
      await laneSource.prepare()
    }
    const laneTarget = openDestination(to, { logger })
    opened.push(laneTarget)
    await laneTarget.prepare()
    lanes.push({ source: laneSource, target: laneTarget })
  }
  return lanes
}

/**
 * One table, page by page in primary-key order: the next page is read while the current one is
 * written (the two are different databases, or at least different connections). Returns the rows
 * copied; stops after the current batch when `stop()` says so.
 */
async function copyTable(
  table: TableDef,
  fresh: boolean,
  source: Destination,
  target: Destination,
  loadId: string,
  logger: Logger,
  progress: (rows: number) => void,
  stop: () => boolean,
): Promise<number> {
  const columns = table.columns.map((c) => c.name)
  // A fresh table into a destination with a bulk format of its own (Postgres' COPY text): each
  // row is encoded as the source reads it, so a page waits for its commit as bytes, not values.
  const encodes = fresh && target.pageEncoder?.(table.name, columns) !== undefined
  const read =
    !encodes
      ? (after: RowValue[] | undefined) => readPage(source, target, table, after)
      : (after: RowValue[] | undefined) => encodePage(source, target, table, columns, after)
  let copied = 0
  progress(0)
  let pending = read(undefined)
  for (;;) {
    const page = await pending
    if (page.rows === 0 || stop()) break
    // A short page is the last one: no need to ask for the empty one after it.
    pending = page.rows < COPY_BATCH_ROWS ? Promise.resolve(EMPTY_PAGE) : read(page.last)
    // Awaited on the next turn; should the write below fail first, its rejection is not unhandled.
    pending.catch(() => undefined)
    await target.commitBatch(
      emptyCommit(loadId, {
        writes: [{ mode: 'copy', fresh, rows: { table: table.name, columns: page.columns, rows: page.values }, ...(page.encoded ? { encoded: page.encoded } : {}) }],
        counts: { rows: page.rows },
        countLoad: false,
      }),
    )
    copied += page.rows
    progress(copied)
    logger({ level: 'info', event: 'progress', msg: `backfill: ${table.name}: ${copied} rows`, resource: table.name, rows: copied, batches: 0, requests: 0, waitMs: 0 })
  }
  return copied
}

/** A page read for copying: its rows as values, or already in the target's bulk format. */
interface Page {
  columns: string[]
  rows: number
  values: RowValue[][]
  encoded?: EncodedRows
  /** The primary key of the last row (the next page's `after`). */
  last: RowValue[] | undefined
}
const EMPTY_PAGE: Page = { columns: [], rows: 0, values: [], last: undefined }

/**
 * A page of the source's rows, in its stored order unless the target copies faster in key order
 * (`Destination.scanRows`, `DestinationCapabilities.copyInKeyOrder`): a table is copied whole, from
 * its first page to its last, with the source locked, so no order is needed for the copy itself,
 * and a SQLite source reads by rowid instead of looking each row up by key.
 */
const pageOf = (target: Destination, after: RowValue[] | undefined) => ({
  limit: COPY_BATCH_ROWS,
  storedOrder: target.capabilities.copyInKeyOrder !== true,
  ...(after ? { after } : {}),
})

async function readPage(source: Destination, target: Destination, table: TableDef, after: RowValue[] | undefined): Promise<Page> {
  const values: RowValue[][] = []
  const page = await source.scanRows(table.name, pageOf(target, after), (row) => values.push(row))
  return { columns: page.columns, rows: page.rows, values, last: page.last }
}

async function encodePage(source: Destination, target: Destination, table: TableDef, columns: string[], after: RowValue[] | undefined): Promise<Page> {
  const encoder = target.pageEncoder?.(table.name, columns)
  if (encoder === undefined) throw new Error(`${target.displayName} stopped offering a page encoder for ${table.name}`)
  const page = await source.scanRows(table.name, pageOf(target, after), (row) => encoder.add(row))
  if (page.columns.join('\u0000') !== columns.join('\u0000')) throw new Error(`${source.displayName}: ${table.name} changed its columns during the copy`)
  return { columns, rows: page.rows, values: [], encoded: encoder.finish(), last: page.last }
}

/**
 * Live and deleted rows per table must match on both sides; returns what differs, if anything.
 * `copied`: the target's counts taken as each table's copy ended; a table missing there is counted now.
 */
async function compareCounts(
  source: readonly { table: string; rows: number; deleted: number }[],
  copied: ReadonlyMap<string, { rows: number; deleted: number }>,
  target: Destination,
): Promise<string | undefined> {
  const missing = source.filter((t) => !copied.has(t.table)).map((t) => t.table)
  const counts = new Map(copied)
  if (missing.length > 0) for (const c of await target.countRows(missing)) counts.set(c.table, c)
  for (const t of source) {
    const c = counts.get(t.table)
    if (!c || c.rows !== t.rows || c.deleted !== t.deleted) {
      return `row counts differ for ${t.table}: source ${t.rows} live + ${t.deleted} deleted, copy ${c?.rows ?? 0} live + ${c?.deleted ?? 0} deleted`
    }
  }
  return undefined
}

function emptyCommit(loadId: string, parts: Partial<CommitBatch>): CommitBatch {
  return { loadId, resource: 'backfill', schemaChanges: [], writes: [], deletes: [], sweeps: [], state: [], counts: { rows: 0 }, ...parts }
}
