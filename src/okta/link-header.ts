/**
 * RFC 8288 `Link` parsing for Okta's cursor paging. Okta sends one header line per relation
 * (`link: <…>; rel="self"` then `link: <…>; rel="next"`), but proxies and fetch-like clients join
 * them into one comma-separated value; both forms (and a mix) are accepted.
 */

export interface LinkRelations {
  /** rel → URL exactly as sent (never re-encoded: `next` must be followed verbatim). */
  [rel: string]: string
}

/** Parses every `Link` value (a string, or one string per header line) into rel → URL. */
export function parseLinkHeader(value: string | readonly string[] | undefined | null): LinkRelations {
  const out: LinkRelations = {}
  if (value === undefined || value === null) return out
  const lines = typeof value === 'string' ? [value] : value
  for (const line of lines) {
    for (const link of splitLinks(line)) {
      const parsed = parseLink(link)
      if (parsed === null) continue
      // A link may carry several relation types: rel="next last".
      for (const rel of parsed.rels) if (!(rel in out)) out[rel] = parsed.url
    }
  }
  return out
}

/** The `rel="next"` URL, or null at the end of the list. */
export function nextLink(value: string | readonly string[] | undefined | null): string | null {
  return parseLinkHeader(value)['next'] ?? null
}

/** Splits on commas outside `<…>` and quoted strings: cursors and filters may contain commas. */
function splitLinks(line: string): string[] {
  const parts: string[] = []
  let depth = 0
  let quoted = false
  let start = 0
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (quoted) {
      if (c === '\\') i++
      else if (c === '"') quoted = false
    } else if (c === '"' && depth === 0) quoted = true
    else if (c === '<') depth++
    else if (c === '>') depth = Math.max(0, depth - 1)
    else if (c === ',' && depth === 0) {
      parts.push(line.slice(start, i))
      start = i + 1
    }
  }
  parts.push(line.slice(start))
  return parts.map((p) => p.trim()).filter((p) => p.length > 0)
}

function parseLink(link: string): { url: string; rels: string[] } | null {
  const open = link.indexOf('<')
  const close = link.indexOf('>', open + 1)
  if (open !== 0 || close === -1) return null
  const url = link.slice(1, close).trim()
  const rels: string[] = []
  for (const param of link.slice(close + 1).split(';')) {
    const eq = param.indexOf('=')
    if (eq === -1) continue
    if (param.slice(0, eq).trim().toLowerCase() !== 'rel') continue
    let v = param.slice(eq + 1).trim()
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1)
    for (const r of v.split(/\s+/)) if (r) rels.push(r.toLowerCase())
  }
  return { url, rels }
}
