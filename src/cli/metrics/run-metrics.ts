import type { ResourceSummary, RunSummary } from '../../pipeline/types.ts'
import type { MetricFamily } from './exposition.ts'

/** Every status a resource can end a run with: each gets a 0/1 sample, so a query never misses a series. */
const RESOURCE_STATUSES: readonly ResourceSummary['status'][] = ['succeeded', 'failed', 'interrupted', 'skipped']

export interface RunMetricsInput {
  /** The run's summary, or null when the run failed before producing one (bad config, destination unreachable, locked). */
  summary: RunSummary | null
  /** The resources the run was asked for (used when there is no summary; may be empty if the config was unreadable). */
  selected: readonly string[]
  /** Wall-clock start and end of the command, ms since the epoch. */
  startedAt: number
  finishedAt: number
  /**
   * Last successful load per resource as the previous metrics file recorded it (seconds since the
   * epoch): carried over for resources that did not succeed this time, so a freshness alert sees
   * the true age of the data instead of a series that vanished.
   */
  previousLastSuccess: ReadonlyMap<string, number>
}

/**
 * The metric families of one `okta-elt run`, for node_exporter's textfile collector. Names are
 * part of the documented interface (README, Monitoring). Every value describes the last run,
 * so all are gauges (a per-run count that restarts every run is not a Prometheus counter).
 */
export function runMetrics(input: RunMetricsInput): MetricFamily[] {
  const { summary } = input
  const seconds = (ms: number): number => Math.round(ms) / 1000
  const finishedAt = summary === null ? input.finishedAt : Date.parse(summary.finishedAt)
  const resources: { name: string; status: ResourceSummary['status']; r: ResourceSummary | null }[] =
    summary === null
      ? input.selected.map((name) => ({ name, status: 'failed', r: null }))
      : summary.resources.map((r) => ({ name: r.resource, status: r.status, r }))

  const lastSuccess = new Map(input.previousLastSuccess)
  for (const { name, status } of resources) if (status === 'succeeded') lastSuccess.set(name, seconds(finishedAt))
  const buckets = summary === null ? [] : Object.entries(summary.requests.buckets).sort(([a], [b]) => a.localeCompare(b))
  const measured = resources.filter((x): x is typeof x & { r: ResourceSummary } => x.r !== null)

  return [
    gauge('okta_elt_run_success', 'Whether the last okta-elt run succeeded (1) or not (0).', [{ value: summary?.status === 'succeeded' ? 1 : 0 }]),
    gauge('okta_elt_run_duration_seconds', 'Wall-clock duration of the last okta-elt run.', [
      { value: seconds(summary === null ? input.finishedAt - input.startedAt : summary.durationMs) },
    ]),
    gauge('okta_elt_run_last_timestamp_seconds', 'When the last okta-elt run ended, seconds since the epoch.', [{ value: seconds(finishedAt) }]),
    gauge(
      'okta_elt_resource_success',
      'Whether the resource loaded successfully (1) in the last run or not (0).',
      resources.map(({ name, status }) => ({ labels: { resource: name }, value: status === 'succeeded' ? 1 : 0 })),
    ),
    gauge(
      'okta_elt_resource_status',
      'How the resource ended the last run: 1 for its status, 0 for the others.',
      resources.flatMap(({ name, status }) => RESOURCE_STATUSES.map((s) => ({ labels: { resource: name, status: s }, value: s === status ? 1 : 0 }))),
    ),
    gauge('okta_elt_resource_rows', 'Rows the last run loaded for the resource.', measured.map(({ name, r }) => ({ labels: { resource: name }, value: r.rows }))),
    gauge(
      'okta_elt_resource_duration_seconds',
      'Time the resource took in the last run.',
      measured.map(({ name, r }) => ({ labels: { resource: name }, value: seconds(r.durationMs) })),
    ),
    gauge(
      'okta_elt_resource_last_success_timestamp_seconds',
      'End of the run in which the resource last loaded successfully, seconds since the epoch (carried over from the previous file while it fails).',
      [...lastSuccess].sort(([a], [b]) => a.localeCompare(b)).map(([name, value]) => ({ labels: { resource: name }, value })),
    ),
    gauge('okta_elt_okta_requests_total', 'Requests the last run sent to Okta, per rate-limit bucket (retries included).', buckets.map(([bucket, b]) => ({ labels: { bucket }, value: b.requests }))),
    gauge(
      'okta_elt_okta_rate_limited_total',
      'Responses 429 (rate or concurrency limit) Okta sent the last run, per rate-limit bucket.',
      buckets.map(([bucket, b]) => ({ labels: { bucket }, value: b.rateLimited + b.concurrencyLimited })),
    ),
    gauge(
      'okta_elt_okta_wait_seconds',
      'Time the last run waited on Okta rate limits and retry backoff, per rate-limit bucket.',
      buckets.map(([bucket, b]) => ({ labels: { bucket }, value: seconds(b.waitMs) })),
    ),
  ]
}

function gauge(name: string, help: string, samples: MetricFamily['samples']): MetricFamily {
  return { name, help, type: 'gauge', samples }
}
