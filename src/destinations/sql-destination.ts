import { hostname } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import type { CompiledQuery, Kysely, RawBuilder } from 'kysely'
import type { ColumnDef, ColumnType, RowBatch, RowValue, SchemaChange, TableDef } from '../schema/types.ts'
import type { StateRow } from '../state/types.ts'
import { OktaEltError } from '../util/errors.ts'
import type { Logger } from '../util/log.ts'
import { silentLogger } from '../util/log.ts'
import type {
  CommitBatch,
  Destination,
  DestinationCapabilities,
  LoadRecord,
  LoadResult,
  LoadStatus,
  WriteMode,
} from './destination.ts'
import { DestinationLockedError, DestinationSchemaError, DestinationWriteError, driverReason, setupFailure } from './errors.ts'
import { liveTable, SchemaWorkspace } from './live-schema.ts'
import { Mutex } from './mutex.ts'
import type { LiveTable } from './live-schema.ts'
import type { MetaDb } from './meta-db.ts'
import { DELETED_AT, LOAD_ID, withSystemColumns } from './system-columns.ts'
import { canWiden, isColumnType } from './type-lattice.ts'

export interface DestinationOptions {
  logger?: Logger
  /**
   * Test hook: runs inside `commitBatch`'s transaction after every write and before COMMIT.
   * Throwing from it rolls the whole batch back (used to prove atomicity).
   */
  beforeCommit?: (batch: CommitBatch) => void | Promise<void>
  /**
   * Open for reading only (`okta-elt status`): never creates the SQLite file or the Postgres
   * schema, runs no migrations, takes no lock, and the connection itself refuses writes (SQLite
   * read-only handle, Postgres `default_transaction_read_only`). A destination that is not there
   * is a `DestinationMissingError` (exit 2).
   */
  readOnly?: boolean
}

/** One statement inside the open transaction, on the connection that owns it. */
export interface Tx {
  exec(query: CompiledQuery): Promise<{ rows: Record<string, unknown>[]; affected: number }>
}

/** Keys per DELETE/UPDATE statement for `deletes` (keeps parameter counts far below both limits). */
const KEYS_PER_STATEMENT = 500
const LOCK_POLL_MS = 200
const LOCK_ROW = 'writer'
const ABANDONED = 'abandoned: its run ended without recording an outcome (killed, crashed or lost its connection); its committed batches are kept'

/**
 * What SQLite and Postgres share: the commit pipeline (schema changes → writes → deletes → sweeps
 * → state → load counters, all in one transaction), the metadata tables (built with Kysely and
 * executed on the transaction's connection), lock polling and the read side. Subclasses supply
 * connections, DDL types, widening steps and the hot write path.
 *
 * Every public operation runs under one mutex: commits from several resources are serialized on
 * the single write connection. SQLite allows one writer anyway; on Postgres the bottleneck of a
 * batch is the COPY + merge on the server, and one ordered writer keeps DDL (ALTER TABLE takes an
 * exclusive lock) from deadlocking against another resource's open transaction.
 */
export abstract class SqlDestination implements Destination {
  abstract readonly dialect: 'sqlite' | 'postgres'
  abstract readonly capabilities: DestinationCapabilities
  readonly displayName: string
  protected readonly logger: Logger
  readonly #beforeCommit: DestinationOptions['beforeCommit']
  /** See `DestinationOptions.readOnly`. */
  protected readonly readOnly: boolean
  #tables = new Map<string, LiveTable>()
  #prepared = false
  #closed = false
  #locked = false
  readonly #mutex = new Mutex()

  constructor(displayName: string, opts: DestinationOptions) {
    this.displayName = displayName
    this.logger = opts.logger ?? silentLogger
    this.#beforeCommit = opts.beforeCommit
    this.readOnly = opts.readOnly ?? false
  }

  // ---- what each database supplies -------------------------------------------------------

