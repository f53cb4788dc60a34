import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import type { Destination } from '../destinations/destination.ts'
import { openDestination } from '../destinations/index.ts'
import { OktaHttpClient } from '../okta/index.ts'
import type { OktaClient } from '../okta/types.ts'
import { RESOURCES } from '../resources/index.ts'
import type { ExtractBatch, ExtractOptions, ResourceDefinition, ResourceName } from '../resources/types.ts'
import { Normalizer } from '../schema/index.ts'
import type { SchemaChange, TableDef } from '../schema/types.ts'
import { describeError, OktaEltError } from '../util/errors.ts'
import { silentLogger, type Logger } from '../util/log.ts'
import { countingClient } from './counting-client.ts'
import { mergeWhileBusy } from './merge-while-busy.ts'
import { RowsInFlight } from './rows-in-flight.ts'
import { ParentFailedError } from './parent-failed-error.ts'
import { timePositionOf } from './progress-position.ts'
import { testHooksFromEnv } from './test-hooks.ts'
import { toCommitBatch } from './to-commit-batch.ts'
import type { LoadHistory } from './to-commit-history.ts'
import { HISTORY_TABLES, RunHistory } from './run-history.ts'
import { refreshViews } from './views.ts'
import type { ResourceSummary, RunOptions, RunStatus, RunSummary } from './types.ts'

/**
 * The run's rows in flight across resources, in `load.maxBatchRows`: one group committing and one
 * queued behind it, as a single resource could hold before; a resource holding nothing still takes
 * a page (rows-in-flight.ts).
 */
const ROWS_IN_FLIGHT_BATCHES = 2

/**
 * One pipeline run: every selected resource extracted from its saved cursor, normalized and
 * committed batch by batch (rows + cursor + load counters in one transaction), resources
 * concurrently within the client's pacing, children after their parents. One resource failing
 * does not roll back the others: the run finishes what it can and reports the failure.
 */
export async function runPipeline(options: RunOptions): Promise<RunSummary> {
  const { config } = options
  const logger = options.logger ?? silentLogger
  const runId = randomUUID()
  const now = options.clock ?? (() => new Date())
  const startedAt = now()

  // testHooksFromEnv(): {} unless the reliability suite set OKTA_ELT_TEST_KILL_AT (see test-hooks.ts).
  const destination = openDestination(config.destination, { logger, ...testHooksFromEnv() })
  let client: OktaHttpClient | undefined
  let locked = false
  try {
    await destination.prepare()
    await destination.lock({ waitMs: config.lockWaitMs, owner: `${hostname()}:${process.pid}:${runId}` })
    locked = true
    client = new OktaHttpClient({ ...config.okta, logger })
    const ctx: RunContext = {
      runId,
      destination,
      client,
      tables: new Map((await destination.readSchema()).map((t) => [t.name, t])),
      logger,
      selected: config.resources,
      fullRefresh: options.fullRefresh ?? false,
      extract: config.extract,
      maxBatchRows: config.maxBatchRows,
      rowsInFlight: new RowsInFlight(ROWS_IN_FLIGHT_BATCHES * config.maxBatchRows),
      signal: options.signal,
      schemaChanges: [],
      now,
      history: new RunHistory({
        historyTables: config.history,
        selected: config.resources,
        destination,
        client,
        extract: config.extract,
        now,
        logger,
        signal: options.signal,
      }),
    }
    ctx.history.prefetch()
    const resources = withLostDestination(await runResources(ctx))
    await refreshViews(destination, logger)
    const finishedAt = now()
    const status = overallStatus(resources)
    return {
      runId,
      destination: destination.displayName,
      status,
      exitCode: exitCodeFor(status, resources),
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - startedAt.getTime(),
      resources,
      schemaChanges: ctx.schemaChanges,
      requests: client.stats(),
    }
  } finally {
    await client?.close().catch(() => undefined)
    if (locked) await destination.unlock().catch(() => undefined)
    await destination.close().catch(() => undefined)
  }
}

/**
 * A destination found gone mid-run (its file deleted or replaced) took every resource's rows with
 * it, those that finished before it went too: none of them is reported as loaded.
 */
function withLostDestination(resources: ResourceSummary[]): ResourceSummary[] {
  const gone = resources.find((r) => r.errorCode === 'ERR_DESTINATION_GONE')
  if (gone === undefined) return resources
  return resources.map((r) =>
    r.status !== 'succeeded' ? r : { ...r, status: 'failed', error: `its rows went with the destination: ${gone.error ?? 'gone'}`, errorCode: 'ERR_DESTINATION_GONE', exitCode: 1 },
  )
}

