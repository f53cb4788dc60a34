/**
 * The schema layer decides the lattice (src/schema/type-lattice.ts); a destination only performs a
 * widening. These tests check that both sides agree: every widening the lattice allows, performed
 * by each real destination on stored rows, reads back exactly like the lattice's `widenValue`
 * written straight into a column of the wider type (what the normalizer writes for rows that
 * arrive after the widening), and the destination refuses widenings the lattice does not have.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import type { Destination } from '../../src/destinations/destination.ts'
import { canWiden, COLUMN_TYPES, encodeValue, scalarType, widenType, widenValue } from '../../src/schema/index.ts'
import type { ColumnDef, ColumnType, RowValue, TableDef } from '../../src/schema/index.ts'
import { commit, destinationCases, openPrepared } from '../destinations/destinations.ts'

/** Stored values of each type, as the normalizer encodes them (RowBatch documents). */
const SAMPLES: Record<Exclude<ColumnType, 'json'>, RowValue[]> = {
  boolean: [true, false],
  bigint: [0, 1, -42, 123456789012, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER],
  double: [1.5, -0.25, 0.1 + 0.2, 1e-7, 1.5e-6, 0.000001, 1e21, 1.5e300, 5e-324, 123456.789, 2 ** 60, 1e15, 1e20, 2 ** 53 + 2],
  timestamp: ['2024-01-02T03:04:05.678Z', '0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z', '2024-02-29T00:00:00.000Z'],
  text: ['abc', '00123', '', 'say "hi" \\ back', '🎉 ünï', '1.5', 'true', '{"k":1}'],
}

const PAIRS: [ColumnType, ColumnType][] = COLUMN_TYPES.flatMap((from) => COLUMN_TYPES.filter((to) => canWiden(from, to)).map((to): [ColumnType, ColumnType] => [from, to]))

describe('the lattice', () => {
  it('has exactly the documented widenings: bigint → double → text → json, boolean → text, timestamp → text', () => {
    expect(PAIRS.map(([f, t]) => `${f}→${t}`).sort()).toEqual(
      ['bigint→double', 'bigint→text', 'bigint→json', 'double→text', 'double→json', 'text→json', 'boolean→text', 'boolean→json', 'timestamp→text', 'timestamp→json'].sort(),
    )
  })

  it('is a join semilattice: the join of two types is above both and the least such', () => {
    for (const a of COLUMN_TYPES) {
      for (const b of COLUMN_TYPES) {
        const j = widenType(a, b)
        expect(j === a || canWiden(a, j)).toBe(true)
        expect(j === b || canWiden(b, j)).toBe(true)
        for (const c of COLUMN_TYPES) {
          expect(widenType(widenType(a, b), c)).toBe(widenType(a, widenType(b, c)))
          const above = (x: ColumnType) => x === c || canWiden(x, c)
          if (above(a) && above(b)) expect(above(j)).toBe(true)
        }
      }
    }
  })

  it('widening composes: step by step or at once, a value ends the same', () => {
    for (const [from, mid] of PAIRS) {
      for (const to of COLUMN_TYPES.filter((t) => canWiden(mid, t))) {
        for (const v of SAMPLES[from as keyof typeof SAMPLES]) expect(widenValue(widenValue(v, from, mid), mid, to)).toEqual(widenValue(v, from, to))
      }
    }
  })

  it('the normalizer encodes a value for a wider column exactly as widening its stored form does', () => {
    const raws: (string | number | boolean | bigint)[] = [true, 0, -0, 7, 2n ** 40n, 2n ** 60n, 1.5, 1e-7, '2024-01-02T05:04:05.678+02:00', '2024-01-02T03:04:05Z', 'x', '']
    for (const raw of raws) {
      const type = scalarType(raw)
      const stored = encodeValue(raw, type, type)
      for (const column of COLUMN_TYPES.filter((c) => canWiden(type, c))) expect(encodeValue(raw, type, column)).toEqual(widenValue(stored, type, column))
    }
  })
})

