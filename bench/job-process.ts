import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Job, JobResult } from './job-protocol.ts'

/** Runs one job in a fresh process (optionally under `--cpu-prof`, with other Node flags or extra environment) and returns its result. */
export function runJob(job: Job, opts: { cpuProfDir?: string; execArgv?: string[]; env?: Record<string, string> } = {}): Promise<JobResult> {
  const execArgv = [...(opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : []), ...(opts.execArgv ?? [])]
  const child = fork(fileURLToPath(new URL('./job-worker.ts', import.meta.url)), [JSON.stringify(job)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv,
    ...(opts.env === undefined ? {} : { env: { ...process.env, ...opts.env } }),
  })
  return new Promise((resolve, reject) => {
    let settled = false
    child.once('message', (raw) => {
      settled = true
      const msg = raw as { ok: true; result: JobResult } | { ok: false; error: string }
      if (msg.ok) resolve(msg.result)
      else reject(new Error(`${job.mode} job failed: ${msg.error}`))
    })
    child.once('exit', (code) => {
      if (!settled) reject(new Error(`${job.mode} job exited with ${code} before reporting`))
    })
  })
}
