/**
 * The okta-elt benchmark: `npm run bench` (about 15 minutes) or `npm run bench -- --quick`
 * (about a minute, every org 10× smaller). Every figure is a ratio of runs made side by side in
 * this one invocation, because the machines it runs on are shared and noisy.
 *
 * The simulator runs in its own process (sim-worker.ts) and every measured job in another
 * (job-worker.ts), so neither's CPU lands on the other's event loop and each job's peak RSS is its
 * own. Results: a Markdown report on stdout and in bench/results/latest[-quick].{md,json}.
 *
 *   node bench/run.ts [--quick] [--only=throughput,nightly,memory,full-memory,rate-limit,backfill] [--no-postgres]
 *     [--baseline-bin=PATH]  (section 6 also runs this okta-elt binary, e.g. an older worktree's, side by side)
 *   OKTA_ELT_BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/test (default)
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { RESOURCE_NAMES } from '../src/resources/types.ts'
import { OKTA_DEFAULT_RATE_LIMITS } from '../src/simulator/rate-limiter.ts'
import type { OrgSize } from '../src/simulator/types.ts'
import { boundedRelaunch, RELAUNCHED } from '../bin/heap-bound.js'
import { runCliJob } from './cli-process.ts'
import { runJob } from './job-process.ts'
import type { Job, JobResult } from './job-protocol.ts'
import { SimProcess } from './sim-process.ts'
import { windowsOf } from './windows.ts'

const argv = process.argv.slice(2)
const quick = argv.includes('--quick')
const onlyArg = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length)
const only = onlyArg ? new Set(onlyArg.split(',')) : null
const wants = (name: string): boolean => only === null || only.has(name)
const pgBase = process.env.OKTA_ELT_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** What the raw loader loads too (bench/references.ts): the throughput comparison's scope. */
const BASE_RESOURCES = ['users', 'groups', 'group_users', 'apps', 'apps_assigned', 'system_log'] as const

const P = quick
  ? {
      org: { users: 10_000, groups: 200, membershipsPerUser: 2, apps: 30, assignmentsPerUser: 1.1, logEvents: 50_000, logDays: 30 },
      tutorialSample: 3_000,
      /** "A handful" of membership and assignment changes, scaled with the org. */
      handful: 3,
      memory: [10_000, 50_000],
      fullMemory: [10_000, 50_000],
      scaling: [5_000, 20_000, 50_000],
      rateLimited: { users: 5_000, groups: 300, membershipsPerUser: 1, apps: 250, assignmentsPerUser: 0.5, logEvents: 5_000, logDays: 30 },
    }
  : {
      org: { users: 100_000, groups: 2_000, membershipsPerUser: 2, apps: 300, assignmentsPerUser: 1.1, logEvents: 500_000, logDays: 30 },
      tutorialSample: 20_000,
      handful: 10,
      memory: [10_000, 100_000, 1_000_000],
      fullMemory: [100_000, 1_000_000],
      scaling: [10_000, 100_000, 1_000_000],
      rateLimited: { users: 20_000, groups: 1_000, membershipsPerUser: 1, apps: 1_000, assignmentsPerUser: 0.5, logEvents: 20_000, logDays: 30 },
    }
/** Production bucket ratios, the window scaled from 60 s to 6 s (limits per window, as the headers report them). */
const RATE_WINDOW_MS = 6_000
const RATE_LIMITS = { ...OKTA_DEFAULT_RATE_LIMITS, users: 600, groups: 500, apps: 100, logs: 120 }
const SHARE = 0.9

const dir = mkdtempSync(join(tmpdir(), 'okta-elt-bench-'))
const schemas: string[] = []
const out: string[] = []
const json: Record<string, unknown> = { quick, startedAt: new Date().toISOString() }

function emit(line = ''): void {
  out.push(line)
  console.log(line)
}
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')
const x = (n: number): string => `${n.toFixed(2)}×`
const pct = (n: number): string => `${(n * 100).toFixed(0)}%`
const sec = (ms: number): string => `${(ms / 1000).toFixed(1)} s`
const verdict = (ok: boolean): string => (ok ? 'met' : '**missed**')

let fileNo = 0
function sqliteDest(): string {
  return `sqlite:${join(dir, `db-${++fileNo}.sqlite`)}`
}
function duckdbDest(): string {
  return `duckdb:${join(dir, `db-${++fileNo}.duckdb`)}`
}
function pgDest(): string {
  const schema = `bench_${process.pid}_${++fileNo}`
  schemas.push(schema)
  const u = new URL(pgBase)
  u.searchParams.set('schema', schema)
  return u.toString()
}

