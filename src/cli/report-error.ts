import { OktaEltError } from '../util/errors.ts'
import type { Output } from './io.ts'
import { oneLine } from '../util/control-chars.ts'

/**
 * Every failure ends as ONE line on stderr, `okta-elt: <message>`, naming the cause (and Okta's
 * errorCode when there is one); the stack and causes only with --verbose. Returns the exit code:
 * the error's own (2 usage/config/auth, 1 run failure), 1 for anything unexpected.
 */
export function reportError(err: unknown, stderr: Output, verbose: boolean): 1 | 2 {
  const message = firstLine(err instanceof Error ? err.message : String(err))
  if (err instanceof OktaEltError) {
    const oktaCode = (err as { errorCode?: unknown }).errorCode
    const suffix = typeof oktaCode === 'string' && oktaCode !== '' && !message.includes(oktaCode) ? ` (${oneLine(oktaCode)})` : ''
    stderr.write(`okta-elt: ${message}${suffix}\n`)
  } else {
    stderr.write(`okta-elt: unexpected error: ${message}${verbose ? '' : ' (run with --verbose for details)'}\n`)
  }
  if (verbose) {
    let cur: unknown = err
    for (let depth = 0; cur instanceof Error && depth < 5; depth++) {
      if (cur.stack !== undefined) stderr.write(`${depth === 0 ? '' : 'caused by: '}${cur.stack}\n`)
      cur = cur.cause
    }
  }
  return err instanceof OktaEltError ? err.exitCode : 1
}

function firstLine(text: string): string {
  const first = text.split('\n')[0]?.trim() ?? ''
  return first === '' ? 'failed' : oneLine(first)
}
