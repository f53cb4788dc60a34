/** A measured job (job-worker.ts) and what it reports. */
export interface Job {
  mode: 'okta-elt' | 'raw' | 'tutorial' | 'raw-copy'
  url: string
  token: string
  /** `sqlite:FILE`, `duckdb:FILE` or `postgres://…?schema=NAME`. */
  destination: string
  /** okta-elt: the resources to run (default all). */
  resources?: string[]
  rateLimitShare?: number
  /** okta-elt: `load.maxBatchRows` (default: the pipeline's). */
  maxBatchRows?: number
  /** okta-elt: the config's `history` (default: the pipeline's). */
  history?: string[]
  /** okta-elt: report the rows of every table after the run (`tables`). */
  countTables?: boolean
  /** raw-copy: the SQLite file copied into `destination` (Postgres). */
  from?: string
  /** tutorial: users to load before stopping. */
  sampleUsers?: number
}

export interface JobResult {
  durationMs: number
  rows: Record<string, number>
  durations: Record<string, number>
  requests: number
  /** okta-elt: requests per resource (the run's shared history query is only in `requests`). */
  resourceRequests?: Record<string, number>
  rateLimited: number
  waitMs: number
  /** okta-elt: requests per client bucket. */
  buckets: Record<string, number>
  /** Peak resident set size of the job's process (a CLI job: the sum over its process tree). */
  maxRssMb: number
  /** A CLI job: how many processes its tree had (the launcher relaunches in place: 1). */
  processes?: number
  cpuMs: number
  /** With `countTables`: rows per table after the run. */
  tables?: Record<string, number>
}
