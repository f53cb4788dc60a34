import type { Logger } from '../../util/log.ts'
import type { CliIo } from '../io.ts'
import { createJsonLinesLogger } from './json-lines-logger.ts'
import { TtyProgress } from './tty-progress.ts'

export interface CliLogger {
  logger: Logger
  /** Final redraw of the live block (terminal) and no more redraws. Idempotent. */
  stop(): void
}

export interface CliLoggerOptions {
  /**
   * Off a terminal, only warnings and errors (unless --verbose). For `demo`, whose summary is the
   * point: piped or in CI, ~200 progress lines before it would bury it.
   */
  quietOffTerminal?: boolean
}

/** Live progress on a terminal, JSON lines off one; both on stderr so stdout stays the command's result. */
export function createCliLogger(io: CliIo, verbose: boolean, opts: CliLoggerOptions = {}): CliLogger {
  if (io.isTTY) {
    const progress = new TtyProgress(io.stderr, { verbose })
    return { logger: progress.logger, stop: () => progress.stop() }
  }
  const lines = createJsonLinesLogger(io.stderr, { verbose })
  if (opts.quietOffTerminal !== true || verbose) return { logger: lines, stop: () => {} }
  return { logger: (event) => (event.level === 'warn' || event.level === 'error' ? lines(event) : undefined), stop: () => {} }
}
