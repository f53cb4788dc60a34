/**
 * JSON text for a value that may hold `bigint`s (the HTTP layer parses integers beyond 2^53 as
 * `bigint` so they are never rounded). `JSON.stringify` throws on `bigint`; we retry with a
 * replacer that emits the exact digits through `JSON.rawJSON` (Node ≥ 21). The retry keeps the
 * common case (no bigint anywhere) at plain `JSON.stringify` speed.
 *
 * `JSON.stringify` recurses natively and throws a RangeError a few thousand levels down (~4,400
 * objects deep on Node 24): such a value is written by `deepJsonText`, with an explicit stack.
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
    if (err instanceof RangeError) return deepJsonText(value)
    if (!(err instanceof TypeError)) throw err
    try {
      return JSON.stringify(value, bigintReplacer)
    } catch (again) {
      if (again instanceof RangeError) return deepJsonText(value)
      throw again
    }
  }
}

const skipped = (v: unknown): boolean => v === undefined || typeof v === 'function' || typeof v === 'symbol'

function scalarJson(v: unknown): string {
  if (typeof v === 'bigint') return v.toString()
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null'
  return JSON.stringify(v) // string, boolean, null
}

/** One open array or object on the explicit stack: its entries and how far they are written. */
interface Frame {
  array: boolean
  keys: string[]
  values: unknown[]
  next: number
}

/**
 * The same text as `JSON.stringify` (plain data as JSON.parse produces it, plus bigint) for values
 * of any depth: iterative, so a record nested 100,000 levels deep costs memory, not stack.
 */
export function deepJsonText(value: unknown): string {
  const out: string[] = []
  const stack: Frame[] = []
  const open = (v: unknown): void => {
    if (v === null || typeof v !== 'object') {
      out.push(scalarJson(v))
      return
    }
    if (Array.isArray(v)) {
      out.push('[')
      stack.push({ array: true, keys: [], values: v.map((e) => (skipped(e) ? null : e)), next: 0 })
      return
    }
    const keys: string[] = []
    const values: unknown[] = []
    for (const k of Object.keys(v)) {
      const e = (v as Record<string, unknown>)[k]
      if (skipped(e)) continue
      keys.push(k)
      values.push(e)
    }
    out.push('{')
    stack.push({ array: false, keys, values, next: 0 })
  }
  open(value)
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as Frame
    if (top.next === top.values.length) {
      out.push(top.array ? ']' : '}')
      stack.pop()
      continue
    }
    const i = top.next++
    if (i > 0) out.push(',')
    if (!top.array) out.push(JSON.stringify(top.keys[i]), ':')
    open(top.values[i])
  }
  return out.join('')
}
