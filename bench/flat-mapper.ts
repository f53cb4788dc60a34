/**
 * The references' "minimal hand-written mapper": nested objects flattened with `__`, arrays and
 * the listed top-level keys kept as JSON text, columns fixed by the first page (later unseen keys
 * are dropped: a reference does not evolve its schema). Types inferred once from that page.
 */
export type ColumnKind = 'text' | 'number' | 'boolean' | 'timestamp' | 'json'

export interface FlatShape {
  columns: string[]
  kinds: ColumnKind[]
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/

export function flatten(record: Record<string, unknown>, keepJson: ReadonlySet<string>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const key in record) {
    const value = record[key]
    const name = prefix === '' ? key : `${prefix}__${key}`
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(prefix === '' && keepJson.has(key))) {
      flatten(value as Record<string, unknown>, keepJson, name, out)
    } else {
      out[name] = value
    }
  }
  return out
}

/** Columns and their kinds from the first page's flattened rows. */
export function shapeOf(rows: readonly Record<string, unknown>[]): FlatShape {
  const kinds = new Map<string, ColumnKind | null>()
  for (const row of rows) {
    for (const key in row) {
      const value = row[key]
      const seen = kinds.get(key) ?? null
      if (value === null || value === undefined) {
        if (!kinds.has(key)) kinds.set(key, null)
        continue
      }
      const kind: ColumnKind = typeof value === 'object'
        ? 'json'
        : typeof value === 'number'
          ? 'number'
          : typeof value === 'boolean'
            ? 'boolean'
            : typeof value === 'string' && ISO.test(value)
              ? 'timestamp'
              : 'text'
      kinds.set(key, seen === null || seen === kind ? kind : seen === 'timestamp' && kind === 'text' ? 'text' : seen)
    }
  }
  const columns = [...kinds.keys()]
  return { columns, kinds: columns.map((c) => kinds.get(c) ?? 'text') }
}

/** SQLite bind values: JSON text for objects and arrays, 1/0 for booleans. */
export function sqliteValues(row: Record<string, unknown>, shape: FlatShape): unknown[] {
  const out = new Array<unknown>(shape.columns.length)
  for (let i = 0; i < shape.columns.length; i++) {
    const v = row[shape.columns[i]!]
    out[i] = v === undefined || v === null ? null : typeof v === 'object' ? JSON.stringify(v) : typeof v === 'boolean' ? (v ? 1 : 0) : v
  }
  return out
}

export function pgType(kind: ColumnKind): string {
  return { text: 'text', number: 'double precision', boolean: 'boolean', timestamp: 'timestamptz', json: 'jsonb' }[kind]
}

/** One line of COPY text format. */
export function copyLine(row: Record<string, unknown>, shape: FlatShape): string {
  let line = ''
  for (let i = 0; i < shape.columns.length; i++) {
    if (i > 0) line += '\t'
    const v = row[shape.columns[i]!]
    if (v === undefined || v === null) {
      line += '\\N'
      continue
    }
    const s = typeof v === 'object' ? JSON.stringify(v) : String(v)
    line += /[\\\t\n\r]/.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : s
  }
  return line + '\n'
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}
