import { sql, type CompiledQuery, type RawBuilder } from 'kysely'
import type { RowValue } from '../schema/types.ts'
import type { KeysetPage, SqlDriver, SqlTypeMap } from './dialect.ts'
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
    const page = this.#page(table, name, opts)
    if (this.#driver.readKeysetPage !== undefined) {
      const rows: RowValue[][] = []
      await this.#driver.readKeysetPage(page.request, (row) => rows.push(row))
      return { columns: page.columns, rows }
    }
    const rows = (await this.#driver.queryArrays(page.request.query(opts.after, opts.limit))) as RowValue[][]
    for (const row of rows) page.decode(row)
    return { columns: page.columns, rows }
  }

  /** `readRows`, one row at a time to `each` (see `Destination.scanRows`). */
  async scanRows(
    table: LiveTable | undefined,
    name: string,
    opts: { after?: RowValue[]; limit: number; storedOrder?: boolean },
    each: (row: RowValue[]) => void,
  ): Promise<{ columns: string[]; rows: number; last: RowValue[] | undefined }> {
    const { request, columns, decode, selected } = this.#page(table, name, opts)
    let rows = 0
    let lastRow: RowValue[] | undefined
    const decoded = (row: RowValue[]): void => {
      rows++
      lastRow = row
      each(row)
    }
    const step = (raw: unknown[]): void => decoded(decode(raw as RowValue[]))
    const position = opts.storedOrder === true ? this.#driver.storedPosition?.(table!.def) : undefined
    if (position !== undefined) {
      // The position rides as one more column, taken off before the row is handed on.
      const at = sql.raw(position)
      const width = columns.length
      const from = this.#driver.tableRef(name)
      const after = opts.after === undefined ? sql`` : sql`where ${at} > ${opts.after[0]}`
      const query = sql`select ${selected}, ${at} from ${from} ${after} order by ${at} limit ${sql.lit(request.limit)}`.compile(this.#driver.kysely)
      let last: unknown
      const positioned = (raw: unknown[]): void => {
        last = raw[width]
        raw.length = width
        step(raw)
      }
      await this.#each(query, positioned)
      return { columns, rows, last: rows === 0 ? undefined : [last as RowValue] }
    }
    if (this.#driver.readKeysetPage !== undefined) await this.#driver.readKeysetPage(request, decoded)
    else await this.#each(request.query(opts.after, opts.limit), step)
    return { columns, rows, last: lastRow === undefined ? undefined : request.key.map((i) => lastRow![i] ?? null) }
  }

  /** Each row `query` returns, as the driver gives it, to `step`: stepped where the driver can, else read whole first. */
  async #each(query: CompiledQuery, step: (raw: unknown[]) => void): Promise<void> {
    if (this.#driver.queryEach !== undefined) await this.#driver.queryEach(query, step)
    else for (const raw of await this.#driver.queryArrays(query)) step(raw)
  }

  /** One keyset page: the request (its query for any bound and limit), and how to decode a row the query returned, in place. */
  #page(
    table: LiveTable | undefined,
    name: string,
    opts: { after?: RowValue[]; limit: number },
  ): { request: KeysetPage; columns: string[]; decode: (row: RowValue[]) => RowValue[]; selected: RawBuilder<unknown> } {
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
    const selected = sql.join(columns.map((c) => this.#types.selectColumn(c)))
    const afterOnly = (after: RowValue[] | undefined) => (after === undefined ? sql`` : sql`where (${key}) > (${sql.join(after.map(bound))})`)
    // A key range spelled out column by column: DuckDB folds `(key) > a and (key) <= b` of row
    // values into a BETWEEN it then cannot run ("Invalid type for BETWEEN").
    const keyIds = primaryKey.map((k) => sql.id(k))
    const beyond = (bounds: RowValue[]) =>
      sql.join(
        bounds.map((_, i) => sql`(${sql.join([...bounds.slice(0, i).map((v, j) => sql`${keyIds[j]!} = ${bound(v, j)}`), sql`${keyIds[i]!} > ${bound(bounds[i]!, i)}`], sql` and `)})`),
        sql` or `,
      )
    const inRange = (after: RowValue[] | undefined, through: RowValue[] | undefined) => {
      const parts = [...(after === undefined ? [] : [sql`(${beyond(after)})`]), ...(through === undefined ? [] : [sql`not (${beyond(through)})`])]
      return parts.length === 0 ? sql`` : sql`where ${sql.join(parts, sql` and `)}`
    }
    const from = this.#driver.tableRef(name)
    const query = (after: RowValue[] | undefined, limit: number, select?: RawBuilder<unknown>): CompiledQuery =>
      sql`select ${select ?? selected} from ${from} ${afterOnly(after)} order by ${key} limit ${sql.lit(Math.max(0, Math.trunc(limit)))}`.compile(this.#driver.kysely)
    const range = (after: RowValue[] | undefined, through: RowValue[] | undefined, select?: RawBuilder<unknown>): CompiledQuery =>
      sql`select ${select ?? selected} from ${from} ${inRange(after, through)} order by ${key}`.compile(this.#driver.kysely)
    const boundaries = (after: RowValue[] | undefined, every: number): CompiledQuery => {
      const n = sql.id('_okta_elt_row_number')
      return sql`select ${key} from (select ${key}, row_number() over (order by ${key}) as ${n} from ${from} ${afterOnly(after)}) as numbered where ${n} % ${sql.lit(Math.max(1, Math.trunc(every)))} = 0 order by ${n}`.compile(this.#driver.kysely)
    }
    const types = columns.map((c) => c.type)
    const n = types.length
    const map = this.#types
    // In place: a second array per row would be garbage as large as the page.
    const decode = (row: RowValue[]): RowValue[] => {
      for (let i = 0; i < n; i++) row[i] = map.decodeValue(types[i]!, row[i])
      return row
    }
    const request: KeysetPage = {
      table: name,
      columns,
      key: primaryKey.map((k) => columns.findIndex((c) => c.name === k)),
      after: opts.after,
      limit: Math.max(0, Math.trunc(opts.limit)),
      query,
      range,
      boundaries,
    }
    return { request, columns: columns.map((c) => c.name), decode, selected }
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
