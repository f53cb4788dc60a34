import type { Kysely } from 'kysely'
import type { ValidSource } from '../schema/history-twin.ts'
import type { ColumnType, RowBatch, RowValue, SchemaChange, TableDef } from '../schema/types.ts'
import type { StateRow, StateWrite } from '../state/types.ts'
import type { DestinationKind } from './registry.ts'

/**
 * The seam between the pipeline and a database. One dialect folder per database (sqlite/,
 * postgres/, …), found by URL scheme in registry.ts. Kysely serves DDL, metadata and queries; the
 * hot write path uses each driver's fastest bulk form directly.
 */
export interface Destination {
  /** The registry name of the database (`sqlite`, `postgres`, …). */
  readonly dialect: DestinationKind
  readonly capabilities: DestinationCapabilities
  /** A printable description without secrets, e.g. `sqlite:./okta.db` or `postgres://host:5432/db?schema=okta`. */
  readonly displayName: string

  /**
   * Kysely for ad-hoc SQL over the data and metadata tables, available after `prepare()`: the same
   * unqualified SQL works on every destination (Postgres connections have `search_path` = the
   * configured schema, DuckDB's connection that schema as its default; both TimeZone UTC; int8 /
   * BIGINT comes back as number, or BigInt beyond 2^53). SQLite shares the writer's connection: do
   * not query while a commit of the same destination is in flight.
   */
  readonly db: Kysely<any>

  /**
   * Connects, creates the schema (Postgres) and runs the pipeline's migrations. Idempotent.
   * Opened with `readOnly` (status): only checks that all of that exists, creating nothing.
   */
  prepare(): Promise<void>

  /**
   * Takes the one-writer lock. Waits up to `waitMs`, then throws a `DestinationLockedError`
   * (code `ERR_DESTINATION_LOCKED`). A lock held by a process that died is released by the
   * database or the OS (each dialect's lock.ts). DuckDB admits one process per file, so there the
   * open itself is the lock: `prepare()` returns without opening while another process has the
   * file, and `lock()` waits for the open (every other call throws the locked error meanwhile).
   */
  lock(opts: { waitMs: number; owner: string }): Promise<void>
  unlock(): Promise<void>

  /** Every table the pipeline created, as recorded in `_okta_elt_columns` (current shape). */
  readSchema(): Promise<TableDef[]>

  /** Cursor state rows for one resource (all parents). */
  readState(resource: string): Promise<StateRow[]>

  /** Inserts a `running` row into `_okta_elt_loads`. */
  startLoad(load: { loadId: string; runId: string; resource: string; startedAt: Date }): Promise<void>

  /**
   * One transaction: schema changes (DDL + `_okta_elt_columns` history), rows, deletions, sweeps,
   * cursor state, and the load's running counts. All or nothing.
   */
  commitBatch(batch: CommitBatch): Promise<void>

  /** Sets the final status of a load (`succeeded` | `failed` | `interrupted`). */
  finishLoad(result: LoadResult): Promise<void>

  /** When the run that last loaded `resource` successfully started, if one did (where its history window begins). */
  lastSucceededRunStart(resource: string): Promise<Date | undefined>

  /** Recent loads, newest first (default 50); only those of `resource` and/or with `status`, when given. */
  readLoads(opts?: { limit?: number; resource?: string; status?: LoadStatus }): Promise<LoadRecord[]>

  /**
   * Reads one table's rows in primary-key order, `limit` at a time after the key `after` (keyset
   * pagination), with every column including `_load_id` and `_deleted_at`. Values are encoded as
   * `RowBatch` documents, so they can be written to another destination with a `copy` write.
   */
  readRows(table: string, opts: { after?: RowValue[]; limit: number }): Promise<{ columns: string[]; rows: RowValue[][] }>

  /**
   * `readRows` one row at a time: each row of the page goes to `each` as it is read (values as
   * `readRows` encodes them; `each` may keep the array but not change it), so a copy can encode it at once
   * instead of holding the page's values (see `pageEncoder`). Returns the rows read and the
   * primary key of the last one, the `after` of the next page.
   *
   * `storedOrder`: the rows in the order the database stores them where reading so is cheaper
   * (SQLite: by rowid), for a copy of the whole table; `last` is then a position in that order,
   * which only the `after` of the next such scan understands. Elsewhere, key order as without it.
   */
  scanRows(
    table: string,
    opts: { after?: RowValue[]; limit: number; storedOrder?: boolean },
    each: (row: RowValue[]) => void,
  ): Promise<{ columns: string[]; rows: number; last: RowValue[] | undefined }>

  /**
   * An encoder of `copy` rows of `table` into this destination's bulk format (Postgres: COPY
   * text), for a `fresh` write (`CommitBatch.writes[].encoded`): a backfill feeds it the source's
   * rows as `scanRows` reads them. The page then lives as bytes until its commit instead of as
   * millions of small values, which the young generation of a bounded heap (bin/heap-bound.js)
   * could not hold: collecting them was a third of a backfill's CPU. Undefined where the
   * destination has no such format (the rows are committed as arrays).
   */
  pageEncoder?(table: string, columns: readonly string[]): PageEncoder | undefined

  /** Inserts load records copied from another destination (existing load ids are left alone). */
  importLoads(loads: readonly LoadRecord[]): Promise<void>

  /** Row counts per data table (live rows and rows carrying `_deleted_at`), of every table or of `tables`. */
  countRows(tables?: readonly string[]): Promise<{ table: string; rows: number; deleted: number }[]>

  /**
   * Planner statistics for `tables` now, where the database keeps them (Postgres: ANALYZE; see
   * `finishLoad`), and not again when the load that created them finishes: a backfill refreshes
   * each table as its copy ends, while other tables are still being copied.
   */
  refreshStatistics?(tables: readonly string[]): Promise<void>

