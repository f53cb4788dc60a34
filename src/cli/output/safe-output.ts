import { terminalSafe } from '../../util/control-chars.ts'
import type { Redactor } from '../../util/redact.ts'
import type { Output } from '../io.ts'

/**
 * The CLI's outputs as commands see them: every `write` redacted (live secrets and credential
 * patterns) and escaped. `control` is the one raw path, for the live view's own cursor moves.
 */
export function safeOutput(out: Output, secrets: Redactor): Output {
  return {
    write: (chunk) => out.write(terminalSafe(secrets.redact(chunk))),
    control: (sequence) => out.write(sequence),
    get columns() {
      return out.columns
    },
  }
}
