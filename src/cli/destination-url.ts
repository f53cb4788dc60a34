import { parseDestinationUrl } from '../destinations/url.ts'
import { UsageError } from '../util/errors.ts'

/**
 * Checks a destination URL's form early (before any connection) so a typo is a usage error, not a
 * stack trace from a driver: the destinations' one URL parser, its message prefixed with where the
 * URL came from. Messages never show a password.
 */
export function validateDestinationUrl(url: string, where: string): void {
  try {
    parseDestinationUrl(url)
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`${where}: ${err.message.replace(/^destination /, '')}`, 'ERR_CONFIG')
    throw err
  }
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
