import type { CompiledQuery, Kysely, RawBuilder } from 'kysely'
import type { MigrationContext } from '../../migrations/context.ts'
import type { ColumnDef, ColumnType, RowBatch, RowValue, TableDef } from '../schema/types.ts'
import type { Logger } from '../util/log.ts'
import type { CommitBatch, Destination, DestinationCapabilities, EncodedRows, PageEncoder, WriteMode } from './destination.ts'
import type { Stage as HistoryStageRow } from './history-writer.ts'
import type { LiveTable } from './live-schema.ts'
import type { MetaDb } from './meta-db.ts'
import type { DestinationProbe } from './probe.ts'

/**
 * One registry entry (see registry.ts): a database the pipeline can load into, found by the scheme
 * of its destination URL. Each dialect folder's `index.ts` exports one of these.
 */
export interface DestinationDialect<Target extends DestinationTarget = DestinationTarget> {
  /** The dialect's name, also `Destination.dialect` and `DestinationTarget.kind`. */
  readonly name: string
  /** URL schemes (before the first `:`), lower case. */
  readonly schemes: readonly string[]
  /** The URL form for messages, e.g. `sqlite:PATH`. */
  readonly urlForm: string
  /** Parses a URL of one of `schemes`; throws a `UsageError` (`ERR_DESTINATION_URL`) that never echoes a password. */
  parseUrl(url: string): Target
  /** The destination the target names, not yet connected (nothing connects before `prepare()`). */
  open(target: Target, opts: DestinationOptions): Destination
  /** The local database file, when the destination is one (`status` refuses to create it). */
  localFile?(target: Target): string
  /**
   * `okta-elt check`'s preflight: whether a run could write to the target, found out without
   * leaving anything behind (see probe.ts). Absent: `check` says the destination is not checked.
   */
  probe?(target: Target, ctx: { cwd: string }): Promise<DestinationProbe>
}

/** What a parsed destination URL says: which dialect, a printable name without secrets, and the dialect's own fields. */
export interface DestinationTarget {
  kind: string
  displayName: string
}

export interface DestinationOptions {
  logger?: Logger
  /**
   * Test hook: runs inside `commitBatch`'s transaction after every write and before COMMIT.
   * Throwing from it rolls the whole batch back (used to prove atomicity).
   */
  beforeCommit?: (batch: CommitBatch) => void | Promise<void>
  /**
   * Open for reading only (`okta-elt status`): never creates the database file or schema, runs no
   * migrations, takes no lock, and the connection itself refuses writes (SQLite read-only handle,
   * Postgres `default_transaction_read_only`, DuckDB `READ_ONLY` access). A destination that is not
   * there is a `DestinationMissingError` (exit 2).
   */
  readOnly?: boolean
}

/**
 * What one database supplies to the shared SQL destination (`sql-destination.ts`), one folder per
 * database (`sqlite/`, `postgres/`, `duckdb/`), as kysely does dialects and dlt destinations. The
 * shared parts (ledger, schema applier, committer, row reader) hold everything the databases have
 * in common; a dialect only says how to connect, how each column type is declared, written and read
 * back, how to perform a widening the schema layer decided, how to bulk-write a batch, and how to
 * hold the one-writer lock.
 */
export interface SqlDialect {
  readonly capabilities: DestinationCapabilities
  readonly driver: SqlDriver
  readonly types: SqlTypeMap
  readonly widening: Widening
  readonly bulk: BulkWriter
  readonly lock: WriterLock
  /**
   * Whether a history table gets an index on its key's second part (who was in which group: by
   * user). Default true; DuckDB: false (it scans columns fast, and its ART indexes refuse rows
   * deleted in the transaction that inserted them).
   */
  readonly indexHistoryKeys?: boolean
  /**
   * Whether the planner must be told the scratch table's size once it holds many keys (Postgres:
   * `ANALYZE`, inside the transaction). Without it a table emptied and refilled every commit is
   * misjudged, and the history statements hash whole tables instead of probing the keys' indexes:
   * a cost that grows with the org, not with the change. Also a history table each time a load
   * has doubled it: a first load's probes would otherwise scan it once per key.
   */
  readonly analyzeScratchTables?: boolean
  /**
   * Whether each writer connection stages history keys in its own temporary copy of the scratch
   * table, emptied at commit (Postgres: `ON COMMIT DELETE ROWS`). In the shared table every staged
   * row stays dead in the heap until vacuum: right after a full load, hundreds of thousands of
   * them that each `DELETE` and `ANALYZE` read again (measured: half a second a nightly run at
   * 100k users), and `TRUNCATE` instead costs milliseconds a commit. SQLite truncates a `DELETE`
   * without `WHERE` already.
   */
  readonly temporaryScratchTables?: boolean
  /** Whether to gather planner statistics for the tables a load created, once it finished (Postgres). */
  readonly analyzeNewTables?: boolean
}

