import { linkSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunSummary } from '../../src/pipeline/types.ts'
import { renderExposition } from '../../src/cli/metrics/exposition.ts'
import { startSimulator } from '../../src/simulator/index.ts'
import type { Simulator } from '../../src/simulator/types.ts'
import { runCliProcess } from '../reliability/helpers.ts'
import { tempDir } from './helpers.ts'
import { DEFAULT_RESOURCES } from '../../src/resources/types.ts'

/**
 * `run --metrics-file` as the real binary: the file is valid Prometheus text format (checked by a
 * strict parser below, not by the code that wrote it), replaced atomically, and written after a
 * success, after resources failed, and after a run that failed before it started.
 */
const TOKEN = 'metrics-test-token-0123456789abcdef'
const LOGS_LESS = 'metrics-token-without-logs-0123456789'
let sim: Simulator
let tmp: ReturnType<typeof tempDir>

beforeAll(async () => {
  sim = await startSimulator({
    seed: 4,
    token: TOKEN,
    size: { users: 30, groups: 3, apps: 2, logEvents: 30, logDays: 1 },
    scopedTokens: { [LOGS_LESS]: ['okta.users.read', 'okta.groups.read', 'okta.apps.read'] },
  })
  tmp = tempDir()
})
afterAll(async () => {
  await sim?.close()
  tmp?.cleanup()
})

// ---- a strict reader of the text exposition format (0.0.4) ----------------------------------

