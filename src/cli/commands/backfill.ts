import type { BackfillRequest, BackfillResult, CopySummary } from '../../pipeline/types.ts'
import { UsageError } from '../../util/errors.ts'
import { buildPipelineConfig, readConfigFile, DEFAULTS } from '../config.ts'
import { redactUrl, validateDestinationUrl } from '../destination-url.ts'
import type { CliIo } from '../io.ts'
import { createCliLogger } from '../output/cli-logger.ts'
import { formatCount, formatDuration, formatTable } from '../output/format.ts'
import { safeStringify } from '../output/json-lines-logger.ts'
import { failureLine, renderRunSummary } from '../output/run-summary.ts'
import { runExitCode } from './run.ts'
import { registerConfiguredSecrets, registerSecrets, registerUrlPassword, withInterrupt, type GlobalOptions } from './common.ts'

export interface BackfillCommandOptions extends GlobalOptions {
  to: string
  from?: string
  json: boolean
}

/** `okta-elt backfill --to URL [--from URL]`. */
export async function backfillCommand(opts: BackfillCommandOptions, io: CliIo): Promise<number> {
  validateDestinationUrl(opts.to, '--to')
  if (opts.from !== undefined) {
    validateDestinationUrl(opts.from, '--from')
    if (opts.from === opts.to) throw new UsageError('backfill: --from and --to name the same destination')
  }
  for (const url of [opts.to, opts.from]) registerUrlPassword(io, url)

  const source = { path: opts.config, explicit: opts.configExplicit, env: io.env, ...(io.cwd === undefined ? {} : { cwd: io.cwd }) }
  let options: BackfillRequest
  if (opts.from === undefined) {
    const parsed = await readConfigFile(source)
    const config = await buildPipelineConfig(parsed, io.env, { destination: opts.to })
    registerSecrets(io, config)
    options = { mode: 'extract', config }
  } else {
    // A copy needs no Okta credentials; the config only contributes the lock wait.
    const parsed = await readConfigFile(source)
    // Stored load errors are redacted as they are copied: with the configured secrets when known.
    await registerConfiguredSecrets(io, parsed)
    const lockWaitMs = Math.round((parsed.file.lockWaitSeconds ?? DEFAULTS.lockWaitSeconds) * 1000)
    options = { mode: 'copy', from: opts.from, to: opts.to, lockWaitMs }
  }

  const { runBackfill } = await import('../../pipeline/backfill.ts')
  const output = createCliLogger(io, opts.verbose)
  let result: BackfillResult
  try {
    result = await withInterrupt(
      io,
      (sig) => output.logger({ level: 'warn', event: 'run.interrupt', msg: `${sig}: finishing the current batch and stopping` }),
      (signal) => runBackfill({ ...options, logger: output.logger, signal }),
    )
  } finally {
    output.stop()
  }

  if (result.mode === 'extract') {
    io.stdout.write(opts.json ? `${safeStringify(result.summary)}\n` : renderRunSummary(result.summary, 'okta-elt backfill'))
    const code = runExitCode(result.summary)
    if (code !== 0) io.stderr.write(`okta-elt: ${failureLine(result.summary)}\n`)
    return code
  }
  const copy = result.copy
  io.stdout.write(opts.json ? `${safeStringify(copy)}\n` : renderCopySummary(copy))
  if (copy.status === 'succeeded') return 0
  io.stderr.write(`okta-elt: backfill ${copy.status}: ${copy.error ?? 'see the summary above'}\n`)
  return copy.status === 'interrupted' ? 130 : 1
}

export function renderCopySummary(copy: CopySummary): string {
  const total = copy.tables.reduce((n, t) => n + t.rows, 0)
  return (
    `okta-elt backfill ${copy.status} in ${formatDuration(copy.durationMs)}: ${redactUrl(copy.from)} → ${redactUrl(copy.to)}\n` +
    formatTable(['table', 'rows'], copy.tables.map((t) => [t.table, formatCount(t.rows)])) +
    `  ${formatCount(total)} rows in ${copy.tables.length} tables, ${formatCount(copy.stateRows)} cursor state rows\n` +
    (copy.error === undefined ? '' : `  error: ${copy.error}\n`)
  )
}
