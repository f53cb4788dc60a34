import { randomUUID } from 'node:crypto'

/**
 * JSON parsing that keeps integers beyond 2^53 exact, at any nesting depth.
 *
 * The fast path is plain `JSON.parse` (V8's parser is iterative: a record nested 5,000 levels deep
 * parses fine). Only when the text holds a run of 16+ digits (the shortest unsafe integer has 16)
 * AND the parsed value holds a number beyond ±2^53 is the text parsed again, with each unsafe
 * integer literal first rewritten into a marked string that a walk then turns into a `bigint`.
 *
 * No recursion anywhere: `JSON.parse` with a reviver recurses per level (and a 5,000-deep record
 * then fails with "Maximum call stack size exceeded", retried forever by the client), so the
 * reviver is not used; both walks below keep their own stack.
 *
 * The second check matters for speed: System Log pages are full of hex ids and hashes with long
 * digit runs inside strings, and the slow path costs more than the parse itself.
 */

const LONG_DIGITS = /\d{16,}/

/** Parses JSON text; unsafe integers come back as `bigint`. Throws `SyntaxError` like `JSON.parse`. */
export function parseJson(text: string): unknown {
  const value: unknown = JSON.parse(text)
  if (!LONG_DIGITS.test(text) || !hasUnsafeNumber(value)) return value
  const marker = markerFor(text)
  return reviveMarked(JSON.parse(markUnsafeIntegers(text, marker)), marker)
}

/** Whether a parsed value holds a number the slow path would turn into a bigint. */
function hasUnsafeNumber(root: unknown): boolean {
  const stack: unknown[] = [root]
  while (stack.length > 0) {
    const value = stack.pop()
    if (typeof value === 'number') {
      if (value > Number.MAX_SAFE_INTEGER || value < -Number.MAX_SAFE_INTEGER) return true
    } else if (value !== null && typeof value === 'object') {
      if (Array.isArray(value)) for (const item of value) stack.push(item)
      else for (const key in value) stack.push((value as Record<string, unknown>)[key])
    }
  }
  return false
}

/**
 * A prefix no string in the data holds, so a marked string is never confused with a value: a NUL
 * and a random nonce (checked against the text too, in case it is written there unescaped).
 */
function markerFor(text: string): string {
  let marker: string
  do marker = `\u0000okta-elt-bigint-${randomUUID()}:`
  while (text.includes(marker.slice(1)))
  return marker
}

/**
 * Rewrites every integer literal outside strings whose value is not a safe integer into the string
 * `"<marker><digits>"`. A single pass over the text tracking only "inside a string" state.
 */
function markUnsafeIntegers(text: string, marker: string): string {
  const out: string[] = []
  let last = 0
  let i = 0
  const n = text.length
  const escapedMarker = JSON.stringify(marker).slice(1, -1)
  while (i < n) {
    const c = text.charCodeAt(i)
    if (c === 0x22 /* " */) {
      i++
      while (i < n) {
        const d = text.charCodeAt(i)
        if (d === 0x5c /* \ */) i += 2
        else if (d === 0x22) break
        else i++
      }
      i++
      continue
    }
    if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      const start = i
      i++
      while (i < n) {
        const d = text.charCodeAt(i)
        if ((d >= 0x30 && d <= 0x39) || d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d) i++
        else break
      }
      const literal = text.slice(start, i)
      if (/^-?\d{16,}$/.test(literal) && !Number.isSafeInteger(Number(literal))) {
        out.push(text.slice(last, start), `"${escapedMarker}${literal}"`)
        last = i
      }
      continue
    }
    i++
  }
  out.push(text.slice(last))
  return out.join('')
}

/** Replaces every marked string by its `bigint`, iteratively. */
function reviveMarked(root: unknown, marker: string): unknown {
  const revive = (v: unknown): unknown => (typeof v === 'string' && v.startsWith(marker) ? BigInt(v.slice(marker.length)) : v)
  const top = revive(root)
  const stack: unknown[] = [top]
  while (stack.length > 0) {
    const value = stack.pop()
    if (value === null || typeof value !== 'object') continue
    if (Array.isArray(value)) {
      for (let k = 0; k < value.length; k++) {
        const item: unknown = value[k]
        if (typeof item === 'string') value[k] = revive(item)
        else if (item !== null && typeof item === 'object') stack.push(item)
      }
    } else {
      const obj = value as Record<string, unknown>
      for (const key in obj) {
        const item = obj[key]
        if (typeof item === 'string') obj[key] = revive(item)
        else if (item !== null && typeof item === 'object') stack.push(item)
      }
    }
  }
  return top
}
