import type { Redactor } from '../util/redact.ts'

/**
 * What a command may touch of the outside world, injected so the same command runs in-process in
 * tests (string buffers, a fake environment) and as the real CLI (process streams).
 */
export interface CliIo {
  stdout: Output
  stderr: Output
  env: Readonly<Record<string, string | undefined>>
  /** Whether stderr is a terminal: live progress there, JSON log lines otherwise. */
  isTTY: boolean
  /** Working directory for relative paths (config file). Default `process.cwd()`. */
  cwd?: string
  /**
   * Subscribes to SIGINT/SIGTERM for the duration of a command; returns the unsubscribe function.
   * Absent in tests that do not exercise interruption. The process implementation exits at once
   * on the second signal, so a command only ever sees the first.
   */
  onSignal?: (handler: (signal: 'SIGINT' | 'SIGTERM') => void) => () => void
  /**
   * The live secrets of this command (src/util/redact.ts): stdout and stderr already pass through
   * it when the CLI entry built this io, and it is the command's secret scope, so what the config
   * resolves and what the auth code mints is blanked from every output. Tests may pass their own.
   */
  secrets?: Redactor
}

export interface Output {
  write(chunk: string): unknown
  /** Terminal width when known. */
  columns?: number
  /**
   * Writes a terminal control sequence as is (the live view's cursor moves). `write` escapes
   * control characters; this is the only way past that. Absent on plain buffers: use `write`.
   */
  control?(sequence: string): unknown
}

/** A string-collecting output, for tests and for rendering into a buffer. */
export class BufferOutput implements Output {
  #chunks: string[] = []
  columns?: number
  write(chunk: string): boolean {
    this.#chunks.push(chunk)
    return true
  }
  get text(): string {
    return this.#chunks.join('')
  }
}
