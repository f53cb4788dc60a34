import { BufferOutput, type CliIo } from '../../src/cli/io.ts'
import { runCli } from '../../src/cli/program.ts'
import { tempDir as sharedTempDir } from '../helpers/temp-dir.ts'

/** A temp directory removed by the returned cleanup. */
export function tempDir(): ReturnType<typeof sharedTempDir> {
  return sharedTempDir('okta-elt-cli-')
}

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs the CLI in-process with buffers. */
export async function cli(argv: string[], opts: { env?: Record<string, string | undefined>; cwd?: string; isTTY?: boolean } = {}): Promise<CliResult> {
  const stdout = new BufferOutput()
  const stderr = new BufferOutput()
  const io: CliIo = { stdout, stderr, env: opts.env ?? {}, isTTY: opts.isTTY ?? false, ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }) }
  const code = await runCli(argv, io)
  return { code, stdout: stdout.text, stderr: stderr.text }
}

export const TOKEN = '00aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789-_xyz'
