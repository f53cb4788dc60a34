import type { DuckDBConnection, DuckDBDataChunk, DuckDBInstance, DuckDBResult, DuckDBValueConverter, JS } from '@duckdb/node-api'
import { sql, type RawBuilder } from 'kysely'
import type { ColumnDef, ColumnType, RowValue } from '../../schema/types.ts'
import type { KeysetPage } from '../dialect.ts'
import { duckdbModule } from './module.ts'
import { duckdbTypes } from './types.ts'

/**
 * Pages one keyset query returns for a reader that goes on page after page: the first page's
 * query asks for the page alone (a one-off read costs what it did), every later one for this many
 * pages' rows (100,000 at a backfill's 5,000), handed out page by page.
 */
export const BAND_PAGES = 20

/**
 * Keyset pages of DuckDB tables, continued. DuckDB has no index range scan for
 * `where (key) > (after) order by key limit n`: each such query scans the whole key column and
 * sorts what passes, so reading a table a page at a time costs (rows / page) full scans (the
 * full-size 500,000-row system_log: 101 queries, ~100-600 ms each). Here one ordered query is
 * streamed (`connection.stream`, chunk by chunk) and continued while the next page asks to start
 * just after the last row handed out; it asks for a band of pages at a time, so DuckDB's sort holds
 * a band, not the table. Any other request (another table, another `after`, other columns) starts
 * a keyset query of its own, as would a write to the database since the stream began (its snapshot
 * is older): exactly the rows the keyset query would return, either way.
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
    if (scan === null || !scan.continues(page, writesTo(this.#instance))) scan = await this.#start(page, page.after, page.limit)
    let handed = 0
    while (handed < page.limit) {
      const row = await scan.next()
      if (row === undefined) {
        // A band that gave all it was asked for ends where the next begins; a short one, the table.
        if (!scan.full) break
        scan = await this.#start(page, scan.last, page.limit * BAND_PAGES, scan.strings)
        continue
      }
      each(row)
      handed++
    }
    this.#open = scan
  }

  /**
   * A band's query. `strings`: which columns the previous band of this scan found to be VARCHAR
   * (the first band's plain query tells); those come packed, see `packedSelect`.
   */
  async #start(page: KeysetPage, after: RowValue[] | undefined, band: number, strings?: readonly boolean[]): Promise<OpenScan> {
    const writes = writesTo(this.#instance)
    jsConverter ??= (await duckdbModule()).JSDuckDBValueConverter
    this.#connection ??= await this.#connect()
    const packed = strings !== undefined && strings.filter(Boolean).length >= 2 ? strings : undefined
    const query = page.query(after, band, packed === undefined ? undefined : packedSelect(page.columns, packed))
    const result = await this.#connection.stream(query.sql, query.parameters as never)
    return new OpenScan(page, result, band, after, writes, packed)
  }

  async #connect(): Promise<DuckDBConnection> {
    const conn = await this.#instance.connect()
    await conn.run(`set TimeZone = 'UTC'`)
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

class OpenScan {
  readonly #table: string
  readonly #signature: string
  readonly #key: readonly number[]
  readonly #decode: ChunkDecoder
  readonly #result: DuckDBResult
  readonly #band: number
  readonly #writes: number
  /** Which columns are VARCHAR in the table (from this band's result, or the band before it). */
  readonly strings: readonly boolean[]
  #rows: (RowValue[] | undefined)[] = []
  #at = 0
  #given = 0
  #done = false
  /** The key of the last row handed out (the bound the band began at before any). */
  last: RowValue[] | undefined

  constructor(page: KeysetPage, result: DuckDBResult, band: number, after: RowValue[] | undefined, writes: number, packed: readonly boolean[] | undefined) {
    this.#table = page.table
    this.#signature = signatureOf(page)
    this.#key = page.key
    this.strings = packed ?? page.columns.map((_, i) => (result.columnTypeId(i) as number) === VARCHAR)
    this.#decode = packed === undefined ? chunkDecoder(page.columns) : packedDecoder(page.columns, packed)
    this.#result = result
    this.#band = band
    this.#writes = writes
    this.last = after
  }

  /** Whether `page` is the next page of this scan: same table and columns, starting just after its last row, nothing written since it began. */
  continues(page: KeysetPage, writes: number): boolean {
    return writes === this.#writes && page.table === this.#table && signatureOf(page) === this.#signature && sameKey(page.after, this.last)
  }

  /** Whether the band query returned every row it asked for (so the table may go on). */
  get full(): boolean {
    return this.#given >= this.#band
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
    this.#given++
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
