import type { DuckDBConnection, DuckDBDataChunk, DuckDBInstance, DuckDBResult, DuckDBValueConverter, JS } from '@duckdb/node-api'
import { sql, type CompiledQuery, type RawBuilder } from 'kysely'
import type { ColumnDef, ColumnType, RowValue } from '../../schema/types.ts'
import type { KeysetPage } from '../dialect.ts'
import { duckdbModule } from './module.ts'
import { duckdbTypes } from './types.ts'

/**
 * Pages per band of a continued scan (50,000 rows at a backfill's 5,000): what DuckDB sorts at a
 * time. Its ORDER BY with a LIMIT over ~5,000 rows sorts every row that passes the WHERE, not a
 * top-N heap (EXPLAIN: ORDER_BY, not TOP_N), so a band is a key range, not a limit.
 */
export const BAND_PAGES = 10

/**
 * Keyset pages of DuckDB tables, continued. DuckDB has no index range scan for
 * `where (key) > (after) order by key limit n`: each such query scans the whole key column and
 * sorts what passes, so reading a table a page at a time costs (rows / page) full scans (the
 * full-size 500,000-row system_log: 101 queries, ~100-600 ms each). Here the first page is that
 * query; when the next page asks to start just after the last row handed out, one query numbers
 * the rest of the table's keys (the key columns alone) and picks every band's last key, and each
 * band is then one streamed `where (key) > (lo) and (key) <= (hi) order by key`, handed out page
 * by page: one scan per band, and DuckDB's sort holds a band, not the table. Any other request
 * (another table, another `after`, other columns) starts afresh, as does a write to the database
 * since the scan began (its snapshot is older): exactly the rows the keyset query would return.
 *
 * On a connection of its own, so nothing else the destination runs closes the stream. Rows are
 * decoded from the chunks' typed vectors: `getRowsJS` then `decodeValue` cost ~1.5 µs a value.
 */
export class ContinuedScan {
  readonly #instance: DuckDBInstance
  #connection: DuckDBConnection | null = null
  #open: OpenScan | null = null

  constructor(instance: DuckDBInstance) {
    this.#instance = instance
  }