async function pgReachable(): Promise<boolean> {
  if (argv.includes('--no-postgres')) return false
  const client = new pg.Client({ connectionString: pgBase, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    await client.end()
    return true
  } catch {
    return false
  }
}

async function job(sim: SimProcess, j: Omit<Job, 'url' | 'token'>, label: string, run: { execArgv?: string[]; env?: Record<string, string> } = {}): Promise<JobResult> {
  process.stderr.write(`  … ${label}\n`)
  const r = await runJob({ ...j, url: sim.url, token: sim.token }, run)
  process.stderr.write(`    ${sec(r.durationMs)}, ${fmt(r.requests)} requests, peak RSS ${fmt(r.maxRssMb)} MB\n`)
  return r
}

const sum = (rows: Record<string, number>): number => Object.values(rows).reduce((a, b) => a + b, 0)

// ───────────────────────────── 1 + 3: throughput and nightly runs ─────────────────────────────

/** The SQLite file of section 1's full load, which the backfill section copies (when it ran). */
let throughputSqlite: string | null = null

async function throughputAndNightly(withPg: boolean): Promise<void> {
  const sim = await SimProcess.start({ seed: 1, size: P.org })
  try {
    const c = sim.counts
    emit(`## 1. Full load throughput`)
    emit()
    emit(`Org: ${fmt(c['users']!)} users, ${fmt(c['groups']!)} groups, ${fmt(c['memberships']!)} memberships, ${fmt(c['apps']!)} apps, ${fmt(c['assignments']!)} assignments, ${fmt(c['logEvents']!)} System Log events. No rate limits.`)
    emit()
    const dests = [{ name: 'SQLite', make: sqliteDest }, ...(withPg ? [{ name: 'Postgres', make: pgDest }] : [])]
    // Section 1 also loads DuckDB (no server: always on), against its own raw appender loader.
    const loadDests = [...dests, { name: 'DuckDB', make: duckdbDest }]
    const full: Record<string, { elt: JobResult; raw: JobResult; dest: string }> = {}
    // The six base resources: what the raw loader loads too, so the ratio compares like with like.
    for (const d of loadDests) {
      const dest = d.make()
      // History off: the raw loader keeps none (its cost is measured in section 3).
      const elt = await job(sim, { mode: 'okta-elt', destination: dest, resources: [...BASE_RESOURCES], history: [] }, `${d.name}: okta-elt full load`)
      const raw = await job(sim, { mode: 'raw', destination: d.make() }, `${d.name}: raw limit`)
      full[d.name] = { elt, raw, dest }
    }
    const usersOnly: Record<string, { elt: JobResult; raw: JobResult; tutorial: JobResult }> = {}
    for (const d of loadDests) {
      const elt = await job(sim, { mode: 'okta-elt', destination: d.make(), resources: ['users'], history: [] }, `${d.name}: okta-elt users only`)
      const raw = await job(sim, { mode: 'raw', destination: d.make(), resources: ['users'] }, `${d.name}: raw users only`)
      const tutorial = await job(sim, { mode: 'tutorial', destination: d.make(), sampleUsers: P.tutorialSample }, `${d.name}: tutorial loop`)
      usersOnly[d.name] = { elt, raw, tutorial }
    }

    emit(`Records/s per resource (resources run concurrently, so a resource's rate is its rows over its own wall time), okta-elt vs the raw limit in the same run:`)
    emit()
    emit(`| resource | rows | ${loadDests.map((d) => `${d.name} okta-elt | ${d.name} raw | ratio`).join(' | ')} |`)
    emit(`|---|--:|${loadDests.map(() => '--:|--:|--:').join('|')}|`)
    for (const r of BASE_RESOURCES) {
      const cells = loadDests.map((d) => {
        const f = full[d.name]!
        const e = (f.elt.rows[r] ?? 0) / ((f.elt.durations[r] ?? 1) / 1000)
        const w = (f.raw.rows[r] ?? 0) / ((f.raw.durations[r] ?? 1) / 1000)
        return `${fmt(e)} | ${fmt(w)} | ${pct(e / w)}`
      })
      emit(`| ${r} | ${fmt(full[dests[0]!.name]!.elt.rows[r] ?? 0)} | ${cells.join(' | ')} |`)
    }
    const overall = loadDests.map((d) => {
      const f = full[d.name]!
      const e = sum(f.elt.rows) / (f.elt.durationMs / 1000)
      const w = sum(f.raw.rows) / (f.raw.durationMs / 1000)
      return { name: d.name, e, w, ratio: e / w, eMs: f.elt.durationMs, wMs: f.raw.durationMs }
    })
    emit(`| **overall** (all rows / wall time) | ${fmt(sum(full[dests[0]!.name]!.elt.rows))} | ${overall.map((o) => `**${fmt(o.e)}** | ${fmt(o.w)} | **${pct(o.ratio)}**`).join(' | ')} |`)
    emit()
    emit(`Wall time: ${overall.map((o) => `${o.name} okta-elt ${sec(o.eMs)} vs raw ${sec(o.wMs)}`).join('; ')}.`)
    emit()
    emit(`Users only (the widest rows), okta-elt vs raw vs the tutorial loop (${fmt(P.tutorialSample)}-user sample, rate extrapolated):`)
    emit()
    emit(`| destination | okta-elt users/s | raw users/s | tutorial users/s | okta-elt / raw | okta-elt / tutorial | raw / tutorial |`)
    emit(`|---|--:|--:|--:|--:|--:|--:|`)
    const tut: Record<string, number> = {}
    for (const d of loadDests) {
      const u = usersOnly[d.name]!
      const e = (u.elt.rows['users'] ?? 0) / (u.elt.durationMs / 1000)
      const w = (u.raw.rows['users'] ?? 0) / (u.raw.durationMs / 1000)
      const t = (u.tutorial.rows['users'] ?? 0) / (u.tutorial.durationMs / 1000)
      tut[d.name] = e / t
      emit(`| ${d.name} | ${fmt(e)} | ${fmt(w)} | ${fmt(t)} | ${pct(e / w)} | ${x(e / t)} | ${x(w / t)} |`)
    }
    emit()
    for (const o of overall) {
      emit(`- ${o.name}: okta-elt at ${pct(o.ratio)} of the raw limit overall (target ≥ 80%: ${verdict(o.ratio >= 0.8)}); ${x(tut[o.name]!)} the tutorial loop on users (target ≥ 20×: ${verdict(tut[o.name]! >= 20)}); a full load with the tutorial loop would take ~${sec((sum(full[o.name]!.elt.rows) / ((usersOnly[o.name]!.tutorial.rows['users'] ?? 1) / usersOnly[o.name]!.tutorial.durationMs)))}.`)
    }
    emit()
    json['throughput'] = { full, usersOnly }
    throughputSqlite = full['SQLite']!.dest

    // Nightly: every resource (all thirteen, user_factors included) loaded in full, a no-change run,
    // one night of changes, then the nightly run, all on the same destination.
    emit(`## 3. Nightly run`)
    emit()
    const all = { resources: [...RESOURCE_NAMES], countTables: true }
    // Each destination twice: history on (the default) and off (`history: []`), side by side.
    const noHistory = { ...all, history: [] }
    const nightlyFull: Record<string, { elt: JobResult; dest: string }> = {}
    const plainFull: Record<string, { elt: JobResult; dest: string }> = {}
    for (const d of dests) {
      const dest = d.make()
      nightlyFull[d.name] = { elt: await job(sim, { mode: 'okta-elt', destination: dest, ...all }, `${d.name}: full load, all resources`), dest }
      const plain = d.make()
      plainFull[d.name] = { elt: await job(sim, { mode: 'okta-elt', destination: plain, ...noHistory }, `${d.name}: full load, all resources, no history`), dest: plain }
    }
    const noChange: Record<string, JobResult> = {}
    for (const d of dests) noChange[d.name] = await job(sim, { mode: 'okta-elt', destination: nightlyFull[d.name]!.dest, ...all }, `${d.name}: no-change run`)
    for (const d of dests) await job(sim, { mode: 'okta-elt', destination: plainFull[d.name]!.dest, ...noHistory }, `${d.name}: no-change run, no history`)
    const logsPerDay = Math.round(P.org.logEvents / P.org.logDays)
    const changed = await sim.call<Record<string, number>>({ op: 'nightly', args: { userFraction: 0.01, memberships: P.handful, assignments: P.handful, logEvents: logsPerDay } })
    const nightly: Record<string, JobResult> = {}
    const plainNightly: Record<string, JobResult> = {}
    for (const d of dests) {
      nightly[d.name] = await job(sim, { mode: 'okta-elt', destination: nightlyFull[d.name]!.dest, ...all }, `${d.name}: nightly run`)
      plainNightly[d.name] = await job(sim, { mode: 'okta-elt', destination: plainFull[d.name]!.dest, ...noHistory }, `${d.name}: nightly run, no history`)
    }
    emit(`All thirteen resources. After the full load: ${fmt(changed['users']!)} users edited (1%), ${changed['memberships']} membership and ${changed['assignments']} assignment changes (adds and removals), ${changed['access']} access-graph changes (role grants, factor enrolments, app ↔ group assignments), ${fmt(changed['logEvents']!)} new System Log events (one day) plus those the changes emit.`)
    emit()
    emit(`| destination | run | requests | vs full load | time | vs full load | rows |`)
    emit(`|---|---|--:|--:|--:|--:|--:|`)
    for (const d of dests) {
      const f = nightlyFull[d.name]!.elt
      for (const [name, r] of [['full load', f], ['no change', noChange[d.name]!], ['nightly', nightly[d.name]!]] as const) {
        emit(`| ${d.name} | ${name} | ${fmt(r.requests)} | ${pct(r.requests / f.requests)} | ${sec(r.durationMs)} | ${pct(r.durationMs / f.durationMs)} | ${fmt(sum(r.rows))} |`)
      }
    }
    emit()
    for (const d of dests) {
      const f = nightlyFull[d.name]!.elt
      const n = nightly[d.name]!
      const z = noChange[d.name]!
      emit(`- ${d.name}: nightly = ${pct(n.requests / f.requests)} of the full load's requests (target ≤ 5%: ${verdict(n.requests / f.requests <= 0.05)}), ${pct(n.durationMs / f.durationMs)} of its time (target ≤ 10%: ${verdict(n.durationMs / f.durationMs <= 0.1)}). No-change run: ${z.requests} requests (${Object.entries(z.buckets).map(([b, k]) => `${b} ${k}`).join(', ')}), ${fmt(sum(z.rows))} rows.`)
    }
    emit()
    // Request costs per resource (README, "The access graph" and "Resources"): what each
    // resource's own summary counts; the run's shared history query is the remainder.
    const costOf = (r: JobResult, name: string): number => r.resourceRequests?.[name] ?? 0
    const shared = (r: JobResult): number => r.requests - Object.values(r.resourceRequests ?? {}).reduce((a, b) => a + b, 0)
    const first = dests[0]!.name
    const runs = [nightlyFull[first]!.elt, noChange[first]!, nightly[first]!] as const
    emit(`Requests per resource (${first}; the same on every destination):`)
    emit()
    emit(`| resource | full load | no-change run | nightly run |`)
    emit(`|---|--:|--:|--:|`)
    for (const name of RESOURCE_NAMES) emit(`| \`${name}\` | ${runs.map((r) => fmt(costOf(r, name))).join(' | ')} |`)
    emit(`| the run's history query | ${runs.map((r) => fmt(shared(r))).join(' | ')} |`)
    emit(`| **total** | ${runs.map((r) => `**${fmt(r.requests)}**`).join(' | ')} |`)
    emit()
    emit(`History (section "History" of the README): the same runs with \`history: []\` on a second destination of each kind, side by side.`)
    emit()
    // Two more nights: a nightly run here is well under a second, so one pair is mostly noise; the
    // median of three pairs is reported.
    const ratios: Record<string, number[]> = {}
    for (const d of dests) ratios[d.name] = [nightly[d.name]!.durationMs / plainNightly[d.name]!.durationMs]
    for (let night = 2; night <= 3; night++) {
      await sim.call<Record<string, number>>({ op: 'nightly', args: { userFraction: 0.01, memberships: P.handful, assignments: P.handful, logEvents: logsPerDay } })
      for (const d of dests) {
        const on = await job(sim, { mode: 'okta-elt', destination: nightlyFull[d.name]!.dest, ...all }, `${d.name}: nightly run ${night}`)
        const off = await job(sim, { mode: 'okta-elt', destination: plainFull[d.name]!.dest, ...noHistory }, `${d.name}: nightly run ${night}, no history`)
        ratios[d.name]!.push(on.durationMs / off.durationMs)
      }
    }
    const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!
    emit(`| destination | full load with / without history | nightly with / without history (3 nights: median; each) | history rows after the full load | added by the first nightly run | rows that run wrote |`)
    emit(`|---|--:|--:|--:|--:|--:|`)
    const historyRows = (r: JobResult): number => Object.entries(r.tables ?? {}).filter(([t]) => t.endsWith('_history')).reduce((n, [, k]) => n + k, 0)
    for (const d of dests) {
      const fullRatio = nightlyFull[d.name]!.elt.durationMs / plainFull[d.name]!.elt.durationMs
      const nightRatio = median(ratios[d.name]!)
      const before = historyRows(noChange[d.name]!)
      const added = historyRows(nightly[d.name]!) - before
      emit(`| ${d.name} | ${x(fullRatio)} | **${x(nightRatio)}** (target ≤ 1.2×: ${verdict(nightRatio <= 1.2)}); ${ratios[d.name]!.map(x).join(', ')} | ${fmt(before)} | ${fmt(added)} | ${fmt(sum(nightly[d.name]!.rows))} |`)
    }
    emit()
    json['nightly'] = { changed, full: nightlyFull, noChange, nightly, plainFull, plainNightly, historyRatios: ratios }
  } finally {
    await sim.close()
  }
}

// ───────────────────────────── 2 + 5: memory and scaling ─────────────────────────────

async function usersRun(users: number): Promise<JobResult> {
  const sim = await SimProcess.start({ seed: 2, size: { users, groups: 2, membershipsPerUser: 0, apps: 1, assignmentsPerUser: 0, logEvents: 0 } })
  try {
    return await job(sim, { mode: 'okta-elt', destination: sqliteDest(), resources: ['users'] }, `users only, ${fmt(users)} users`)
  } finally {
    await sim.close()
  }
}

async function memoryAndScaling(): Promise<void> {
  const sizes = [...new Set([...P.memory, ...P.scaling])].sort((a, b) => a - b)
  const runs = new Map<number, JobResult>()
  for (const n of sizes) runs.set(n, await usersRun(n))
  emit(`## 2. Memory (users resource into SQLite, peak RSS of the pipeline's process)`)
  emit()
  emit(`| users | peak RSS | vs ${fmt(P.memory[P.memory.length - 2]!)} |`)
  emit(`|--:|--:|--:|`)
  const ref = runs.get(P.memory[P.memory.length - 2]!)!.maxRssMb
  for (const n of P.memory) emit(`| ${fmt(n)} | ${fmt(runs.get(n)!.maxRssMb)} MB | ${x(runs.get(n)!.maxRssMb / ref)} |`)
  const top = runs.get(P.memory[P.memory.length - 1]!)!.maxRssMb / ref
  emit()
  emit(`- ${fmt(P.memory[P.memory.length - 1]!)} users use ${x(top)} the memory of ${fmt(P.memory[P.memory.length - 2]!)} (target ≤ 1.3×: ${verdict(top <= 1.3)}).`)
  emit()
  emit(`## 5. Scaling (users resource into SQLite)`)
  emit()
  emit(`| users | time | requests | µs per user | requests per 1k users |`)
  emit(`|--:|--:|--:|--:|--:|`)
  for (const n of P.scaling) {
    const r = runs.get(n)!
    emit(`| ${fmt(n)} | ${sec(r.durationMs)} | ${fmt(r.requests)} | ${(r.durationMs * 1000 / n).toFixed(1)} | ${(r.requests * 1000 / n).toFixed(2)} |`)
  }
  const first = runs.get(P.scaling[0]!)!
  const last = runs.get(P.scaling[P.scaling.length - 1]!)!
  const growth = (last.durationMs / P.scaling[P.scaling.length - 1]!) / (first.durationMs / P.scaling[0]!)
  emit()
  emit(`- Time per user at ${fmt(P.scaling[P.scaling.length - 1]!)} is ${x(growth)} that at ${fmt(P.scaling[0]!)} (linear = 1×, the smallest run carries the fixed start-up cost); requests are exactly one per 200 users.`)
  emit()
  json['memory'] = Object.fromEntries(runs)
}

// ───────────────────────────── 2b: memory of a full load ─────────────────────────────

const RSS_CEILING_MB = 200
/** What the launcher adds to `okta-elt run` on a machine where nothing is set (for the report). */
const BOUND = boundedRelaunch({ argv: ['run'], execArgv: [], env: {} })!
const BOUND_LABEL = [...BOUND.args, ...Object.entries(BOUND.env).filter(([k]) => k !== RELAUNCHED).map(([k, v]) => `${k}=${v}`)].map((f) => `\`${f}\``).join(' ')

/**
 * Issue 14's ceiling: a full load (every default resource, history on: the defaults) of a
 * 1,000,000-user org peaks at ≤ 200 MB RSS, so a 256 MiB pod holds. Measured as users run it:
 * `okta-elt run` (bin/okta-elt.js, a config file, the token in the environment; the launcher
 * relaunches it in place with its heap bound, bin/heap-bound.js), peak RSS of its whole process
 * tree from /proc (cli-process.ts). Beside it the same run with the bound lifted
 * (`OKTA_ELT_HEAP_MB=0`): V8 and malloc sized for this machine, what the ceiling costs in time.
 * The org keeps the throughput org's proportions, except the System Log, which is a time window
 * rather than a function of the org's size. In the full bench the two 1,000,000-user loads take
 * the longest of all (tens of minutes).
 */
async function fullLoadMemory(): Promise<void> {
  emit(`## 2b. Memory of a full load (\`okta-elt run\`, all default resources, history on, into SQLite; peak RSS of the command's process tree)`)
  emit()
  emit(`| users | groups | memberships | apps | log events | peak RSS, defaults | peak RSS, \`OKTA_ELT_HEAP_MB=0\` | time, defaults | time, \`OKTA_ELT_HEAP_MB=0\` |`)
  emit(`|--:|--:|--:|--:|--:|--:|--:|--:|--:|`)
  const rows: Record<string, { defaults: JobResult; unbounded: JobResult }> = {}
  for (const users of P.fullMemory) {
    const k = users / 100_000
    const size = { users, groups: Math.round(2_000 * k), membershipsPerUser: 2, apps: Math.max(10, Math.round(300 * k)), assignmentsPerUser: 1.1, logEvents: Math.min(500_000, Math.round(500_000 * k)), logDays: 30 }
    const sim = await SimProcess.start({ seed: 5, size })
    try {
      const c = sim.counts
      const cli = async (label: string, env: Record<string, string> = {}): Promise<JobResult> => {
        process.stderr.write(`  … ${label}\n`)
        const r = await runCliJob({ url: sim.url, token: sim.token, destination: sqliteDest(), env })
        process.stderr.write(`    ${sec(r.durationMs)}, ${fmt(r.requests)} requests, peak RSS ${fmt(r.maxRssMb)} MB (${r.processes} process${r.processes === 1 ? '' : 'es'})\n`)
        return r
      }
      const defaults = await cli(`okta-elt run, ${fmt(users)} users, defaults`)
      const unbounded = await cli(`okta-elt run, ${fmt(users)} users, OKTA_ELT_HEAP_MB=0`, { OKTA_ELT_HEAP_MB: '0' })
      rows[users] = { defaults, unbounded }
      emit(`| ${fmt(users)} | ${fmt(c['groups']!)} | ${fmt(c['memberships']!)} | ${fmt(c['apps']!)} | ${fmt(c['logEvents']!)} | ${fmt(defaults.maxRssMb)} MB | ${fmt(unbounded.maxRssMb)} MB | ${sec(defaults.durationMs)} | ${sec(unbounded.durationMs)} |`)
    } finally {
      await sim.close()
    }
  }
  const topUsers = P.fullMemory[P.fullMemory.length - 1]!
  const top = rows[topUsers]!
  emit()
  emit(`- ${fmt(topUsers)} users, \`okta-elt run\` with default settings: ${fmt(top.defaults.maxRssMb)} MB peak RSS (target ≤ ${RSS_CEILING_MB} MB: ${verdict(top.defaults.maxRssMb <= RSS_CEILING_MB)}), ${top.defaults.processes} process; with the bound lifted ${fmt(top.unbounded.maxRssMb)} MB. Time with the bound: ${x(top.defaults.durationMs / top.unbounded.durationMs)} the unbounded run's.`)
  emit(`- The bound (bin/heap-bound.js): \`run\` and \`backfill\` relaunch in place (\`process.execve\`: same pid) with ${BOUND_LABEL}. Each job starts with an empty compile cache, as a new container does.`)
  emit()
  json['fullLoadMemory'] = rows
}

// ───────────────────────────── 4: rate-limited run ─────────────────────────────

async function rateLimited(): Promise<void> {
  const sim = await SimProcess.start({ seed: 3, size: P.rateLimited, rateLimits: RATE_LIMITS, rateLimitWindowMs: RATE_WINDOW_MS })
  try {
    const r = await job(sim, { mode: 'okta-elt', destination: sqliteDest(), rateLimitShare: SHARE }, 'rate-limited full load')
    const report = await sim.requests(true)
    const c = sim.counts
    emit(`## 4. Rate-limited run`)
    emit()
    emit(`Simulator buckets at production ratios, the 60 s window scaled to ${RATE_WINDOW_MS / 1000} s: users ${RATE_LIMITS.users}, groups ${RATE_LIMITS.groups}, apps ${RATE_LIMITS.apps} (shared with /apps/*), logs ${RATE_LIMITS.logs} per window, as the headers report them; default share ${SHARE}. Org: ${fmt(c['users']!)} users, ${fmt(c['groups']!)} groups, ${fmt(c['apps']!)} apps, ${fmt(c['logEvents']!)} events.`)
    emit()
    emit(`| bucket | requests | 429s | budget/window | windows | min time | utilization while busy |`)
    emit(`|---|--:|--:|--:|--:|--:|--:|`)
    let tMin = 0
    let busiest = { name: '', minMs: -1, util: 0 }
    for (const [name, b] of Object.entries(report.buckets).sort()) {
      const limit = (RATE_LIMITS as Record<string, number>)[name] ?? 0
      const budget = Math.max(1, Math.floor(limit * SHARE))
      const served = b.requests - b.tooMany
      const minMs = (Math.ceil(served / budget) - 1) * RATE_WINDOW_MS
      const w = windowsOf(b.times, RATE_WINDOW_MS)
      const util = w.length >= 2 ? w.slice(0, -1).reduce((a, v) => a + v.used, 0) / (budget * ((w[w.length - 1]!.start - w[0]!.start) / RATE_WINDOW_MS)) : NaN
      if (minMs > busiest.minMs) busiest = { name, minMs, util }
      tMin = Math.max(tMin, minMs)
      emit(`| ${name} | ${fmt(b.requests)} | ${b.tooMany} | ${budget} | ${w.length} | ${sec(minMs)} | ${Number.isNaN(util) ? '–' : pct(util)} |`)
    }
    emit()
    const ratio = r.durationMs / tMin
    emit(`- 429s: ${report.tooMany} (target 0: ${verdict(report.tooMany === 0)}).`)
    emit(`- Busiest bucket (${busiest.name}) used at ${pct(busiest.util)} of the allowed share while it had work (target ≥ 90%: ${verdict(busiest.util >= 0.9)}).`)
    emit(`- Total ${sec(r.durationMs)} vs the theoretical minimum ${sec(tMin)} set by the ${busiest.name} bucket: ${x(ratio)} (target ≤ 1.10×: ${verdict(ratio <= 1.1)}). The client waited ${sec(r.waitMs)} in all.`)
    emit()
    json['rateLimited'] = { result: r, report: { total: report.total, tooMany: report.tooMany }, tMin }
  } finally {
    await sim.close()
  }
}

// ───────────────────────────── 6: backfill ─────────────────────────────

const BIN = join(import.meta.dirname, '..', 'bin', 'okta-elt.js')
/** `--baseline-bin=PATH`: another okta-elt binary (e.g. a worktree of an older commit) run side by side in section 6. */
const baselineBin = argv.find((a) => a.startsWith('--baseline-bin='))?.slice('--baseline-bin='.length) ?? null

function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0
}

