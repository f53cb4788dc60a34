import { UsageError } from '../util/errors.ts'
import type { DestinationTarget } from './dialect.ts'
import { maskPasswords } from './errors.ts'
import { DESTINATION_DIALECTS, dialectForScheme } from './registry.ts'

export type { DestinationTarget } from './dialect.ts'

/**
 * The one destination URL parser (the CLI's early check and `openDestination` both call it): the
 * scheme picks the dialect from the registry, and the dialect parses the rest (see each folder's
 * `url.ts`). Throws a `UsageError` (code `ERR_DESTINATION_URL`) that never echoes a password.
 */
export function parseDestinationUrl(url: string): DestinationTarget {
  const trimmed = url.trim()
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed)?.[1]?.toLowerCase()
  const dialect = scheme === undefined ? undefined : dialectForScheme(scheme)
  if (dialect === undefined) {
    const shown = scheme === undefined ? maskPasswords(trimmed).slice(0, 60) : redactUrl(trimmed).slice(0, 200)
    const forms = DESTINATION_DIALECTS.map((d) => d.urlForm)
    throw new UsageError(`unsupported destination "${shown}": use ${forms.slice(0, -1).join(', ')} or ${forms.at(-1)}`, 'ERR_DESTINATION_URL')
  }
  return dialect.parseUrl(trimmed)
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