interface RunContext {
  runId: string
  destination: Destination
  client: OktaClient
  /**
   * Tables as committed so far in this run. Each resource normalizes with its own Normalizer
   * (resources own disjoint tables, and a normalizer whose commit failed must not be reused);
   * this shared view resolves the targets of cross-resource deletes (System Log → users).
   */
  tables: Map<string, TableDef>
  logger: Logger
  selected: readonly ResourceName[]
  fullRefresh: boolean
  extract: ExtractOptions
  maxBatchRows: number
  /** Rows extracted and not yet committed, all resources together (see rows-in-flight.ts). */
  rowsInFlight: RowsInFlight
  signal: AbortSignal | undefined
  /** Schema changes that committed during this run, in commit order. */
  schemaChanges: SchemaChange[]
  /** The history tables' side of the run (see run-history.ts). */
  history: RunHistory
  /** The clock loads are started and windowed by (RunOptions.clock). */
  now: () => Date
}

/** Starts every selected resource at once; each waits for the selected resources it runs after. */
async function runResources(ctx: RunContext): Promise<ResourceSummary[]> {
  const tasks = new Map<ResourceName, Promise<ResourceSummary>>()
  const start = (name: ResourceName): Promise<ResourceSummary> => {
    let task = tasks.get(name)
    if (!task) {
      const def = RESOURCES[name]
      const before = (def.runAfter ?? []).filter((r) => ctx.selected.includes(r))
      // A failed parent stops its children: they would list the same failing endpoint (or an
      // org already known unreachable) and retry on their own. Other `runAfter` resources only
      // order the work; their failure does not stop anything.
      task = Promise.all(before.map(start)).then((done) => {
        const parent = done.find((s) => s.resource === def.parent?.resource && s.status === 'failed')
        return runResource(ctx, def, parent === undefined ? undefined : new ParentFailedError(parent))
      })
      tasks.set(name, task)
    }
    return task
  }
  return Promise.all(ctx.selected.map(start))
}

/** Runs one resource, or records it failed with `blocked` (its parent failed) without extracting. */
async function runResource(ctx: RunContext, def: ResourceDefinition, blocked?: ParentFailedError): Promise<ResourceSummary> {
  const loadId = randomUUID()
  const started = Date.now()
  const summary: ResourceSummary = { resource: def.name, loadId, status: 'succeeded', rows: 0, batches: 0, requests: 0, durationMs: 0 }
  if (ctx.signal?.aborted) return { ...summary, status: 'skipped' }

  const client = countingClient(ctx.client)
  const loadStartedAt = ctx.now()
  await ctx.destination.startLoad({ loadId, runId: ctx.runId, resource: def.name, startedAt: loadStartedAt })
  ctx.logger({ level: 'info', event: 'load.start', msg: `${def.name}: started`, resource: def.name, loadId })
  try {
    if (blocked !== undefined) throw blocked
    const normalizer = new Normalizer({
      // History tables follow their table's shape (noteHistoryTables); records never land in them.
      tables: [...ctx.tables.values()].filter((t) => !HISTORY_TABLES.has(t.name)),
      maxIdentifierBytes: ctx.destination.capabilities.maxIdentifierBytes,
      maxColumns: ctx.destination.capabilities.maxColumns,
    })
    const history = ctx.history.forLoad(def, loadStartedAt)
    // Awaited by the first commit; a failure surfaces there (or at the end), never unhandled.
    history.catch(() => undefined)
    const state = await ctx.destination.readState(def.name)
    const batches = def.extract({
      client,
      state,
      fullRefresh: ctx.fullRefresh,
      selected: ctx.selected,
      options: ctx.extract,
      now: ctx.now,
      logger: ctx.logger,
      signal: ctx.signal,
    })
    for await (const group of mergeWhileBusy(batches, (b) => Math.max(1, b.records.length), ctx.maxBatchRows, ctx.rowsInFlight)) {
      summary.rows += await commitGroup(ctx, def, loadId, normalizer, group, await history)
      summary.batches += 1
      const position = timePositionOf(def, group)
      ctx.logger({
        level: 'info',
        event: 'progress',
        msg: `${def.name}: ${summary.rows} rows`,
        resource: def.name,
        rows: summary.rows,
        batches: summary.batches,
        requests: client.requests(),
        // This resource's own blocked time (wall clock), not the client's total.
        waitMs: client.waitMs(),
        ...(position === undefined ? {} : { position }),
      })
      // Stop between batches: what is committed stays committed, the cursor matches it.
      if (ctx.signal?.aborted) break
    }
    if (ctx.signal?.aborted) summary.status = 'interrupted'
    // Last, once every row is in: the intervals the log shows began and ended before this load.
    else {
      const known = await history
      const past = known === undefined ? undefined : ctx.history.pastCommit(def, loadId, known, ctx.tables)
      if (past !== undefined) await ctx.destination.commitBatch(past)
    }
  } catch (err) {
    if (ctx.signal?.aborted) {
      summary.status = 'interrupted'
    } else {
      Object.assign(summary, { status: 'failed' }, describeFailure(err))
      ctx.logger({ level: 'error', event: 'load.failed', msg: `${def.name}: ${summary.error}`, resource: def.name, loadId, code: summary.errorCode })
    }
  }
  summary.durationMs = Date.now() - started
  summary.waitMs = client.waitMs()
  summary.requests = client.requests()
  const finish = summary.status === 'skipped' ? 'interrupted' : summary.status
  await ctx.destination
    .finishLoad({ loadId, status: finish, finishedAt: ctx.now(), ...(summary.error ? { error: summary.error } : {}) })
    .catch((err: unknown) => {
      // The destination itself failed (e.g. connection dropped): the load row stays `running`
      // until the next run takes the lock and closes it as abandoned; committed data is intact.
      ctx.logger({ level: 'error', event: 'load.finish_failed', msg: `${def.name}: could not record the load outcome: ${describeError(err)}`, resource: def.name })
      if (summary.status === 'succeeded') {
        summary.status = 'failed'
        summary.error = describeError(err)
      }
    })
  ctx.logger({ level: summary.status === 'failed' ? 'error' : 'info', event: 'load.end', msg: `${def.name}: ${summary.status}, ${summary.rows} rows`, resource: def.name, loadId, status: summary.status, rows: summary.rows })
  return summary
}