/** Runs a command to its end; wall time from spawn to exit (start-up included, as a user sees it). */
function timed(cmd: string, args: string[], label: string): Promise<{ wallMs: number; stdout: string }> {
  process.stderr.write(`  … ${label}\n`)
  const t0 = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.once('error', reject)
    child.once('exit', (code) => {
      const wallMs = performance.now() - t0
      process.stderr.write(`    ${sec(wallMs)}\n`)
      if (code === 0) resolve({ wallMs, stdout })
      else reject(new Error(`${label}: exit ${code}: ${stderr.slice(-2000)}${stdout.slice(-2000)}`))
    })
  })
}

interface BackfillRun {
  wallMs: number
  /** The copy's own time (okta-elt: the summary's `durationMs`; pgloader: its "Total import time"). */
  ownMs: number
  rows: number
}

async function eltBackfill(bin: string, from: string, to: string, label: string): Promise<BackfillRun> {
  const r = await timed(process.execPath, [bin, 'backfill', '--from', from, '--to', to, '--json'], label)
  const s = JSON.parse(r.stdout) as { status: string; durationMs: number; tables: { rows: number }[]; error?: string }
  if (s.status !== 'succeeded') throw new Error(`${label}: ${s.status}: ${s.error ?? ''}`)
  return { wallMs: r.wallMs, ownMs: s.durationMs, rows: s.tables.reduce((a, t) => a + t.rows, 0) }
}

