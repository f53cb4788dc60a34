/**
 * The seam: destinations come from one registry, found by URL scheme. A database added to the
 * registry without a fresh-URL case here would silently skip the destination suites, the crash
 * trials, hostile input and the backfill pairs: this test makes that a failure.
 */
import { describe, expect, it } from 'vitest'
import { DESTINATION_DIALECTS, openDestination, parseDestinationUrl } from '../../src/destinations/index.ts'
import { UsageError } from '../../src/util/errors.ts'
import { DESTINATION_KINDS } from './destinations.ts'

const EXAMPLES: Record<string, string> = {
  sqlite: 'sqlite:./x.db',
  postgres: 'postgres://u@h:5432/db',
  duckdb: 'duckdb:./x.duckdb',
}

describe('the destination registry', () => {
  // DESTINATION_KINDS is the one list the destination, reliability, e2e and backfill suites draw from.
  it('is what the test suites run over (a new destination gets every suite)', () => {
    const names = DESTINATION_DIALECTS.map((d) => d.name)
    expect([...names].sort()).toEqual([...DESTINATION_KINDS].sort())
    expect(Object.keys(EXAMPLES).sort()).toEqual([...names].sort())
  })

  it('looks every dialect up by each of its schemes, and opens it without connecting', () => {
    for (const d of DESTINATION_DIALECTS) {
      for (const scheme of d.schemes) {
        const url = EXAMPLES[d.name]!.replace(/^[a-z]+:/, `${scheme}:`)
        expect(parseDestinationUrl(url).kind, url).toBe(d.name)
        expect(openDestination(url).dialect).toBe(d.name)
      }
    }
  })

  it('names every URL form the registry knows when a scheme is unknown', () => {
    let err: unknown
    try {
      parseDestinationUrl('mysql://root:pw-secret@db/okta')
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(UsageError)
    const message = (err as Error).message
    for (const d of DESTINATION_DIALECTS) expect(message).toContain(d.urlForm)
    expect(message).not.toContain('pw-secret')
  })
})
