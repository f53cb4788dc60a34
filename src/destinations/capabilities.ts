import type { DestinationCapabilities } from './destination.ts'

/**
 * Identifier and column limits every destination shares, so any destination can be backfilled
 * into any other. Postgres sets them: identifiers of 63 bytes, and a row must fit one 8 kB page
 * (8160 bytes). TOAST moves long values out of line, but each still leaves an 18-byte pointer
 * (short ones stay inline, up to that size), so ~19 bytes per column is the worst case: 400
 * columns always fit, 1500 short strings do not ("row is too big"). Keys beyond it go to the
 * `_overflow` JSON column.
 */
export const PORTABLE_CAPABILITIES: DestinationCapabilities = Object.freeze({ maxIdentifierBytes: 63, maxColumns: 400 })
