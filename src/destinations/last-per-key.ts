/**
 * `ON CONFLICT DO UPDATE` refuses to touch one row twice in a statement (Postgres and DuckDB), so a
 * set-based merge of a batch that carries the same key twice (a record updated while we paged)
 * keeps only its last occurrence, which is what a per-row upsert (SQLite) ends with too.
 * `keyCols` are the positions of the primary key in each row.
 */
export function lastPerKey<Row extends readonly unknown[]>(rows: readonly Row[], keyCols: readonly number[]): Row[] {
  const last = new Map<string, number>()
  for (const [i, row] of rows.entries()) last.set(rowKey(row, keyCols), i)
  if (last.size === rows.length) return rows as Row[]
  return rows.filter((row, i) => last.get(rowKey(row, keyCols)) === i)
}

/** The first occurrence of each key instead (`append` keeps the first row for a key, see upsert-sql.ts). */
export function firstPerKey<Row extends readonly unknown[]>(rows: readonly Row[], keyCols: readonly number[]): Row[] {
  const seen = new Set<string>()
  const out: Row[] = []
  for (const row of rows) {
    const k = rowKey(row, keyCols)
    if (seen.has(k)) continue
    seen.add(k)
    out.push(row)
  }
  return out.length === rows.length ? (rows as Row[]) : out
}

function rowKey(row: readonly unknown[], keyCols: readonly number[]): string {
  if (keyCols.length === 1) return String(row[keyCols[0]!])
  return keyCols.map((c) => String(row[c])).join('\u0000')
}
