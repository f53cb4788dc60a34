import { setTimeout as sleep } from 'node:timers/promises'
import { sql, type Kysely } from 'kysely'
import type { RowValue, TableDef } from '../schema/types.ts'
import type { StateRow } from '../state/types.ts'
import { OktaEltError } from '../util/errors.ts'
import type { Logger } from '../util/log.ts'
import { silentLogger } from '../util/log.ts'
import type { CommitBatch, Destination, DestinationCapabilities, LoadRecord, LoadResult, LoadStatus, PageEncoder } from './destination.ts'
import type { DestinationOptions, SqlDialect } from './dialect.ts'
import { Committer } from './committer.ts'
import { DestinationLockedError, DestinationSchemaError, DestinationWriteError, driverReason, setupFailure } from './errors.ts'
import { HistoryWriter } from './history-writer.ts'
import { Ledger } from './ledger.ts'
import { Mutex } from './mutex.ts'
import type { DestinationKind } from './registry.ts'
import { RowReader } from './row-reader.ts'
import { SchemaApplier } from './schema-applier.ts'

const LOCK_POLL_MS = 200

/**
 * A destination in a SQL database: the lifecycle and the one-writer lock, composed of the shared
 * parts (ledger, schema applier, committer, row reader) over one dialect's driver, type map,
 * widening, bulk writer and lock (see dialect.ts).
 *
 * Every public operation runs under one mutex: commits from several resources are serialized on
 * the single write connection. SQLite and DuckDB allow one writer anyway; on Postgres the
 * bottleneck of a batch is the COPY + merge on the server, and one ordered writer keeps DDL (ALTER
 * TABLE takes an exclusive lock) from deadlocking against another resource's open transaction.
 */
export class SqlDestination implements Destination {
  readonly dialect: DestinationKind
  readonly capabilities: DestinationCapabilities
  readonly displayName: string
  readonly #parts: SqlDialect
  readonly #logger: Logger
  readonly #ledger: Ledger
  readonly #schema: SchemaApplier
  readonly #committer: Committer
  readonly #reader: RowReader
  readonly #mutex = new Mutex()
  /** See `DestinationOptions.readOnly`. */
  readonly #readOnly: boolean
  #prepared = false
  /** The open was refused because another process has the database (see `prepare()`). */
  #openBlocked: DestinationLockedError | null = null
  #closed = false
  #locked = false
  /** Tables each running load created (see `SqlDialect.analyzeNewTables`). */
  readonly #createdBy = new Map<string, Set<string>>()

