/**
 * Logging goes to an injected function taking a structured event, never to console directly
 * (kysely's pattern). The CLI decides how events are rendered: live progress on a terminal,
 * JSON lines off one. Events must never carry secrets.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

export interface LogEvent {
  level: LogLevel
  /** Short machine-friendly event name, e.g. `okta.retry`, `load.batch`, `schema.change`. */
  event: string
  /** Human-readable one-liner. */
  msg: string
  [field: string]: unknown
}

export type Logger = (event: LogEvent) => void

export const silentLogger: Logger = () => {}
