import { pgSchemaProblem, sqlitePathProblem } from '../destinations/url.ts'
import { UsageError } from '../util/errors.ts'

/**
 * Checks a destination URL's form early (before any connection) so a typo is a usage error, not a
 * stack trace from a driver. Messages show the URL with its password removed.
 */
export function validateDestinationUrl(url: string, where: string): void {
  if (url.startsWith('sqlite:')) {
    const problem = sqlitePathProblem(url.slice('sqlite:'.length).replace(/^\/\//, ''))
    if (problem !== null) throw new UsageError(`${where}: ${problem}`, 'ERR_CONFIG')
    return
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      throw new UsageError(`${where}: not a valid postgres URL (expected postgres://user:pass@host:5432/db)`, 'ERR_CONFIG')
    }
    if (parsed.hostname === '') throw new UsageError(`${where}: postgres URL has no host`, 'ERR_CONFIG')
    const schema = parsed.searchParams.get('schema')
    // Same rule as the destination itself.
    const problem = schema === null ? null : pgSchemaProblem(schema)
    if (problem !== null) throw new UsageError(`${where}: ${problem}`, 'ERR_CONFIG')
    return
  }
  throw new UsageError(
    `${where}: unsupported destination "${redactUrl(url)}" (expected sqlite:PATH or postgres://user:pass@host:port/db)`,
    'ERR_CONFIG',
  )
}

/** The URL without its password (and without any `password=` query parameter). */
export function redactUrl(url: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url.length > 200 ? `${url.slice(0, 200)}…` : url
  try {
    const u = new URL(url)
    if (u.password !== '') u.password = '***'
    for (const key of [...u.searchParams.keys()]) {
      if (/pass|secret|token|key/i.test(key)) u.searchParams.set(key, '***')
    }
    return u.toString()
  } catch {
    // Unparseable: drop everything between "//" and "@", where credentials would be.
    return url.replace(/\/\/[^/@]*@/, '//***@')
  }
}
