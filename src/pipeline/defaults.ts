import { DEFAULT_EXTRACT_OPTIONS } from '../resources/options.ts'
import { DEFAULT_RESOURCES } from '../resources/types.ts'
import type { OktaAuth, OktaConfig, PipelineConfig } from './types.ts'

/** Defaults of the Okta client settings (documented in the README's configuration reference). */
export const DEFAULT_OKTA_SETTINGS: Readonly<Omit<OktaConfig, 'orgUrl' | 'auth'>> = Object.freeze({
  rateLimitShare: 0.9,
  maxInFlight: 4,
  requestTimeoutMs: 30_000,
  maxRetries: 6,
})

/** Rows per commit at most (see PipelineConfig.maxBatchRows). */
export const DEFAULT_MAX_BATCH_ROWS = 5_000

/** A complete config with every default, for callers that build one in code (demo, tests, bench). */
export function defaultPipelineConfig(args: { orgUrl: string; auth: OktaAuth; destination: string }): PipelineConfig {
  return {
    okta: { orgUrl: args.orgUrl, auth: args.auth, ...DEFAULT_OKTA_SETTINGS },
    destination: args.destination,
    resources: [...DEFAULT_RESOURCES],
    extract: { ...DEFAULT_EXTRACT_OPTIONS },
    lockWaitMs: 0,
    maxBatchRows: DEFAULT_MAX_BATCH_ROWS,
  }
}
