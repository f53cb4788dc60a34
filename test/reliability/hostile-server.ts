/**
 * A small HTTP server of our own that misbehaves on purpose (where the simulator's fault
 * injection would have to learn a whole new trick): every request is answered by `respond`,
 * which sees what the client sent (method, path, Authorization header, body).
 */
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface SeenRequest {
  method: string
  path: string
  authorization: string
  body: string
}

export interface HostileAnswer {
  status: number
  /** An object is sent as JSON; a string as is. */
  body: unknown
  headers?: Record<string, string>
}

export interface HostileServer {
  url: string
  /** Every request received, in order. */
  seen: SeenRequest[]
  close(): Promise<void>
}

export async function startHostileServer(respond: (req: SeenRequest) => HostileAnswer): Promise<HostileServer> {
  const seen: SeenRequest[] = []
  const server = createServer((req, res) => {
    void readBody(req).then((body) => {
      const request: SeenRequest = { method: req.method ?? 'GET', path: req.url ?? '/', authorization: req.headers.authorization ?? '', body }
      seen.push(request)
      const answer = respond(request)
      const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body)
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers })
      res.end(text)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (d: string) => (body += d))
    req.on('end', () => resolve(body))
  })
}