  async read(page: KeysetPage, each: (row: RowValue[]) => void): Promise<void> {
    if (page.limit === 0) return
    let scan = this.#open
    // Kept only once the page is whole: after a failure the next read starts afresh.
    this.#open = null
    if (scan === null || !scan.continues(page, writesTo(this.#instance))) {
      scan = await this.#stream(page, page.query(page.after, page.limit), { after: page.after, writes: writesTo(this.#instance), first: page.limit })
    }
    let handed = 0
    while (handed < page.limit) {
      const row = await scan.next()
      if (row === undefined) {
        const next = await this.#nextBand(page, scan)
        if (next === null) break
        scan = next
        continue
      }
      each(row)
      handed++
    }
    this.#open = scan
  }

  /** The band after `scan`'s, or null where the table ends. */
  async #nextBand(page: KeysetPage, scan: OpenScan): Promise<OpenScan | null> {
    const { band } = scan
    let bounds: readonly RowValue[][]
    if (band.first !== undefined) {
      // A short first page is the whole table; after a full one, the rest of it in bands.
      if (scan.given < band.first) return null
      bounds = await this.#boundaries(page, scan.last, page.limit * BAND_PAGES)
    } else {
      if (band.through === undefined) return null
      bounds = band.rest
    }
    const through = bounds[0]
    const strings = scan.strings.filter(Boolean).length >= 2 ? scan.strings : undefined
    const query = page.range(scan.last, through, strings === undefined ? undefined : packedSelect(page.columns, strings))
    return this.#stream(page, query, { after: scan.last, writes: band.writes, through, rest: bounds.slice(1), strings: scan.strings, packed: strings !== undefined })
  }

  /** Every band's last key after `after` (the key columns alone: a small sort). */
  async #boundaries(page: KeysetPage, after: RowValue[] | undefined, every: number): Promise<RowValue[][]> {
    const query = page.boundaries(after, every)
    const result = await (await this.#connect()).stream(query.sql, query.parameters as never)
    const decode = chunkDecoder(page.key.map((i) => page.columns[i]!))
    const keys: RowValue[][] = []
    for (;;) {
      const chunk = await result.fetchChunk()
      if (chunk === null || chunk.rowCount === 0) return keys
      keys.push(...decode(chunk))
    }
  }

  async #stream(page: KeysetPage, query: CompiledQuery, band: Band): Promise<OpenScan> {
    jsConverter ??= (await duckdbModule()).JSDuckDBValueConverter
    const result = await (await this.#connect()).stream(query.sql, query.parameters as never)
    return new OpenScan(page, result, band)
  }

  async #connect(): Promise<DuckDBConnection> {
    if (this.#connection !== null) return this.#connection
    const conn = await this.#instance.connect()
    await conn.run(`set TimeZone = 'UTC'`)
    this.#connection = conn
    return conn
  }

  /** Ends an open stream and its read transaction (a write is coming: the stream could not be continued after it anyway). */
  release(): void {
    if (this.#open !== null) this.close()
  }

  /** Ends the stream (and its read transaction) and closes the connection. */
  close(): void {
    this.#open = null
    this.#connection?.closeSync()
    this.#connection = null
  }
}

/** What one streamed query of a scan covers. */
interface Band {
  /** The bound it starts after. */
  after: RowValue[] | undefined
  /** The database's write count when the scan began. */
  writes: number
  /** The first page's query: its limit. */
  first?: number
  /** A range band: its last key (undefined: to the table's end), and the later bands' last keys. */
  through?: RowValue[]
  rest?: readonly RowValue[][]
  /** Which columns are VARCHAR (from the first query's result); `packed`: this band reads them packed. */
  strings?: readonly boolean[]
  packed?: boolean
}

class OpenScan {
  readonly band: Required<Pick<Band, 'writes' | 'rest'>> & Band
  readonly #table: string
  readonly #signature: string
  readonly #key: readonly number[]
  readonly #decode: ChunkDecoder
  readonly #result: DuckDBResult
  /** Which columns are VARCHAR in the table. */
  readonly strings: readonly boolean[]
  #rows: (RowValue[] | undefined)[] = []
  #at = 0
  #done = false
  /** Rows handed out. */
  given = 0
  /** The key of the last row handed out (the bound the band began at before any). */
  last: RowValue[] | undefined

  constructor(page: KeysetPage, result: DuckDBResult, band: Band) {
    this.band = { ...band, rest: band.rest ?? [] }
    this.#table = page.table
    this.#signature = signatureOf(page)
    this.#key = page.key
    this.strings = band.strings ?? page.columns.map((_, i) => (result.columnTypeId(i) as number) === VARCHAR)
    this.#decode = band.packed === true ? packedDecoder(page.columns, this.strings) : chunkDecoder(page.columns)
    this.#result = result
    this.last = band.after
  }

  /** Whether `page` is the next page of this scan: same table and columns, starting just after its last row, nothing written since it began. */
  continues(page: KeysetPage, writes: number): boolean {
    return writes === this.band.writes && page.table === this.#table && signatureOf(page) === this.#signature && sameKey(page.after, this.last)
  }

  async next(): Promise<RowValue[] | undefined> {
    while (this.#at >= this.#rows.length) {
      if (this.#done) return undefined
      const chunk = await this.#result.fetchChunk()
      if (chunk === null || chunk.rowCount === 0) {
        this.#done = true
        return undefined
      }
      this.#rows = this.#decode(chunk)
      this.#at = 0
    }
    const row = this.#rows[this.#at]!
    // Handed out: the caller may keep it, this scan does not.
    this.#rows[this.#at++] = undefined
    this.given++
    this.last = this.#key.map((i) => row[i] ?? null)
    return row
  }
}

function signatureOf(page: KeysetPage): string {
  return page.columns.map((c) => `${c.name}\u0000${c.type}`).join('\u0001')
}

function sameKey(a: RowValue[] | undefined, b: RowValue[] | undefined): boolean {
  if (a === undefined || b === undefined) return false
  return a.length === b.length && a.every((v, i) => v === b[i])
}

/**
 * Writes through any connection of an instance, counted (see `noteWrite`): a scan begun before a
 * write is not continued after it.
 */
const writeCounts = new WeakMap<DuckDBInstance, number>()

function writesTo(instance: DuckDBInstance): number {
  return writeCounts.get(instance) ?? 0
}

/** Called after anything that may have changed the database's rows (a transaction, an ad-hoc statement). */
export function noteWrite(instance: DuckDBInstance | null): void {
  if (instance !== null) writeCounts.set(instance, writesTo(instance) + 1)
}

type ChunkDecoder = (chunk: DuckDBDataChunk) => RowValue[][]

/** DuckDB type ids (the node-api's `DuckDBTypeId`, a runtime enum this file's type-only import cannot use). */
const BOOLEAN = 1
const INTEGER = 4
const BIGINT = 5
const DOUBLE = 11
const VARCHAR = 17
const TIMESTAMP_TZ = 32

/**
 * The chunk's rows, decoded as `duckdbTypes.decodeValue` decodes `getRowsJS`'s values: a VARCHAR
 * (or JSON) as its string, a TIMESTAMPTZ as the ISO text of its millisecond (the node-api's Date
 * truncates the microseconds the same way), BIGINT, INTEGER, DOUBLE and BOOLEAN through
 * `decodeValue` from the vector's own value (what `getRowsJS` gives for them); any other type
 * through the node-api's JS conversion first.
 */
function chunkDecoder(columns: readonly ColumnDef[]): ChunkDecoder {
  const width = columns.length
  return (chunk) => {
    const rows = newRows(chunk.rowCount, width)
    for (let c = 0; c < width; c++) decodeColumn(chunk, c, columns[c]!.type, rows, c)
    return rows
  }
}

/**
 * A band's select list with the VARCHAR columns packed: their values concatenated into one
 * string per row, followed by each one's length in bytes (-1: NULL). Reading a string out of a
 * chunk is a native call and a buffer per value longer than 12 bytes (inline below that), which
 * was most of a wide table's read time (system_log, 32 of its 39 columns: 4.3-5.1 s of CPU per
 * 100,000 rows, 2.0 s packed); one string per row is one call.
 */
function packedSelect(columns: readonly ColumnDef[], strings: readonly boolean[]): RawBuilder<unknown> {
  const plain = columns.filter((_, i) => !strings[i]).map((c) => sql.id(c.name))
  const packed = columns.filter((_, i) => strings[i]).map((c) => sql`${sql.id(c.name)}::VARCHAR`)
  return sql.join([
    ...plain,
    sql`concat(${sql.join(packed.map((v) => sql`coalesce(${v}, '')`))})`,
    ...packed.map((v) => sql`coalesce(strlen(${v}), -1)::INTEGER`),
  ])
}

/** Rows of `packedSelect`'s columns, back in the page's column order. */
function packedDecoder(columns: readonly ColumnDef[], strings: readonly boolean[]): ChunkDecoder {
  const width = columns.length
  const plain = columns.flatMap((_, i) => (strings[i] ? [] : [i]))
  const packed = columns.flatMap((_, i) => (strings[i] ? [i] : []))
  const k = packed.length
  const lengths = new Int32Array(k)
  return (chunk) => {
    const n = chunk.rowCount
    const rows = newRows(n, width)
    for (let p = 0; p < plain.length; p++) decodeColumn(chunk, p, columns[plain[p]!]!.type, rows, plain[p]!)
    const text = chunk.getColumnVector(plain.length)
    const lengthVectors = packed.map((_, j) => chunk.getColumnVector(plain.length + 1 + j))
    for (let r = 0; r < n; r++) {
      const row = rows[r]!
      const s = text.getItem(r) as string
      let bytes = 0
      for (let j = 0; j < k; j++) {
        const len = lengthVectors[j]!.getItem(r) as number
        lengths[j] = len
        if (len > 0) bytes += len
      }
      // As many UTF-16 units as bytes only when every character is ASCII: byte offsets are then string offsets.
      const ascii = s.length === bytes
      const buffer = ascii ? null : Buffer.from(s, 'utf8')
      let at = 0
      for (let j = 0; j < k; j++) {
        const len = lengths[j]!
        if (len < 0) {
          row[packed[j]!] = null
          continue
        }
        row[packed[j]!] = buffer === null ? s.slice(at, at + len) : buffer.toString('utf8', at, at + len)
        at += len
      }
    }
    return rows
  }
}

function newRows(n: number, width: number): RowValue[][] {
  const rows: RowValue[][] = new Array(n)
  for (let r = 0; r < n; r++) rows[r] = new Array(width)
  return rows
}

/** Column `c` of the chunk into `rows[*][at]`, decoded as `chunkDecoder` says. */
function decodeColumn(chunk: DuckDBDataChunk, c: number, type: ColumnType, rows: RowValue[][], at: number): void {
  const n = chunk.rowCount
  const vector = chunk.getColumnVector(c)
  switch (vector.type.typeId as number) {
    case VARCHAR:
      for (let r = 0; r < n; r++) rows[r]![at] = vector.getItem(r) as string | null
      break
    case TIMESTAMP_TZ:
      for (let r = 0; r < n; r++) {
        const v = vector.getItem(r) as { micros: bigint } | null
        rows[r]![at] = v === null ? null : new Date(Number(v.micros / 1000n)).toISOString()
      }
      break
    case BOOLEAN:
    case INTEGER:
    case BIGINT:
    case DOUBLE:
      for (let r = 0; r < n; r++) rows[r]![at] = duckdbTypes.decodeValue(type, vector.getItem(r))
      break
    default: {
      const values = chunk.convertColumnValues(c, jsConverter!)
      for (let r = 0; r < n; r++) rows[r]![at] = duckdbTypes.decodeValue(type, values[r])
    }
  }
}

/** The node-api's JS value converter, for the types decoded through it (set as the first scan starts: the module loads lazily, see module.ts). */
let jsConverter: DuckDBValueConverter<JS> | undefined