/** pgloader's duration format: `25.612s`, `1m2.345s`, `1h2m3.4s`. */
function pgloaderMs(text: string): number {
  const m = /Total import time\s+\S+\s+(\d+)\s+.*?((?:\d+h)?(?:\d+m)?[\d.]+s)\s*$/m.exec(text)
  if (m === null) return NaN
  const [, , d] = m
  const h = /(\d+)h/.exec(d!)?.[1] ?? '0'
  const min = /(\d+)m/.exec(d!)?.[1] ?? '0'
  const s = /([\d.]+)s$/.exec(d!)?.[1] ?? '0'
  return ((Number(h) * 60 + Number(min)) * 60 + Number(s)) * 1000
}

async function pgloaderCopy(file: string, url: string, label: string): Promise<BackfillRun> {
  const u = new URL(url)
  const schema = u.searchParams.get('schema')!
  u.searchParams.delete('schema')
  const load = join(dir, `${schema}.load`)
  // pgloader's defaults for a SQLite source: 4 COPY workers, its usual type casts, indexes after the data.
  writeFileSync(load, [
    'LOAD DATABASE',
    `  FROM sqlite://${file}`,
    `  INTO ${u.toString()}`,
    // prefetch rows: its default of 100,000 per worker exhausts SBCL's 1 GB heap on the full-size file.
    '  WITH include drop, create tables, create indexes, reset sequences, workers = 4, concurrency = 1, prefetch rows = 10000',
    `  SET search_path to '${schema}'`,
    `  BEFORE LOAD DO $$ create schema if not exists "${schema}"; $$;`,
    '',
  ].join('\n'))
  const r = await timed('pgloader', ['--quiet', load], label)
  const rows = Number(/Total import time\s+\S+\s+(\d+)/.exec(r.stdout)?.[1] ?? NaN)
  return { wallMs: r.wallMs, ownMs: pgloaderMs(r.stdout), rows }
}

