import { Pool } from 'undici'

/**
 * One HTTP exchange with the org over a single keep-alive undici `Pool`: send, read the whole body
 * (bounded), report timing. No retries, no status handling, no redirects followed (undici's Pool
 * never follows them): that is the client's job (exchange.ts, classify.ts).
 */

export interface TransportOptions {
  /** The org origin, e.g. `https://acme.okta.com`. */
  origin: string
  connections: number
  timeoutMs: number
  /** Largest body accepted, bytes. Okta pages are a few MB at most. */
  maxResponseBytes: number
}

export interface TransportRequest {
  method: 'GET' | 'POST'
  /** Path + query, exactly as it goes on the request line. */
  path: string
  headers: Record<string, string>
  body?: string
  signal?: AbortSignal
}

export interface TransportResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  /** The body as received (still encoded if the server used a Content-Encoding; see body.ts). */
  body: Uint8Array
  /** Local time just before sending / after the last body byte. */
  sentAt: number
  receivedAt: number
}

/** Why no response could be read. `cause` is the undici/socket error (it holds no request headers). */
export class TransportFailure extends Error {
  readonly kind: 'timeout' | 'network'
  readonly networkCode: string | null
  /** Set when the status line arrived before the failure (e.g. a truncated body). */
  readonly status: number | null
  readonly headers: Record<string, string | string[] | undefined> | null

  constructor(
    kind: 'timeout' | 'network',
    reason: string,
    opts: { networkCode?: string | null; status?: number | null; headers?: TransportResponse['headers'] | null; cause?: unknown },
  ) {
    super(reason, { cause: opts.cause })
    this.kind = kind
    this.networkCode = opts.networkCode ?? null
    this.status = opts.status ?? null
    this.headers = opts.headers ?? null
  }
}

export class Transport {
  readonly #pool: Pool
  readonly #timeoutMs: number

  constructor(opts: TransportOptions) {
    this.#timeoutMs = opts.timeoutMs
    this.#pool = new Pool(opts.origin, {
      connections: opts.connections,
      // Undici's default, but never longer than the request itself may take.
      connect: { timeout: Math.min(opts.timeoutMs, 10_000) },
      // Timeouts also enforced by our own deadline below; these are undici's backstop.
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      keepAliveTimeout: 30_000,
      maxResponseSize: opts.maxResponseBytes,
    })
  }

  /**
   * Sends one request. Rejects with `TransportFailure` on timeouts and socket errors, or with the
   * caller's `signal.reason` when the caller aborted.
   */
  async send(req: TransportRequest): Promise<TransportResponse> {
    const deadline = new AbortController()
    const timer = setTimeout(() => deadline.abort(new Error('request deadline')), this.#timeoutMs)
    const signal = req.signal ? AbortSignal.any([req.signal, deadline.signal]) : deadline.signal
    const sentAt = Date.now()
    let status: number | null = null
    let headers: TransportResponse['headers'] | null = null
    try {
      const res = await this.#pool.request({
        method: req.method,
        path: req.path,
        headers: req.headers,
        body: req.body ?? null,
        signal,
      })
      status = res.statusCode
      headers = res.headers
      const body = new Uint8Array(await res.body.arrayBuffer())
      return { status, headers, body, sentAt, receivedAt: Date.now() }
    } catch (err) {
      if (req.signal?.aborted) throw req.signal.reason
      const code = errorCode(err)
      if (deadline.signal.aborted || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
        throw new TransportFailure('timeout', 'timed out', { networkCode: code, status, headers, cause: err })
      }
      throw new TransportFailure('network', describeNetworkError(err, code, status !== null), {
        networkCode: code,
        status,
        headers,
        cause: err,
      })
    } finally {
      clearTimeout(timer)
    }
  }

  async close(): Promise<void> {
    await this.#pool.close()
  }
}

function errorCode(err: unknown): string | null {
  if (typeof err !== 'object' || err === null) return null
  // undici wraps socket errors: the OS code (ECONNRESET) is on the cause.
  const own = (err as { code?: unknown }).code
  const cause = (err as { cause?: { code?: unknown } }).cause
  if (own === 'UND_ERR_SOCKET' && typeof cause?.code === 'string') return cause.code
  if (typeof own === 'string') return own
  if (typeof cause?.code === 'string') return cause.code
  return null
}

function describeNetworkError(err: unknown, code: string | null, midBody: boolean): string {
  const where = midBody ? 'connection lost while reading the body' : 'connection failed'
  const msg = err instanceof Error ? err.message.split('\n')[0] : String(err)
  return `${where}: ${code ?? 'error'}${msg ? ` ${msg}` : ''}`
}
