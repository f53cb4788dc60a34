import { sql } from 'kysely'
import type { RawBuilder } from 'kysely'
import type { ColumnDef, ColumnType, SchemaChange, TableDef } from '../schema/types.ts'
import type { Logger } from '../util/log.ts'
import type { DependentView, SqlDriver, SqlTypeMap, Tx, Widening } from './dialect.ts'
import { DestinationSchemaError, driverReason } from './errors.ts'
import { liveTable, SchemaWorkspace } from './live-schema.ts'
import type { LiveTable } from './live-schema.ts'
import { withSystemColumns } from './system-columns.ts'
import { canWiden, isColumnType } from '../schema/type-lattice.ts'

/**
 * The data tables' DDL and their recorded shape: applies the schema changes the schema layer
 * decided (create table, add column, widen) inside the commit's transaction, records each in
 * `_okta_elt_columns` (current shape) and `_okta_elt_schema_changes` (history), and keeps the
 * in-memory live schema in step (copy-on-write: a rolled-back batch leaves it untouched).
 * Whether a widening is legal is the schema layer's lattice; how to perform it is the dialect's.
 */
export class SchemaApplier {
  readonly #driver: SqlDriver
  readonly #types: SqlTypeMap
  readonly #widening: Widening
  readonly #displayName: string
  readonly #logger: Logger | undefined
  #tables = new Map<string, LiveTable>()

  constructor(parts: { driver: SqlDriver; types: SqlTypeMap; widening: Widening; displayName: string; logger?: Logger }) {
    this.#driver = parts.driver
    this.#types = parts.types
    this.#widening = parts.widening
    this.#displayName = parts.displayName
    this.#logger = parts.logger
  }

  /** The committed live schema. */
  get tables(): ReadonlyMap<string, LiveTable> {
    return this.#tables
  }

