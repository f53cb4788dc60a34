import type { DuckDBConnection } from '@duckdb/node-api'
import { sql } from 'kysely'
import type { RawBuilder } from 'kysely'
import { doubleText } from '../../schema/type-lattice.ts'
import type { ColumnType } from '../../schema/types.ts'
import type { Widening } from '../dialect.ts'
import { DestinationSchemaError } from '../errors.ts'
import type { LiveTable } from '../live-schema.ts'
import { duckdbModule } from './module.ts'
import { DUCKDB_TYPES } from './types.ts'

/** SQL function (registered on the writer connection): a double's text as the lattice prints it. */
const DOUBLE_TEXT = 'okta_elt_double_text'

/**
 * Performs the schema layer's widening (src/schema/type-lattice.ts `widenValue`) with one
 * `ALTER COLUMN … SET DATA TYPE … USING` inside the batch's transaction: the text of a value is
 * what JavaScript prints (booleans true/false, integers their digits, timestamps canonical UTC with
 * milliseconds, doubles through `doubleText` itself, registered as `okta_elt_double_text`, since
 * DuckDB's own double text differs: `2.0`, `1e-07`), and json of a scalar is the JSON string of
 * that text. DuckDB cannot change the type of a primary-key column (its index): like SQLite, that
 * is a schema error (a key column never widens in practice).
 */
export function duckdbWidening(schema: string): Widening {
  return {
    steps(table: LiveTable, column: string, from: ColumnType, to: ColumnType): RawBuilder<unknown>[] {
      if (table.def.primaryKey.includes(column)) {
        throw new DestinationSchemaError(`cannot widen primary key column ${table.def.name}.${column} from ${from} to ${to} in DuckDB`)
      }
      const col = sql.id(column)
      const text =
        from === 'timestamp'
          ? sql`strftime(${col}, '%Y-%m-%dT%H:%M:%S.%gZ')`
          : from === 'double'
            ? sql`${sql.raw(DOUBLE_TEXT)}(${col})`
            : from === 'text'
              ? col
              : sql`cast(${col} as varchar)`
      let using: RawBuilder<unknown>
      if (to === 'json') using = sql`to_json(${text})`
      else if (to === 'text') using = text
      else using = sql`cast(${col} as ${sql.raw(DUCKDB_TYPES[to])})`
      return [sql`alter table ${sql.id(schema, table.def.name)} alter column ${col} set data type ${sql.raw(DUCKDB_TYPES[to])} using ${using}`]
    },
  }
}

/** Registers `okta_elt_double_text(DOUBLE) → VARCHAR` on a connection (the driver does, on the writer). */
export async function registerWideningFunctions(connection: DuckDBConnection): Promise<void> {
  const { DOUBLE, DuckDBScalarFunction, VARCHAR } = await duckdbModule()
  connection.registerScalarFunction(
    DuckDBScalarFunction.create({
      name: DOUBLE_TEXT,
      mainFunction: (_info, input, output) => {
        const values = input.getColumnVector(0)
        for (let row = 0; row < input.rowCount; row++) {
          const v = values.getItem(row)
          output.setItem(row, v === null ? null : doubleText(v as number))
        }
        output.flush()
      },
      returnType: VARCHAR,
      parameterTypes: [DOUBLE],
    }),
  )
}