async function rawCopyRun(file: string, url: string, label: string): Promise<BackfillRun> {
  process.stderr.write(`  … ${label}\n`)
  const t0 = performance.now()
  const r = await runJob({ mode: 'raw-copy', url: '', token: '', from: file, destination: url })
  const wallMs = performance.now() - t0
  process.stderr.write(`    ${sec(wallMs)}\n`)
  return { wallMs, ownMs: r.durationMs, rows: sum(r.rows) }
}

function sqliteRows(file: string): { tables: number; rows: number } {
  const db = new Database(file, { readonly: true })
  try {
    const names = (db.prepare(`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`).all() as { name: string }[]).map((t) => t.name)
    const rows = names.reduce((n, t) => n + (db.prepare(`select count(*) as n from "${t.replaceAll('"', '""')}"`).get() as { n: number }).n, 0)
    return { tables: names.length, rows }
  } finally {
    db.close()
  }
}

/**
 * `okta-elt backfill --from` between the destinations, timed as a user runs it (the CLI, start-up
 * included), side by side with pgloader copying the same SQLite file into Postgres (when it is on
 * PATH) and with a raw COPY loader (references.ts). The source is section 1's SQLite full load.
 */
async function backfillSection(withPg: boolean): Promise<void> {
  let source = throughputSqlite
  if (source === null) {
    const sim = await SimProcess.start({ seed: 1, size: P.org })
    try {
      source = sqliteDest()
      await job(sim, { mode: 'okta-elt', destination: source, resources: [...BASE_RESOURCES], history: [] }, 'SQLite: okta-elt full load (backfill source)')
    } finally {
      await sim.close()
    }
  }
  const file = source.slice('sqlite:'.length)
  const size = sqliteRows(file)
  let withPgloader = withPg && hasCommand('pgloader')
  let pgloaderFailure: string | null = null
  emit(`## 6. Backfill (\`okta-elt backfill --from\`)`)
  emit()
  emit(`Source: the SQLite file of section 1's okta-elt full load (${size.tables} tables with the metadata tables, ${fmt(size.rows)} rows). Times are wall times of the whole command (process start-up included), each run into a fresh destination; "own" is the copy's time as the tool reports it (okta-elt: the summary's \`durationMs\`; pgloader: its "Total import time").${baselineBin ? ` Baseline: \`${baselineBin}\`, run side by side.` : ''}`)
  emit()
  const result: Record<string, unknown> = { source: size }
  /** What every pair is held to (issue 10): pgloader's SQLite → Postgres time (mean of the rounds), else the raw COPY loader's. */
  let reference: { name: string; ms: number } | null = null
  if (withPg) {
    // Alternated rounds, so that a burst of load on the shared machine hits every tool alike.
    const rounds = 2
    const runs: { elt: BackfillRun; base?: BackfillRun; pgl?: BackfillRun; raw: BackfillRun }[] = []
    for (let i = 1; i <= rounds; i++) {
      const elt = await eltBackfill(BIN, source, pgDest(), `backfill SQLite → Postgres, round ${i}`)
      const base = baselineBin ? await eltBackfill(baselineBin, source, pgDest(), `baseline backfill SQLite → Postgres, round ${i}`) : undefined
      const pgl = withPgloader
        ? await pgloaderCopy(file, pgDest(), `pgloader SQLite → Postgres, round ${i}`).catch((err: unknown) => {
            // Reported, not fatal to the bench: the raw COPY loader is then the reference.
            pgloaderFailure = (err instanceof Error ? err.message : String(err)).split('\n').find((l) => /exhausted|error|fatal/i.test(l)) ?? String(err).split('\n')[0]!
            withPgloader = false
            return undefined
          })
        : undefined
      const raw = await rawCopyRun(file, pgDest(), `raw COPY SQLite → Postgres, round ${i}`)
      runs.push({ elt, raw, ...(base ? { base } : {}), ...(pgl ? { pgl } : {}) })
    }
    if (pgloaderFailure !== null) {
      for (const r of runs) delete r.pgl
      emit(`pgloader failed (${pgloaderFailure}): the raw COPY loader is the reference below.`)
      emit()
    }
    emit(`SQLite → Postgres, okta-elt vs ${withPgloader ? 'pgloader (its defaults, 4 COPY workers; 10,000 prefetch rows) and ' : ''}the raw COPY loader (better-sqlite3 → COPY, one connection per table, 4 tables at once, primary keys after the data), ${rounds} alternated rounds:`)
    emit()
    const cols = ['okta-elt', ...(baselineBin ? ['baseline'] : []), ...(withPgloader ? ['pgloader'] : []), 'raw COPY']
    emit(`| round | ${cols.map((c) => `${c} wall (own)`).join(' | ')} |${baselineBin ? ' okta-elt / baseline |' : ''}${withPgloader ? ' okta-elt / pgloader |' : ''} okta-elt / raw COPY |`)
    emit(`|---|${cols.map(() => '--:').join('|')}|${baselineBin ? '--:|' : ''}${withPgloader ? '--:|' : ''}--:|`)
    const cell = (r: BackfillRun): string => `${sec(r.wallMs)} (${sec(r.ownMs)})`
    const total = (pick: (r: (typeof runs)[number]) => BackfillRun | undefined): number => runs.reduce((a, r) => a + (pick(r)?.wallMs ?? 0), 0)
    runs.forEach((r, i) => {
      const c = [r.elt, ...(r.base ? [r.base] : []), ...(r.pgl ? [r.pgl] : []), r.raw]
      emit(`| ${i + 1} | ${c.map(cell).join(' | ')} |${r.base ? ` ${x(r.elt.wallMs / r.base.wallMs)} |` : ''}${r.pgl ? ` ${x(r.elt.wallMs / r.pgl.wallMs)} |` : ''} ${x(r.elt.wallMs / r.raw.wallMs)} |`)
    })
    const eltT = total((r) => r.elt)
    const baseT = total((r) => r.base)
    const pglT = total((r) => r.pgl)
    const rawT = total((r) => r.raw)
    emit(`| **all** | ${[eltT, ...(baselineBin ? [baseT] : []), ...(withPgloader ? [pglT] : []), rawT].map(sec).join(' | ')} |${baselineBin ? ` **${x(eltT / baseT)}** |` : ''}${withPgloader ? ` **${x(eltT / pglT)}** |` : ''} **${x(eltT / rawT)}** |`)
    emit()
    emit(`Rows copied: okta-elt ${fmt(runs[0]!.elt.rows)} (data tables; the metadata is copied too)${runs[0]!.pgl ? `, pgloader ${fmt(runs[0]!.pgl.rows)}` : ''}, raw COPY ${fmt(runs[0]!.raw.rows)} (every table). pgloader and the raw loader keep SQLite's text timestamps and JSON as text; okta-elt writes real types (timestamptz, jsonb), verifies the row counts and copies the cursors last.`)
    emit()
    if (withPgloader) emit(`- okta-elt backfill SQLite → Postgres = ${x(eltT / pglT)} pgloader's time (target ≤ 1.0×: ${verdict(eltT / pglT <= 1)}); ${x(eltT / rawT)} the raw COPY loader's.`)
    else emit(`- pgloader is not on PATH: okta-elt backfill SQLite → Postgres = ${x(eltT / rawT)} the raw COPY loader's time (pgloader's target ≤ 1.0×, measured against the raw loader instead: ${verdict(eltT / rawT <= 1)}).`)
    if (baselineBin) emit(`- Against the baseline binary: ${x(eltT / baseT)} its time.`)
    emit()
    result['sqliteToPostgres'] = runs
    reference = withPgloader ? { name: 'pgloader', ms: pglT / rounds } : { name: 'raw COPY', ms: rawT / rounds }
  } else {
    emit('Postgres not reachable: only SQLite ↔ DuckDB.')
    emit()
  }

  // Every other ordered pair, from the copies made here (each a complete okta-elt destination).
  const pgCopy = withPg ? pgDest() : null
  const duck = duckdbDest()
  const pairs: { name: string; from: string; to: () => string; first?: boolean }[] = [
    { name: 'SQLite → DuckDB', from: source, to: () => duck, first: true },
    ...(pgCopy ? [{ name: 'SQLite → Postgres', from: source, to: () => pgCopy, first: true }] : []),
    ...(pgCopy ? [{ name: 'Postgres → DuckDB', from: pgCopy, to: duckdbDest }, { name: 'Postgres → SQLite', from: pgCopy, to: sqliteDest }] : []),
    { name: 'DuckDB → SQLite', from: duck, to: sqliteDest },
    ...(pgCopy ? [{ name: 'DuckDB → Postgres', from: duck, to: pgDest }] : []),
  ]
  emit(`Every ordered pair${baselineBin ? ', okta-elt vs the baseline side by side' : ''} (the Postgres and DuckDB sources are the copies made by the first two rows):`)
  emit()
  const vsRef = reference === null ? '' : ` vs ${reference.name} (${sec(reference.ms)}) |`
  emit(`| from → to | rows | wall | own | rows/s (own) |${vsRef}${baselineBin ? ' baseline wall | vs baseline |' : ''}`)
  emit(`|---|--:|--:|--:|--:|${reference === null ? '' : '--:|'}${baselineBin ? '--:|--:|' : ''}`)
  const pairRuns: Record<string, { elt: BackfillRun; base?: BackfillRun }> = {}
  for (const p of pairs) {
    const elt = await eltBackfill(BIN, p.from, p.to(), `backfill ${p.name}`)
    // The first rows' targets are the next rows' sources: the baseline copies into a fresh one.
    const fresh = p.name.endsWith('DuckDB') ? duckdbDest : p.name.endsWith('Postgres') ? pgDest : sqliteDest
    const base = baselineBin ? await eltBackfill(baselineBin, p.from, fresh(), `baseline backfill ${p.name}`) : undefined
    pairRuns[p.name] = { elt, ...(base ? { base } : {}) }
    const vs = reference === null ? '' : ` ${x(elt.wallMs / reference.ms)} |`
    emit(`| ${p.name} | ${fmt(elt.rows)} | ${sec(elt.wallMs)} | ${sec(elt.ownMs)} | ${fmt(elt.rows / (elt.ownMs / 1000))} |${vs}${base ? ` ${sec(base.wallMs)} | ${x(elt.wallMs / base.wallMs)} |` : ''}`)
  }
  emit()
  if (reference !== null) {
    const ref = reference
    const slower = pairs.filter((p) => pairRuns[p.name]!.elt.wallMs > ref.ms).map((p) => p.name)
    emit(`- Every pair at least as fast as ${ref.name}'s SQLite → Postgres copy of the same file (mean of the rounds above; target ≤ 1.0×): ${verdict(slower.length === 0)}${slower.length === 0 ? '' : ` (slower: ${slower.join(', ')})`}.`)
    emit()
  }
  result['pairs'] = pairRuns
  result['reference'] = reference
  json['backfill'] = result
}

