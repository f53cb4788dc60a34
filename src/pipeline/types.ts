import type { ClientStats, OktaAuth } from '../okta/types.ts'
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
  /** Tables that keep a `<table>_history` twin (PRODUCT.md, History). Default: the access tables and `users`. */
  history: string[]
  extract: ExtractOptions
  /** How long a run waits for another run's lock on the destination before giving up. Default 0 (exit at once). */
  lockWaitMs: number
  /**
   * Most rows one commit may carry. Pages that arrive while the destination is busy with the
   * previous commit are merged into the next one, up to this many rows (a page is never split).
   * Default 5000. 1 commits every page on its own.
   */
  maxBatchRows: number
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
  /** Longest single wait (rate-limit reset, 429, backoff) before the resource fails instead, seconds. Default 300. */
  maxWaitSeconds: number
}

export interface RunOptions {
  config: PipelineConfig
  /** Ignore cursors, pull everything, reconcile deletions by set difference. */
  fullRefresh?: boolean
  logger?: Logger
  /** Aborting finishes or rolls back the current batch, records the loads as interrupted, releases the lock. */
  signal?: AbortSignal
  /**
   * The clock loads start by, which also ends their System Log windows. Default: the system's.
   * Tests pass the simulator's org clock, so that an org whose time they move stays in step.
   */
  clock?: () => Date
}

export type RunStatus = 'succeeded' | 'failed' | 'interrupted'

export interface ResourceSummary {
  resource: ResourceName
  loadId: string
  status: RunStatus | 'skipped'
  rows: number
  batches: number
  durationMs: number
  /**
   * Requests this resource sent to Okta (pages and single reads, retries not counted again; the
   * run's shared System Log query for history tables is counted only in the run's total).
   */
  requests: number
  /** Wall-clock ms this resource's requests spent blocked on rate limits and backoff (concurrent waits count once). */
  waitMs?: number
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
  /** Where the resource's cursor stands in time (ISO), for resources whose cursor is one (`timePosition`). */
  position?: string
}

/**
 * What `okta-elt demo` asks of `runDemo` (demo.ts):
 * start the simulator in-process with a seeded org, run the pipeline into `dbPath` (a second
 * demo against the same file is an incremental run), close everything, and return the summary
 * plus a few example queries already executed against the file. The CLI does all the printing.
 */
export interface DemoOptions {
  /** SQLite file to load into. Default `./okta-demo.db`. */
  dbPath: string
  /** Simulated org size (users); the rest of the org scales with it. */
  users?: number
  seed?: number
  logger: Logger
  signal?: AbortSignal
}

export interface DemoResult {
  summary: RunSummary
  /** The simulator's base URL while it ran. */
  simulatorUrl: string
  queries: DemoQuery[]
}

export interface DemoQuery {
  title: string
  sql: string
  columns: string[]
  rows: unknown[][]
}

/**
 * What `okta-elt backfill` asks of `runBackfill` (backfill.ts). Two modes:
 *  - `extract` (no --from): a full extraction from Okta into `config.destination` (= --to) with
 *    its own fresh state; the configured destination is untouched.
 *  - `copy` (--from): copy every data table, the schema record and the cursor state from `from`
 *    to `to` in batches, verified by row counts. Needs no Okta credentials.
 */
export type BackfillOptions = BackfillRequest & { logger: Logger; signal?: AbortSignal }

export type BackfillRequest =
  | { mode: 'extract'; config: PipelineConfig }
  /** `copyConcurrency`: tables copied at once where the target allows it (default `COPY_TABLES_AT_ONCE`, 4). */
  | { mode: 'copy'; from: string; to: string; lockWaitMs: number; copyConcurrency?: number }

export type BackfillResult = { mode: 'extract'; summary: RunSummary } | { mode: 'copy'; copy: CopySummary }

export interface CopySummary {
  from: string
  to: string
  status: 'succeeded' | 'failed' | 'interrupted'
  durationMs: number
  /** Rows copied per table (verified equal on both sides when succeeded). */
  tables: { table: string; rows: number }[]
  stateRows: number
  /** One line, no secrets, when not succeeded. */
  error?: string
}

export type { Logger, OktaAuth }
