/** Messages between the bench and its simulator process (sim-worker.ts). */
export type SimCommand =
  | { id: number; op: 'counts' }
  | { id: number; op: 'nightly'; args: { userFraction: number; memberships: number; assignments: number; logEvents: number } }
  | { id: number; op: 'requests'; times?: boolean }
  | { id: number; op: 'clear' }
  | { id: number; op: 'rate-limits'; limits: Record<string, number> | false; windowMs?: number }
  | { id: number; op: 'close' }

export type SimReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string }

export interface RequestReport {
  total: number
  tooMany: number
  /** Per simulator bucket: requests, 429s, arrival times (local ms) of the requests that were served. */
  buckets: Record<string, { requests: number; tooMany: number; times: number[] }>
}
