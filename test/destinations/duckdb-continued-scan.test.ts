/**
 * DuckDB's keyset pages are continued from one ordered streaming query (continued-scan.ts): page
 * after page must be exactly what a keyset query of each page returns, whatever else runs on the
 * destination between pages: reads of other tables, another `after`, writes through the
 * destination, ad-hoc statements or a second destination on the same file. The reference is one
 * keyset query for the whole table (a single page). Real DuckDB files.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Destination } from '../../src/destinations/destination.ts'
import type { RowValue, TableDef } from '../../src/schema/types.ts'
import { commit, openPrepared } from './destinations.ts'

const dir = mkdtempSync(join(tmpdir(), 'okta-elt-scan-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const items: TableDef = {
  name: 'items',
  primaryKey: ['id'],
  columns: [
    { name: 'id', path: ['id'], type: 'text' },
    { name: 'n', path: ['n'], type: 'bigint' },
    { name: 'x', path: ['x'], type: 'double' },
    { name: 'ok', path: ['ok'], type: 'boolean' },
    { name: 'at', path: ['at'], type: 'timestamp' },
    { name: 'doc', path: ['doc'], type: 'json' },
    { name: 'note', path: ['note'], type: 'text' },
  ],
}
const parts: TableDef = {
  name: 'items__parts',
  parent: 'items',
  primaryKey: ['_parent_id', '_idx'],
  columns: [
    { name: '_parent_id', path: [], type: 'text' },
    { name: '_idx', path: [], type: 'bigint' },
    { name: 'label', path: ['label'], type: 'text' },
  ],
}
const ITEM_COLUMNS = items.columns.map((c) => c.name)

function item(i: number): RowValue[] {
  // Keys out of insertion order (so key order is not the file's order), every type, nulls in every column now and then.
  const id = `k${String((i * 7919) % 1000).padStart(4, '0')}`
  const nulls = i % 11 === 0
  return [
    id,
    nulls ? null : i % 13 === 0 ? 9007199254740993n : i - 500,
    nulls ? null : i / 8,
    nulls ? null : i % 2 === 0,
    nulls ? null : new Date(Date.UTC(2024, 0, 1) + i * 61_001).toISOString(),
    nulls ? null : JSON.stringify({ i, s: `v${i}\u00e9\u{1f600}` }),
    // Empty text is not NULL; some rows are all ASCII, some not (the packed read's two ways).
    nulls ? null : i % 5 === 0 ? '' : i % 7 === 0 ? `n\u00fc${i}\u{1f600}` : `n${i}`,
  ]
}

let d: Destination
let url: string
beforeEach(async () => {
  url = `duckdb:${join(dir, `${Math.random().toString(36).slice(2)}.duckdb`)}`
  d = await openPrepared(url)
  await d.commitBatch(commit({ schemaChanges: [{ kind: 'create_table', table: items }, { kind: 'create_table', table: parts }] }))
  await d.commitBatch(
    commit({
      writes: [
        { mode: 'copy', fresh: true, rows: { table: 'items', columns: ITEM_COLUMNS, rows: Array.from({ length: 1000 }, (_, i) => item(i)) } },
        {
          mode: 'copy',
          fresh: true,
          rows: { table: 'items__parts', columns: ['_parent_id', '_idx', 'label'], rows: Array.from({ length: 300 }, (_, i) => [`k${String(i % 100).padStart(4, '0')}`, Math.floor(i / 100), `p${i}`]) },
        },
      ],
    }),
  )
})
afterEach(async () => {
  await d.close()
})

/** The whole table as one keyset query returns it. */
async function reference(dest: Destination, table: string): Promise<RowValue[][]> {
  return (await dest.readRows(table, { limit: 1_000_000 })).rows
}

const keyOf = (table: TableDef, row: RowValue[]): RowValue[] => table.primaryKey.map((k) => row[table.columns.findIndex((c) => c.name === k)]!)

/** Pages of `limit` from `after`, through readRows and scanRows by turns, until a short page; `between` runs after each. */
async function pageThrough(dest: Destination, table: TableDef, limit: number, between: (page: number, last: RowValue[]) => Promise<void> = async () => {}): Promise<RowValue[][]> {
  const out: RowValue[][] = []
  let after: RowValue[] | undefined
  for (let page = 0; ; page++) {
    const opts = { limit, ...(after ? { after } : {}) }
    let rows: RowValue[][]
    if (page % 2 === 0) rows = (await dest.readRows(table.name, opts)).rows
    else {
      rows = []
      const scanned = await dest.scanRows(table.name, opts, (row) => rows.push(row))
      expect(scanned.rows).toBe(rows.length)
      expect(scanned.last).toEqual(rows.length === 0 ? undefined : keyOf(table, rows.at(-1)!))
    }
    out.push(...rows)
    if (rows.length < limit) return out
    after = keyOf(table, rows.at(-1)!)
    await between(page, after)
  }
}

