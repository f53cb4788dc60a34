import type { MigrationFactory } from './context.ts'

/** `_okta_elt_loads`: one row per load (one resource within one run). */
export const migration: MigrationFactory = (ctx) => ({
  async up(db) {
    const t = ctx.types
    await db.schema
      .createTable('_okta_elt_loads')
      .ifNotExists()
      .addColumn('load_id', 'text', (c) => c.primaryKey())
      .addColumn('run_id', 'text', (c) => c.notNull())
      .addColumn('resource', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('started_at', t.timestamp, (c) => c.notNull())
      .addColumn('finished_at', t.timestamp)
      .addColumn('rows', t.bigint, (c) => c.notNull().defaultTo(0))
      .addColumn('batches', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('error', 'text')
      .execute()
    await db.schema
      .createIndex('_okta_elt_loads_started_at')
      .ifNotExists()
      .on('_okta_elt_loads')
      .columns(['started_at', 'load_id'])
      .execute()
  },
})
