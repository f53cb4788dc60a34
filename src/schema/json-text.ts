/**
 * JSON text for a value that may hold `bigint`s (the HTTP layer parses integers beyond 2^53 as
 * `bigint` so they are never rounded). `JSON.stringify` throws on `bigint`; we retry with a
 * replacer that emits the exact digits through `JSON.rawJSON` (Node ≥ 21). The retry keeps the
 * common case (no bigint anywhere) at plain `JSON.stringify` speed.
 */
const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON

function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? rawJSON(value.toString()) : value
}

export function toJsonText(value: unknown): string {
  if (value === undefined) return 'null'
  try {
    return JSON.stringify(value)
  } catch (err) {
    if (!(err instanceof TypeError)) throw err
    return JSON.stringify(value, bigintReplacer)
  }
}
