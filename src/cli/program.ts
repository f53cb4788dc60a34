import { readFileSync } from 'node:fs'
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import { OktaEltError } from '../util/errors.ts'
import { DEFAULT_CONFIG_PATH, parseResourceList } from './config.ts'
import { parseDuration } from './duration.ts'
import type { CliIo } from './io.ts'
import { Redactor, withSecretScope } from '../util/redact.ts'
import { safeOutput } from './output/safe-output.ts'
import { reportError } from './report-error.ts'
import { backfillCommand } from './commands/backfill.ts'
import { checkCommand } from './commands/check.ts'
import type { GlobalOptions } from './commands/common.ts'
import { demoCommand } from './commands/demo.ts'
import { runCommand } from './commands/run.ts'
import { parseRateLimits, simulateCommand } from './commands/simulate.ts'
import { statusCommand } from './commands/status.ts'

/**
 * The `okta-elt` command line. `runCli` parses argv, runs one command and RETURNS its exit code
 * (it never calls process.exit), so tests drive it in-process with string buffers exactly as the
 * binary runs it (src/cli/main.ts).
 *
 * Exit codes: 0 success, 1 the run failed, 2 usage/configuration/auth error, 130 interrupted.
 */
export async function runCli(argv: readonly string[], rawIo: CliIo): Promise<number> {
  const secrets = rawIo.secrets ?? new Redactor()
  // One secret scope per invocation: what the command registers (config secrets, minted tokens)
  // redacts its outputs and what it stores, and nothing else's.
  return withSecretScope(secrets, () => runInScope(argv, rawIo, secrets))
}

async function runInScope(argv: readonly string[], rawIo: CliIo, secrets: Redactor): Promise<number> {
  const io: CliIo = {
    ...rawIo,
    secrets,
    stdout: safeOutput(rawIo.stdout, secrets),
    stderr: safeOutput(rawIo.stderr, secrets),
  }
  let exitCode = 0
  const program = buildProgram(io, (code) => {
    exitCode = code
  })
  try {
    await program.parseAsync([...argv], { from: 'user' })
    return exitCode
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are exit 0; every parse error was already printed as one line.
      return err.exitCode === 0 ? 0 : 2
    }
    return reportError(err, io.stderr, wantsVerbose(argv))
  }
}

function wantsVerbose(argv: readonly string[]): boolean {
  return argv.includes('--verbose') || argv.includes('-v')
}

function version(): string {
  const besideSources = new URL('../../package.json', import.meta.url)
  // Compiled (dist/src/cli/program.js, see bin/compiled.js), that is dist/package.json: absent,
  // the checkout's is one level further up.
  const besideCompiled = new URL('../package.json', besideSources)
  for (const url of [besideSources, besideCompiled]) {
    try {
      const pkg = JSON.parse(readFileSync(url, 'utf8')) as { name?: string; version?: string }
      if (pkg.name === 'okta-elt') return pkg.version ?? '0.0.0'
    } catch {
      // not there: the other place
    }
  }
  return '0.0.0'
}

// Options whose default is resolved later (environment, config file) say so in their help text:
// `--help` shows every default (the test in test/cli/program.test.ts checks each option).
const DESTINATION_DEFAULT = '(default: OKTA_ELT_DESTINATION, else the config\'s "destination")'

