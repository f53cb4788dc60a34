import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { RunSummary } from '../src/pipeline/types.ts'
import type { JobResult } from './job-protocol.ts'

const BIN = fileURLToPath(new URL('../bin/okta-elt.js', import.meta.url))

/**
 * `okta-elt run --json` exactly as a user starts it (the bin, a config file, the token in the
 * environment, nothing else of the bench's environment), its memory measured from outside: the
 * peak resident set (the kernel's high-water mark, VmHWM) of every process of its tree, read from
 * /proc every 50 ms and summed. The launcher relaunches `run` in place (one pid), but a wrapper or
 * a child process would count too. A fresh compile cache (NODE_COMPILE_CACHE), so every job pays a
 * first start as a new container does. Linux only (/proc).
 */
export async function runCliJob(args: { url: string; token: string; destination: string; env?: Record<string, string> }): Promise<JobResult> {
  const dir = mkdtempSync(join(tmpdir(), 'okta-elt-cli-job-'))
  const config = join(dir, 'pipeline.config.json')
  writeFileSync(config, JSON.stringify({ okta: { orgUrl: args.url, auth: { type: 'ssws', tokenEnv: 'OKTA_API_TOKEN' } }, destination: args.destination }))
  const env = { PATH: process.env.PATH ?? '', HOME: dir, OKTA_API_TOKEN: args.token, NODE_COMPILE_CACHE: join(dir, 'compile-cache'), ...args.env }
  const t0 = performance.now()
  const child = spawn(process.execPath, [BIN, 'run', '--json', '--config', config], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c))
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-4000)))
  const peaks = new Map<number, number>()
  const cpu = new Map<number, number>()
  const sample = (): void => {
    const stack = [child.pid!]
    while (stack.length > 0) {
      const pid = stack.pop()!
      const kb = highWaterKb(pid)
      if (kb !== undefined) peaks.set(pid, Math.max(peaks.get(pid) ?? 0, kb))
      const ms = cpuMsOf(pid)
      if (ms !== undefined) cpu.set(pid, ms)
      stack.push(...childrenOf(pid))
    }
  }
  const timer = setInterval(sample, 50)
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
  clearInterval(timer)
  const durationMs = performance.now() - t0
  rmSync(dir, { recursive: true, force: true })
  let summary: RunSummary
  try {
    summary = JSON.parse(stdout) as RunSummary
  } catch {
    throw new Error(`okta-elt run exited with ${code} without a summary: ${stderr.trim().split('\n').slice(-3).join(' | ')}`)
  }
  if (summary.status !== 'succeeded') {
    throw new Error(`okta-elt run ${summary.status}: ${summary.resources.map((r) => `${r.resource} ${r.status} ${r.error ?? ''}`).join('; ')}`)
  }
  return {
    durationMs,
    rows: Object.fromEntries(summary.resources.map((r) => [r.resource, r.rows])),
    durations: Object.fromEntries(summary.resources.map((r) => [r.resource, r.durationMs])),
    requests: summary.requests.total.requests,
    rateLimited: summary.requests.total.rateLimited + summary.requests.total.concurrencyLimited,
    waitMs: summary.requests.total.waitMs,
    buckets: Object.fromEntries(Object.entries(summary.requests.buckets).map(([b, s]) => [b, s.requests])),
    maxRssMb: [...peaks.values()].reduce((a, b) => a + b, 0) / 1024,
    processes: peaks.size,
    cpuMs: [...cpu.values()].reduce((a, b) => a + b, 0),
  }
}

function highWaterKb(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) : undefined
  } catch {
    return undefined
  }
}

/** Children of every thread of `pid` (a child belongs to the thread that forked it). */
function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) => readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number))
  } catch {
    return []
  }
}

/** User + system CPU of `pid` so far, in ms (clock ticks of 10 ms, Linux's USER_HZ). */
function cpuMsOf(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return undefined
  }
}