  /** Opens connections (throws `DestinationUnreachableError`), creates the schema, runs migrations. */
  protected abstract open(): Promise<void>
  protected abstract closeConnections(): Promise<void>
  /** Kysely over the metadata tables (schema-qualified on Postgres). */
  protected abstract get meta(): Kysely<MetaDb>
  /** Kysely instance used to compile raw `sql` fragments. */
  protected abstract get kysely(): Kysely<any>
  protected abstract transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>
  protected abstract tableRef(table: string): RawBuilder<unknown>
  protected abstract sqlType(type: ColumnType, table: TableDef, column: string): string
  /** Statements that change `column` from `from` to `to`, keeping every value (empty: nothing to rewrite). */
  protected abstract widenSteps(table: LiveTable, column: string, from: ColumnType, to: ColumnType): RawBuilder<unknown>[]
  protected abstract writeRows(tx: Tx, mode: WriteMode, table: LiveTable, rows: RowBatch, loadId: string): Promise<void>
  /** Runs a read and returns its rows as arrays, in select-list order, exactly as the driver gives them. */
  protected abstract queryArrays(query: CompiledQuery): Promise<unknown[][]>
  /** The select-list expression for a column in `readRows` (e.g. jsonb as its exact text). */
  protected abstract selectColumn(column: ColumnDef): RawBuilder<unknown>
  /** A value as `queryArrays` returned it → its `RowBatch` encoding for the column type. */
  protected abstract decodeValue(type: ColumnType, value: unknown): RowValue
  protected abstract deleteChildren(tx: Tx, table: LiveTable, parentIds: readonly string[]): Promise<void>
  protected abstract tsParam(d: Date): Date | string
  protected abstract jsonParam(value: unknown): unknown
  protected abstract readJson(value: unknown): unknown
  protected abstract tryLock(owner: string): Promise<boolean>
  protected abstract releaseLock(): Promise<void>

  /** Ad-hoc queries over the data and metadata tables (see `Destination.db`). */
  abstract get db(): Kysely<any>

  // ---- lifecycle -------------------------------------------------------------------------

  /** Runs `task` after every earlier operation finished (see the class comment). */
  protected serialized<T>(task: () => Promise<T>): Promise<T> {
    return this.#mutex.run(task)
  }

