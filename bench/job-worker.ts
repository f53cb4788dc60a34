/**
 * One measured job in its own process, so its peak RSS and CPU are its own: an okta-elt run, the
 * raw-limit reference, the tutorial loop, or the raw SQLite → Postgres copy (the backfill's
 * reference). Reads the job from argv[2] (JSON), sends the result over IPC and exits.
 */
import { openDestination } from '../src/destinations/index.ts'
import { defaultPipelineConfig } from '../src/pipeline/defaults.ts'
import { runPipeline } from '../src/pipeline/run.ts'
import type { ResourceName } from '../src/resources/types.ts'
import { rawCopy, rawLoad, tutorialLoad, type Target } from './references.ts'
import type { Job, JobResult } from './job-protocol.ts'

const job = JSON.parse(process.argv[2] ?? '{}') as Job

function target(destination: string): Target {
  if (destination.startsWith('sqlite:')) return { kind: 'sqlite', file: destination.slice('sqlite:'.length) }
  if (destination.startsWith('duckdb:')) return { kind: 'duckdb', file: destination.slice('duckdb:'.length) }
  const u = new URL(destination)
  const schema = u.searchParams.get('schema') ?? 'bench'
  u.searchParams.delete('schema')
  return { kind: 'postgres', url: u.toString(), schema }
}

/** Rows per table (after the timed run: not part of its duration). */
async function tableRows(url: string): Promise<Record<string, number>> {
  const dest = openDestination(url)
  try {
    await dest.prepare()
    return Object.fromEntries((await dest.countRows()).map((t) => [t.table, t.rows]))
  } finally {
    await dest.close()
  }
}

async function main(): Promise<JobResult> {
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  if (job.mode === 'okta-elt') {
    const config = defaultPipelineConfig({ orgUrl: job.url, auth: { type: 'ssws', token: job.token }, destination: job.destination })
    if (job.resources) config.resources = job.resources as ResourceName[]
    if (job.rateLimitShare !== undefined) config.okta.rateLimitShare = job.rateLimitShare
    if (job.maxBatchRows !== undefined) config.maxBatchRows = job.maxBatchRows
    if (job.history !== undefined) config.history = job.history
    const summary = await runPipeline({ config })
    if (summary.status !== 'succeeded') {
      throw new Error(`okta-elt run ${summary.status}: ${summary.resources.map((r) => `${r.resource} ${r.status} ${r.error ?? ''}`).join('; ')}`)
    }
    const durationMs = performance.now() - t0
    return {
      durationMs,
      ...(job.countTables ? { tables: await tableRows(job.destination) } : {}),
      rows: Object.fromEntries(summary.resources.map((r) => [r.resource, r.rows])),
      durations: Object.fromEntries(summary.resources.map((r) => [r.resource, r.durationMs])),
      requests: summary.requests.total.requests,
      resourceRequests: Object.fromEntries(summary.resources.map((r) => [r.resource, r.requests])),
      rateLimited: summary.requests.total.rateLimited + summary.requests.total.concurrencyLimited,
      waitMs: summary.requests.total.waitMs,
      buckets: Object.fromEntries(Object.entries(summary.requests.buckets).map(([b, s]) => [b, s.requests])),
      maxRssMb: process.resourceUsage().maxRSS / 1024,
      cpuMs: cpuMs(cpu0),
    }
  }
  if (job.mode === 'raw-copy') {
    const t = target(job.destination)
    if (t.kind !== 'postgres' || job.from === undefined) throw new Error('raw-copy: from a SQLite file into Postgres only')
    const result = await rawCopy({ file: job.from, url: t.url, schema: t.schema })
    return { durationMs: result.durationMs, rows: result.rows, durations: {}, requests: 0, rateLimited: 0, waitMs: 0, buckets: {}, maxRssMb: process.resourceUsage().maxRSS / 1024, cpuMs: cpuMs(cpu0) }
  }
  const logSince = new Date(Date.now() - 90 * 24 * 3600_000).toISOString()
  const result = job.mode === 'raw'
    ? await rawLoad({ url: job.url, token: job.token, target: target(job.destination), logSince, ...(job.resources ? { resources: job.resources } : {}) })
    : await tutorialLoad({ url: job.url, token: job.token, target: target(job.destination), sampleUsers: job.sampleUsers ?? 20_000 })
  return {
    durationMs: performance.now() - t0,
    rows: result.rows,
    durations: result.durations,
    requests: result.requests,
    rateLimited: 0,
    waitMs: 0,
    buckets: {},
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    cpuMs: cpuMs(cpu0),
  }
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since)
  return (d.user + d.system) / 1000
}

try {
  const result = await main()
  process.send?.({ ok: true, result }, () => process.exit(0))
} catch (err) {
  process.send?.({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }, () => process.exit(1))
}
