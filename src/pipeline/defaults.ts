import { OKTA_CLIENT_DEFAULTS } from '../okta/defaults.ts'
import { DEFAULT_EXTRACT_OPTIONS } from '../resources/options.ts'
import { DEFAULT_HISTORY, DEFAULT_RESOURCES } from '../resources/types.ts'
import type { OktaAuth, OktaConfig, PipelineConfig } from './types.ts'

/** Defaults of the Okta client settings a config may set: the client's own (src/okta/defaults.ts). */
export const DEFAULT_OKTA_SETTINGS: Readonly<Omit<OktaConfig, 'orgUrl' | 'auth'>> = Object.freeze({
  rateLimitShare: OKTA_CLIENT_DEFAULTS.rateLimitShare,
  maxInFlight: OKTA_CLIENT_DEFAULTS.maxInFlight,
  requestTimeoutMs: OKTA_CLIENT_DEFAULTS.requestTimeoutMs,
  maxRetries: OKTA_CLIENT_DEFAULTS.maxRetries,
  maxWaitSeconds: OKTA_CLIENT_DEFAULTS.maxWaitSeconds,
})

/** Rows per commit at most (see PipelineConfig.maxBatchRows). */
export const DEFAULT_MAX_BATCH_ROWS = 5_000

/** A complete config with every default, for callers that build one in code (demo, tests, bench). */
export function defaultPipelineConfig(args: { orgUrl: string; auth: OktaAuth; destination: string }): PipelineConfig {
  return {
    okta: { orgUrl: args.orgUrl, auth: args.auth, ...DEFAULT_OKTA_SETTINGS },
    destination: args.destination,
    resources: [...DEFAULT_RESOURCES],
    history: [...DEFAULT_HISTORY],
    extract: { ...DEFAULT_EXTRACT_OPTIONS },
    lockWaitMs: 0,
    maxBatchRows: DEFAULT_MAX_BATCH_ROWS,
  }
}