interface Family {
  help: string
  type: string
  samples: { labels: Record<string, string>; value: number }[]
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*'
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*'
const LABEL_VALUE = '(?:[^"\\\\\\n]|\\\\[\\\\"n])*'
const VALUE = '(?:NaN|[+-]Inf|[+-]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?)'
const HELP_LINE = new RegExp(`^# HELP (${NAME}) ((?:[^\\\\\\n]|\\\\[\\\\n])*)$`)
const TYPE_LINE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`)
const SAMPLE_LINE = new RegExp(`^(${NAME})(\\{(?:${LABEL}="${LABEL_VALUE}"(?:,${LABEL}="${LABEL_VALUE}")*)?\\})? (${VALUE})(?: -?\\d+)?$`)

/** Throws on anything a Prometheus text parser would reject, or that node_exporter would warn about. */
function parseExposition(text: string): Map<string, Family> {
  expect(text.endsWith('\n'), 'ends with a newline').toBe(true)
  const families = new Map<string, Family>()
  let current: { name: string; family: Family } | null = null
  let pendingHelp: { name: string; help: string } | null = null
  for (const line of text.slice(0, -1).split('\n')) {
    let m: RegExpExecArray | null
    if ((m = HELP_LINE.exec(line))) {
      if (families.has(m[1]!)) throw new Error(`family ${m[1]} appears twice`)
      pendingHelp = { name: m[1]!, help: m[2]! }
    } else if ((m = TYPE_LINE.exec(line))) {
      if (pendingHelp === null || pendingHelp.name !== m[1]) throw new Error(`TYPE of ${m[1]} without its HELP just before`)
      const family: Family = { help: pendingHelp.help, type: m[2]!, samples: [] }
      families.set(m[1]!, family)
      current = { name: m[1]!, family }
      pendingHelp = null
    } else if ((m = SAMPLE_LINE.exec(line))) {
      if (current === null || current.name !== m[1]) throw new Error(`sample of ${m[1]} outside its family: ${line}`)
      const labels: Record<string, string> = {}
      for (const [, k, v] of (m[2] ?? '').matchAll(new RegExp(`(${LABEL})="(${LABEL_VALUE})"`, 'g'))) {
        if (k! in labels) throw new Error(`label ${k} twice: ${line}`)
        labels[k!] = v!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
      }
      const key = JSON.stringify(Object.entries(labels).sort())
      if (current.family.samples.some((s) => JSON.stringify(Object.entries(s.labels).sort()) === key)) throw new Error(`duplicate series: ${line}`)
      current.family.samples.push({ labels, value: Number(m[3]!.replace('Inf', 'Infinity')) })
    } else {
      throw new Error(`not a valid exposition line: ${JSON.stringify(line)}`)
    }
  }
  for (const f of families.values()) expect(f.samples.length, 'no empty family').toBeGreaterThan(0)
  return families
}

function value(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  const f = families.get(name)
  return f?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value
}

const RESOURCES = [...DEFAULT_RESOURCES]
const FAMILIES = [
  'okta_elt_run_success',
  'okta_elt_run_duration_seconds',
  'okta_elt_run_last_timestamp_seconds',
  'okta_elt_resource_success',
  'okta_elt_resource_status',
  'okta_elt_resource_rows',
  'okta_elt_resource_duration_seconds',
  'okta_elt_resource_last_success_timestamp_seconds',
  'okta_elt_okta_requests_total',
  'okta_elt_okta_rate_limited_total',
  'okta_elt_okta_wait_seconds',
]

describe('run --metrics-file', () => {
  it('after a success, after failed resources and after a run that never started: valid, atomic, carries last success', async () => {
    const db = `sqlite:${join(tmp.dir, 'm.db')}`
    const prom = join(tmp.dir, 'okta_elt.prom')
    const before = Date.now() / 1000

    const ok = await runCliProcess(['run', '--destination', db, '--metrics-file', prom, '--json'], { env: { OKTA_ORG_URL: sim.url, OKTA_API_TOKEN: TOKEN }, cwd: tmp.dir })
    expect(ok.code, ok.stderr).toBe(0)
    const summary = JSON.parse(ok.stdout) as RunSummary
    const first = readFileSync(prom, 'utf8')
    const m1 = parseExposition(first)
    expect([...m1.keys()]).toEqual(FAMILIES)
    for (const f of m1.values()) expect(f.type).toBe('gauge')
    expect(value(m1, 'okta_elt_run_success')).toBe(1)
    expect(value(m1, 'okta_elt_run_duration_seconds')).toBeCloseTo(summary.durationMs / 1000, 2)
    expect(value(m1, 'okta_elt_run_last_timestamp_seconds')).toBeCloseTo(Date.parse(summary.finishedAt) / 1000, 2)
    for (const r of summary.resources) {
      expect(value(m1, 'okta_elt_resource_rows', { resource: r.resource })).toBe(r.rows)
      expect(value(m1, 'okta_elt_resource_success', { resource: r.resource })).toBe(1)
      expect(value(m1, 'okta_elt_resource_status', { resource: r.resource, status: 'succeeded' })).toBe(1)
      expect(value(m1, 'okta_elt_resource_status', { resource: r.resource, status: 'failed' })).toBe(0)
      expect(value(m1, 'okta_elt_resource_last_success_timestamp_seconds', { resource: r.resource })).toBeGreaterThanOrEqual(before)
    }
    for (const [bucket, b] of Object.entries(summary.requests.buckets)) {
      expect(value(m1, 'okta_elt_okta_requests_total', { bucket })).toBe(b.requests)
      expect(value(m1, 'okta_elt_okta_rate_limited_total', { bucket })).toBe(b.rateLimited + b.concurrencyLimited)
      expect(value(m1, 'okta_elt_okta_wait_seconds', { bucket })).toBeCloseTo(b.waitMs / 1000, 3)
    }
    const firstSuccess = value(m1, 'okta_elt_resource_last_success_timestamp_seconds', { resource: 'system_log' })!

    // A second link to the first file: an in-place rewrite would change it, a rename leaves it alone.
    linkSync(prom, `${prom}.first`)
    await new Promise((r) => setTimeout(r, 20))
    const failed = await runCliProcess(['run', '--destination', db, '--metrics-file', prom], { env: { OKTA_ORG_URL: sim.url, OKTA_API_TOKEN: LOGS_LESS }, cwd: tmp.dir })
    expect(failed.code).toBe(2)
    expect(readFileSync(`${prom}.first`, 'utf8')).toBe(first)
    const m2 = parseExposition(readFileSync(prom, 'utf8'))
    expect(value(m2, 'okta_elt_run_success')).toBe(0)
    expect(value(m2, 'okta_elt_resource_success', { resource: 'system_log' })).toBe(0)
    expect(value(m2, 'okta_elt_resource_status', { resource: 'system_log', status: 'failed' })).toBe(1)
    expect(value(m2, 'okta_elt_resource_status', { resource: 'system_log', status: 'succeeded' })).toBe(0)
    expect(value(m2, 'okta_elt_resource_success', { resource: 'users' })).toBe(1)
    // The failing resource keeps the time of its last success; the others move on.
    expect(value(m2, 'okta_elt_resource_last_success_timestamp_seconds', { resource: 'system_log' })).toBe(firstSuccess)
    expect(value(m2, 'okta_elt_resource_last_success_timestamp_seconds', { resource: 'users' })).toBeGreaterThan(firstSuccess)

    // The destination cannot even be opened: no summary, still a file saying so.
    const broken = await runCliProcess(['run', '--destination', `sqlite:${join(tmp.dir, 'missing-dir', 'x.db')}`, '--resources', 'users,groups', '--metrics-file', prom], {
      env: { OKTA_ORG_URL: sim.url, OKTA_API_TOKEN: TOKEN },
      cwd: tmp.dir,
    })
    expect(broken.code).toBe(2)
    const m3 = parseExposition(readFileSync(prom, 'utf8'))
    expect(value(m3, 'okta_elt_run_success')).toBe(0)
    expect(m3.get('okta_elt_resource_success')!.samples.map((s) => [s.labels.resource, s.value])).toEqual([['users', 0], ['groups', 0]])
    expect(value(m3, 'okta_elt_resource_status', { resource: 'users', status: 'failed' })).toBe(1)
    expect(m3.get('okta_elt_resource_last_success_timestamp_seconds')!.samples.map((s) => s.labels.resource).sort()).toEqual([...RESOURCES].sort())
    expect(value(m3, 'okta_elt_resource_last_success_timestamp_seconds', { resource: 'system_log' })).toBe(firstSuccess)
    expect(m3.has('okta_elt_okta_requests_total')).toBe(false)

    // Nothing temporary left behind for the collector to trip over.
    expect(readdirSync(tmp.dir).filter((f) => f.includes('.tmp.'))).toEqual([])
  })

  it('a metrics directory that does not exist is a usage error before anything runs', async () => {
    const res = await runCliProcess(['run', '--destination', `sqlite:${join(tmp.dir, 'n.db')}`, '--metrics-file', join(tmp.dir, 'nope', 'x.prom')], {
      env: { OKTA_ORG_URL: sim.url, OKTA_API_TOKEN: TOKEN },
      cwd: tmp.dir,
    })
    expect(res.code).toBe(2)
    expect(res.stderr.trimEnd().split('\n')).toEqual([`okta-elt: --metrics-file: directory ${join(tmp.dir, 'nope')} does not exist`])
  })
})

describe('renderExposition', () => {
  it('escapes HELP text and label values the way the format requires', () => {
    const text = renderExposition([
      { name: 'x_total', help: 'a \\ b\nc', type: 'gauge', samples: [{ labels: { l: 'q"\\\nz' }, value: Number.NaN }, { labels: { l: 'inf' }, value: Infinity }] },
      { name: 'empty', help: 'left out', type: 'gauge', samples: [] },
    ])
    expect(text).toBe('# HELP x_total a \\\\ b\\nc\n# TYPE x_total gauge\nx_total{l="q\\"\\\\\\nz"} NaN\nx_total{l="inf"} +Inf\n')
    const parsed = parseExposition(text)
    expect(parsed.get('x_total')!.samples[0]!.labels.l).toBe('q"\\\nz')
  })
})
