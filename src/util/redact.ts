import { AsyncLocalStorage } from 'node:async_hooks'

/**
 * The one redaction point. Every string that reaches a table (load errors), an output line or a
 * `--json` document passes `redact()`, which blanks
 *  - the live secrets, registered where they come to exist: the API token and private key (the
 *    auth code, when it is built), each client assertion and access token (as they are minted),
 *    a Postgres password (the CLI, from the destination URL); and
 *  - by pattern, anything shaped like a credential whoever's it is: `SSWS <x>`, `Bearer <x>`,
 *    `DPoP <x>`, JWTs (`eyJ….….…`), PEM blocks, `access_token=`-style parameters.
 *
 * Why a scope instead of a parameter: access tokens are minted deep inside `okta/`, errors are
 * described in `pipeline/`, lines are printed in `cli/`; threading one object through every layer
 * would touch every signature. `withSecretScope` (one per CLI invocation) gives each command its
 * own set through AsyncLocalStorage, so two commands in one process (tests) never share secrets;
 * outside any scope (the pipeline used as a library) a process-wide set is used.
 */

const REDACTED = '[redacted]'

// Shortest value treated as a secret: anything shorter would blank ordinary words.
const MIN_SECRET = 8

// A secret cut short by a length limit (a server's message truncated to 500 characters) still
// leaks its head: any run of this many characters that starts a secret is blanked too.
const MIN_HEAD = 12

// Characters a credential is made of (token68 of RFC 7235 plus what Okta's tokens use).
const TOKEN_CHARS = '[A-Za-z0-9._~+/=-]'

const PATTERNS: readonly [RegExp, string][] = [
  // An Authorization header value, with or without the header name, any case ("bearer", "SSWS").
  [new RegExp(`\\b(SSWS|Bearer|DPoP)(\\s+|%20|\\+)${TOKEN_CHARS}{8,}`, 'gi'), `$1 ${REDACTED}`],
  // Credentials passed as parameters (form bodies, query strings, JSON).
  [/\b(client_assertion|access_token|id_token|refresh_token|assertion|password)(=|"\s*:\s*")[^&\s"',;]+/gi, `$1$2${REDACTED}`],
  // Three base64url segments, the first starting like a JSON header: a JWT (assertion, access token, DPoP proof).
  [/\beyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // A PEM block: header, base64 body (real or JSON-escaped newlines), footer. Without a footer
  // (cut off) the body is still consumed, but never what follows it (a closing quote of JSON).
  [/-----BEGIN [A-Z0-9 ]+-----(?:[A-Za-z0-9+/=\s]|\\[nr])*(?:-----END [A-Z0-9 ]+-----)?/g, REDACTED],
]

/** A set of live secrets and the function that blanks them (and credential-shaped text) from a string. */
export class Redactor {
  #literals: string[] = []

  /** Registers a secret, with the forms it may be echoed in (a PEM key's body lines and joined body). */
  add(secret: string | undefined | null): void {
    if (typeof secret !== 'string') return
    for (const form of secretForms(secret)) {
      if (form.length < MIN_SECRET || this.#literals.includes(form)) continue
      this.#literals.push(form)
    }
    // Longest first, so a secret containing another is removed whole.
    this.#literals.sort((a, b) => b.length - a.length)
  }

  redact(text: string): string {
    let out = text
    for (const s of this.#literals) if (out.includes(s)) out = out.split(s).join(REDACTED)
    out = redactHeads(out, this.#literals)
    return redactPatterns(out)
  }
}

/** Pattern-only redaction: what `status` can always do, even without knowing any secret. */
export function redactPatterns(text: string): string {
  let out = text
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement)
  return out
}

/** A secret and the other shapes it is echoed in. */
function secretForms(secret: string): string[] {
  const trimmed = secret.trim()
  const forms = [secret, trimmed]
  // Keys pasted into environment variables often carry literal "\n" sequences.
  const lines = trimmed.split(/\r?\n|\\n/).map((l) => l.trim())
  if (lines.length > 1 || trimmed.startsWith('-----BEGIN')) {
    const body = lines.filter((l) => l !== '' && !l.startsWith('-----'))
    forms.push(trimmed.replace(/\\n/g, '\n'), trimmed.replace(/\r?\n/g, '\\n'))
    // Each body line (a key printed line by line) and the whole body on one line.
    for (const line of body) if (line.length >= 16) forms.push(line)
    if (body.length > 0) forms.push(body.join(''))
  }
  // A JWK private key: its private members.
  if (trimmed.startsWith('{')) {
    try {
      const jwk = JSON.parse(trimmed) as Record<string, unknown>
      for (const k of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) if (typeof jwk[k] === 'string') forms.push(jwk[k])
    } catch {
      // Not JSON: the literal form above is all there is.
    }
  }
  return forms
}

/**
 * Blanks every run of at least MIN_HEAD characters that starts a secret (a secret cut short by a
 * length limit). Spans of all secrets are found first and merged: two secrets sharing a prefix
 * (two client assertions: same header, same issuer) must not leave the longer one's rest behind.
 */
function redactHeads(text: string, secrets: readonly string[]): string {
  const spans: [start: number, end: number][] = []
  for (const s of secrets) {
    if (s.length <= MIN_HEAD) continue
    const head = s.slice(0, MIN_HEAD)
    for (let at = text.indexOf(head); at !== -1; at = text.indexOf(head, at + 1)) {
      let n = MIN_HEAD
      while (n < s.length && at + n < text.length && text[at + n] === s[n]) n++
      spans.push([at, at + n])
    }
  }
  if (spans.length === 0) return text
  spans.sort((a, b) => a[0] - b[0])
  let out = ''
  let pos = 0
  for (let i = 0; i < spans.length; ) {
    const start = spans[i]![0]
    let end = spans[i]![1]
    for (i++; i < spans.length && spans[i]![0] <= end; i++) end = Math.max(end, spans[i]![1])
    out += `${text.slice(pos, start)}${REDACTED}`
    pos = end
  }
  return out + text.slice(pos)
}

const scope = new AsyncLocalStorage<Redactor>()
const processWide = new Redactor()

/** The secrets of the current command (or the process-wide set outside any command). */
export function liveSecrets(): Redactor {
  return scope.getStore() ?? processWide
}

/** Registers a live secret with the current command's redactor. */
export function registerSecret(secret: string | undefined | null): void {
  liveSecrets().add(secret)
}

/** Redacts with the current command's secrets and every pattern. */
export function redact(text: string): string {
  return liveSecrets().redact(text)
}

/** Runs `fn` with `redactor` as the live secrets of everything it calls (sync or async). */
export function withSecretScope<T>(redactor: Redactor, fn: () => T): T {
  return scope.run(redactor, fn)
}
