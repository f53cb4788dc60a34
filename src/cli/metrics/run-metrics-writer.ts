import { stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import type { RunSummary } from '../../pipeline/types.ts'
import { describeError, UsageError } from '../../util/errors.ts'
import type { Output } from '../io.ts'
import { renderExposition } from './exposition.ts'
import { readPreviousLastSuccess, writeMetricsFile } from './metrics-file.ts'
import { runMetrics } from './run-metrics.ts'

export interface RunMetricsWriter {
  /** Writes the file for a run that ended (summary) or failed before producing one (null). Never throws. */
  write(outcome: { summary: RunSummary | null; selected: readonly string[] }): Promise<void>
}

/**
 * `run --metrics-file PATH`: checked before the run (a directory that does not exist is a usage
 * error, not a surprise at the end), written once when the run ends, whatever the outcome. A
 * file that cannot be written is one warning line; the run's own exit code stands.
 */
export async function openRunMetrics(path: string, cwd: string, stderr: Output): Promise<RunMetricsWriter> {
  const file = resolve(cwd, path)
  const dir = await stat(dirname(file)).catch(() => null)
  if (dir === null || !dir.isDirectory()) throw new UsageError(`--metrics-file: directory ${dirname(file)} does not exist`)
  const startedAt = Date.now()
  return {
    async write({ summary, selected }) {
      try {
        const previousLastSuccess = await readPreviousLastSuccess(file)
        const text = renderExposition(runMetrics({ summary, selected, startedAt, finishedAt: Date.now(), previousLastSuccess }))
        await writeMetricsFile(file, text)
      } catch (err) {
        stderr.write(`okta-elt: warning: could not write the metrics file ${file}: ${describeError(err)}\n`)
      }
    },
  }
}
