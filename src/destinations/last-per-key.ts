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

function rowKey(row: readonly unknown[], keyCols: readonly number[]): string {
  if (keyCols.length === 1) return String(row[keyCols[0]!])
  return keyCols.map((c) => String(row[c])).join('\u0000')
}
