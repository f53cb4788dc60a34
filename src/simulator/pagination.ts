/**
 * Link-header pagination: opaque cursors (base64url of a small tagged tuple) and `self` / `next`
 * links. `next` repeats the request's own query with `after` replaced, as Okta's does.
 */
import { fail } from './api-response.ts'

export function encodeCursor(tag: string, ...parts: (string | number)[]): string {
  return Buffer.from(JSON.stringify([tag, ...parts])).toString('base64url')
}

/** The cursor's parts (without the tag); 400 E0000029 when it is not one of ours for this list. */
export function decodeCursor(raw: string | null, tag: string, types: readonly ('string' | 'number')[]): (string | number)[] | null {
  if (raw === null || raw === '') return null
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'))
  } catch {
    parsed = undefined
  }
  if (!Array.isArray(parsed) || parsed[0] !== tag || parsed.length !== types.length + 1
    || types.some((t, i) => typeof parsed[i + 1] !== t)) {
    fail(400, 'E0000029', 'Invalid paging request.', ['after: The cursor is invalid.'])
  }
  return (parsed as (string | number)[]).slice(1)
}

/** `limit` with the endpoint's default and cap; garbage is a 400 like Okta's. */
export function parseLimit(raw: string | null, def: number, max: number, min = 1): number {
  if (raw === null || raw === '') return def
  if (!/^-?\d+$/.test(raw.trim())) fail(400, 'E0000054', 'Invalid pagination properties.', ['limit: must be a number'])
  const n = Number(raw)
  if (n < min) fail(400, 'E0000054', 'Invalid pagination properties.', [`limit: must be at least ${min}`])
  return Math.min(n, max)
}

export function linkHeaders(base: string, rawUrl: string, path: string, query: URLSearchParams, nextCursor: string | null): string[] {
  const lines = [`<${base}${rawUrl}>; rel="self"`]
  if (nextCursor !== null) {
    const next = new URLSearchParams(query)
    next.set('after', nextCursor)
    lines.push(`<${base}${path}?${next.toString()}>; rel="next"`)
  }
  return lines
}
