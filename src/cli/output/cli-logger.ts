import type { Logger } from '../../util/log.ts'
import type { CliIo } from '../io.ts'
import { createJsonLinesLogger } from './json-lines-logger.ts'
import { TtyProgress } from './tty-progress.ts'

export interface CliLogger {
  logger: Logger
  /** Final redraw of the live block (terminal) and no more redraws. Idempotent. */
  stop(): void
}

/** Live progress on a terminal, JSON lines off one; both on stderr so stdout stays the command's result. */
export function createCliLogger(io: CliIo, verbose: boolean): CliLogger {
  if (io.isTTY) {
    const progress = new TtyProgress(io.stderr, { verbose })
    return { logger: progress.logger, stop: () => progress.stop() }
  }
  return { logger: createJsonLinesLogger(io.stderr, { verbose }), stop: () => {} }
}