/**
 * One commit: the pages of `group` normalized together, with their cursor writes, deletes and
 * sweeps, in one destination transaction. Returns the rows committed.
 */
async function commitGroup(
  ctx: RunContext,
  def: ResourceDefinition,
  loadId: string,
  normalizer: Normalizer,
  group: readonly ExtractBatch[],
  history: LoadHistory | undefined,
): Promise<number> {
  const records = group.length === 1 ? group[0]!.records : group.flatMap((b) => b.records)
  const declared = group.flatMap((b) => b.declaredColumns ?? [])
  const hints = declared.length > 0 ? { ...def.table, declaredColumns: [...(def.table.declaredColumns ?? []), ...declared] } : def.table
  const normalized = normalizer.normalize(hints, records)
  const ownTables = normalizer.tables()
  const batch = toCommitBatch({
    loadId,
    resource: def,
    batches: group,
    normalized,
    tables: [...ctx.tables.values(), ...ownTables],
    registry: RESOURCES,
    ...(history === undefined ? {} : { history: { load: history, committed: new Set(ctx.tables.keys()) } }),
  })
  await ctx.destination.commitBatch(batch)
  // Only now, committed, do the new shapes become visible to the other resources.
  for (const change of normalized.changes) {
    const name = change.kind === 'create_table' ? change.table.name : change.table
    const table = ownTables.find((t) => t.name === name)
    if (table) ctx.tables.set(name, table)
  }
  ctx.history.noteCommitted(ctx.tables, batch.schemaChanges)
  ctx.schemaChanges.push(...batch.schemaChanges)
  return records.length
}

/** The summary fields of a failed resource: one line, stable code, Okta's errorCode, exit code. */
function describeFailure(err: unknown): Pick<ResourceSummary, 'error' | 'errorCode' | 'oktaErrorCode' | 'exitCode'> {
  const oktaErrorCode = (err as { errorCode?: unknown }).errorCode
  return {
    error: describeError(err),
    exitCode: err instanceof OktaEltError ? err.exitCode : 1,
    ...(err instanceof OktaEltError ? { errorCode: err.code } : {}),
    ...(typeof oktaErrorCode === 'string' ? { oktaErrorCode } : {}),
  }
}

function overallStatus(resources: readonly ResourceSummary[]): RunStatus {
  if (resources.some((r) => r.status === 'failed')) return 'failed'
  if (resources.some((r) => r.status === 'interrupted' || r.status === 'skipped')) return 'interrupted'
  return 'succeeded'
}

function exitCodeFor(status: RunStatus, resources: readonly ResourceSummary[]): RunSummary['exitCode'] {
  if (status === 'succeeded') return 0
  if (status === 'interrupted') return 130
  const failed = resources.filter((r) => r.status === 'failed')
  return failed.every((r) => r.exitCode === 2) ? 2 : 1
}
