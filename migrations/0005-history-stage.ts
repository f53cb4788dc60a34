import type { MigrationFactory } from './context.ts'

/**
 * `_okta_elt_history_stage`: scratch rows of one commit's history sync (see
 * src/destinations/history-writer.ts). Emptied before each table's sync inside the commit's
 * transaction, so it never holds anything between commits; a table rather than a TEMP table so
 * that the same statements work on every database and connection.
 * - `kind` `written` / `gone`: a key the batch wrote / deleted or swept; `open` / `close`: a System Log event that opened or
 *   closed the key at `at_time` (`k2` = `*`: any second key part); `past`: an interval the log shows
 *   that began and ended before this load (`at_time` … `until_time`, `source`).
 */
export const migration: MigrationFactory = (ctx) => ({
  async up(db) {
    const t = ctx.types
    await db.schema
      .createTable('_okta_elt_history_stage')
      .ifNotExists()
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('k1', 'text', (c) => c.notNull())
      .addColumn('k2', 'text', (c) => c.notNull())
      .addColumn('at_time', t.timestamp)
      .addColumn('until_time', t.timestamp)
      .addColumn('source', 'text')
      .execute()
    if (ctx.indexScratchTables) {
      await db.schema.createIndex('_okta_elt_history_stage_key').ifNotExists().on('_okta_elt_history_stage').columns(['k1', 'k2', 'kind']).execute()
    }
  },
})
