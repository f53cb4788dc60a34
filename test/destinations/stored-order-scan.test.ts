/**
 * `scanRows` with `storedOrder` (what a backfill copies a table by): page after page, every row
 * exactly once, values as a keyset read gives them, on every destination; on SQLite in rowid order
 * (the order rows were written), not key order, also when a column is named `rowid`. Real files
 * and a real Postgres.
 */
import { afterAll, describe, expect, it } from 'vitest'
import type { Destination } from '../../src/destinations/destination.ts'
import type { RowValue, TableDef } from '../../src/schema/types.ts'
import { commit, destinationCases, openPrepared } from './destinations.ts'

const items: TableDef = {
  name: 'items',
  primaryKey: ['id'],
  columns: [
    { name: 'id', path: ['id'], type: 'text' },
    // A column taking SQLite's first name for the rowid: the scan must use another name.
    { name: 'rowid', path: ['rowid'], type: 'bigint' },
    { name: 'at', path: ['at'], type: 'timestamp' },
    { name: 'note', path: ['note'], type: 'text' },
  ],
}
const COLUMNS = items.columns.map((c) => c.name)

/** Keys out of insertion order, so key order is not the order the rows were written in. */
function item(i: number): RowValue[] {
  return [`k${String((i * 7919) % 1000).padStart(4, '0')}`, i % 13 === 0 ? 9007199254740993n : 1000 - i, new Date(Date.UTC(2024, 0, 1) + i * 61_001).toISOString(), i % 9 === 0 ? null : `n${i}`]
}
const WRITTEN = Array.from({ length: 1000 }, (_, i) => item(i))

async function scanAll(dest: Destination, limit: number): Promise<{ rows: RowValue[][]; pages: number }> {
  const rows: RowValue[][] = []
  let after: RowValue[] | undefined
  for (let pages = 1; ; pages++) {
    const page: RowValue[][] = []
    const scanned = await dest.scanRows('items', { limit, storedOrder: true, ...(after ? { after } : {}) }, (row) => page.push(row))
    // The table's columns, then the system columns (`_load_id`, `_deleted_at`).
    expect(scanned.columns.slice(0, COLUMNS.length)).toEqual(COLUMNS)
    expect(scanned.rows).toBe(page.length)
    rows.push(...page)
    if (page.length < limit) return { rows, pages }
    after = scanned.last
  }
}

for (const dc of destinationCases()) {
  describe(`${dc.kind}: scanRows in stored order`, () => {
    afterAll(() => dc.cleanup())

    it('pages through every row exactly once, as the keyset read has them', async () => {
      const dest = await openPrepared(dc.freshUrl())
      try {
        await dest.commitBatch(commit({ schemaChanges: [{ kind: 'create_table', table: items }] }))
        // Three commits, so the rows span writes.
        for (let i = 0; i < 1000; i += 400) {
          await dest.commitBatch(commit({ writes: [{ mode: 'copy', fresh: true, rows: { table: 'items', columns: COLUMNS, rows: WRITTEN.slice(i, i + 400) } }] }))
        }
        const keyed = (await dest.readRows('items', { limit: 10_000 })).rows
        expect(keyed).toHaveLength(1000)
        const { rows, pages } = await scanAll(dest, 7)
        expect(pages).toBe(Math.ceil(1001 / 7))
        const byKey = (a: RowValue[], b: RowValue[]) => String(a[0]).localeCompare(String(b[0]))
        expect([...rows].sort(byKey)).toEqual(keyed)
        // SQLite: by rowid, the order the rows were written in (key order would differ).
        if (dc.kind === 'sqlite') expect(rows.map((r) => r.slice(0, COLUMNS.length))).toEqual(WRITTEN)
      } finally {
        await dest.close()
      }
    })
  })
}
