import type { Secrets } from './output/redact.ts'

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
   * Secret values to blank from everything written (stdout and stderr already pass through it when
   * the CLI entry built this io). Commands register the secrets the config resolved.
   */
  secrets?: Secrets
}

export interface Output {
  write(chunk: string): unknown
  /** Terminal width when known. */
  columns?: number
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
