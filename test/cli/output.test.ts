import { describe, expect, it } from 'vitest'
import { BufferOutput } from '../../src/cli/io.ts'
import { formatDuration, formatTable } from '../../src/cli/output/format.ts'
import { createJsonLinesLogger } from '../../src/cli/output/json-lines-logger.ts'
import { safeOutput } from '../../src/cli/output/safe-output.ts'
import { Redactor } from '../../src/util/redact.ts'
import { failureLine, renderRunSummary } from '../../src/cli/output/run-summary.ts'
import { TtyProgress } from '../../src/cli/output/tty-progress.ts'
import { reportError } from '../../src/cli/report-error.ts'
import { prettyCursor, renderStatus } from '../../src/cli/commands/status.ts'
import type { BucketStats } from '../../src/okta/types.ts'
import type { RunSummary } from '../../src/pipeline/types.ts'
import { OktaEltError, UsageError } from '../../src/util/errors.ts'
import { TOKEN } from './helpers.ts'

const bucket = (b: Partial<BucketStats>): BucketStats => ({ requests: 0, retries: 0, rateLimited: 0, concurrencyLimited: 0, waitMs: 0, limit: null, ...b })

function summary(over: Partial<RunSummary> = {}): RunSummary {
  return {
    runId: 'run-1',
    destination: 'postgres://okta:pgpass-secret@db:5432/okta',
    status: 'failed',
    exitCode: 1,
    startedAt: '2025-01-01T00:00:00.000Z',
    finishedAt: '2025-01-01T00:00:12.300Z',
    durationMs: 12_300,
    resources: [
      { resource: 'users', loadId: 'l1', status: 'succeeded', rows: 12_345, batches: 62, requests: 63, durationMs: 8_000 },
      {
        resource: 'apps_assigned',
        loadId: 'l2',
        status: 'failed',
        rows: 10,
        batches: 1,
        requests: 2,
        durationMs: 900,
        error: 'Okta GET /api/v1/apps/0oa1/users failed: 403 E0000006 You do not have permission',
        errorCode: 'ERR_OKTA_AUTH',
        oktaErrorCode: 'E0000006',
      },
    ],
    schemaChanges: [
      { kind: 'create_table', table: { name: 'system_log__target', parent: 'system_log', primaryKey: ['_parent_id', '_idx'], columns: [{ name: 'id', path: ['id'], type: 'text' }] } },
      { kind: 'add_column', table: 'users', column: { name: 'profile__cost_center', path: ['profile', 'costCenter'], type: 'text' } },
      { kind: 'widen_column', table: 'users', column: 'profile__employee_number', from: 'bigint', to: 'text' },
    ],
    requests: {
      total: bucket({ requests: 130, rateLimited: 3, concurrencyLimited: 1, retries: 4, waitMs: 61_000 }),
      buckets: {
        users: bucket({ requests: 100, rateLimited: 3, retries: 3, waitMs: 60_000, limit: 600 }),
        apps: bucket({ requests: 30, concurrencyLimited: 1, retries: 1, waitMs: 1000, limit: 100 }),
      },
    },
    ...over,
  }
}

describe('JSON-lines logger (off a terminal)', () => {
  it('writes one parseable JSON object per event with ts, level, event, msg and fields', () => {
    const out = new BufferOutput()
    const log = createJsonLinesLogger(out, { now: () => new Date('2025-01-01T00:00:00Z') })
    log({ level: 'info', event: 'progress', msg: 'users: 200 rows', resource: 'users', rows: 200, big: 10n })
    log({ level: 'debug', event: 'okta.request', msg: 'hidden without --verbose' })
    log({ level: 'warn', event: 'okta.retry', msg: 'retrying', error: new Error('socket hang up\nsecond line') })
    const lines = out.text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines).toHaveLength(2)
    expect(lines[0]).toEqual({ ts: '2025-01-01T00:00:00.000Z', level: 'info', event: 'progress', msg: 'users: 200 rows', resource: 'users', rows: 200, big: '10' })
    expect(lines[1]).toMatchObject({ level: 'warn', error: { name: 'Error', message: 'socket hang up' } })
  })

  it('shows debug events with --verbose', () => {
    const out = new BufferOutput()
    createJsonLinesLogger(out, { verbose: true })({ level: 'debug', event: 'x', msg: 'y' })
    expect(out.text).toContain('"level":"debug"')
  })

  it('never lets a secret through: secret-named fields, registered values, auth header shapes', () => {
    const secrets = new Redactor()
    secrets.add(TOKEN)
    const raw = new BufferOutput()
    const log = createJsonLinesLogger(safeOutput(raw, secrets))
    log({ level: 'info', event: 'a', msg: 'fields', token: 'tok-value-1234', authorization: 'x', password: 'p' })
    log({ level: 'error', event: 'b', msg: `request failed with token ${TOKEN}`, url: `https://x/?access_token=abcdef123` })
    log({ level: 'error', event: 'c', msg: 'header echoed: SSWS 00zzzzzzzzzzzzzzzzzzzzzzz and Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLXZhbHVl' })
    const text = raw.text
    expect(text).not.toContain(TOKEN)
    expect(text).not.toContain('tok-value-1234')
    expect(text).not.toContain('abcdef123')
    expect(text).not.toContain('00zzzzzzzz')
    expect(text).not.toContain('eyJzdWIiOiIxMjMifQ')
    for (const line of text.trimEnd().split('\n')) expect(() => JSON.parse(line)).not.toThrow()
    expect(text).toContain('[redacted]')
  })

  it('redacts every line of a registered PEM key', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n-----END PRIVATE KEY-----'
    const secrets = new Redactor()
    secrets.add(pem)
    expect(secrets.redact('line: BKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj')).toBe('line: [redacted]')
    expect(secrets.redact(`key ${pem} end`)).toBe('key [redacted] end')
  })
})

