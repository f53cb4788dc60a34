/**
 * End-to-end harness: the real `bin/okta-elt.js` as a child process, in a temp working directory
 * holding a `pipeline.config.json`, exactly as a cron job would run it. Only the simulator lives in
 * the test process (so the tests can mutate the org and count the requests it received).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { RunSummary } from '../../src/pipeline/types.ts'

export const BIN = resolve(import.meta.dirname, '../../bin/okta-elt.js')

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

export interface Workdir {
  dir: string
  /** Writes `pipeline.config.json` (or `name`) into the directory. */
  writeConfig(config: object, name?: string): string
  path(name: string): string
  cleanup(): void
}

export function workdir(): Workdir {
  const dir = mkdtempSync(join(tmpdir(), 'okta-elt-e2e-'))
  return {
    dir,
    writeConfig(config, name = 'pipeline.config.json') {
      const file = join(dir, name)
      writeFileSync(file, JSON.stringify(config, null, 2))
      return file
    },
    path: (name) => join(dir, name),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  }
}

/** A config pointing at the simulator, SSWS token read from OKTA_API_TOKEN. */
export function simConfig(orgUrl: string, destination: string, extra: Record<string, unknown> = {}): object {
  return { okta: { orgUrl, auth: { type: 'ssws', tokenEnv: 'OKTA_API_TOKEN' } }, destination, ...extra }
}

export interface SpawnOptions {
  cwd: string
  /** Added to a minimal environment (PATH and HOME only: nothing of the test runner's leaks in). */
  env?: Record<string, string>
}

/** Starts `okta-elt ARGS` without waiting; `done` resolves when it exits. */
export function start(args: string[], opts: SpawnOptions): { child: ChildProcess; done: Promise<CliResult> } {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? opts.cwd, ...opts.env }
  const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const done = new Promise<CliResult>((resolveDone, reject) => {
    child.on('error', reject)
    child.on('close', (code) => resolveDone({ code, stdout, stderr }))
  })
  return { child, done }
}

/** Runs `okta-elt ARGS` to completion. */
export function okta(args: string[], opts: SpawnOptions): Promise<CliResult> {
  return start(args, opts).done
}

/** Lines of stderr that are not JSON log events: what a person reads (the `okta-elt: …` failure line). */
export function plainLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('{'))
}

/** Every stderr line off a terminal is a JSON log event, except the final failure line. */
export function logEvents(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

export function parseSummary(result: CliResult): RunSummary {
  try {
    return JSON.parse(result.stdout) as RunSummary
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${result.code}):\n${result.stdout.slice(0, 2000)}\nstderr:\n${result.stderr.slice(-2000)}`)
  }
}

export function rowsByResource(summary: RunSummary): Record<string, number> {
  return Object.fromEntries(summary.resources.map((r) => [r.resource, r.rows]))
}

/** Fails with the child's output when it did not exit as expected (a bare `expect(code).toBe(0)` hides why). */
export function expectExit(result: CliResult, code: number): void {
  if (result.code !== code) {
    throw new Error(`expected exit ${code}, got ${result.code}\nstdout:\n${result.stdout.slice(-3000)}\nstderr:\n${result.stderr.slice(-3000)}`)
  }
}

/** Resolves once `predicate` holds, polling every 10 ms (fails after `timeoutMs`). */
export async function until(predicate: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
