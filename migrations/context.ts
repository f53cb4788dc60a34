import type { ColumnDataType, CreateTableBuilder, Kysely } from 'kysely'
import type { Migration } from 'kysely/migration'

/**
 * What a migration needs to know about its database, supplied by the destination's dialect (each
 * dialect folder's driver builds one), so the same file serves every database without asking which
 * one it is.
 */
export interface MigrationContext {
  /** Column type names of the metadata tables (e.g. timestamptz / ISO-8601 TEXT, jsonb / TEXT). */
  types: { timestamp: ColumnDataType; json: ColumnDataType; bigint: ColumnDataType }
  /**
   * Whether a scratch table (emptied and refilled inside every commit) gets an index. DuckDB: no;
   * its ART indexes fail on rows deleted in the transaction that inserted them, and its hash
   * joins do without.
   */
  indexScratchTables: boolean
  /** Adds `column` to a table being created as an auto-numbered primary key, the database's own way. */
  autoId(db: Kysely<any>, table: string, column: string, builder: CreateTableBuilder<any, any>): Promise<CreateTableBuilder<any, any>>
}

export type MigrationFactory = (ctx: MigrationContext) => Migration
