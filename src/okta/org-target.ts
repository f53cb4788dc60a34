/**
 * Where a path or link lands on the org, or why the client will not follow it. One rule for a
 * caller's path, a `next` link and a saved cursor, so that a link the client accepted (and a
 * resource may checkpoint) is always one it will follow again on the next run.
 */

export interface OrgTarget {
  /** Absolute URL on the org. */
  url: string
  /** Path + query exactly as they go on the request line (never re-encoded: `next` is opaque). */
  path: string
}

export type Resolution = { ok: true; target: OrgTarget } | { ok: false; reason: string; foreign: boolean }

/**
 * Resolves `link` (a path, an absolute URL, or a link relative to `base`) on the org `origin`.
 * Refused: another origin or userinfo (`foreign`), a `//host` path (a browser would take it as
 * another host), anything that is not a URL.
 */
export function resolveOnOrg(link: string, origin: string, base?: string): Resolution {
  if (link.startsWith('//') || link.startsWith('/\\')) return refuse('a //host link names another host', true)
  if (link.startsWith('/')) return accept(origin, link)
  if (/^[a-z][a-z0-9+.-]*:/i.test(link)) {
    if (!/^https?:\/\//i.test(link)) return refuse('not an http(s) URL', true)
    let parsed: URL
    try {
      parsed = new URL(link)
    } catch {
      return refuse('not a URL', false)
    }
    if (parsed.origin !== origin || parsed.username !== '' || parsed.password !== '') return refuse(`another host than the org ${origin}`, true)
    // Keep the path and query exactly as the server wrote them.
    const afterScheme = link.indexOf('//') + 2
    const slash = link.indexOf('/', afterScheme)
    const question = link.indexOf('?', afterScheme)
    const path = slash === -1 || (question !== -1 && question < slash) ? '/' + (question === -1 ? '' : link.slice(question)) : link.slice(slash)
    if (path.startsWith('//')) return refuse('its path starts with //, which names another host', true)
    return accept(origin, path)
  }
  if (base === undefined || link.length === 0) return refuse('not a URL', false)
  let resolved: string
  try {
    resolved = new URL(link, base).toString()
  } catch {
    return refuse('not a URL', false)
  }
  return resolveOnOrg(resolved, origin)
}

function accept(origin: string, rawPath: string): Resolution {
  const hash = rawPath.indexOf('#')
  const path = hash === -1 ? rawPath : rawPath.slice(0, hash)
  if (/[\s\x00-\x1f\x7f]/.test(path)) return refuse('it holds whitespace or control characters', false)
  return { ok: true, target: { url: origin + path, path } }
}

function refuse(reason: string, foreign: boolean): Resolution {
  return { ok: false, reason, foreign }
}
