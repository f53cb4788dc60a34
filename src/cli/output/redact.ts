import type { Output } from '../io.ts'

/**
 * Last line of defence for "secrets stay secret": every byte the CLI writes passes through a
 * `Secrets` instance. The lower layers build secret-free errors and events; this catches what
 * slips through anyway: the configured token/key verbatim (registered once the config is loaded),
 * and anything shaped like an Authorization header value, a JWT or a PEM private key.
 */
const PATTERNS: [RegExp, string][] = [
  [/\b(SSWS|Bearer)\s+[A-Za-z0-9._~+/=-]{8,}/g, '$1 [redacted]'],
  [/\b(client_assertion|access_token|id_token|refresh_token)=[^&\s"']+/g, '$1=[redacted]'],
  // Three base64url segments, the first starting like a JSON header: a JWT.
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, '[redacted]'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, '[redacted]'],
]

export class Secrets {
  #literal: string[] = []

  /** Registers a secret value to be blanked wherever it appears. Values under 6 characters are ignored (they would blank ordinary words). */
  add(secret: string | undefined): void {
    if (secret === undefined || secret.length < 6 || this.#literal.includes(secret)) return
    this.#literal.push(secret)
    // Longest first, so a secret containing another is removed whole.
    this.#literal.sort((a, b) => b.length - a.length)
    // A PEM key may be printed line by line: its body lines are secrets too.
    for (const line of secret.split('\n')) {
      const t = line.trim()
      if (t !== secret && t.length >= 16 && !t.startsWith('-----')) this.add(t)
    }
  }

  redact(text: string): string {
    let out = text
    for (const s of this.#literal) out = out.split(s).join('[redacted]')
    for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement)
    return out
  }
}

/** An Output whose every write is redacted. */
export function redactingOutput(out: Output, secrets: Secrets): Output {
  return {
    write: (chunk) => out.write(secrets.redact(chunk)),
    get columns() {
      return out.columns
    },
  }
}