  prepare(): Promise<void> {
    return this.serialized(async () => {
      this.#assertNotClosed()
      if (this.#prepared) return
      try {
        await this.open()
        this.#tables = await this.#loadSchema()
      } catch (err) {
        // Whatever opened before the failure (a pool, a migration half done) must not keep the process alive.
        await this.closeConnections().catch(() => {})
        throw setupFailure(this.displayName, err)
      }
      this.#prepared = true
    })
  }

  close(): Promise<void> {
    return this.serialized(async () => {
      if (this.#closed) return
      this.#closed = true
      if (this.#locked) {
        this.#locked = false
        await this.releaseLock().catch(() => {})
      }
      if (this.#prepared) await this.closeConnections()
    })
  }

  // ---- lock --------------------------------------------------------------------------------

  async lock(opts: { waitMs: number; owner: string }): Promise<void> {
    // Taking the lock writes (the holder row, abandoned loads, SQLite's lock file).
    if (this.readOnly) throw new Error(`${this.displayName} was opened read-only and cannot be locked`)
    const deadline = Date.now() + Math.max(0, opts.waitMs)
    let announced = false
    for (;;) {
      const acquired = await this.serialized(async () => {
        this.#assertReady()
        if (this.#locked) return true
        if (!(await this.tryLock(opts.owner))) return false
        this.#locked = true
        // The schema read at prepare() may predate the run that held the lock until now (it
        // created tables and columns meanwhile): only what is read under the lock is current.
        this.#tables = await this.#loadSchema()
        await this.#recordHolder(opts.owner)
        await this.#closeAbandonedLoads()
        return true
      })
      if (acquired) return
      const left = deadline - Date.now()
      if (left <= 0) {
        const holder = await this.serialized(() => this.describeHolder())
        throw new DestinationLockedError(this.displayName, holder)
      }
      if (!announced) {
        announced = true
        this.logger({ level: 'info', event: 'destination.lock_wait', msg: `waiting up to ${opts.waitMs} ms for the lock on ${this.displayName}` })
      }
      await sleep(Math.min(LOCK_POLL_MS, left))
    }
  }

  unlock(): Promise<void> {
    return this.serialized(async () => {
      if (!this.#locked) return
      this.#locked = false
      await this.releaseLock()
    })
  }

  async #recordHolder(owner: string): Promise<void> {
    const row = { name: LOCK_ROW, owner, pid: process.pid, host: hostname(), acquired_at: this.tsParam(new Date()) }
    await this.meta
      .insertInto('_okta_elt_lock')
      .values(row)
      .onConflict((oc) => oc.column('name').doUpdateSet({ owner: row.owner, pid: row.pid, host: row.host, acquired_at: row.acquired_at }))
      .execute()
  }

  /**
   * Loads still `running` when we take the lock belong to a run that died without recording an
   * outcome (SIGKILL, power loss, a dropped connection): holding the lock proves it is not alive.
   * Their batches are committed or rolled back already; only the label was missing.
   */
  async #closeAbandonedLoads(): Promise<void> {
    await this.meta
      .updateTable('_okta_elt_loads')
      .set({ status: 'interrupted', error: ABANDONED })
      .where('status', '=', 'running')
      .execute()
  }

  /** One line naming who holds the lock, as recorded by the holder when it took it. */
  protected async describeHolder(): Promise<string> {
    const row = await this.meta.selectFrom('_okta_elt_lock').selectAll().where('name', '=', LOCK_ROW).executeTakeFirst()
    if (row === undefined) return 'holder unknown'
    return `held by ${row.owner}, pid ${row.pid} on ${row.host}, since ${toDate(row.acquired_at).toISOString()}`
  }

  // ---- reads ---------------------------------------------------------------------------------

  readSchema(): Promise<TableDef[]> {
    return this.serialized(async () => {
      this.#assertReady()
      return [...this.#tables.values()].map((t) => structuredClone(t.def)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    })
  }

  async #loadSchema(): Promise<Map<string, LiveTable>> {
    const rows = await this.meta.selectFrom('_okta_elt_columns').selectAll().orderBy('table_name').orderBy('ordinal').execute()
    const defs = new Map<string, { def: TableDef; pk: { name: string; ordinal: number }[] }>()
    for (const r of rows) {
      let entry = defs.get(r.table_name)
      if (entry === undefined) {
        const def: TableDef = { name: r.table_name, primaryKey: [], columns: [] }
        if (r.parent_table !== null) def.parent = r.parent_table
        if (r.table_path !== null) def.path = JSON.parse(r.table_path) as string[]
        entry = { def, pk: [] }
        defs.set(r.table_name, entry)
      }
      if (!isColumnType(r.type)) throw new DestinationSchemaError(`_okta_elt_columns has unknown type ${r.type} for ${r.table_name}.${r.column_name}`)
      entry.def.columns.push({ name: r.column_name, path: JSON.parse(r.path) as string[], type: r.type })
      if (r.pk_ordinal !== null) entry.pk.push({ name: r.column_name, ordinal: Number(r.pk_ordinal) })
    }
    const tables = new Map<string, LiveTable>()
    for (const { def, pk } of defs.values()) {
      def.primaryKey = pk.sort((a, b) => a.ordinal - b.ordinal).map((p) => p.name)
      tables.set(def.name, liveTable(def))
    }
    return tables
  }

  readState(resource: string): Promise<StateRow[]> {
    return this.serialized(async () => {
      this.#assertReady()
      const rows = await this.meta.selectFrom('_okta_elt_state').selectAll().where('resource', '=', resource).orderBy('parent_id').execute()
      return rows.map((r) => ({
        resource: r.resource,
        parentId: r.parent_id,
        cursor: this.readJson(r.cursor),
        loadId: r.load_id,
        updatedAt: toDate(r.updated_at),
      }))
    })
  }

  readLoads(opts: { limit?: number } = {}): Promise<LoadRecord[]> {
    return this.serialized(async () => {
      this.#assertReady()
      const rows = await this.meta
        .selectFrom('_okta_elt_loads')
        .selectAll()
        .orderBy('started_at', 'desc')
        .orderBy('load_id', 'desc')
        .limit(opts.limit ?? 50)
        .execute()
      return rows.map((r) => ({
        loadId: r.load_id,
        runId: r.run_id,
        resource: r.resource,
        status: r.status as LoadStatus,
        startedAt: toDate(r.started_at),
        finishedAt: r.finished_at === null ? null : toDate(r.finished_at),
        rows: Number(r.rows),
        batches: Number(r.batches),
        error: r.error,
      }))
    })
  }

  readRows(tableName: string, opts: { after?: RowValue[]; limit: number }): Promise<{ columns: string[]; rows: RowValue[][] }> {
    return this.serialized(async () => {
      this.#assertReady()
      const table = this.#tables.get(tableName)
      if (table === undefined) throw new DestinationSchemaError(`table ${tableName} does not exist in ${this.displayName}`)
      const { columns, primaryKey } = table.def
      if (primaryKey.length === 0) throw new DestinationSchemaError(`cannot page through ${tableName}: it has no primary key`)
      const key = sql.join(primaryKey.map((k) => sql.id(k)))
      // Keyset pagination: every page is an index range scan, however deep into the table.
      const after = opts.after === undefined ? sql`` : sql`where (${key}) > (${sql.join(opts.after.map((v) => sql`${v}`))})`
      const query = sql`select ${sql.join(columns.map((c) => this.selectColumn(c)))} from ${this.tableRef(tableName)} ${after} order by ${key} limit ${opts.limit}`
      const raw = await this.queryArrays(query.compile(this.kysely))
      const types = columns.map((c) => c.type)
      return { columns: columns.map((c) => c.name), rows: raw.map((r) => r.map((v, i) => this.decodeValue(types[i]!, v))) }
    })
  }

  importLoads(loads: readonly LoadRecord[]): Promise<void> {
    return this.serialized(async () => {
      this.#assertReady()
      for (let i = 0; i < loads.length; i += KEYS_PER_STATEMENT) {
        const rows = loads.slice(i, i + KEYS_PER_STATEMENT).map((l) => ({
          load_id: l.loadId,
          run_id: l.runId,
          resource: l.resource,
          status: l.status,
          started_at: this.tsParam(l.startedAt),
          finished_at: l.finishedAt === null ? null : this.tsParam(l.finishedAt),
          rows: l.rows,
          batches: l.batches,
          error: l.error,
        }))
        if (rows.length > 0) await this.meta.insertInto('_okta_elt_loads').values(rows).onConflict((oc) => oc.column('load_id').doNothing()).execute()
      }
    })
  }

  countRows(): Promise<{ table: string; rows: number; deleted: number }[]> {
    return this.serialized(async () => {
      this.#assertReady()
      const out: { table: string; rows: number; deleted: number }[] = []
      for (const name of [...this.#tables.keys()].sort()) {
        const { rows } = await sql<{ total: number | string; deleted: number | string }>`select count(*) as total, count(${sql.id(DELETED_AT)}) as deleted from ${this.tableRef(name)}`.execute(this.kysely)
        const total = Number(rows[0]?.total ?? 0)
        const deleted = Number(rows[0]?.deleted ?? 0)
        out.push({ table: name, rows: total - deleted, deleted })
      }
      return out
    })
  }

  // ---- loads -------------------------------------------------------------------------------

  startLoad(load: { loadId: string; runId: string; resource: string; startedAt: Date }): Promise<void> {
    return this.serialized(async () => {
      this.#assertReady()
      await this.#recording(`recording the start of a ${load.resource} load in ${this.displayName}`, () => this.meta
        .insertInto('_okta_elt_loads')
        .values({
          load_id: load.loadId,
          run_id: load.runId,
          resource: load.resource,
          status: 'running',
          started_at: this.tsParam(load.startedAt),
          finished_at: null,
          error: null,
        })
        .onConflict((oc) => oc.column('load_id').doNothing())
        .execute(),
      )
    })
  }

  finishLoad(result: LoadResult): Promise<void> {
    return this.serialized(async () => {
      this.#assertReady()
      await this.#recording(`recording the outcome of a load in ${this.displayName}`, () =>
        this.meta
          .updateTable('_okta_elt_loads')
          .set({ status: result.status, finished_at: this.tsParam(result.finishedAt), error: result.error ?? null })
          .where('load_id', '=', result.loadId)
          .execute(),
      )
    })
  }

  /** A metadata write whose driver error becomes one line naming the destination (never "unexpected error"). */
  async #recording(what: string, write: () => Promise<unknown>): Promise<void> {
    try {
      await write()
    } catch (err) {
      if (err instanceof OktaEltError) throw err
      throw new DestinationWriteError(`${what} failed: ${this.describeDriverError(err)}`, err)
    }
  }

  /** One line for a driver error; a dialect may add what it can diagnose (e.g. SQLite: which file is not writable). */
  protected describeDriverError(err: unknown): string {
    return driverReason(err)
  }

  // ---- the commit --------------------------------------------------------------------------

  commitBatch(batch: CommitBatch): Promise<void> {
    return this.serialized(async () => {
      this.#assertReady()
      const now = new Date()
      const ws = new SchemaWorkspace(this.#tables)
      try {
        await this.transaction(async (tx) => {
          for (const change of batch.schemaChanges) await this.#applyChange(tx, ws, change, batch.loadId, now)
          for (const write of batch.writes) {
            const table = this.#requireTable(ws, write.rows.table)
            const parents = write.rows.replaceChildrenOf
            if (parents !== undefined && parents.length > 0) await this.deleteChildren(tx, table, parents)
            if (write.rows.rows.length > 0) await this.writeRows(tx, write.mode, table, write.rows, batch.loadId)
          }
          for (const del of batch.deletes) await this.#markDeleted(tx, this.#requireTable(ws, del.table), del.keys, now)
          for (const sweep of batch.sweeps) await this.#sweep(tx, this.#requireTable(ws, sweep.table), sweep.where, batch.loadId, now)
          for (const s of batch.state) await this.#writeState(tx, s.resource, s.parentId, s.cursor, batch.loadId, now)
          await tx.exec(
            this.meta
              .updateTable('_okta_elt_loads')
              .set((eb) => ({ rows: eb('rows', '+', batch.counts.rows), batches: eb('batches', '+', 1) }))
              .where('load_id', '=', batch.loadId)
              .compile(),
          )
          await this.#beforeCommit?.(batch)
        })
      } catch (err) {
        if (err instanceof OktaEltError) throw err
        throw new DestinationWriteError(`commit of a ${batch.resource} batch to ${this.displayName} failed: ${this.describeDriverError(err)}`, err)
      }
      this.#tables = ws.commit()
      for (const change of batch.schemaChanges) {
        this.logger({ level: 'debug', event: 'schema.change', msg: describeChange(change), change, loadId: batch.loadId })
      }
    })
  }

  #requireTable(ws: SchemaWorkspace, name: string): LiveTable {
    const t = ws.get(name)
    if (t === undefined) throw new DestinationSchemaError(`table ${name} does not exist in ${this.displayName} (no create_table change for it)`)
    return t
  }

  async #applyChange(tx: Tx, ws: SchemaWorkspace, change: SchemaChange, loadId: string, now: Date): Promise<void> {
    switch (change.kind) {
      case 'create_table': {
        const existing = ws.get(change.table.name)
        if (existing !== undefined) {
          // Idempotent: a replayed create only adds or widens what is missing.
          for (const col of change.table.columns) await this.#addOrWiden(tx, ws, change.table.name, col, loadId, now)
          return
        }
        const def = withSystemColumns(change.table)
        for (const pk of def.primaryKey) {
          if (!def.columns.some((c) => c.name === pk)) throw new DestinationSchemaError(`table ${def.name}: primary key column ${pk} is not among its columns`)
        }
        await tx.exec(this.#createTableSql(def).compile(this.kysely))
        ws.createTable(def)
        await tx.exec(
          this.meta
            .insertInto('_okta_elt_columns')
            .values(def.columns.map((c, i) => this.#columnRow(def, c, i, loadId, now)))
            .compile(),
        )
        await this.#recordChange(tx, loadId, now, 'create_table', def.name, null, null, null)
        return
      }
      case 'add_column':
        await this.#addOrWiden(tx, ws, change.table, change.column, loadId, now)
        return
      case 'widen_column': {
        const table = this.#requireTable(ws, change.table)
        const current = table.byName.get(change.column)
        if (current === undefined) throw new DestinationSchemaError(`cannot widen ${change.table}.${change.column}: no such column`)
        await this.#widen(tx, ws, table, current, change.to, loadId, now)
        return
      }
      default: {
        const unknown: never = change
        throw new DestinationSchemaError(`unknown schema change ${JSON.stringify(unknown)}`)
      }
    }
  }

  async #addOrWiden(tx: Tx, ws: SchemaWorkspace, tableName: string, column: ColumnDef, loadId: string, now: Date): Promise<void> {
    const table = this.#requireTable(ws, tableName)
    const current = table.byName.get(column.name)
    if (current !== undefined) {
      await this.#widen(tx, ws, table, current, column.type, loadId, now)
      return
    }
    // ADD COLUMN is a catalog-only change in both databases (no table rewrite): a new attribute in
    // one record among millions costs nothing but this statement.
    await tx.exec(sql`alter table ${this.tableRef(tableName)} add column ${sql.id(column.name)} ${sql.raw(this.sqlType(column.type, table.def, column.name))}`.compile(this.kysely))
    const next = ws.addColumn(tableName, { name: column.name, path: [...column.path], type: column.type })
    await tx.exec(
      this.meta
        .insertInto('_okta_elt_columns')
        .values(this.#columnRow(next.def, column, next.def.columns.length - 1, loadId, now))
        .compile(),
    )
    await this.#recordChange(tx, loadId, now, 'add_column', tableName, column.name, null, column.type)
  }

  async #widen(tx: Tx, ws: SchemaWorkspace, table: LiveTable, current: ColumnDef, to: ColumnType, loadId: string, now: Date): Promise<void> {
    if (current.type === to) return
    if (!canWiden(current.type, to)) {
      // The column is already wider than asked (e.g. text, asked for bigint): values still fit.
      if (canWiden(to, current.type)) return
      throw new DestinationSchemaError(`cannot change ${table.def.name}.${current.name} from ${current.type} to ${to}`)
    }
    for (const step of this.widenSteps(table, current.name, current.type, to)) await tx.exec(step.compile(this.kysely))
    ws.setType(table.def.name, current.name, to)
    await tx.exec(
      this.meta
        .updateTable('_okta_elt_columns')
        .set({ type: to, updated_at: this.tsParam(now), load_id: loadId })
        .where('table_name', '=', table.def.name)
        .where('column_name', '=', current.name)
        .compile(),
    )
    await this.#recordChange(tx, loadId, now, 'widen_column', table.def.name, current.name, current.type, to)
  }

  #createTableSql(def: TableDef): RawBuilder<unknown> {
    const cols = def.columns.map((c) => sql`${sql.id(c.name)} ${sql.raw(this.sqlType(c.type, def, c.name))}`)
    const pk = def.primaryKey.length > 0 ? [sql`primary key (${sql.join(def.primaryKey.map((k) => sql.id(k)))})`] : []
    return sql`create table ${this.tableRef(def.name)} (${sql.join([...cols, ...pk])})`
  }

  #columnRow(def: TableDef, c: ColumnDef, ordinal: number, loadId: string, now: Date) {
    const pkIndex = def.primaryKey.indexOf(c.name)
    return {
      table_name: def.name,
      column_name: c.name,
      path: JSON.stringify(c.path),
      type: c.type,
      parent_table: def.parent ?? null,
      table_path: def.path === undefined ? null : JSON.stringify(def.path),
      pk_ordinal: pkIndex < 0 ? null : pkIndex,
      ordinal,
      added_at: this.tsParam(now),
      load_id: loadId,
      updated_at: this.tsParam(now),
    }
  }

  async #recordChange(tx: Tx, loadId: string, now: Date, kind: SchemaChange['kind'], table: string, column: string | null, from: string | null, to: string | null): Promise<void> {
    await tx.exec(
      this.meta
        .insertInto('_okta_elt_schema_changes')
        .values({ load_id: loadId, changed_at: this.tsParam(now), kind, table_name: table, column_name: column, from_type: from, to_type: to })
        .compile(),
    )
  }

  async #markDeleted(tx: Tx, table: LiveTable, keys: readonly (string | number)[][], now: Date): Promise<void> {
    const pk = table.def.primaryKey
    if (pk.length === 0) throw new DestinationSchemaError(`cannot delete from ${table.def.name}: it has no primary key`)
    for (let i = 0; i < keys.length; i += KEYS_PER_STATEMENT) {
      const chunk = keys.slice(i, i + KEYS_PER_STATEMENT)
      const match = sql.join(
        chunk.map((key) => {
          if (key.length !== pk.length) throw new DestinationSchemaError(`delete key for ${table.def.name} has ${key.length} values, primary key has ${pk.length}`)
          return sql`(${sql.join(pk.map((col, j) => sql`${sql.id(col)} = ${key[j]}`), sql` and `)})`
        }),
        sql` or `,
      )
      await tx.exec(
        sql`update ${this.tableRef(table.def.name)} set ${sql.id(DELETED_AT)} = ${this.tsParam(now)} where ${sql.id(DELETED_AT)} is null and (${match})`.compile(this.kysely),
      )
    }
  }

