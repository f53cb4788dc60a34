import type { DestinationDialect } from './dialect.ts'
import { duckdbDialect } from './duckdb/index.ts'
import { postgresDialect } from './postgres/index.ts'
import { sqliteDialect } from './sqlite/index.ts'

/**
 * Every database the pipeline loads into, looked up by the scheme of the destination URL. Adding
 * one is a new folder (see dialect.ts for what it supplies) and one line here.
 */
export const DESTINATION_DIALECTS = [sqliteDialect, postgresDialect, duckdbDialect] as const

/** The registry's names: `Destination.dialect`, `DestinationTarget.kind`. */
export type DestinationKind = (typeof DESTINATION_DIALECTS)[number]['name']

export function dialectForScheme(scheme: string): DestinationDialect | undefined {
  const found = DESTINATION_DIALECTS.find((d) => (d.schemes as readonly string[]).includes(scheme))
  // Each entry parses and opens only its own targets; the registry hands them back by name.
  return found as DestinationDialect | undefined
}

export function dialectNamed(kind: string): DestinationDialect | undefined {
  return DESTINATION_DIALECTS.find((d) => d.name === kind) as DestinationDialect | undefined
}
