import type { BucketName, SimulatorOptions } from '../../simulator/types.ts'
import { UsageError } from '../../util/errors.ts'
import type { CliIo } from '../io.ts'
import { formatCount } from '../output/format.ts'
import type { GlobalOptions } from './common.ts'

export interface SimulateCommandOptions extends GlobalOptions {
  port: number
  host: string
  users?: number
  seed?: number
  token?: string
  /** `--rate-limit users=600,logs=120` (per window), or `false` for `--rate-limit off`. */
  rateLimit?: Partial<Record<BucketName, number>> | false
  rateLimitWindowMs?: number
  concurrencyLimit?: number
}

export const BUCKET_NAMES: readonly BucketName[] = ['users', 'user', 'groups', 'group', 'apps', 'app', 'logs', 'token', 'default']

/**
 * `okta-elt simulate`: the bundled Okta simulator on a real port until SIGINT/SIGTERM. Prints its
 * base URL, the token it accepts and the command line to point the pipeline at it.
 * `until` (tests) replaces waiting for a signal.
 */
export async function simulateCommand(opts: SimulateCommandOptions, io: CliIo, until?: Promise<unknown>): Promise<number> {
  const { startSimulator } = await import('../../simulator/index.ts')
  const options: SimulatorOptions = {
    host: opts.host,
    port: opts.port,
    ...(opts.seed === undefined ? {} : { seed: opts.seed }),
    ...(opts.users === undefined ? {} : { size: { users: opts.users } }),
    ...(opts.token === undefined ? {} : { token: opts.token }),
    ...(opts.rateLimit === undefined ? {} : { rateLimits: opts.rateLimit }),
    ...(opts.rateLimitWindowMs === undefined ? {} : { rateLimitWindowMs: opts.rateLimitWindowMs }),
    ...(opts.concurrencyLimit === undefined ? {} : { concurrencyLimit: opts.concurrencyLimit }),
  }
  let sim: Awaited<ReturnType<typeof startSimulator>>
  try {
    sim = await startSimulator(options)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE') throw new UsageError(`simulate: port ${opts.port} on ${opts.host} is already in use (choose another with --port)`)
    if (code === 'EADDRNOTAVAIL') throw new UsageError(`simulate: cannot listen on ${opts.host} (not an address of this machine)`)
    throw err
  }
  // Listen for Ctrl-C before announcing it: a signal sent as soon as the banner is read must stop us cleanly.
  const stopped = until ?? waitForSignal(io)
  try {
    const counts = sim.org.counts()
    // Listening on every interface: the pipeline on this machine reaches it through loopback.
    const reachable = opts.host === '0.0.0.0' || opts.host === '::' ? sim.url.replace(/\/\/(\[[^\]]*\]|[^/:]+)/, '//127.0.0.1') : sim.url
    io.stdout.write(
      `Okta simulator listening on ${sim.url}\n` +
        `  API token (SSWS): ${sim.token}\n` +
        `  org: ${formatCount(counts.users)} users, ${formatCount(counts.groups)} groups, ${formatCount(counts.memberships)} memberships, ` +
        `${formatCount(counts.apps)} apps, ${formatCount(counts.assignments)} assignments, ${formatCount(counts.logEvents)} log events\n` +
        // `npx`: works as printed from the project directory, where `okta-elt` is not on PATH.
        `\nRun the pipeline against it (from this directory, in another terminal):\n` +
        `  OKTA_ORG_URL=${reachable} OKTA_API_TOKEN=${sim.token} npx okta-elt run --destination sqlite:./okta-sim.db\n` +
        `\nPress Ctrl-C to stop.\n`,
    )
    await stopped
    io.stderr.write('okta-elt: simulator stopped\n')
    return 0
  } finally {
    await sim.close()
  }
}

function waitForSignal(io: CliIo): Promise<void> {
  if (io.onSignal === undefined) return new Promise(() => {})
  return new Promise((resolve) => {
    const unsubscribe = io.onSignal!(() => {
      unsubscribe()
      resolve()
    })
  })
}

/** Parses `users=600,logs=120` (or `off`) for `--rate-limit`. */
export function parseRateLimits(value: string): Partial<Record<BucketName, number>> | false {
  if (value.trim() === 'off' || value.trim() === 'none') return false
  const out: Partial<Record<BucketName, number>> = {}
  for (const part of value.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const m = /^([a-z]+)=(\d+)$/.exec(part)
    if (m === null) throw new UsageError(`--rate-limit: expected bucket=N[,bucket=N…] or off, got "${part.slice(0, 40)}"`)
    const bucket = m[1] as BucketName
    if (!BUCKET_NAMES.includes(bucket)) throw new UsageError(`--rate-limit: unknown bucket "${bucket}" (expected one of ${BUCKET_NAMES.join(', ')})`)
    out[bucket] = Number(m[2])
  }
  if (Object.keys(out).length === 0) throw new UsageError('--rate-limit: expected bucket=N[,bucket=N…] or off')
  return out
}