  async #sweep(tx: Tx, table: LiveTable, where: { column: string; value: string } | undefined, loadId: string, now: Date): Promise<void> {
    if (where !== undefined && !table.byName.has(where.column)) throw new DestinationSchemaError(`sweep of ${table.def.name}: no column ${where.column}`)
    const scope = where === undefined ? sql`` : sql` and ${sql.id(where.column)} = ${where.value}`
    await tx.exec(
      sql`update ${this.tableRef(table.def.name)} set ${sql.id(DELETED_AT)} = ${this.tsParam(now)} where ${sql.id(DELETED_AT)} is null and (${sql.id(LOAD_ID)} is null or ${sql.id(LOAD_ID)} <> ${loadId})${scope}`.compile(this.kysely),
    )
  }

  async #writeState(tx: Tx, resource: string, parentId: string, cursor: unknown, loadId: string, now: Date): Promise<void> {
    if (cursor === null || cursor === undefined) {
      await tx.exec(this.meta.deleteFrom('_okta_elt_state').where('resource', '=', resource).where('parent_id', '=', parentId).compile())
      return
    }
    const row = { resource, parent_id: parentId, cursor: this.jsonParam(cursor), load_id: loadId, updated_at: this.tsParam(now) }
    await tx.exec(
      this.meta
        .insertInto('_okta_elt_state')
        .values(row)
        .onConflict((oc) => oc.columns(['resource', 'parent_id']).doUpdateSet({ cursor: row.cursor, load_id: row.load_id, updated_at: row.updated_at }))
        .compile(),
    )
  }

  #assertNotClosed(): void {
    if (this.#closed) throw new OktaEltError('ERR_DESTINATION_CLOSED', `destination ${this.displayName} is closed`)
  }

  #assertReady(): void {
    this.#assertNotClosed()
    if (!this.#prepared) throw new OktaEltError('ERR_DESTINATION_NOT_PREPARED', `destination ${this.displayName} used before prepare()`)
  }
}

export function toDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value)
}

function describeChange(change: SchemaChange): string {
  switch (change.kind) {
    case 'create_table':
      return `created table ${change.table.name} (${change.table.columns.length} columns)`
    case 'add_column':
      return `added column ${change.table}.${change.column.name} ${change.column.type}`
    case 'widen_column':
      return `widened ${change.table}.${change.column} from ${change.from} to ${change.to}`
  }
}