describe('live progress (terminal)', () => {
  it('redraws one line per resource in place and prints warnings above the block', () => {
    const out = new BufferOutput()
    let now = 0
    const p = new TtyProgress(out, { intervalMs: 0, now: () => now })
    p.logger({ level: 'info', event: 'load.start', msg: 'users: started', resource: 'users' })
    p.logger({ level: 'info', event: 'load.start', msg: 'groups: started', resource: 'groups' })
    now = 5000
    p.logger({ level: 'info', event: 'progress', msg: '', resource: 'users', rows: 12_345, batches: 62, requests: 63, waitMs: 4200 })
    p.logger({ level: 'warn', event: 'okta.rate_limited', msg: '429 on users, waiting 30s' })
    p.logger({ level: 'info', event: 'load.end', msg: '', resource: 'groups', status: 'succeeded', rows: 40 })
    p.logger({ level: 'info', event: 'okta.request', msg: 'quiet without --verbose' })
    p.stop()
    const text = out.text
    expect(text).toContain('\x1b[2K') // lines are cleared before being redrawn
    expect(text).toMatch(/\x1b\[2A/) // cursor moved up over the two-line block
    expect(text).toContain('warn: 429 on users, waiting 30s\n')
    expect(text).not.toContain('quiet without --verbose')
    // The last frame: both resources with their latest counters.
    const lastFrame = text.slice(text.lastIndexOf('\x1b[2A'))
    expect(lastFrame).toMatch(/users\s+running\s+12,345 rows\s+62 batches\s+63 req\s+waited\s+4\.2s\s+5\.0s\n/)
    expect(lastFrame).toMatch(/groups\s+succeeded\s+40 rows/)
  })

  it('throttles redraws between events', () => {
    const out = new BufferOutput()
    let now = 1000
    const p = new TtyProgress(out, { intervalMs: 1000, now: () => now })
    p.logger({ level: 'info', event: 'load.start', msg: '', resource: 'users' })
    const after = out.text.length
    for (let i = 1; i <= 50; i++) {
      now += 1
      p.logger({ level: 'info', event: 'progress', msg: '', resource: 'users', rows: i * 100, batches: i, requests: i, waitMs: 0 })
    }
    expect(out.text.length).toBe(after) // nothing drawn within the interval
    p.stop()
    expect(out.text).toContain('5,000 rows')
  })
})

describe('run summary', () => {
  it('shows rows per resource, schema changes, requests and 429s per bucket, failures with reasons', () => {
    const text = renderRunSummary(summary())
    expect(text).toMatch(/^okta-elt run failed in 12\.3s/)
    expect(text).toMatch(/users\s+succeeded\s+12,345\s+62\s+63\s+8\.0s/)
    expect(text).toMatch(/apps_assigned\s+failed\s+10/)
    expect(text).toMatch(/Schema changes \(3\)/)
    expect(text).toMatch(/system_log__target\s+create table\s+1 columns/)
    expect(text).toMatch(/users\s+add column\s+profile__cost_center\s+text/)
    expect(text).toMatch(/users\s+widen column\s+profile__employee_number\s+bigint → text/)
    expect(text).toContain('Requests: 130 total, 4 answered 429 (1 for concurrency), 4 retries, 1m01s waiting on rate limits')
    expect(text).toMatch(/users\s+100\s+3\s+3\s+1m00s\s+600/)
    expect(text).toMatch(/apps\s+30\s+1\s+1\s+1\.0s\s+100/)
    expect(text).toContain('Failures (1)')
    expect(text).toContain('apps_assigned: Okta GET /api/v1/apps/0oa1/users failed: 403 E0000006 You do not have permission [ERR_OKTA_AUTH]')
    expect(text).not.toContain('pgpass-secret')
  })

  it('summarises a clean run without failures section', () => {
    const text = renderRunSummary(summary({ status: 'succeeded', exitCode: 0, resources: [], schemaChanges: [] }))
    expect(text).toContain('Schema changes: none')
    expect(text).not.toContain('Failures')
  })

  it('gives one failure line naming the resource and the Okta errorCode', () => {
    const s = summary()
    s.resources[1]!.error = 'permission denied'
    expect(failureLine(s)).toBe('run failed: apps_assigned: permission denied (E0000006)')
    expect(failureLine(summary({ status: 'interrupted' }))).toMatch(/^run interrupted/)
  })
})

describe('error reporting', () => {
  it('prints OktaEltErrors as one line with the Okta errorCode, and the exit code they carry', () => {
    const out = new BufferOutput()
    const err = Object.assign(new OktaEltError('ERR_OKTA_AUTH', 'Okta GET /api/v1/users failed: 401 Invalid token', { exitCode: 2 }), { errorCode: 'E0000011' })
    expect(reportError(err, out, false)).toBe(2)
    expect(out.text).toBe('okta-elt: Okta GET /api/v1/users failed: 401 Invalid token (E0000011)\n')
  })

  it('keeps unexpected errors to one line unless --verbose', () => {
    const quiet = new BufferOutput()
    expect(reportError(new TypeError('boom\nmore'), quiet, false)).toBe(1)
    expect(quiet.text).toBe('okta-elt: unexpected error: boom (run with --verbose for details)\n')
    const loud = new BufferOutput()
    reportError(new UsageError('bad', 'ERR_USAGE'), loud, true)
    expect(loud.text.split('\n')[0]).toBe('okta-elt: bad')
    expect(loud.text).toMatch(/\n\s*at /)
  })
})

describe('status rendering', () => {
  it('prints cursors, counts, last success and recent loads', () => {
    const text = renderStatus({
      destination: 'sqlite:./okta.db',
      resources: [
        {
          resource: 'users',
          cursor: { lastUpdated: '2025-01-02T03:04:05.000Z' },
          parentCursors: 0,
          cursorUpdatedAt: '2025-01-02T03:05:00.000Z',
          lastSuccess: { loadId: 'l1', finishedAt: '2025-01-02T03:05:00.000Z', rows: 120 },
          rows: 5000,
          deleted: 12,
          childTables: [],
        },
        { resource: 'group_users', cursor: null, parentCursors: 40, cursorUpdatedAt: null, lastSuccess: null, rows: 0, deleted: 0, childTables: [{ table: 'group_users__x', rows: 3, deleted: 0 }] },
      ],
      loads: [
        { loadId: 'l2', runId: 'r', resource: 'apps', status: 'failed', startedAt: new Date('2025-01-02T03:00:00Z'), finishedAt: new Date('2025-01-02T03:00:02Z'), rows: 0, batches: 0, error: 'boom' },
      ],
    })
    expect(text).toMatch(/users\s+5,000\s+12\s+2025-01-02T03:05:00\.000Z \(120 rows\)\s+lastUpdated=2025-01-02T03:04:05\.000Z/)
    expect(text).toMatch(/group_users\s+0\s+0\s+never\s+\+40 per-parent cursors/)
    expect(text).toMatch(/group_users__x\s+3/)
    expect(text).toMatch(/apps\s+failed\s+0\s+2\.0s\s+boom/)
    expect(prettyCursor({ cursor: 'x'.repeat(200), parentCursors: 0 })).toHaveLength(90)
  })
})

describe('formatting', () => {
  it('formats durations and aligned tables', () => {
    expect(formatDuration(850)).toBe('850ms')
    expect(formatDuration(12_345)).toBe('12.3s')
    expect(formatDuration(245_000)).toBe('4m05s')
    expect(formatDuration(7_380_000)).toBe('2h03m')
    expect(formatTable(['a', 'n'], [['x', '1'], ['yy', '100']])).toBe('  a     n\n  x     1\n  yy  100\n')
  })
})