export function buildProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const program = new Command('okta-elt')
  program
    .description('Incremental ELT for Okta: loads users, groups, memberships, apps, assignments and the System Log into SQLite or Postgres.')
    .version(version(), '-V, --version')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG_PATH)
    .option('-v, --verbose', 'debug logging and stack traces on errors', false)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // Commander's messages start with "error: "; ours are one line prefixed with the program name.
      outputError: (s, write) => write(`okta-elt: ${s.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')} (see --help)\n`),
    })
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      '\nExit codes: 0 success, 1 the run failed, 2 usage or configuration error (bad flag, bad config,\n' +
        'missing token, destination unreachable, 401/403 from Okta), 130 interrupted.\n' +
        'Environment: OKTA_ORG_URL, OKTA_API_TOKEN, OKTA_ELT_DESTINATION override the config file.',
    )

  const globals = (cmd: Command): GlobalOptions => {
    const all = cmd.optsWithGlobals<{ config: string; verbose: boolean }>()
    return {
      config: all.config,
      configExplicit: cmd.getOptionValueSourceWithGlobals('config') !== 'default',
      verbose: all.verbose === true,
    }
  }
  const action = <T>(fn: (opts: T, cmd: Command) => Promise<number>) => async (opts: T, cmd: Command) => {
    setExitCode(await fn(opts, cmd))
  }

  program
    .command('run')
    .description('run the pipeline once: each selected resource from its saved cursor into the destination')
    .option('-d, --destination <url>', `destination URL (sqlite:PATH or postgres://…) ${DESTINATION_DEFAULT}`)
    .option(
      '-r, --resources <list>',
      'comma-separated resources: users,groups,group_users,apps,apps_assigned,system_log (default: the config\'s "resources", else all)',
      cliParser(parseResourceList),
    )
    .option('--full-refresh', 'ignore saved cursors, pull everything and mark rows gone from Okta as deleted', false)
    .option('--json', 'print the run summary as one JSON document on stdout (logs stay on stderr)', false)
    .option('--metrics-file <path>', 'write Prometheus text-format metrics here when the run ends, whatever the outcome (node_exporter textfile collector; name it *.prom) (default: none)')
    .action(
      action(async (opts: { destination?: string; resources?: ReturnType<typeof parseResourceList>; fullRefresh: boolean; json: boolean; metricsFile?: string }, cmd) =>
        runCommand(
          {
            ...globals(cmd),
            fullRefresh: opts.fullRefresh,
            json: opts.json,
            ...(opts.metricsFile === undefined ? {} : { metricsFile: opts.metricsFile }),
            ...(opts.destination === undefined ? {} : { destination: opts.destination }),
            ...(opts.resources === undefined ? {} : { resources: opts.resources }),
          },
          io,
        ),
      ),
    )

  program
    .command('status')
    .description('per resource: cursor, last successful load, row counts; then the last loads and their outcome')
    .option('-d, --destination <url>', `destination URL ${DESTINATION_DEFAULT}`)
    .option('-n, --loads <n>', 'how many recent loads to list', cliParser(positiveInt), 10)
    .option('--json', 'print the status as one JSON document', false)
    .option('--max-age <duration>', 'exit 1 when a selected resource\'s last successful load is older than this (e.g. 26h, 90m, 2d), or missing (default: no freshness check)', cliParser(parseDuration))
    .option('-r, --resources <list>', 'which resources --max-age judges (default: the config\'s)', cliParser(parseResourceList))
    .action(
      action(async (opts: { destination?: string; loads: number; json: boolean; maxAge?: number; resources?: ReturnType<typeof parseResourceList> }, cmd) =>
        statusCommand(
          {
            ...globals(cmd),
            loads: opts.loads,
            json: opts.json,
            ...(opts.destination === undefined ? {} : { destination: opts.destination }),
            ...(opts.maxAge === undefined ? {} : { maxAgeMs: opts.maxAge }),
            ...(opts.resources === undefined ? {} : { resources: opts.resources }),
          },
          io,
        ),
      ),
    )

  program
    .command('check')
    .description('preflight in seconds: config, org reachable, credentials, every scope the resources need, destination writable (exit 0 / 2)')
    .option('-d, --destination <url>', `destination URL ${DESTINATION_DEFAULT}`)
    .option('-r, --resources <list>', 'comma-separated resources whose scopes to check (default: the config\'s)', cliParser(parseResourceList))
    .option('--json', 'print the checks as one JSON document', false)
    .action(
      action(async (opts: { destination?: string; resources?: ReturnType<typeof parseResourceList>; json: boolean }, cmd) =>
        checkCommand(
          {
            ...globals(cmd),
            json: opts.json,
            ...(opts.destination === undefined ? {} : { destination: opts.destination }),
            ...(opts.resources === undefined ? {} : { resources: opts.resources }),
          },
          io,
        ),
      ),
    )

  program
    .command('backfill')
    .description('fill a new destination: a full extraction from Okta, or (with --from) a copy of an existing destination')
    .requiredOption('--to <url>', 'the destination to fill')
    .option('--from <url>', 'copy data, schema record and cursor state from this destination instead of extracting from Okta (default: extract from Okta)')
    .option('--json', 'print the summary as one JSON document on stdout', false)
    .action(
      action(async (opts: { to: string; from?: string; json: boolean }, cmd) =>
        backfillCommand({ ...globals(cmd), to: opts.to, json: opts.json, ...(opts.from === undefined ? {} : { from: opts.from }) }, io),
      ),
    )

  program
    .command('simulate')
    .description('start the bundled Okta simulator (for demos and tests) until Ctrl-C')
    .option('-p, --port <port>', 'port to listen on (0: any free port)', cliParser(port), 8090)
    .option('--host <host>', 'address to listen on (0.0.0.0 for every interface, e.g. in a container)', '127.0.0.1')
    .option('--users <n>', 'number of users in the generated org (default: 1000; groups, apps and log events scale with it)', cliParser(positiveInt))
    .option('--seed <n>', 'generation seed (same seed, same org) (default: 1)', cliParser(nonNegativeInt))
    .option('--token <token>', 'the SSWS API token to accept (default: derived from the seed)')
    .addOption(
      new Option('--rate-limit <limits>', 'per-window request limits per bucket, e.g. users=600,logs=120 (or "off") (default: off)').argParser(
        cliParser(parseRateLimits),
      ),
    )
    .option('--rate-limit-window-ms <ms>', 'rate-limit window length, as Okta (default: 60000)', cliParser(positiveInt))
    .option('--concurrency-limit <n>', 'concurrent requests before a 429 (Okta: 75) (default: none)', cliParser(positiveInt))
    .action(
      action(
        async (
          opts: {
            port: number
            host: string
            users?: number
            seed?: number
            token?: string
            rateLimit?: ReturnType<typeof parseRateLimits>
            rateLimitWindowMs?: number
            concurrencyLimit?: number
          },
          cmd,
        ) => simulateCommand({ ...globals(cmd), ...definedOnly(opts), port: opts.port, host: opts.host }, io),
      ),
    )

  program
    .command('demo')
    .description('zero-credentials demo: simulator in-process, pipeline into ./okta-demo.db, summary and example SQL')
    .option('--db <path>', 'SQLite file to load into', './okta-demo.db')
    .option('--users <n>', 'number of users in the simulated org (default: 5000)', cliParser(positiveInt))
    .option('--seed <n>', 'generation seed (default: 42)', cliParser(nonNegativeInt))
    .option('--json', 'print the result as one JSON document on stdout', false)
    .action(
      action(async (opts: { db: string; users?: number; seed?: number; json: boolean }, cmd) =>
        demoCommand({ ...globals(cmd), ...definedOnly(opts), db: opts.db, json: opts.json }, io),
      ),
    )

  // `okta-elt` alone: commander prints the help on stderr and fails, i.e. a usage error (exit 2).
  return program
}

/** Adapts our validators (which throw UsageError) to commander's argument-parser protocol. */
function cliParser<T>(parse: (value: string) => T): (value: string) => T {
  return (value) => {
    try {
      return parse(value)
    } catch (err) {
      if (err instanceof OktaEltError) throw new InvalidArgumentError(err.message.replace(/^--[\w-]+: /, ''))
      throw err
    }
  }
}

function positiveInt(value: string): number {
  const n = nonNegativeInt(value)
  if (n < 1) throw new InvalidArgumentError('expected a positive integer')
  return n
}

function nonNegativeInt(value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a non-negative integer')
  return n
}

function port(value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value.trim()) || n > 65_535) throw new InvalidArgumentError('expected a port number (0-65535)')
  return n
}

function definedOnly<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T
}
