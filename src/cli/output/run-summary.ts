import type { BucketStats } from '../../okta/types.ts'
import type { RunSummary } from '../../pipeline/types.ts'
import type { SchemaChange } from '../../schema/types.ts'
import { redactUrl } from '../destination-url.ts'
import { formatCount, formatDuration, formatTable } from './format.ts'
import { oneLine } from '../../util/control-chars.ts'

/**
 * The human final summary of a run (stdout, without `--json`): what was loaded per resource, what
 * changed in the schema, requests and 429s per rate-limit bucket, and every failure with its reason.
 */
export function renderRunSummary(summary: RunSummary, title = 'okta-elt run'): string {
  const out: string[] = []
  out.push(
    `${title} ${summary.status} in ${formatDuration(summary.durationMs)} ` +
      `(destination ${redactUrl(summary.destination)}, run ${summary.runId})\n\n`,
  )

  if (summary.resources.length > 0) {
    out.push(
      formatTable(
        ['resource', 'status', 'rows', 'batches', 'requests', 'duration'],
        summary.resources.map((r) => [r.resource, r.status, formatCount(r.rows), formatCount(r.batches), formatCount(r.requests), formatDuration(r.durationMs)]),
      ),
    )
  }

  out.push(renderSchemaChanges(summary.schemaChanges))
  out.push(renderRequests(summary.requests.total, summary.requests.buckets))

  const failures = summary.resources.filter((r) => r.status === 'failed' || r.status === 'interrupted')
  if (failures.length > 0) {
    out.push(`\nFailures (${failures.length})\n`)
    for (const f of failures) {
      const codes = [f.oktaErrorCode, f.errorCode].filter((c): c is string => c !== undefined && !(f.error ?? '').includes(c))
      out.push(`  ${f.resource}: ${oneLine(f.error ?? f.status)}${codes.length > 0 ? ` [${oneLine(codes.join(', '))}]` : ''}\n`)
    }
  }
  return out.join('')
}

export function renderSchemaChanges(changes: readonly SchemaChange[]): string {
  if (changes.length === 0) return '\nSchema changes: none\n'
  const rows = changes.map((c) => {
    switch (c.kind) {
      case 'create_table':
        return [c.table.name, 'create table', '', `${c.table.columns.length} columns`]
      case 'add_column':
        return [c.table, 'add column', c.column.name, c.column.type]
      case 'widen_column':
        return [c.table, 'widen column', c.column, `${c.from} → ${c.to}`]
    }
  })
  return `\nSchema changes (${changes.length})\n` + formatTable(['table', 'change', 'column', 'type'], rows)
}

export function renderRequests(total: BucketStats, buckets: Record<string, BucketStats>): string {
  const limited = total.rateLimited + total.concurrencyLimited
  const head =
    `\nRequests: ${formatCount(total.requests)} total, ${formatCount(limited)} answered 429` +
    (total.concurrencyLimited > 0 ? ` (${formatCount(total.concurrencyLimited)} for concurrency)` : '') +
    `, ${formatCount(total.retries)} retries, ${formatDuration(total.waitMs)} waiting on rate limits\n`
  const names = Object.keys(buckets).sort()
  if (names.length === 0) return head
  return (
    head +
    formatTable(
      ['bucket', 'requests', '429s', 'retries', 'waited', 'limit/min'],
      names.map((name) => {
        const b = buckets[name]!
        return [
          name,
          formatCount(b.requests),
          formatCount(b.rateLimited + b.concurrencyLimited),
          formatCount(b.retries),
          formatDuration(b.waitMs),
          b.limit === null ? '-' : formatCount(b.limit),
        ]
      }),
    )
  )
}

/** One line naming what failed, for stderr when a run exits non-zero. */
export function failureLine(summary: RunSummary): string {
  if (summary.status === 'interrupted') return 'run interrupted; committed batches are kept, the next run continues from them'
  const failed = summary.resources.filter((r) => r.status === 'failed')
  if (failed.length === 0) return `run ${summary.status}`
  const first = failed[0]!
  const code = first.oktaErrorCode !== undefined && !(first.error ?? '').includes(first.oktaErrorCode) ? ` (${oneLine(first.oktaErrorCode)})` : ''
  const others = failed.length > 1 ? ` (and ${failed.length - 1} more failed: ${failed.slice(1).map((f) => f.resource).join(', ')})` : ''
  return `run failed: ${first.resource}: ${oneLine(first.error ?? 'failed')}${code}${others}`
}
