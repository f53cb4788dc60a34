/**
 * Depth bound: however deep a record nests, the normalizer flattens at most MAX_FLATTEN_DEPTH
 * levels and keeps the rest as one JSON value, with no recursion proportional to the depth (the
 * discovery walk and the compiled extractor stop at the bound; JSON text of the rest is written
 * iteratively when JSON.stringify's native recursion gives up, ~4,400 levels on Node 24).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import type { Destination } from '../../src/destinations/destination.ts'
import { toCommitBatch } from '../../src/pipeline/to-commit-batch.ts'
import { RESOURCES } from '../../src/resources/index.ts'
import { MAX_FLATTEN_DEPTH, Normalizer, toJsonText } from '../../src/schema/index.ts'
import { deepJsonText } from '../../src/schema/json-text.ts'
import { destinationCases, openPrepared } from '../destinations/destinations.ts'
import { batchOf, objects, pair, tableOf } from './helpers.ts'
import type { Pair } from './helpers.ts'
import type { NormalizeResult, TableHints } from '../../src/schema/index.ts'

/** normalizeBoth for records too deep for structuredClone: each path gets its own fresh build. */
function bothPaths(p: Pair, hints: TableHints, build: () => Record<string, unknown>[]): NormalizeResult {
  const a = p.compiled.normalize(hints, build())
  const b = p.generic.normalize(hints, build())
  expect(a).toEqual(b)
  expect(p.compiled.tables()).toEqual(p.generic.tables())
  return a
}

/** `{ a: { a: … { a: leaf } } }`, `levels` objects deep, built without recursion. */
function nested(levels: number, leaf: unknown = 1): Record<string, unknown> {
  let o: Record<string, unknown> = { a: leaf }
  for (let i = 1; i < levels; i++) o = { a: o }
  return o
}

/** How many `{"a":` levels a JSON text has, read iteratively. */
function depthOf(text: string): number {
  return text.split('{').length - 1
}

const T = { table: 't', primaryKey: [['id']] }
const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON

describe('depth bound', () => {
  it('flattens a record nested 5,000 levels deep to MAX_FLATTEN_DEPTH and keeps the rest as one JSON value', () => {
    const p = pair()
    const res = bothPaths(p, T, () => [{ id: 'deep', top: 1, deep: nested(5000) }])
    bothPaths(p, T, () => [{ id: 'again', deep: nested(5000, 'x') }]) // compiled this time
    const columns = tableOf(p.compiled, 't').columns.filter((c) => c.path.length > 0)
    expect(Math.max(...columns.map((c) => c.path.length))).toBe(MAX_FLATTEN_DEPTH)
    const jsonColumn = columns.find((c) => c.path.length === MAX_FLATTEN_DEPTH)!
    expect(jsonColumn).toMatchObject({ type: 'json', path: ['deep', ...Array<string>(MAX_FLATTEN_DEPTH - 1).fill('a')] })
    const row = objects(batchOf(res, 't'))[0]!
    expect(row.top).toBe(1)
    // 5,000 objects below `deep`: MAX_FLATTEN_DEPTH - 1 of them became path segments.
    const text = row[jsonColumn.name] as string
    expect(depthOf(text)).toBe(5000 - (MAX_FLATTEN_DEPTH - 1))
    expect(text.endsWith(`{"a":1${'}'.repeat(5000 - (MAX_FLATTEN_DEPTH - 1))}`)).toBe(true)
  })

  it('takes 100,000 levels too, and the same shape again on the compiled path', () => {
    const n = new Normalizer({ tables: [], maxIdentifierBytes: 63, maxColumns: 400 })
    for (let batch = 0; batch < 3; batch++) {
      const res = n.normalize(T, [{ id: `r${batch}`, deep: nested(100_000, batch) }, { id: `s${batch}`, deep: nested(20, 'x') }])
      const rows = objects(batchOf(res, 't'))
      const col = n.tables()[0]!.columns.find((c) => c.type === 'json')!
      expect(depthOf(rows[0]![col.name] as string)).toBe(100_000 - (MAX_FLATTEN_DEPTH - 1))
      expect(rows[1]![col.name]).toBe(toJsonText(nested(20 - (MAX_FLATTEN_DEPTH - 1), 'x')))
    }
  })

  it('bounds child rows the same way, and a deep array of arrays is one JSON value', () => {
    const p = pair()
    const arrays = (): unknown => {
      let a: unknown = 1
      for (let i = 0; i < 6000; i++) a = [a]
      return a
    }
    const res = bothPaths(p, T, () => [{ id: 'c', items: [{ deep: nested(5000) }], arrays: arrays() }])
    const child = tableOf(p.compiled, 't__items').columns.filter((c) => c.path.length > 0)
    expect(Math.max(...child.map((c) => c.path.length))).toBe(MAX_FLATTEN_DEPTH)
    expect((objects(batchOf(res, 't'))[0]!.arrays as string).length).toBe(6000 * 2 + 1)
  })

  it('writes the same JSON text as JSON.stringify, whatever the value', () => {
    const values: unknown[] = [
      null, 1, -0, 1.5e300, 'x"\\\n\u2028', true, [], {}, [1, [2, [3]], { a: null }], { a: undefined, b: () => 1, c: [undefined, () => 1], 'k"ey': 2 },
      { big: 2n ** 70n, list: [2n ** 64n, -(2n ** 65n)] }, { __proto__: null, constructor: 1 } as unknown, [NaN, Infinity],
    ]
    for (const v of values) {
      const expected = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? rawJSON(x.toString()) : x))
      expect(deepJsonText(v)).toBe(expected)
    }
    expect(deepJsonText(nested(50_000))).toBe(`${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`)
  })
})

for (const dc of destinationCases()) {
  describe(`${dc.kind}: a 5,000-level record loads`, () => {
    const opened: Destination[] = []
    afterAll(async () => {
      for (const d of opened) await d.close()
      await dc.cleanup()
    })

    it('through the normalizer into the destination, the deep rest intact as JSON', async () => {
      const d = await openPrepared(dc.freshUrl())
      opened.push(d)
      const n = new Normalizer({ tables: await d.readSchema(), ...d.capabilities })
      const user = { id: '00udeep', status: 'ACTIVE', profile: { login: 'deep@example.com', blob: nested(5000, 'bottom') } }
      const normalized = n.normalize(RESOURCES.users.table, [user])
      await d.commitBatch(toCommitBatch({ loadId: 'l1', resource: RESOURCES.users, batches: [{ resource: 'users', records: [user], state: [] }], normalized, tables: n.tables(), registry: RESOURCES }))
      const col = n.tables().find((t) => t.name === 'users')!.columns.find((c) => c.type === 'json' && c.path[1] === 'blob')!
      const res = await sql`select cast(${sql.id(col.name)} as text) as v from users`.execute(d.db)
      const text = (res.rows[0] as { v: string }).v.replace(/\s/g, '')
      expect(depthOf(text)).toBe(5000 - (MAX_FLATTEN_DEPTH - 2))
      expect(text.endsWith(`{"a":"bottom"${'}'.repeat(5000 - (MAX_FLATTEN_DEPTH - 2))}`)).toBe(true)
    })
  })
}