describe('duckdb: continued keyset pages', () => {
  it('page after page (across several bands) is the one keyset query, values decoded as it decodes them', async () => {
    const whole = await reference(d, 'items')
    expect(whole).toHaveLength(1000)
    expect(whole.map((r) => r[0])).toEqual([...whole.map((r) => r[0] as string)].sort())
    // Values as written: an unsafe integer as a BigInt, timestamps as ISO text, JSON as its text.
    const byId = new Map(whole.map((r) => [r[0], r]))
    for (const i of [0, 1, 13, 26, 999]) expect(byId.get(item(i)[0])!.slice(0, ITEM_COLUMNS.length)).toEqual(item(i))
    // 7 rows a page: bands of 140 rows, so the 1000 rows take eight bands.
    expect(await pageThrough(d, items, 7)).toEqual(whole)
    expect(await pageThrough(d, parts, 7)).toEqual(await reference(d, 'items__parts'))
  })

  it('a microsecond timestamp is its millisecond, as the one query gives it', async () => {
    await sql`insert into items (id, "at") values ('k9999', '2024-01-02 03:04:05.678999+00')`.execute(d.db)
    const whole = await reference(d, 'items')
    expect(whole.at(-1)!.slice(0, 5)).toEqual(['k9999', null, null, null, '2024-01-02T03:04:05.678Z'])
    expect(await pageThrough(d, items, 9)).toEqual(whole)
  })

  it('other tables, counts and schema reads between pages on the same destination change nothing', async () => {
    const whole = await reference(d, 'items')
    const otherWhole = await reference(d, 'items__parts')
    const other: RowValue[][] = []
    let otherAfter: RowValue[] | undefined
    const got = await pageThrough(d, items, 10, async () => {
      const page = await d.readRows('items__parts', { limit: 5, ...(otherAfter ? { after: otherAfter } : {}) })
      other.push(...page.rows)
      if (page.rows.length > 0) otherAfter = keyOf(parts, page.rows.at(-1)!)
      await d.countRows()
      await d.readSchema()
    })
    expect(got).toEqual(whole)
    expect(other).toEqual(otherWhole.slice(0, other.length))
    expect(other.length).toBeGreaterThan(0)
  })

  it('an `after` other than the last row handed out gets that keyset page', async () => {
    const whole = await reference(d, 'items')
    const first = await d.readRows('items', { limit: 10 })
    expect(first.rows).toEqual(whole.slice(0, 10))
    // Back to the 4th row, then ahead past rows never handed out, then on from there.
    expect((await d.readRows('items', { limit: 10, after: keyOf(items, whole[3]!) })).rows).toEqual(whole.slice(4, 14))
    expect((await d.readRows('items', { limit: 10, after: keyOf(items, whole[500]!) })).rows).toEqual(whole.slice(501, 511))
    expect((await d.readRows('items', { limit: 10, after: keyOf(items, whole[510]!) })).rows).toEqual(whole.slice(511, 521))
    // A key between two rows (not in the table), and one past the end.
    expect((await d.readRows('items', { limit: 3, after: ['k0500a'] })).rows).toEqual(whole.filter((r) => (r[0] as string) > 'k0500a').slice(0, 3))
    expect((await d.readRows('items', { limit: 3, after: ['zzz'] })).rows).toEqual([])
    // The same `after` twice: the same page twice.
    const again = keyOf(items, whole[20]!)
    expect((await d.readRows('items', { limit: 5, after: again })).rows).toEqual(whole.slice(21, 26))
    expect((await d.readRows('items', { limit: 5, after: again })).rows).toEqual(whole.slice(21, 26))
  })

  for (const [how, write] of [
    [
      'a commit through the destination',
      async (_dest: Destination, id: string) => {
        await d.commitBatch(commit({ loadId: 'load-2', writes: [{ mode: 'merge', rows: { table: 'items', columns: ['id', 'n'], rows: [[id, 42]] } }] }))
      },
    ],
    [
      'an ad-hoc statement',
      async (_dest: Destination, id: string) => {
        await sql`insert into items (id, n) values (${id}, 42)`.execute(d.db)
      },
    ],
    [
      'a second destination on the same file',
      async (second: Destination, id: string) => {
        await second.commitBatch(commit({ loadId: 'load-2', writes: [{ mode: 'merge', rows: { table: 'items', columns: ['id', 'n'], rows: [[id, 42]] } }] }))
      },
    ],
  ] as const) {
    it(`after ${how}, the next page shows the write`, async () => {
      const second = await openPrepared(url)
      try {
        const got = await pageThrough(d, items, 10, async (page, last) => {
          if (page !== 2) return
          // A new key just after the last row handed out, and another far ahead.
          const at = last[0] as string
          await write(second, `${at}a`)
          await write(second, 'k0900a')
        })
        const whole = await reference(d, 'items')
        expect(whole.find((r) => r[0] === 'k0900a')?.[1]).toBe(42)
        expect(got).toEqual(whole)
      } finally {
        await second.close()
      }
    })
  }
})
