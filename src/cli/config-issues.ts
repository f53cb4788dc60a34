import type { z } from 'zod'

/**
 * Turns a zod issue into `okta.auth.tokenEnv: expected string, got number`. Config values are
 * described by their TYPE, never echoed: a token pasted under the wrong key must not reach the
 * terminal or a log collector through an error message.
 */
export function formatIssue(issue: z.core.$ZodIssue, raw: unknown, knownKeys: Record<string, string[]>): string {
  const path = formatPath(issue.path)
  const at = path === '' ? '' : `${path}: `
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0] ?? ''
      const full = path === '' ? key : `${path}.${key}`
      // Own keys only: a key path named "constructor" must not find Object.prototype's.
      const suggestion = closest(key, Object.hasOwn(knownKeys, path) ? knownKeys[path]! : [])
      return `unknown key "${full}"${suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`}`
    }
    case 'invalid_type': {
      const actual = describeType(valueAt(raw, issue.path))
      if (actual === 'undefined') return `${at}required (expected ${expectedName(issue.expected)})`
      return `${at}expected ${expectedName(issue.expected)}, got ${actual}`
    }
    case 'invalid_union': {
      if (issue.discriminator !== undefined && 'options' in issue && issue.options !== undefined) {
        const got = valueAt(raw, issue.path)
        const options = issue.options.map((o) => JSON.stringify(o)).join(' or ')
        return got === undefined ? `${at}required (expected ${options})` : `${at}expected ${options}, got ${shortValue(got)}`
      }
      return `${at}does not match any allowed form`
    }
    case 'invalid_value': {
      const options = issue.values.map((v) => JSON.stringify(v)).join(', ')
      return `${at}expected one of ${options}, got ${shortValue(valueAt(raw, issue.path))}`
    }
    case 'too_big':
    case 'too_small': {
      const bound = issue.code === 'too_big' ? issue.maximum : issue.minimum
      const inclusive = issue.inclusive ?? true
      const op = issue.code === 'too_big' ? (inclusive ? '<=' : '<') : inclusive ? '>=' : '>'
      if (issue.origin === 'array') {
        return `${at}expected ${issue.code === 'too_big' ? 'at most' : 'at least'} ${String(bound)} item${bound === 1 ? '' : 's'}`
      }
      if (issue.origin === 'string') return `${at}expected a non-empty string`
      const got = valueAt(raw, issue.path)
      return `${at}expected a number ${op} ${String(bound)}, got ${typeof got === 'number' ? String(got) : describeType(got)}`
    }
    default:
      // Custom messages (e.g. the env-var name rule) are written for users already.
      return `${at}${issue.message}`
  }
}

/** `okta.auth.scopes[1]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`
    else out += out === '' ? String(seg) : `.${String(seg)}`
  }
  return out
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let cur = raw
  for (const seg of path) {
    if (typeof cur !== 'object' || cur === null || !Object.hasOwn(cur, seg)) return undefined
    cur = (cur as Record<PropertyKey, unknown>)[seg]
  }
  return cur
}

function describeType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'number' && !Number.isInteger(value)) return 'number (not an integer)'
  return typeof value
}

function expectedName(expected: string): string {
  return expected === 'int' ? 'integer' : expected
}

/** Only short scalars are shown (enum mistakes like `"userz"`); anything long could be a secret. */
function shortValue(value: unknown): string {
  if (typeof value === 'string' && value.length <= 24 && /^[\w.-]*$/.test(value)) return JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return describeType(value)
}

/** The known key within edit distance 2, for typo hints. */
function closest(key: string, candidates: string[]): string | undefined {
  let best: string | undefined
  let bestDist = 3
  for (const c of candidates) {
    const d = editDistance(key.toLowerCase(), c.toLowerCase())
    if (d < bestDist) {
      best = c
      bestDist = d
    }
  }
  return best
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = cur
  }
  return prev[b.length]!
}
