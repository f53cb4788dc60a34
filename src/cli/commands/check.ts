import { RESOURCE_NAMES, type ResourceName } from '../../resources/types.ts'
import { describeError, OktaEltError } from '../../util/errors.ts'
import { fail, ok, skipped, type CheckResult } from '../check/check-result.ts'
import { buildPipelineConfig, readConfigFile, resolveDestination, type ParsedConfig } from '../config.ts'
import { redactUrl } from '../destination-url.ts'
import type { CliIo } from '../io.ts'
import { safeStringify } from '../output/json-lines-logger.ts'
import { registerSecrets, registerUrlPassword, type GlobalOptions } from './common.ts'

export interface CheckCommandOptions extends GlobalOptions {
  destination?: string
  resources?: ResourceName[]
  json: boolean
}

export interface CheckReport {
  ok: boolean
  checks: CheckResult[]
}

/**
 * `okta-elt check`: the preflight of a new setup, in seconds. Config valid; the org reachable;
 * the credentials accepted; every scope the selected resources need granted; the destination
 * reachable and writable (nothing created). One line per check; exit 0 when all pass, 2 otherwise.
 * The Okta and destination halves run at once; a check that depends on a failed one is skipped.
 */
export async function checkCommand(opts: CheckCommandOptions, io: CliIo): Promise<number> {
  const checks = await runChecks(opts, io)
  // A skip follows a failure it depends on, except a destination kind without a probe: not a failure.
  const report: CheckReport = { ok: checks.every((c) => c.status !== 'fail'), checks }
  io.stdout.write(opts.json ? `${safeStringify(report)}\n` : renderChecks(report))
  return report.ok ? 0 : 2
}

async function runChecks(opts: CheckCommandOptions, io: CliIo): Promise<CheckResult[]> {
  const source = { path: opts.config, explicit: opts.configExplicit, env: io.env, ...(io.cwd === undefined ? {} : { cwd: io.cwd }) }
  let parsed: ParsedConfig
  try {
    parsed = await readConfigFile(source)
  } catch (err) {
    return [fail('config', describeError(err)), ...OKTA_CHECKS.map((name) => skipped(name, 'config invalid')), skipped('destination', 'config invalid')]
  }
  const overrides = { ...(opts.destination === undefined ? {} : { destination: opts.destination }), ...(opts.resources === undefined ? {} : { resources: opts.resources }) }

  // The destination is checked even when the Okta half of the config is incomplete, and vice versa.
  let destination: string | null = null
  let destinationError: string | null = null
  try {
    destination = resolveDestination(parsed, io.env, opts.destination)
    registerUrlPassword(io, destination)
  } catch (err) {
    destinationError = describeError(err)
  }
  const destinationCheck = destination === null ? Promise.resolve(fail('destination', destinationError ?? 'no destination')) : checkDestination(destination, io)

  let config: Awaited<ReturnType<typeof buildPipelineConfig>>
  try {
    config = await buildPipelineConfig(parsed, io.env, overrides)
  } catch (err) {
    const reason = err instanceof OktaEltError ? err.message : describeError(err)
    return [fail('config', reason), ...OKTA_CHECKS.map((name) => skipped(name, 'config invalid')), await destinationCheck]
  }
  registerSecrets(io, config)
  const where = parsed.path ?? 'environment only (no config file)'
  const resources = config.resources.length === RESOURCE_NAMES.length ? 'all resources' : config.resources.join(', ')
  const configCheck = ok('config', `${where}: ${resources}`)

  const { checkOkta } = await import('../check/okta-checks.ts')
  const [okta, dest] = await Promise.all([checkOkta(config.okta, config.resources), destinationCheck])
  return [configCheck, ...okta, dest]
}

async function checkDestination(url: string, io: CliIo): Promise<CheckResult> {
  const { probeDestination } = await import('../../destinations/probe.ts')
  try {
    const probe = await probeDestination(url, io.cwd ?? process.cwd())
    const shown = redactUrl(url)
    if (probe.unchecked === true) return skipped('destination', `${shown}: ${probe.detail}`)
    return probe.writable ? ok('destination', `${shown}: ${probe.detail}`) : fail('destination', `${shown}: ${probe.detail}`)
  } catch (err) {
    return fail('destination', describeError(err))
  }
}

/** The Okta checks a broken config leaves untried (the scope lines need the resource list). */
const OKTA_CHECKS = ['org', 'credentials']

const MARK = { ok: 'ok  ', fail: 'FAIL', skipped: 'skip' } as const

/** One line per check, then a verdict line. Details may quote the network: control characters are shown escaped. */
export function renderChecks(report: CheckReport): string {
  const width = Math.max(...report.checks.map((c) => c.name.length))
  const lines = report.checks.map((c) => `${MARK[c.status]}  ${c.name.padEnd(width)}  ${printable(c.detail)}`)
  const failed = report.checks.filter((c) => c.status === 'fail').length
  const unchecked = report.checks.filter((c) => c.status === 'skipped').length
  const passed = unchecked === 0 ? `all ${report.checks.length} checks passed` : `${report.checks.length - unchecked} checks passed, ${unchecked} not checked`
  lines.push(report.ok ? passed : `${failed} of ${report.checks.length} checks failed`)
  return `${lines.join('\n')}\n`
}

function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}
