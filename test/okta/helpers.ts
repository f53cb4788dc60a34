import { OktaHttpClient } from '../../src/okta/index.ts'
import { afterEach } from 'vitest'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { LogEvent, Logger } from '../../src/util/log.ts'

/** One request as a scripted server saw it. */
export interface SeenRequest {
  method: string
  /** Path + query exactly as on the request line. */
  url: string
  headers: IncomingMessage['headers']
  body: string
  /** Local ms the request arrived. */
  at: number
  /** 1-based arrival index. */
  n: number
}

export type Script = (req: SeenRequest, res: ServerResponse, raw: IncomingMessage) => void | Promise<void>

export interface ScriptedServer {
  url: string
  requests: SeenRequest[]
  /** Most requests in flight at once, as the server counted them. */
  maxConcurrent: number
  close(): Promise<void>
}

/**
 * A real `node:http` server on an ephemeral loopback port whose responses a test scripts per
 * request (undici's own test style). The handler owns the response: it may answer late, never,
 * or destroy the socket.
 */
export async function startServer(script: Script): Promise<ScriptedServer> {
  const sockets = new Set<Socket>()
  let inFlight = 0
  const state: ScriptedServer = {
    url: '',
    requests: [],
    maxConcurrent: 0,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  const server: Server = createServer((raw, res) => {
    inFlight++
    state.maxConcurrent = Math.max(state.maxConcurrent, inFlight)
    let finished = false
    const done = (): void => {
      if (finished) return
      finished = true
      inFlight--
    }
    res.on('finish', done)
    res.on('close', done)
    const chunks: Buffer[] = []
    raw.on('data', (c: Buffer) => chunks.push(c))
    raw.on('end', () => {
      const seen: SeenRequest = {
        method: raw.method ?? 'GET',
        url: raw.url ?? '/',
        headers: raw.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
        n: state.requests.length + 1,
      }
      state.requests.push(seen)
      Promise.resolve(script(seen, res, raw)).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(599)
        res.end(String(err))
      })
    })
  })
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return state
}

/** Sends a JSON body (given as text, so tests can send what JSON.stringify can't). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

export function oktaError(code: string, summary: string): Record<string, unknown> {
  return { errorCode: code, errorSummary: summary, errorLink: code, errorId: 'oae-test', errorCauses: [] }
}

/** A logger that keeps every event. */
export function recordingLogger(): { logger: Logger; events: LogEvent[] } {
  const events: LogEvent[] = []
  return { logger: (e) => events.push(e), events }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/**
 * Everything a test opens (clients, scripted servers, simulators) registered with `track` is
 * closed after each test, clients first (they hold connections to the servers).
 */
export function closedAfterEach(): { track<T extends { close(): Promise<void> }>(resource: T): T } {
  const open: { close(): Promise<void> }[] = []
  afterEach(async () => {
    const resources = open.splice(0)
    await Promise.all(resources.filter((r) => r instanceof OktaHttpClient).map((r) => r.close()))
    await Promise.all(resources.filter((r) => !(r instanceof OktaHttpClient)).map((r) => r.close()))
  })
  return {
    track: (resource) => {
      open.push(resource)
      return resource
    },
  }
}
