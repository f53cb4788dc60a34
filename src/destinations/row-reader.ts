import { sql, type CompiledQuery } from 'kysely'
import type { RowValue } from '../schema/types.ts'
import type { SqlDriver, SqlTypeMap } from './dialect.ts'
import { DestinationSchemaError } from './errors.ts'
import type { LiveTable } from './live-schema.ts'
import { DELETED_AT } from './system-columns.ts'

/**
 * The read side a backfill copies from (and `status` counts with): a table's rows in primary-key
 * order, encoded as `RowBatch` values so another destination can write them back with a `copy`
 * write, whatever the two databases are.
 */
export class RowReader {
  readonly #driver: SqlDriver
  readonly #types: SqlTypeMap
  readonly #displayName: string

  constructor(parts: { driver: SqlDriver; types: SqlTypeMap; displayName: string }) {
    this.#driver = parts.driver
    this.#types = parts.types
    this.#displayName = parts.displayName
  }

  async readRows(table: LiveTable | undefined, name: string, opts: { after?: RowValue[]; limit: number }): Promise<{ columns: string[]; rows: RowValue[][] }> {
    const { query, columns, decode } = this.#page(table, name, opts)
    const rows = (await this.#driver.queryArrays(query)) as RowValue[][]
    for (const row of rows) decode(row)
    return { columns, rows }
  }

  /** `readRows`, one row at a time to `each` (see `Destination.scanRows`). */
  async scanRows(
    table: LiveTable | undefined,
    name: string,
    opts: { after?: RowValue[]; limit: number },
    each: (row: RowValue[]) => void,
  ): Promise<{ columns: string[]; rows: number; last: RowValue[] | undefined }> {
    const { query, columns, decode, key } = this.#page(table, name, opts)
    let rows = 0
    let lastRow: RowValue[] | undefined
    const step = (raw: unknown[]): void => {
      const row = decode(raw as RowValue[])
      rows++
      lastRow = row
      each(row)
    }
    if (this.#driver.queryEach !== undefined) await this.#driver.queryEach(query, step)
    else for (const raw of await this.#driver.queryArrays(query)) step(raw)
    return { columns, rows, last: lastRow === undefined ? undefined : key.map((i) => lastRow![i] ?? null) }
  }

  /** One keyset page's query, and how to decode its rows in place. */
  #page(table: LiveTable | undefined, name: string, opts: { after?: RowValue[]; limit: number }): { query: CompiledQuery; columns: string[]; decode: (row: RowValue[]) => RowValue[]; key: number[] } {
    if (table === undefined) throw new DestinationSchemaError(`table ${name} does not exist in ${this.#displayName}`)
    const { columns, primaryKey } = table.def
    if (primaryKey.length === 0) throw new DestinationSchemaError(`cannot page through ${name}: it has no primary key`)
    const key = sql.join(primaryKey.map((k) => sql.id(k)))
    // Keyset pagination: every page is an index range scan, however deep into the table.
    // A timestamp key part (a history table's `_valid_from`) comes back as ISO text: typed again
    // for the comparison (DuckDB compares row values only of equal types).
    const keyType = (i: number) => table.byName.get(primaryKey[i]!)?.type
    const bound = (v: RowValue, i: number) =>
      keyType(i) === 'timestamp' && v !== null ? sql`cast(${v} as ${sql.raw(this.#types.sqlType('timestamp', table.def, primaryKey[i]!))})` : sql`${v}`
    const after = opts.after === undefined ? sql`` : sql`where (${key}) > (${sql.join(opts.after.map(bound))})`
    const query = sql`select ${sql.join(columns.map((c) => this.#types.selectColumn(c)))} from ${this.#driver.tableRef(name)} ${after} order by ${key} limit ${sql.lit(Math.max(0, Math.trunc(opts.limit)))}`
    const types = columns.map((c) => c.type)
    const n = types.length
    const map = this.#types
    // In place: a second array per row would be garbage as large as the page.
    const decode = (row: RowValue[]): RowValue[] => {
      for (let i = 0; i < n; i++) row[i] = map.decodeValue(types[i]!, row[i])
      return row
    }
    return { query: query.compile(this.#driver.kysely), columns: columns.map((c) => c.name), decode, key: primaryKey.map((k) => columns.findIndex((c) => c.name === k)) }
  }

  /** Live rows and rows carrying `_deleted_at`, per table, sorted by name. */
  async countRows(tables: ReadonlyMap<string, LiveTable>, only?: readonly string[]): Promise<{ table: string; rows: number; deleted: number }[]> {
    const out: { table: string; rows: number; deleted: number }[] = []
    for (const name of [...tables.keys()].sort()) {
      if (only !== undefined && !only.includes(name)) continue
      const query = sql<{ total: number | string | bigint; deleted: number | string | bigint }>`select count(*) as total, count(${sql.id(DELETED_AT)}) as deleted from ${this.#driver.tableRef(name)}`
      const { rows } = await query.execute(this.#driver.kysely)
      const total = Number(rows[0]?.total ?? 0)
      const deleted = Number(rows[0]?.deleted ?? 0)
      out.push({ table: name, rows: total - deleted, deleted })
    }
    return out
  }
}
