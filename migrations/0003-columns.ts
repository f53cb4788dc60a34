import type { MigrationFactory } from './context.ts'

/**
 * The inferred schema and its history.
 *  - `_okta_elt_columns`: the current shape, one row per (table, column). `path` is the JSON array
 *    of record path segments, `table_path` the JSON path of a child table's array in its parent
 *    record (TableDef.path; NULL for root tables), `pk_ordinal` the position in the primary key (NULL when not part of it),
 *    `ordinal` the column's position in the table definition.
 *  - `_okta_elt_schema_changes`: append-only history; every create/add/widen with its load and time.
 */
export const migration: MigrationFactory = (ctx) => ({
  async up(db) {
    const t = ctx.types
    await db.schema
      .createTable('_okta_elt_columns')
      .ifNotExists()
      .addColumn('table_name', 'text', (c) => c.notNull())
      .addColumn('column_name', 'text', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('parent_table', 'text')
      .addColumn('table_path', 'text')
      .addColumn('pk_ordinal', 'integer')
      .addColumn('ordinal', 'integer', (c) => c.notNull())
      .addColumn('added_at', t.timestamp, (c) => c.notNull())
      .addColumn('load_id', 'text', (c) => c.notNull())
      .addColumn('updated_at', t.timestamp, (c) => c.notNull())
      .addPrimaryKeyConstraint('_okta_elt_columns_pk', ['table_name', 'column_name'])
      .execute()

    const changes = await ctx.autoId(db, '_okta_elt_schema_changes', 'id', db.schema.createTable('_okta_elt_schema_changes').ifNotExists())
    await changes
      .addColumn('load_id', 'text', (c) => c.notNull())
      .addColumn('changed_at', t.timestamp, (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('table_name', 'text', (c) => c.notNull())
      .addColumn('column_name', 'text')
      .addColumn('from_type', 'text')
      .addColumn('to_type', 'text')
      .execute()
  },
})
