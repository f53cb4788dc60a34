import { parseDestinationUrl } from '../destinations/url.ts'

export { redactUrl } from '../destinations/url.ts'
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
