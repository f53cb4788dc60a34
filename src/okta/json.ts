/**
 * JSON parsing that keeps integers beyond 2^53 exact. The fast path is plain `JSON.parse`; only
 * when the text holds a run of 16+ digits (the shortest unsafe integer has 16) is it parsed again
 * with a reviver reading the source text (Node 22+ `context.source`) to return a `bigint`.
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

/** Parses JSON text; unsafe integers come back as `bigint`. Throws `SyntaxError` like `JSON.parse`. */
export function parseJson(text: string): unknown {
  const value: unknown = JSON.parse(text)
  if (!LONG_DIGITS.test(text)) return value
  return JSON.parse(text, reviveBigInts as (key: string, value: unknown) => unknown)
}
