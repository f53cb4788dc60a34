import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/** One upstream answer as a rewrite sees it (and returns, changed or not). */
export interface ProxiedResponse {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

/**
 * What a rewrite may do with one answer: change it (return it), or `undefined` to pass it on.
 * `n` counts the requests whose path starts with the same first three segments (`/api/v1/users`).
 */
export type Rewrite = (req: { method: string; url: string; n: number }, res: ProxiedResponse) => ProxiedResponse | undefined

export interface HostileProxy {
  url: string
  /** Replaces the rewrite (undefined: plain pass-through, the fault is gone). */
  set(rewrite: Rewrite | undefined): void
  close(): Promise<void>
}

/**
 * A misbehaving proxy in front of the simulator (a broken load balancer, a caching proxy, a
 * middlebox): forwards every request verbatim and lets the test rewrite what comes back. The
 * links in the answers name the proxy (the simulator builds them from the Host header).
 */
export async function startHostileProxy(upstream: string, rewrite?: Rewrite): Promise<HostileProxy> {
  const target = new URL(upstream)
  const counts = new Map<string, number>()
  let current = rewrite
  const sockets = new Set<Socket>()
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const upstreamReq = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (up) => {
          const body: Buffer[] = []
          up.on('data', (c: Buffer) => body.push(c))
          up.on('end', () => {
            const url = req.url ?? '/'
            const key = url.split('?')[0]!.split('/').slice(0, 4).join('/')
            const n = (counts.get(key) ?? 0) + 1
            counts.set(key, n)
            const original: ProxiedResponse = { status: up.statusCode ?? 502, headers: up.headers, body: Buffer.concat(body) }
            const out = current?.({ method: req.method ?? 'GET', url, n }, original) ?? original
            const headers = { ...out.headers, 'content-length': String(out.body.length) }
            delete headers['transfer-encoding']
            res.writeHead(out.status, headers)
            res.end(out.body)
          })
        },
      )
      upstreamReq.on('error', () => res.destroy())
      upstreamReq.end(Buffer.concat(chunks))
    })
  })
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    set: (r) => {
      current = r
    },
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** The `Link` header's values as one list (the simulator sends one line per relation). */
export function links(headers: IncomingHttpHeaders): string[] {
  const v = headers['link'] as string | string[] | undefined
  return v === undefined ? [] : Array.isArray(v) ? v : [v]
}

/** The headers with the `rel="next"` link replaced by `next` (or removed when null). */
export function withNext(headers: IncomingHttpHeaders, next: string | null): IncomingHttpHeaders {
  const kept = links(headers).filter((l) => !/rel="?next"?/.test(l))
  return { ...headers, link: next === null ? kept : [...kept, `<${next}>; rel="next"`] } as IncomingHttpHeaders
}