  /** Every table as recorded, sorted by name (copies). */
  describe(): TableDef[] {
    return [...this.#tables.values()].map((t) => structuredClone(t.def)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }

  /** A table of the committed schema, or a schema error naming it. */
  require(name: string): LiveTable {
    return requireTable(this.#tables, name, this.#displayName)
  }

  /** Re-reads the recorded shape (at prepare, and under the lock: another run may have changed it). */
  async reload(): Promise<void> {
    const rows = await this.#driver.meta.selectFrom('_okta_elt_columns').selectAll().orderBy('table_name').orderBy('ordinal').execute()
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
    this.#tables = tables
  }

  /** A workspace for one transaction's changes; `adopt` it after COMMIT. */
  workspace(): SchemaWorkspace {
    return new SchemaWorkspace(this.#tables)
  }

  adopt(ws: SchemaWorkspace): void {
    this.#tables = ws.commit()
  }

  async apply(tx: Tx, ws: SchemaWorkspace, change: SchemaChange, loadId: string, now: Date): Promise<void> {
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
        await tx.exec(this.#createTableSql(def).compile(this.#driver.kysely))
        ws.createTable(def)
        await tx.exec(
          this.#driver.meta
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
        const table = requireTable(ws, change.table, this.#displayName)
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
    const table = requireTable(ws, tableName, this.#displayName)
    const current = table.byName.get(column.name)
    if (current !== undefined) {
      await this.#widen(tx, ws, table, current, column.type, loadId, now)
      return
    }
    // ADD COLUMN is a catalog-only change in every supported database (no table rewrite): a new
    // attribute in one record among millions costs nothing but this statement.
    const type = sql.raw(this.#types.sqlType(column.type, table.def, column.name))
    await tx.exec(sql`alter table ${this.#driver.tableRef(tableName)} add column ${sql.id(column.name)} ${type}`.compile(this.#driver.kysely))
    const next = ws.addColumn(tableName, { name: column.name, path: [...column.path], type: column.type })
    await tx.exec(
      this.#driver.meta
        .insertInto('_okta_elt_columns')
        .values(this.#columnRow(next.def, column, next.def.columns.length - 1, loadId, now))
        .compile(),
    )
    await this.#recordChange(tx, loadId, now, 'add_column', tableName, column.name, null, column.type)
  }

  /**
   * A view dropped for a widening, created again from its own definition. One that no longer fits
   * the wider type (e.g. comparing a json column with a text literal) stays dropped: the load
   * matters more; the contract's views are refreshed after the run, an analyst's is named here.
   */
  async #recreateView(tx: Tx, view: DependentView): Promise<void> {
    const k = this.#driver.kysely
    await tx.exec(sql`savepoint okta_elt_view`.compile(k))
    try {
      await tx.exec(view.create.compile(k))
      await tx.exec(sql`release savepoint okta_elt_view`.compile(k))
    } catch (err) {
      await tx.exec(sql`rollback to savepoint okta_elt_view`.compile(k))
      await tx.exec(sql`release savepoint okta_elt_view`.compile(k))
      this.#logger?.({ level: 'warn', event: 'destination.view_dropped', msg: `${this.#displayName}: view ${view.name} reads a widened column and no longer fits it; it was dropped (${driverReason(err)})`, view: view.name })
    }
  }

  async #widen(tx: Tx, ws: SchemaWorkspace, table: LiveTable, current: ColumnDef, to: ColumnType, loadId: string, now: Date): Promise<void> {
    if (current.type === to) return
    if (!canWiden(current.type, to)) {
      // The column is already wider than asked (e.g. text, asked for bigint): values still fit.
      if (canWiden(to, current.type)) return
      throw new DestinationSchemaError(`cannot change ${table.def.name}.${current.name} from ${current.type} to ${to}`)
    }
    const steps = this.#widening.steps(table, current.name, current.type, to)
    const query = async (q: RawBuilder<unknown>): Promise<Record<string, unknown>[]> => (await tx.exec(q.compile(this.#driver.kysely))).rows
    const views = steps.length > 0 && this.#widening.dependentViews ? await this.#widening.dependentViews(query, table) : []
    for (const view of views) await tx.exec(view.drop.compile(this.#driver.kysely))
    for (const step of steps) await tx.exec(step.compile(this.#driver.kysely))
    for (const view of views) await this.#recreateView(tx, view)
    ws.setType(table.def.name, current.name, to)
    await tx.exec(
      this.#driver.meta
        .updateTable('_okta_elt_columns')
        .set({ type: to, updated_at: this.#types.tsParam(now), load_id: loadId })
        .where('table_name', '=', table.def.name)
        .where('column_name', '=', current.name)
        .compile(),
    )
    await this.#recordChange(tx, loadId, now, 'widen_column', table.def.name, current.name, current.type, to)
  }

  #createTableSql(def: TableDef): RawBuilder<unknown> {
    const cols = def.columns.map((c) => sql`${sql.id(c.name)} ${sql.raw(this.#types.sqlType(c.type, def, c.name))}`)
    const pk = def.primaryKey.length > 0 ? [sql`primary key (${sql.join(def.primaryKey.map((k) => sql.id(k)))})`] : []
    return sql`create table ${this.#driver.tableRef(def.name)} (${sql.join([...cols, ...pk])})`
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
      added_at: this.#types.tsParam(now),
      load_id: loadId,
      updated_at: this.#types.tsParam(now),
    }
  }

  async #recordChange(tx: Tx, loadId: string, now: Date, kind: SchemaChange['kind'], table: string, column: string | null, from: string | null, to: string | null): Promise<void> {
    await tx.exec(
      this.#driver.meta
        .insertInto('_okta_elt_schema_changes')
        .values({ load_id: loadId, changed_at: this.#types.tsParam(now), kind, table_name: table, column_name: column, from_type: from, to_type: to })
        .compile(),
    )
  }
}

/** A table of `tables` (the committed schema or a transaction's workspace), or a schema error. */
export function requireTable(tables: { get(name: string): LiveTable | undefined }, name: string, displayName: string): LiveTable {
  const t = tables.get(name)
  if (t === undefined) throw new DestinationSchemaError(`table ${name} does not exist in ${displayName} (no create_table change for it)`)
  return t
}

export function describeChange(change: SchemaChange): string {
  switch (change.kind) {
    case 'create_table':
      return `created table ${change.table.name} (${change.table.columns.length} columns)`
    case 'add_column':
      return `added column ${change.table}.${change.column.name} ${change.column.type}`
    case 'widen_column':
      return `widened ${change.table}.${change.column} from ${change.from} to ${change.to}`
  }
}