for (const dc of destinationCases()) {
  describe(`${dc.kind}: performs exactly the lattice's widenings`, () => {
    const opened: Destination[] = []
    afterAll(async () => {
      for (const d of opened) await d.close()
      await dc.cleanup()
    })

    it('every widened stored value reads back like the lattice value written into the wider type', async () => {
      const d = await openPrepared(dc.freshUrl())
      opened.push(d)
      const w = (f: ColumnType, t: ColumnType) => `w_${f}_${t}`
      const direct = (f: ColumnType, t: ColumnType) => `d_${f}_${t}`
      const columns: ColumnDef[] = [{ name: 'id', path: ['id'], type: 'text' }]
      for (const [f, t] of PAIRS) columns.push({ name: w(f, t), path: [w(f, t)], type: f }, { name: direct(f, t), path: [direct(f, t)], type: t })
      const table: TableDef = { name: 'agree', primaryKey: ['id'], columns: [...columns, { name: '_load_id', path: [], type: 'text' }, { name: '_deleted_at', path: [], type: 'timestamp' }] }
      const rowCount = Math.max(...Object.values(SAMPLES).map((s) => s.length))
      const rows: RowValue[][] = []
      for (let i = 0; i < rowCount; i++) {
        const row: RowValue[] = [`r${String(i).padStart(2, '0')}`]
        for (const [f, t] of PAIRS) {
          const v = SAMPLES[f as keyof typeof SAMPLES][i] ?? null
          row.push(v, widenValue(v, f, t))
        }
        rows.push(row)
      }
      await d.commitBatch(commit({ schemaChanges: [{ kind: 'create_table', table }], writes: [{ mode: 'merge', rows: { table: 'agree', columns: columns.map((c) => c.name), rows } }] }))
      await d.commitBatch(commit({ loadId: 'load-2', schemaChanges: PAIRS.map(([f, t]) => ({ kind: 'widen_column' as const, table: 'agree', column: w(f, t), from: f, to: t })) }))

      const got = (await sql`select * from agree order by id`.execute(d.db)).rows as Record<string, unknown>[]
      expect(got).toHaveLength(rowCount)
      for (const [f, t] of PAIRS) {
        expect(got.map((r) => [r.id, r[w(f, t)]]), `${f} → ${t}`).toEqual(got.map((r) => [r.id, r[direct(f, t)]]))
      }
      // The database's own view too: storage class in SQLite (3 INTEGER vs 3.0 REAL differ in SQL
      // arithmetic), text form in Postgres.
      const probe = dc.kind === 'sqlite' ? (c: string) => sql`typeof(${sql.id(c)}) || ':' || coalesce(cast(${sql.id(c)} as text), 'NULL')` : (c: string) => sql`coalesce(${sql.id(c)}::text, 'NULL')`
      for (const [f, t] of PAIRS) {
        const res = await sql`select ${probe(w(f, t))} as a, ${probe(direct(f, t))} as b from agree order by id`.execute(d.db)
        const pairs = res.rows as { a: string; b: string }[]
        expect(pairs.map((p) => p.a), `${f} → ${t} in SQL`).toEqual(pairs.map((p) => p.b))
      }
      const schema = (await d.readSchema()).find((x) => x.name === 'agree')!
      for (const [f, t] of PAIRS) expect(schema.columns.find((c) => c.name === w(f, t))?.type).toBe(t)
    })

    it('refuses a change the lattice does not allow, and ignores one below the column type', async () => {
      const d = await openPrepared(dc.freshUrl())
      opened.push(d)
      const table: TableDef = {
        name: 'refuse',
        primaryKey: ['id'],
        columns: [
          { name: 'id', path: ['id'], type: 'text' },
          { name: 'b', path: ['b'], type: 'boolean' },
          { name: 't', path: ['t'], type: 'text' },
          { name: '_load_id', path: [], type: 'text' },
          { name: '_deleted_at', path: [], type: 'timestamp' },
        ],
      }
      await d.commitBatch(commit({ schemaChanges: [{ kind: 'create_table', table }] }))
      await expect(d.commitBatch(commit({ loadId: 'l2', schemaChanges: [{ kind: 'widen_column', table: 'refuse', column: 'b', from: 'boolean', to: 'bigint' }] }))).rejects.toThrow(/cannot change/)
      await d.commitBatch(commit({ loadId: 'l3', schemaChanges: [{ kind: 'widen_column', table: 'refuse', column: 't', from: 'bigint', to: 'bigint' }] }))
      await d.commitBatch(commit({ loadId: 'l4', schemaChanges: [{ kind: 'add_column', table: 'refuse', column: { name: 't', path: ['t'], type: 'double' } }] }))
      expect((await d.readSchema()).find((x) => x.name === 'refuse')!.columns.map((c) => c.type)).toEqual(['text', 'boolean', 'text', 'text', 'timestamp'])
    })
  })
}
