import { Client } from 'undici'

/**
 * Whether the org answers HTTP at all: one unauthenticated GET of Okta's public
 * `/.well-known/okta-organization`, no retries, a short deadline. Any HTTP status proves the host
 * resolves, accepts connections and speaks TLS; what went wrong otherwise is named in a few words
 * (cannot resolve, refused, timed out, TLS), so a wrong org URL fails in seconds, not after the
 * run's seven attempts per request.
 */
export type Reachability =
  | { reachable: true; status: number; ms: number; okta: boolean }
  | { reachable: false; reason: string; code: string | null; ms: number }

export const ORGANIZATION_PATH = '/.well-known/okta-organization'

export async function probeOrg(orgUrl: string, timeoutMs: number): Promise<Reachability> {
  const started = Date.now()
  const host = safeHost(orgUrl)
  // Its own connection, closed at once: a pooled keep-alive socket would hold the process open.
  let client: Client | null = null
  try {
    const url = new URL(orgUrl)
    client = new Client(url.origin, { connectTimeout: timeoutMs, headersTimeout: timeoutMs, bodyTimeout: timeoutMs })
    const res = await client.request({
      method: 'GET',
      path: ORGANIZATION_PATH,
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    })
    // Okta answers JSON here (the org's id), and its error bodies are JSON too.
    const type = String(res.headers['content-type'] ?? '')
    await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined)
    return { reachable: true, status: res.statusCode, ms: Date.now() - started, okta: type.includes('json') }
  } catch (err) {
    const code = networkCode(err)
    return { reachable: false, reason: describe(code, host, timeoutMs, err), code, ms: Date.now() - started }
  } finally {
    await client?.destroy().catch(() => undefined)
  }
}

function describe(code: string | null, host: string, timeoutMs: number, err: unknown): string {
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve host ${host} (${code})`
    case 'ECONNREFUSED':
      return `connection refused by ${host} (ECONNREFUSED)`
    case 'ECONNRESET':
      return `connection reset by ${host} (ECONNRESET)`
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `no route to ${host} (${code})`
    case 'TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return `no answer from ${host} within ${timeoutMs} ms`
  }
  if (code !== null && /CERT|SSL|TLS/i.test(code)) return `TLS handshake with ${host} failed (${code})`
  const msg = err instanceof Error ? (err.message.split('\n')[0] ?? '') : ''
  return `cannot connect to ${host}${code === null ? '' : ` (${code})`}${msg === '' ? '' : `: ${msg.slice(0, 200)}`}`
}

function networkCode(err: unknown): string | null {
  if (typeof err !== 'object' || err === null) return null
  const e = err as { name?: unknown; code?: unknown; cause?: { code?: unknown } }
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'TIMEOUT'
  // undici wraps socket errors: the OS code (ECONNREFUSED) is on the cause.
  if (typeof e.cause?.code === 'string') return e.cause.code
  return typeof e.code === 'string' ? e.code : null
}

function safeHost(orgUrl: string): string {
  try {
    return new URL(orgUrl).host
  } catch {
    return '(invalid URL)'
  }
}
