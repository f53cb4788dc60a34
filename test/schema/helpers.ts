import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { expect } from 'vitest'
import { Normalizer } from '../../src/schema/index.ts'
import type { NormalizeResult, RowBatch, RowValue, TableDef, TableHints } from '../../src/schema/index.ts'

const samples = fileURLToPath(new URL('../fixtures/okta-samples/', import.meta.url))

/** A fresh parse of one payload from test/fixtures/okta-samples (copies of ../shared/okta-samples). */
export function sample(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(`${samples}${name}`, 'utf8')) as Record<string, unknown>
}

/** Parses JSON text the way the wire does (keys like `__proto__` stay own data properties). */
export const wire = (text: string): Record<string, unknown> => JSON.parse(text) as Record<string, unknown>

export const USERS: TableHints = { table: 'users', primaryKey: [['id']], jsonPaths: [['_links']] }

export interface Pair {
  compiled: Normalizer
  generic: Normalizer
}

export function pair(opts: { tables?: TableDef[]; maxIdentifierBytes?: number; maxColumns?: number } = {}): Pair {
  const base = { tables: opts.tables ?? [], maxIdentifierBytes: opts.maxIdentifierBytes ?? 63, maxColumns: opts.maxColumns ?? 1500 }
  return { compiled: new Normalizer({ ...base, compile: true }), generic: new Normalizer({ ...base, compile: false }) }
}

/**
 * Normalizes through both the compiled and the generic path and checks they agree exactly, so every
 * scenario tests both. Records are deep-copied (structuredClone keeps bigint) per path.
 */
export function normalizeBoth(p: Pair, hints: TableHints, records: Record<string, unknown>[]): NormalizeResult {
  const a = p.compiled.normalize(hints, structuredClone(records))
  const b = p.generic.normalize(hints, structuredClone(records))
  expect(a).toEqual(b)
  expect(p.compiled.tables()).toEqual(p.generic.tables())
  return a
}

/** One batch as objects keyed by column name. */
export function objects(batch: RowBatch | undefined): Record<string, RowValue>[] {
  if (batch === undefined) throw new Error('no such batch')
  return batch.rows.map((row) => Object.fromEntries(batch.columns.map((c, i) => [c, row[i] ?? null])))
}

export function batchOf(result: NormalizeResult, table: string): RowBatch {
  const b = result.batches.find((x) => x.table === table)
  if (b === undefined) throw new Error(`no batch for ${table}`)
  return b
}

export function tableOf(n: Normalizer, name: string): TableDef {
  const t = n.tables().find((x) => x.name === name)
  if (t === undefined) throw new Error(`no table ${name}`)
  return t
}

export function columnOf(n: Normalizer, table: string, path: string[]) {
  return tableOf(n, table).columns.find((c) => JSON.stringify(c.path) === JSON.stringify(path))
}
