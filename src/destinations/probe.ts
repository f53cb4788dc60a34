import type { DestinationTarget } from './dialect.ts'
import { dialectNamed } from './registry.ts'
import { parseDestinationUrl } from './url.ts'

/**
 * Whether a run could write to a destination, found out without leaving anything behind (no
 * table, no schema, no file): the preflight of `okta-elt check`. Each dialect probes its own
 * database (its folder's probe.ts, through `DestinationDialect.probe`).
 */
export interface DestinationProbe {
  writable: boolean
  /** One line: what was found, or why a run could not write. No password. */
  detail: string
  /** True for a kind of destination this preflight does not know how to probe (then `writable` says nothing). */
  unchecked?: boolean
}

export async function probeDestination(url: string, cwd: string = process.cwd()): Promise<DestinationProbe> {
  const target: DestinationTarget = parseDestinationUrl(url)
  const dialect = dialectNamed(target.kind)
  // A dialect without a probe of its own: say so, never guess.
  if (dialect?.probe === undefined) return { writable: false, unchecked: true, detail: `no preflight for ${target.kind} destinations yet` }
  return dialect.probe(target, { cwd })
}