/** One statement inside the open transaction, on the connection that owns it. */
export interface Tx {
  exec(query: CompiledQuery): Promise<{ rows: Record<string, unknown>[]; affected: number }>
}

/** Connections, transactions and the metadata tables' migrations. */
export interface SqlDriver {
  /** Opens connections (throws `DestinationUnreachableError`), creates the schema if missing, runs migrations. */
  open(): Promise<void>
  /** Closes everything `open` opened; safe after a failed or partial `open`. */
  close(): Promise<void>
  /** Kysely for ad-hoc queries and for compiling raw `sql` fragments (see `Destination.db`). */
  readonly kysely: Kysely<any>
  /** Kysely over the metadata tables (schema-qualified where the database has schemas). */
  readonly meta: Kysely<MetaDb>
  /** Runs `fn` in one transaction on the writer connection: all or nothing. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>
  /** Runs a read and returns its rows as arrays, in select-list order, exactly as the driver gives them. */
  queryArrays(query: CompiledQuery): Promise<unknown[][]>
  /**
   * `queryArrays`, each row handed to `each` as the driver steps to it, none kept (a synchronous
   * driver: SQLite). Absent: `queryArrays`, then each row of the result.
   */
  queryEach?(query: CompiledQuery, each: (row: unknown[]) => void): Promise<void>
  /**
   * One keyset page of `RowReader` read the driver's own way (DuckDB: one ordered query continued
   * across pages, see duckdb/continued-scan.ts), each row handed to `each` already decoded
   * (`RowBatch` values). It must give exactly the rows `page.query(page.after, page.limit)` would.
   * Absent: that query, through `queryEach` or `queryArrays`.
   */
  readKeysetPage?(page: KeysetPage, each: (row: RowValue[]) => void): Promise<void>
  /**
   * An integer expression over `table` that increases in the order the database stores its rows
   * and that a range over it reads in that order without a lookup per row (SQLite: the rowid), for
   * a copy of a whole table, which needs no key order (see `Destination.scanRows`' `storedOrder`).
   * Undefined where there is none: the copy reads by key.
   */
  storedPosition?(table: TableDef): string | undefined
  /** A data table, qualified as the database needs. */
  tableRef(table: string): RawBuilder<unknown>
  /**
   * Throws when the database opened is no longer the one at its path (SQLite: the file deleted or
   * replaced mid-run), so a load's outcome is never reported for rows nobody can read.
   */
  checkStillThere?(): void
  /** One line for a driver error, with what the dialect can diagnose (SQLite: which file stopped being writable). */
  describeError?(err: unknown): string
}

/** A keyset page as `RowReader` asks for it (see `SqlDriver.readKeysetPage`). */
export interface KeysetPage {
  table: string
  /** The columns selected, in order. */
  columns: readonly ColumnDef[]
  /** Positions in `columns` of the primary key's columns, in key order. */
  key: readonly number[]
  /** The key of the row before the page (RowBatch values), or undefined from the start. */
  after: RowValue[] | undefined
  limit: number
  /** The keyset query `select columns … where (key) > (after) order by key limit n` (`select`: another select list over the table's columns). */
  query(after: RowValue[] | undefined, limit: number, select?: RawBuilder<unknown>): CompiledQuery
  /** `select columns … where (key) > (after) and (key) <= (through) order by key`: the rows of a key range (either bound optional). */
  range(after: RowValue[] | undefined, through: RowValue[] | undefined, select?: RawBuilder<unknown>): CompiledQuery
  /** The key of every `every`-th row after `after`, in key order (the key columns alone). */
  boundaries(after: RowValue[] | undefined, every: number): CompiledQuery
}

