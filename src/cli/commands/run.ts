import type { ResourceName } from '../../resources/types.ts'
import type { PipelineConfig, RunSummary } from '../../pipeline/types.ts'
import { loadConfig } from '../config.ts'
import { openRunMetrics } from '../metrics/run-metrics-writer.ts'
import type { CliIo } from '../io.ts'
import { createCliLogger } from '../output/cli-logger.ts'
import { safeStringify } from '../output/json-lines-logger.ts'
import { failureLine, renderRunSummary } from '../output/run-summary.ts'
import { registerSecrets, withInterrupt, type GlobalOptions } from './common.ts'

export interface RunCommandOptions extends GlobalOptions {
  /** `--destination URL`: wins over OKTA_ELT_DESTINATION and the config file. */
  destination?: string
  /** `--resources a,b`: already validated names. */
  resources?: ResourceName[]
  fullRefresh: boolean
  /** Print the RunSummary as one JSON document on stdout instead of the human summary. */
  json: boolean
  /** `--metrics-file PATH`: Prometheus text format for node_exporter's textfile collector, written whatever the outcome. */
  metricsFile?: string
}

/**
 * `okta-elt run`: loads the config, runs the pipeline with live progress (terminal) or JSON log
 * lines (otherwise) on stderr, prints the summary on stdout. Returns the exit code: 0 succeeded,
 * 1 failed, 2 configuration/auth failures only, 130 interrupted. Configuration errors are thrown
 * (UsageError, exit 2) before anything runs.
 */
export async function runCommand(opts: RunCommandOptions, io: CliIo): Promise<number> {
  const metrics = opts.metricsFile === undefined ? null : await openRunMetrics(opts.metricsFile, io.cwd ?? process.cwd(), io.stderr)
  let selected: readonly string[] = opts.resources ?? []
  let summary: RunSummary | null = null
  try {
    const config = await loadConfig(
      { path: opts.config, explicit: opts.configExplicit, env: io.env, ...(io.cwd === undefined ? {} : { cwd: io.cwd }) },
      { ...(opts.destination === undefined ? {} : { destination: opts.destination }), ...(opts.resources === undefined ? {} : { resources: opts.resources }) },
    )
    selected = config.resources
    summary = await runWithProgress(config, opts, io)
  } finally {
    // Also when the run failed before producing a summary (config, destination, lock): monitoring must see it.
    await metrics?.write({ summary, selected })
  }

  if (opts.json) io.stdout.write(`${safeStringify(summary)}\n`)
  else io.stdout.write(renderRunSummary(summary))
  const code = runExitCode(summary)
  if (code !== 0) io.stderr.write(`okta-elt: ${failureLine(summary)}\n`)
  return code
}

async function runWithProgress(config: PipelineConfig, opts: RunCommandOptions, io: CliIo): Promise<RunSummary> {
  registerSecrets(io, config)
  // Loaded only now: `--help` and config errors stay instant, without the drivers and HTTP stack.
  const { runPipeline } = await import('../../pipeline/run.ts')

  const output = createCliLogger(io, opts.verbose)
  try {
    return await withInterrupt(
      io,
      (sig) =>
        output.logger({
          level: 'warn',
          event: 'run.interrupt',
          msg: `${sig}: finishing the current batch and stopping (press Ctrl-C again to exit at once)`,
        }),
      (signal) => runPipeline({ config, fullRefresh: opts.fullRefresh, logger: output.logger, signal }),
    )
  } finally {
    output.stop()
  }
}

/** The summary's own exit code when the pipeline set one, else derived from its status. */
export function runExitCode(summary: RunSummary): number {
  if (typeof summary.exitCode === 'number') return summary.exitCode
  if (summary.status === 'succeeded') return 0
  if (summary.status === 'interrupted') return 130
  return 1
}
