import type { ExtractOptions } from './types.ts'

/** Defaults for `ExtractOptions` (the CLI config may override each). */
export const DEFAULT_EXTRACT_OPTIONS: Readonly<ExtractOptions> = Object.freeze({
  lookbackMs: 5 * 60 * 1000,
  systemLogStartMs: 90 * 24 * 60 * 60 * 1000,
  childConcurrency: 4,
})
