import type { ColumnType, RowValue } from '../../schema/types.ts'

/**
 * Postgres COPY text encoding, chosen once per column of a statement shape so the per-row loop is
 * a plain array walk. Values arrive encoded as src/schema/types.ts documents; these encoders also
 * make a value of an unexpected JS type land in the column's type (e.g. a number in a text column).
 */

/** `\N` is NULL in COPY's text format. */
export const COPY_NULL = '\\N'

const COPY_SPECIAL = /[\\\t\n\r\0]/
const COPY_SPECIAL_G = /[\\\t\n\r\0]/g

/**
 * Escapes a value for COPY … FROM STDIN in text format: backslash, tab (the delimiter), newline
 * and carriage return are backslash-escaped. Postgres text cannot hold NUL at all, so NUL becomes
 * U+FFFD (the one lossy case, documented in the README).
 */
export function escapeCopyText(s: string): string {
  if (!COPY_SPECIAL.test(s)) return s
  return s.replace(COPY_SPECIAL_G, (ch) => (ch === '\\' ? '\\\\' : ch === '\t' ? '\\t' : ch === '\n' ? '\\n' : ch === '\r' ? '\\r' : '\uFFFD'))
}

/** jsonb rejects the `\u0000` escape (an unescaped one, i.e. preceded by an even run of backslashes). */
const JSON_NUL = /(?<!\\)((?:\\\\)*)\\u0000/g

export type CopyEncoder = (v: RowValue) => string

/** Postgres COPY text encoders: the staging table is all `text`; the merge casts to the real types. */
export function copyEncoder(type: ColumnType): CopyEncoder {
  switch (type) {
    case 'boolean':
      return (v) => (v === null || v === undefined ? COPY_NULL : v === true ? 't' : v === false ? 'f' : escapeCopyText(String(v)))
    case 'bigint':
    case 'double':
      return (v) =>
        v === null || v === undefined ? COPY_NULL : typeof v === 'string' ? escapeCopyText(v) : typeof v === 'boolean' ? (v ? '1' : '0') : String(v)
    case 'timestamp':
      return (v) => (v === null || v === undefined ? COPY_NULL : escapeCopyText(String(v)))
    case 'text':
      return (v) =>
        v === null || v === undefined ? COPY_NULL : typeof v === 'string' ? escapeCopyText(v) : typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v)
    case 'json':
      return (v) => {
        if (v === null || v === undefined) return COPY_NULL
        if (typeof v !== 'string') return typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v)
        return escapeCopyText(v.includes('\\u0000') ? v.replace(JSON_NUL, '$1\\ufffd') : v)
      }
  }
}
