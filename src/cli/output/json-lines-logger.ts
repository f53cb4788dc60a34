import type { LogEvent, Logger } from '../../util/log.ts'
import type { Output } from '../io.ts'

/**
 * Off a terminal (cron, systemd, containers): one JSON object per line on stderr, so log
 * collectors can parse and filter. `{"ts":…,"level":…,"event":…,"msg":…, …fields}`.
 */
export interface JsonLinesLoggerOptions {
  /** Include `debug` events. */
  verbose?: boolean
  now?: () => Date
}

// Field names that must never carry a value into a log line, whatever a lower layer put there.
const SECRET_FIELD = /^(token|apiToken|authorization|password|secret|privateKey|clientAssertion|assertion|accessToken|dpop|dpopProof|proof)$/i

export function createJsonLinesLogger(out: Output, opts: JsonLinesLoggerOptions = {}): Logger {
  const now = opts.now ?? (() => new Date())
  return (event: LogEvent) => {
    if (event.level === 'debug' && opts.verbose !== true) return
    const { level, event: name, msg, ...fields } = event
    const line: Record<string, unknown> = { ts: now().toISOString(), level, event: name, msg }
    for (const [key, value] of Object.entries(fields)) {
      if (key === 'ts' || key === 'level' || key === 'event' || key === 'msg') continue
      line[key] = SECRET_FIELD.test(key) ? '[redacted]' : value
    }
    out.write(`${safeStringify(line)}\n`)
  }
}

/** JSON.stringify that never throws: bigints become strings, errors their first line, cycles a marker. */
export function safeStringify(value: unknown): string {
  const seen = new WeakSet<object>()
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString()
    if (v instanceof Error) return { name: v.name, message: v.message.split('\n')[0], ...('code' in v ? { code: v.code } : {}) }
    if (typeof v === 'object' && v !== null) {
      if (seen.has(v)) return '[circular]'
      seen.add(v)
    }
    return v
  })
}
