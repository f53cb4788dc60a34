import type { RunSummary } from '../../pipeline/types.ts'
import type { Logger } from '../../util/log.ts'
import type { CliIo } from '../io.ts'
import { createCliLogger } from '../output/cli-logger.ts'
import { formatTable } from '../output/format.ts'
import { safeStringify } from '../output/json-lines-logger.ts'
import { failureLine, renderRunSummary } from '../output/run-summary.ts'
import { runExitCode } from './run.ts'
import { withInterrupt, type GlobalOptions } from './common.ts'

/**
 * What `okta-elt demo` asks of `runDemo` (src/pipeline/demo.ts, implemented by the pipeline):
 * start the simulator in-process with a seeded org, run the pipeline into `dbPath` (a second
 * demo against the same file is an incremental run), close everything, and return the summary
 * plus a few example queries already executed against the file. The CLI does all the printing.
 */
export interface DemoOptions {
  /** SQLite file to load into. Default `./okta-demo.db`. */
  dbPath: string
  /** Simulated org size (users); the rest of the org scales with it. */
  users?: number
  seed?: number
  logger: Logger
  signal?: AbortSignal
}

export interface DemoResult {
  summary: RunSummary
  /** The simulator's base URL while it ran. */
  simulatorUrl: string
  queries: DemoQuery[]
}

export interface DemoQuery {
  title: string
  sql: string
  columns: string[]
  rows: unknown[][]
}

export interface DemoCommandOptions extends GlobalOptions {
  db: string
  users?: number
  seed?: number
  json: boolean
}

/** `okta-elt demo` (`npm start`): the zero-credentials first experience. */
export async function demoCommand(opts: DemoCommandOptions, io: CliIo): Promise<number> {
  const { runDemo } = await import('../../pipeline/demo.ts')
  const output = createCliLogger(io, opts.verbose)
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