  close(): Promise<void>
}

/** See `Destination.pageEncoder`. */
export interface PageEncoder {
  /** Encodes one row, its values in the order of the `columns` the encoder was made for; keeps nothing of the array. */
  add(row: readonly RowValue[]): void
  /** Everything added, for one `copy` write; the encoder is spent. */
  finish(): EncodedRows
}

/** Rows in a destination's own bulk format, made by its `pageEncoder`. */
export interface EncodedRows {
  readonly rows: number
  readonly chunks: readonly Uint8Array[]
}

export interface DestinationCapabilities {
  /** Longest identifier in bytes (Postgres: 63). */
  maxIdentifierBytes: number
  /** Most columns a table may have before new keys go to the overflow JSON column. */
  maxColumns: number
  /**
   * Whether several connections of one process can work at once, each reading or writing its own
   * tables (a backfill copies tables concurrently on them). Postgres: separate connections; DuckDB:
   * connections on the one instance. Absent: no (SQLite admits one writer, and its driver is
   * synchronous, so a second connection would only queue).
   */
  concurrentConnections?: boolean
  /**
   * Whether a copy into a new table goes faster with its rows in key order, enough to give up the
   * source's cheaper stored order (`Destination.scanRows`' `storedOrder`). DuckDB: a SQLite source
   * read by rowid (5 s less reading 2.05M rows) made its copy no faster: its primary key index
   * takes keys in order. SQLite too (not measured as a copy: random keys into its indexes are
   * most of what a full load's commits cost). Absent: no (Postgres: that copy was 7-19% faster).
   */
  copyInKeyOrder?: boolean
}

export interface CommitBatch {
  loadId: string
  resource: string
  /** Applied first, in order. */
  schemaChanges: SchemaChange[]
  /**
   * Row writes, applied in order (parents before children). `mode`:
   *  - `merge`: upsert by primary key; sets `_load_id`, clears `_deleted_at`.
   *  - `append`: insert, ignore rows whose primary key already exists (System Log dedupe by uuid).
   *  - `copy`: upsert the rows exactly as given, `_load_id` and `_deleted_at` included (backfill
   *    from another destination).
   * `fresh` (`copy` only): the table was created by this load and these rows are new to it (a
   * backfill's keyset pages, each key once): a writer may insert them without the conflict check
   * (Postgres: COPY straight into the table instead of staging + merge). A conflict then fails
   * the batch instead of updating the row.
   * `encoded` (a `fresh` `copy` only): the rows as this destination's `pageEncoder` encoded them
   * for `rows.columns`; `rows.rows` is then empty.
   */
  writes: { mode: WriteMode; rows: RowBatch; fresh?: boolean; encoded?: EncodedRows }[]
  /**
   * Rows known gone: set `_deleted_at` (if not already set). Keys are primary-key values in PK
   * column order; `times`, aligned with them, when each went (the System Log event's `published`),
   * for the history tables.
   */
  deletes: { table: string; keys: (string | number)[][]; times?: (string | undefined)[] }[]
  /**
   * Mark as deleted every live row in scope that this load did not write (`_load_id` ≠ loadId):
   * per-parent replacement (group_users of one group) or a full-refresh reconcile (whole table).
   * `at`: when the rows went, if an event said so (a deleted group's memberships).
   */
  sweeps: { table: string; where?: { column: string; value: string }; at?: string }[]
  /** Cursor state written with the rows. */
  state: StateWrite[]
  /** Counts of this batch, added to the load's running totals. */
  counts: { rows: number }
  /**
   * False: leave the load's running counts alone. A backfill's concurrent table copies commit on
   * separate connections, and each would update the load's one row: DuckDB aborts concurrent
   * transactions that write the same row, Postgres would queue them on its row lock. They add
   * their counts afterwards, on the destination's own connection. Default true.
   */
  countLoad?: boolean
  /** The history tables' part of the commit (absent: none is kept, as in a backfill copy). */
  history?: CommitHistory
}

/**
 * What the commit needs to keep `<table>_history` in step (PRODUCT.md, History; see
 * history-writer.ts). Times are ISO-8601.
 */
export interface CommitHistory {
  /** The start of the load: the time of a change nothing more precise explains. */
  loadStartedAt: Date
  /** Every table that keeps history (whichever this commit touches is synced). */
  tables: HistoryTableSpec[]
  /** Tables whose history table this commit creates: an interval opens for every live row. */
  created: string[]
  /** System Log events timing the changes of the keys this commit touches (one-part key on a two-part table: every row of that first part). */
  events: { table: string; kind: 'open' | 'close'; key: string[]; at: string }[]
  /** Intervals the System Log shows that began and ended before this load (kept where they overlap nothing known). */
  past: { table: string; key: string[]; from: string; to: string; source: Extract<ValidSource, 'system_log' | 'log_horizon'> }[]
}

export interface HistoryTableSpec {
  table: string
  /** The column holding the record's own change time (`last_updated`), when it has one. */
  changedAt?: string
  /** Columns whose changes are not a new version. */
  untracked: string[]
}

export type WriteMode = 'merge' | 'append' | 'copy'

export type LoadStatus = 'running' | 'succeeded' | 'failed' | 'interrupted'

export interface LoadResult {
  loadId: string
  status: Exclude<LoadStatus, 'running'>
  finishedAt: Date
  error?: string
}

export interface LoadRecord {
  loadId: string
  runId: string
  resource: string
  status: LoadStatus
  startedAt: Date
  finishedAt: Date | null
  rows: number
  batches: number
  error: string | null
}

export type { ColumnType, StateRow, StateWrite }