  constructor(kind: DestinationKind, displayName: string, parts: SqlDialect, opts: DestinationOptions = {}) {
    this.dialect = kind
    this.displayName = displayName
    this.capabilities = parts.capabilities
    this.#parts = parts
    this.#logger = opts.logger ?? silentLogger
    this.#readOnly = opts.readOnly ?? false
    const { driver, types, widening, bulk } = parts
    this.#ledger = new Ledger(() => driver.meta, types)
    this.#schema = new SchemaApplier({ driver, types, widening, displayName, logger: this.#logger })
    this.#committer = new Committer({
      driver,
      types,
      bulk,
      schema: this.#schema,
      ledger: this.#ledger,
      history: new HistoryWriter({
        driver,
        types,
        indexKeys: parts.indexHistoryKeys ?? true,
        analyzeStage: parts.analyzeScratchTables ?? false,
        temporaryStage: parts.temporaryScratchTables ?? false,
        ...(bulk.stageHistory === undefined ? {} : { fill: (tx, rows) => bulk.stageHistory!(tx, rows) }),
      }),
      displayName,
      logger: this.#logger,
      beforeCommit: opts.beforeCommit,
    })
    this.#reader = new RowReader({ driver, types, displayName })
  }

  /** Ad-hoc queries over the data and metadata tables (see `Destination.db`). */
  get db(): Kysely<any> {
    return this.#parts.driver.kysely
  }

  // ---- lifecycle -------------------------------------------------------------------------

  /** Runs `task` after every earlier operation finished (see the class comment). */
  #serialized<T>(task: () => Promise<T>): Promise<T> {
    return this.#mutex.run(task)
  }

  /** `task` once prepared and not closed, after every earlier operation. */
  #ready<T>(task: () => Promise<T>): Promise<T> {
    return this.#serialized(() => {
      this.#assertReady()
      return task()
    })
  }

  prepare(): Promise<void> {
    return this.#serialized(async () => {
      this.#assertNotClosed()
      if (this.#prepared || this.#openBlocked !== null) return
      try {
        await this.#open()
      } catch (err) {
        // A database that admits one process at a time (DuckDB) refuses the open itself while
        // another run has it: that is the one-writer lock, so `lock()` waits for it like for any
        // other holder. Every other use before then throws this error.
        if (!(err instanceof DestinationLockedError) || this.#readOnly) throw err
        this.#openBlocked = err
      }
    })
  }

  async #open(): Promise<void> {
    try {
      await this.#parts.driver.open()
      await this.#schema.reload()
    } catch (err) {
      // Whatever opened before the failure (a pool, a migration half done) must not keep the process alive.
      await this.#closeParts().catch(() => {})
      throw setupFailure(this.displayName, err)
    }
    this.#prepared = true
    this.#openBlocked = null
  }

  /** Tries the open `prepare()` found locked again: false while the other process still has it. */
  async #retryOpen(): Promise<boolean> {
    try {
      await this.#open()
      return true
    } catch (err) {
      if (!(err instanceof DestinationLockedError)) throw err
      this.#openBlocked = err
      return false
    }
  }

  close(): Promise<void> {
    return this.#serialized(async () => {
      if (this.#closed) return
      this.#closed = true
      if (this.#locked) {
        this.#locked = false
        await this.#parts.lock.release().catch(() => {})
      }
      if (this.#prepared) await this.#closeParts()
    })
  }

  async #closeParts(): Promise<void> {
    this.#parts.bulk.reset()
    await this.#parts.lock.release().catch(() => {})
    await this.#parts.driver.close()
  }

  // ---- lock --------------------------------------------------------------------------------

  async lock(opts: { waitMs: number; owner: string }): Promise<void> {
    // Taking the lock writes (the holder row, abandoned loads, SQLite's lock file).
    if (this.#readOnly) throw new Error(`${this.displayName} was opened read-only and cannot be locked`)
    const deadline = Date.now() + Math.max(0, opts.waitMs)
    let announced = false
    for (;;) {
      const acquired = await this.#serialized(async () => {
        this.#assertNotClosed()
        if (this.#openBlocked !== null && !(await this.#retryOpen())) return false
        this.#assertReady()
        if (this.#locked) return true
        if (!(await this.#parts.lock.tryLock(opts.owner))) return false
        this.#locked = true
        // The schema read at prepare() may predate the run that held the lock until now (it
        // created tables and columns meanwhile): only what is read under the lock is current.
        await this.#schema.reload()
        await this.#ledger.recordHolder(opts.owner)
        await this.#ledger.closeAbandonedLoads()
        return true
      })
      if (acquired) return
      const left = deadline - Date.now()
      if (left <= 0) {
        if (this.#openBlocked !== null) throw this.#openBlocked
        const holder = await this.#serialized(() => this.#describeHolder())
        throw new DestinationLockedError(this.displayName, holder)
      }
      if (!announced) {
        announced = true
        this.#logger({ level: 'info', event: 'destination.lock_wait', msg: `waiting up to ${opts.waitMs} ms for the lock on ${this.displayName}` })
      }
      await sleep(Math.min(LOCK_POLL_MS, left))
    }
  }

  unlock(): Promise<void> {
    return this.#serialized(async () => {
      if (!this.#locked) return
      this.#locked = false
      await this.#parts.lock.release()
    })
  }

  async #describeHolder(): Promise<string> {
    const recorded = await this.#ledger.describeHolder()
    return this.#parts.lock.describe === undefined ? recorded : this.#parts.lock.describe(recorded)
  }

  // ---- reads ---------------------------------------------------------------------------------

  readSchema(): Promise<TableDef[]> {
    return this.#ready(async () => this.#schema.describe())
  }

  readState(resource: string): Promise<StateRow[]> {
    return this.#ready(() => this.#ledger.readState(resource))
  }

  readLoads(opts: { limit?: number; resource?: string; status?: LoadStatus } = {}): Promise<LoadRecord[]> {
    const { limit, ...only } = opts
    return this.#ready(() => this.#ledger.readLoads(limit ?? 50, only))
  }

  lastSucceededRunStart(resource: string): Promise<Date | undefined> {
    return this.#ready(() => this.#ledger.lastSucceededRunStart(resource))
  }

  readRows(table: string, opts: { after?: RowValue[]; limit: number }): Promise<{ columns: string[]; rows: RowValue[][] }> {
    return this.#ready(() => this.#reader.readRows(this.#schema.tables.get(table), table, opts))
  }

  scanRows(table: string, opts: { after?: RowValue[]; limit: number; storedOrder?: boolean }, each: (row: RowValue[]) => void): Promise<{ columns: string[]; rows: number; last: RowValue[] | undefined }> {
    return this.#ready(() => this.#reader.scanRows(this.#schema.tables.get(table), table, opts, each))
  }

  pageEncoder(table: string, columns: readonly string[]): PageEncoder | undefined {
    this.#assertReady()
    const live = this.#schema.tables.get(table)
    if (live === undefined) throw new DestinationSchemaError(`table ${table} does not exist in ${this.displayName}`)
    return this.#parts.bulk.pageEncoder?.(live, columns)
  }

  countRows(tables?: readonly string[]): Promise<{ table: string; rows: number; deleted: number }[]> {
    return this.#ready(() => this.#reader.countRows(this.#schema.tables, tables))
  }

  // ---- writes --------------------------------------------------------------------------------

  importLoads(loads: readonly LoadRecord[]): Promise<void> {
    return this.#ready(() => this.#ledger.importLoads(loads))
  }

  startLoad(load: { loadId: string; runId: string; resource: string; startedAt: Date }): Promise<void> {
    return this.#ready(() => this.#recording(`recording the start of a ${load.resource} load in ${this.displayName}`, () => this.#ledger.startLoad(load)))
  }

  finishLoad(result: LoadResult): Promise<void> {
    return this.#ready(async () => {
      await this.#recording(`recording the outcome of a load in ${this.displayName}`, () => this.#ledger.finishLoad(result))
      // A load's outcome is only true if the database it was written to is still the destination.
      this.#parts.driver.checkStillThere?.()
      const created = this.#createdBy.get(result.loadId)
      this.#createdBy.delete(result.loadId)
      if (created !== undefined && this.#parts.analyzeNewTables === true) {
        // Planner statistics for the tables a first load filled, now rather than whenever
        // autovacuum gets to them: the next commits (the history tables' lookups) and the
        // first queries are planned for their real size. Statistics only: a failure is nothing.
        // On the pool's connections, several tables at once (a backfill creates every table, and
        // analyzing them one after another took ~3 s of a 100k-row quick copy).
        await this.#analyze([...created])
      }
    })
  }

  /**
   * Not serialized with the commits (see the class comment): ANALYZE runs on the pool, not the
   * writer, so a backfill's lane committing on this destination is not held up by another's.
   */
  async refreshStatistics(tables: readonly string[]): Promise<void> {
    this.#assertReady()
    for (const created of this.#createdBy.values()) for (const t of tables) created.delete(t)
    if (this.#parts.analyzeNewTables === true) await this.#analyze(tables)
  }

  /** Statistics only: a failure is nothing. */
  async #analyze(tables: readonly string[]): Promise<void> {
    await Promise.all(tables.map((table) => sql`analyze ${this.#parts.driver.tableRef(table)}`.execute(this.#parts.driver.kysely).catch(() => undefined)))
  }

  /** A metadata write whose driver error becomes one line naming the destination (never "unexpected error"). */
  async #recording(what: string, write: () => Promise<unknown>): Promise<void> {
    try {
      await write()
    } catch (err) {
      if (err instanceof OktaEltError) throw err
      const reason = this.#parts.driver.describeError?.(err) ?? driverReason(err)
      throw new DestinationWriteError(`${what} failed: ${reason}`, err)
    }
  }

  commitBatch(batch: CommitBatch): Promise<void> {
    return this.#ready(async () => {
      await this.#committer.commit(batch)
      for (const change of batch.schemaChanges) {
        if (change.kind !== 'create_table') continue
        const created = this.#createdBy.get(batch.loadId) ?? new Set<string>()
        created.add(change.table.name)
        this.#createdBy.set(batch.loadId, created)
      }
    })
  }

  #assertNotClosed(): void {
    if (this.#closed) throw new OktaEltError('ERR_DESTINATION_CLOSED', `destination ${this.displayName} is closed`)
  }

  #assertReady(): void {
    this.#assertNotClosed()
    if (this.#openBlocked !== null) throw this.#openBlocked
    if (!this.#prepared) throw new OktaEltError('ERR_DESTINATION_NOT_PREPARED', `destination ${this.displayName} used before prepare()`)
  }
}