/** How each column type of the schema layer is declared, bound and read back in this database. */
export interface SqlTypeMap {
  /** The column type in DDL. `table`/`column` let a database special-case keys (SQLite's rowid alias). */
  sqlType(type: ColumnType, table: TableDef, column: string): string
  /** The select-list expression for a column in `readRows` (e.g. jsonb as its exact text). */
  selectColumn(column: ColumnDef): RawBuilder<unknown>
  /** A value as `queryArrays` returned it → its `RowBatch` encoding for the column type. */
  decodeValue(type: ColumnType, value: unknown): RowValue
  /** A timestamp parameter for the metadata tables. */
  tsParam(d: Date): Date | string
  /** A JSON parameter for the metadata tables (the cursor). */
  jsonParam(value: unknown): unknown
  /** A JSON value read from the metadata tables → the parsed value. */
  readJson(value: unknown): unknown
}

/**
 * How to perform a widening the schema layer decided (it decides whether `from` may become `to`;
 * see type-lattice.ts): the statements that change the column, keeping every value.
 */
export interface Widening {
  /** Empty when nothing needs rewriting (e.g. SQLite's affinities already hold the wider values). */
  steps(table: LiveTable, column: string, from: ColumnType, to: ColumnType): RawBuilder<unknown>[]
  /**
   * Views over `table` (the contract's, or an analyst's own) that would make the widening fail
   * (Postgres refuses to retype a column a view reads; SQLite's column rebuild breaks a view that
   * names it): each with the statements that drop it and create it again, so the widening happens
   * between them. Absent: this database's views never stand in the way (DuckDB binds them late).
   */
  dependentViews?(query: (q: RawBuilder<unknown>) => Promise<Record<string, unknown>[]>, table: LiveTable): Promise<DependentView[]>
}

export interface DependentView {
  name: string
  drop: RawBuilder<unknown>
  create: RawBuilder<unknown>
}

/** The hot write path: each database's fastest bulk form. */
export interface BulkWriter {
  /**
   * Writes one batch of rows in `mode` (see `CommitBatch.writes`) inside the open transaction.
   * `fresh`: a `copy` of rows new to the table (see `CommitBatch.writes`). `clearedParents`: the
   * parents whose children `deleteChildren` removed just before, in this transaction (the write's
   * `replaceChildrenOf`): a child of one of them cannot be in the table. A writer may ignore both.
   */
  writeRows(tx: Tx, mode: WriteMode, table: LiveTable, rows: RowBatch, loadId: string, opts?: { fresh?: boolean; clearedParents?: ReadonlySet<string> }): Promise<void>
  /** See `Destination.pageEncoder`: absent where the dialect has no bulk format to encode into ahead of the commit. */
  pageEncoder?(table: LiveTable, columns: readonly string[]): PageEncoder
  /** Writes a fresh `copy` of rows `pageEncoder` encoded for `columns`, inside the open transaction. */
  writeEncoded?(tx: Tx, table: LiveTable, columns: readonly string[], rows: EncodedRows): Promise<void>
  /** Deletes the child rows of the given parents (per-parent replacement), inside the transaction. */
  deleteChildren(tx: Tx, table: LiveTable, parentIds: readonly string[]): Promise<void>
  /**
   * Fills the history writer's scratch table (`_okta_elt_history_stage`, just emptied) with a
   * commit's staged keys and events, inside the transaction, where the dialect has a faster path
   * than multi-row `INSERT … VALUES` (DuckDB: its appender). Without it, the history writer inserts.
   */
  stageHistory?(tx: Tx, rows: readonly HistoryStageRow[]): Promise<void>
  /** Drops cached statements/shapes (on close). */
  reset(): void
}

/**
 * The one-writer lock, released by the database or the OS when the holder dies however it dies.
 * Polling, waiting and the `_okta_elt_lock` row are shared (see `ledger.ts`, `sql-destination.ts`).
 */
export interface WriterLock {
  tryLock(owner: string): Promise<boolean>
  release(): Promise<void>
  /** Extra facts the database knows about the holder, appended to the recorded holder row. */
  describe?(recorded: string): Promise<string>
}

/** What the migrations need from a dialect: see migrations/context.ts. */
export type { MigrationContext }
