/**
 * Identifier quoting for SQL text the destinations build by hand (the cached hot-path statements).
 * SQLite, Postgres and DuckDB all quote with double quotes and escape an embedded quote by doubling it,
 * so any name the normalizer produces (or a hostile one with quotes, semicolons, unicode) is one
 * identifier and never SQL. NUL cannot appear in an identifier in any of them: reject it.
 */
export function quoteIdent(name: string): string {
  if (name.length === 0) throw new TypeError('empty SQL identifier')
  if (name.includes('\0')) throw new TypeError('SQL identifier contains NUL')
  return `"${name.replaceAll('"', '""')}"`
}

/** `"schema"."table"`, or `"table"` when there is no schema (SQLite). */
export function qualify(schema: string | null, table: string): string {
  return schema === null ? quoteIdent(table) : `${quoteIdent(schema)}.${quoteIdent(table)}`
}
