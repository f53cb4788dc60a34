import type { MigrationFactory } from './context.ts'

/**
 * `_okta_elt_lock`: who holds (or last held) the one-writer lock, for the "locked by …" message.
 * Informational only: the lock itself is a Postgres advisory lock or an OS-held SQLite lock on a
 * sidecar file, both released when the holder dies, so a stale row here never blocks anyone.
 */
export const migration: MigrationFactory = (ctx) => ({
  async up(db) {
    const t = ctx.types
    await db.schema
      .createTable('_okta_elt_lock')
      .ifNotExists()
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('pid', 'integer', (c) => c.notNull())
      .addColumn('host', 'text', (c) => c.notNull())
      .addColumn('acquired_at', t.timestamp, (c) => c.notNull())
      .execute()
  },
})
