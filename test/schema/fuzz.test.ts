import { describe, expect, it } from 'vitest'
import { parseTimestamp, scalarText, toJsonText } from '../../src/schema/index.ts'
import type { ColumnType, NormalizeResult, RowValue, TableDef, TableHints } from '../../src/schema/index.ts'
import { normalizeBoth, pair } from './helpers.ts'

/** Small seeded PRNG (mulberry32) so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed
  return () => {
    a |= 0
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const KEYS = ['a', 'b', 'firstName', 'first_name', 'x y', '', '🎉', 'constructor', 'n', 'deep', 'list', 'tags']

function scalar(r: () => number): unknown {
  switch (Math.floor(r() * 14)) {
    case 9: return -0
    case 10: return [1e-7, 1e21, 0.1 + 0.2][Math.floor(r() * 3)]
    case 11: return '2024-01-01T02:00:00+02:00'
    case 12: return '2024-01-01T00:00:00.123456Z'
    case 13: return 2n ** 50n
    case 0: return null
    case 1: return r() < 0.5
    case 2: return Math.floor(r() * 1000) - 500
    case 3: return r() * 100
    case 4: return 2n ** 62n + BigInt(Math.floor(r() * 100))
    case 5: return 2n ** 70n
    case 6: return new Date(Date.UTC(2020, 0, 1) + Math.floor(r() * 1e10)).toISOString()
    case 7: return `s${Math.floor(r() * 100)}`
    default: return '2024-01-01'
  }
}

function value(r: () => number, depth: number): unknown {
  const k = r()
  if (depth < 2 && k < 0.15) return object(r, depth + 1)
  if (k < 0.2) return Array.from({ length: Math.floor(r() * 3) }, () => scalar(r))
  if (depth < 1 && k < 0.3) return Array.from({ length: Math.floor(r() * 3) }, () => (r() < 0.1 ? null : object(r, depth + 1)))
  if (k < 0.32) return {}
  return scalar(r)
}

function object(r: () => number, depth: number): Record<string, unknown> {
  const o: Record<string, unknown> = {}
  for (const key of KEYS) if (r() < 0.35) o[key] = value(r, depth)
  return o
}

/**
 * Does `encoded` (in a column of `type`) faithfully hold `raw`? Arrays and declared free-form paths
 * are their JSON; a scalar in a text column is its text, in a json column the JSON string of it.
 */
function holds(type: ColumnType, raw: unknown, encoded: RowValue, declaredJson: boolean): boolean {
  const scalar = raw === null || typeof raw !== 'object'
  switch (type) {
    case 'json': return encoded === (scalar && !declaredJson ? JSON.stringify(scalarText(raw as string)) : toJsonText(raw))
    case 'text': return encoded === scalarText(raw as string)
    case 'timestamp': return encoded === parseTimestamp(raw as string)
    case 'bigint': return (typeof raw === 'number' || typeof raw === 'bigint') && BigInt(encoded as number) === BigInt(raw)
    case 'double': return encoded === Number(raw)
    case 'boolean': return encoded === raw
  }
}

/** Every non-null leaf outside arrays of objects is in its column (or in `_overflow`). */
function checkLossless(tables: TableDef[], result: NormalizeResult, records: Record<string, unknown>[], hints: TableHints): void {
  const root = tables.find((t) => t.name === hints.table)!
  const batch = result.batches[0]!
  const last = new Map<string, number>()
  records.forEach((rec, i) => last.set(String(rec.id), i))
  const kept = records.filter((rec, i) => last.get(String(rec.id)) === i)
  expect(batch.rows).toHaveLength(kept.length)
  kept.forEach((rec, ri) => {
    const row = batch.rows[ri]!
    const at = (name: string) => row[batch.columns.indexOf(name)] ?? null
    const overflow = at('_overflow') === null ? {} : JSON.parse(at('_overflow') as string)
    const walk = (o: Record<string, unknown>, path: string[]) => {
      for (const [key, v] of Object.entries(o)) {
        const p = [...path, key]
        if (v === null) continue
        const declaredJson = (hints.jsonPaths ?? []).some((j) => JSON.stringify(j) === JSON.stringify(p))
        if (typeof v === 'object' && !Array.isArray(v) && !declaredJson) {
          walk(v as Record<string, unknown>, p)
          continue
        }
        // Arrays of objects are child rows; `[]` is '[]' in the JSON column like any other array.
        if (!declaredJson && Array.isArray(v) && v.some((e) => e !== null && typeof e === 'object' && !Array.isArray(e))) continue
        const col = root.columns.find((c) => JSON.stringify(c.path) === JSON.stringify(p))
        if (col === undefined) {
          const inOverflow = p.reduce<unknown>((acc, seg) => (acc as Record<string, unknown> | undefined)?.[seg], overflow)
          expect(inOverflow, JSON.stringify(p)).toBeDefined()
          continue
        }
        expect(holds(col.type, v, at(col.name), declaredJson), `${JSON.stringify(p)} ${String(v)} in ${col.type} ${String(at(col.name))}`).toBe(true)
      }
    }
    walk(rec, [])
  })
}

describe('randomized records', () => {
  it.each(Array.from({ length: 12 }, (_, i) => i + 1))('seed %i: compiled and generic paths agree and keep every value', (seed) => {
    const r = rng(seed)
    const hints: TableHints = { table: 'fz', primaryKey: [['id']], jsonPaths: [['deep', 'tags']] }
    const p = pair({ maxColumns: seed % 2 === 0 ? 40 : 1500 })
    for (let batch = 0; batch < 8; batch++) {
      const records = Array.from({ length: 60 }, (_, i) => ({ id: `r${Math.floor(r() * 400)}`, ...object(r, 0), seq: batch * 100 + i }))
      const result = normalizeBoth(p, hints, records)
      const tables = p.compiled.tables()
      for (const t of tables) expect(t.columns.length).toBeLessThanOrEqual(seed % 2 === 0 ? 40 : 1500)
      checkLossless(tables, result, records, hints)
    }
  })
})
