import type { DemoQuery, DemoResult } from '../../pipeline/types.ts'
import type { CliIo } from '../io.ts'
import { createCliLogger } from '../output/cli-logger.ts'
import { formatTable } from '../output/format.ts'
import { safeStringify } from '../output/json-lines-logger.ts'
import { failureLine, renderRunSummary } from '../output/run-summary.ts'
import { runExitCode } from './run.ts'
import { withInterrupt, type GlobalOptions } from './common.ts'

export interface DemoCommandOptions extends GlobalOptions {
  db: string
  users?: number
  seed?: number
  json: boolean
}

/** `okta-elt demo` (`npm start`): the zero-credentials first experience. */
export async function demoCommand(opts: DemoCommandOptions, io: CliIo): Promise<number> {
  const { runDemo } = await import('../../pipeline/demo.ts')
  const output = createCliLogger(io, opts.verbose, { quietOffTerminal: true })
  let result: DemoResult
  try {
    result = await withInterrupt(
      io,
      (sig) => output.logger({ level: 'warn', event: 'run.interrupt', msg: `${sig}: stopping the demo` }),
      (signal) =>
        runDemo({
          dbPath: opts.db,
          logger: output.logger,
          signal,
          ...(opts.users === undefined ? {} : { users: opts.users }),
          ...(opts.seed === undefined ? {} : { seed: opts.seed }),
        }),
    )
  } finally {
    output.stop()
  }
  if (opts.json) {
    io.stdout.write(`${safeStringify(result)}\n`)
  } else {
    io.stdout.write(renderRunSummary(result.summary, `okta-elt demo (simulated org at ${result.simulatorUrl}):`))
    io.stdout.write(renderDemoQueries(result.queries, opts.db))
  }
  const code = runExitCode(result.summary)
  if (code !== 0) io.stderr.write(`okta-elt: ${failureLine(result.summary)}\n`)
  return code
}

export function renderDemoQueries(queries: readonly DemoQuery[], dbPath: string): string {
  if (queries.length === 0) return ''
  const out = [`\nTry some SQL (sqlite3 ${dbPath}):\n`]
  for (const q of queries) {
    out.push(`\n-- ${q.title}\n${q.sql.trim()}\n`)
    out.push(formatTable(q.columns, q.rows.map((r) => r.map(cell)), '   '))
  }
  out.push('\nRun `npm start` again for an incremental run; see README.md to point it at a real org.\n')
  return out.join('')
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return 'NULL'
  const text = typeof value === 'string' ? value : typeof value === 'bigint' ? value.toString() : JSON.stringify(value)
  return text.length > 48 ? `${text.slice(0, 47)}…` : text
}