// ───────────────────────────── main ─────────────────────────────

const started = performance.now()
try {
  const withPg = await pgReachable()
  emit(`# okta-elt benchmark${quick ? ' (quick)' : ''}`)
  emit()
  emit(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${fmt(totalmem() / 2 ** 30)} GB RAM, Node ${process.version}, ${process.platform}. Command: \`npm run bench${quick ? ' -- --quick' : ''}\`. ${withPg ? 'Postgres: local server.' : 'Postgres: not reachable, skipped.'}`)
  emit()
  if (wants('throughput') || wants('nightly')) await throughputAndNightly(withPg)
  if (wants('rate-limit')) await rateLimited()
  if (wants('memory') || wants('scaling')) await memoryAndScaling()
  if (wants('full-memory')) await fullLoadMemory()
  if (wants('backfill')) await backfillSection(withPg)
  emit(`Bench wall time: ${sec(performance.now() - started)}.`)
} finally {
  rmSync(dir, { recursive: true, force: true })
  if (schemas.length > 0) {
    const client = new pg.Client({ connectionString: pgBase })
    await client.connect().catch(() => undefined)
    for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`).catch(() => undefined)
    await client.end().catch(() => undefined)
  }
}
const results = join(import.meta.dirname, 'results')
mkdirSync(results, { recursive: true })
const base = join(results, quick ? 'latest-quick' : 'latest')
writeFileSync(`${base}.md`, out.join('\n') + '\n')
writeFileSync(`${base}.json`, JSON.stringify(json, null, 2) + '\n')
