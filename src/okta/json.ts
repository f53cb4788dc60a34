/**
 * JSON parsing that keeps integers beyond 2^53 exact. The fast path is plain `JSON.parse`; only
 * when the text holds a run of 16+ digits (the shortest unsafe integer has 16) AND the parsed
 * value holds a number beyond ±2^53 is it parsed again with a reviver reading the source text
 * (Node 22+ `context.source`) to return a `bigint`.
 *
 * The second check matters for speed: System Log pages are full of hex ids and hashes with long
 * digit runs inside strings, and the reviver pass costs more than the parse itself. It changes
 * nothing else: the reviver only ever replaces a number whose magnitude exceeds 2^53.
 */

const LONG_DIGITS = /\d{16,}/
const INTEGER = /^-?\d+$/

type SourceReviver = (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown

const reviveBigInts: SourceReviver = (_key, value, context) => {
  if (typeof value !== 'number' || Number.isSafeInteger(value)) return value
  const source = context?.source
  if (source !== undefined && INTEGER.test(source)) return BigInt(source)
  return value
}

/** Whether a parsed value holds a number the reviver could turn into a bigint. */
function hasUnsafeNumber(value: unknown): boolean {
  if (typeof value === 'number') return value > Number.MAX_SAFE_INTEGER || value < -Number.MAX_SAFE_INTEGER
  if (value === null || typeof value !== 'object') return false
  if (Array.isArray(value)) {
    for (const item of value) if (hasUnsafeNumber(item)) return true
    return false
  }
  for (const key in value) if (hasUnsafeNumber((value as Record<string, unknown>)[key])) return true
  return false
}

/** Parses JSON text; unsafe integers come back as `bigint`. Throws `SyntaxError` like `JSON.parse`. */
export function parseJson(text: string): unknown {
  const value: unknown = JSON.parse(text)
  if (!LONG_DIGITS.test(text) || !hasUnsafeNumber(value)) return value
  return JSON.parse(text, reviveBigInts as (key: string, value: unknown) => unknown)
}
