import type { ClientStats } from '../okta/types.ts'
import type { ExtractOptions, ResourceName } from '../resources/types.ts'
import type { SchemaChange } from '../schema/types.ts'
import type { Logger } from '../util/log.ts'

/**
 * Everything a run needs, resolved and validated by the CLI's config loader (src/cli/config.ts):
 * secrets already read from the environment (or a file), defaults applied. Frozen; never logged.
 */
export interface PipelineConfig {
  okta: OktaConfig
  /** Destination URL: `sqlite:PATH` or `postgres://…[?schema=NAME]`. */
  destination: string
  resources: ResourceName[]
  extract: ExtractOptions
  /** How long a run waits for another run's lock on the destination before giving up. Default 0 (exit at once). */
  lockWaitMs: number
}

export interface OktaConfig {
  /** `https://<org>.okta.com`, or http on loopback (the simulator). No trailing slash. */
  orgUrl: string
  auth: OktaAuth
  /** Share of the limit `X-Rate-Limit-Limit` reports that this pipeline may use. Default 0.9. */
  rateLimitShare: number
  /** Requests in flight at once, all buckets together. Default 4. */
  maxInFlight: number
  /** Per-request timeout (headers and body), ms. Default 30000. */
  requestTimeoutMs: number
  /** Retries per request on 5xx, resets, timeouts and 429s before giving up. Default 6. */
  maxRetries: number
}

export type OktaAuth =
  | { type: 'ssws'; token: string }
  | {
      type: 'oauth'
      clientId: string
      /** PEM (PKCS#8) or a JWK as JSON text. */
      privateKey: string
      keyId?: string
      scopes: string[]
    }

export interface RunOptions {
  config: PipelineConfig
  /** Ignore cursors, pull everything, reconcile deletions by set difference. */
  fullRefresh?: boolean
  logger?: Logger
  /** Aborting finishes or rolls back the current batch, records the loads as interrupted, releases the lock. */
  signal?: AbortSignal
}

export type RunStatus = 'succeeded' | 'failed' | 'interrupted'

export interface ResourceSummary {
  resource: ResourceName
  loadId: string
  status: RunStatus | 'skipped'
  rows: number
  batches: number
  durationMs: number
  /** One line, no secrets. */
  error?: string
  /** Stable error code, e.g. `ERR_OKTA_HTTP` / Okta's `E0000011` appears in `oktaErrorCode`. */
  errorCode?: string
  oktaErrorCode?: string
  /** 2 when the failure is a configuration/auth problem (401, 403, bad scope), else 1. */
  exitCode?: 1 | 2
}

export interface RunSummary {
  runId: string
  destination: string
  status: RunStatus
  /**
   * What `okta-elt run` exits with: 0 succeeded; 1 a resource failed; 2 every failure was a
   * configuration/auth problem (e.g. 401 E0000011, 403 missing scope); 130 interrupted.
   */
  exitCode: 0 | 1 | 2 | 130
  startedAt: string
  finishedAt: string
  durationMs: number
  resources: ResourceSummary[]
  schemaChanges: SchemaChange[]
  requests: ClientStats
}

/** Emitted through the logger as `{ event: 'progress', ... }` after every committed batch. */
export interface ProgressEvent {
  resource: ResourceName
  rows: number
  batches: number
  requests: number
  waitMs: number
}

export type { Logger }
