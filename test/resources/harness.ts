import { OktaHttpClient } from '../../src/okta/index.ts'
import { RESOURCES } from '../../src/resources/index.ts'
import type { ExtractBatch, ExtractOptions, ResourceDefinition, ResourceName } from '../../src/resources/types.ts'
import { startSimulator } from '../../src/simulator/index.ts'
import type { Simulator, SimulatorOptions } from '../../src/simulator/types.ts'
import type { StateRow } from '../../src/state/types.ts'
import type { LogEvent } from '../../src/util/log.ts'

/**
 * Test plumbing for the extractors: a simulator, the real HTTP client on it, and a tiny in-memory
 * "destination" that applies batches with the contract's semantics (merge/append by primary key,
 * deletes, sweeps of rows not written by the current load, cursor state committed with the rows).
 * It lets a test run an extractor, "crash" after N batches, run again from the saved state and
 * compare the mirror with the org.
 */
export interface Org {
  sim: Simulator
  client: OktaHttpClient
  close(): Promise<void>
}

export async function startOrg(options: SimulatorOptions = {}): Promise<Org> {
  const sim = await startSimulator({ seed: 7, rateLimits: false, ...options })
  const client = new OktaHttpClient({
    orgUrl: sim.url,
    auth: { type: 'ssws', token: sim.token },
    maxInFlight: 4,
    requestTimeoutMs: 10_000,
    maxRetries: 2,
    retryBaseDelayMs: 10,
  })
  return {
    sim,
    client,
    async close() {
      await client.close()
      await sim.close()
    },
  }
}

interface Row {
  record: Record<string, unknown>
  loadId: string
  deleted: boolean
}

export class Mirror {
  readonly tables = new Map<ResourceName, Map<string, Row>>()
  readonly state = new Map<string, StateRow>()
  #loads = 0

  table(name: ResourceName): Map<string, Row> {
    let t = this.tables.get(name)
    if (!t) this.tables.set(name, (t = new Map()))
    return t
  }

  /** Live rows' records. */
  live(name: ResourceName): Record<string, unknown>[] {
    return [...this.table(name).values()].filter((r) => !r.deleted).map((r) => r.record)
  }

  liveKeys(name: ResourceName): string[] {
    return [...this.table(name).entries()].filter(([, r]) => !r.deleted).map(([k]) => k).sort()
  }

  deletedKeys(name: ResourceName): string[] {
    return [...this.table(name).entries()].filter(([, r]) => r.deleted).map(([k]) => k).sort()
  }

  stateRows(resource: ResourceName): StateRow[] {
    return [...this.state.values()].filter((r) => r.resource === resource)
  }

  cursor(resource: ResourceName, parentId = ''): unknown {
    return this.state.get(`${resource}\u0000${parentId}`)?.cursor
  }

  newLoad(): string {
    return `load-${++this.#loads}`
  }

  /** One batch in one "transaction". */
  commit(def: ResourceDefinition, batch: ExtractBatch, loadId: string): void {
    const table = this.table(def.name)
    for (const record of batch.records) {
      const key = keyOf(def, record)
      const existing = table.get(key)
      if (def.writeMode === 'append' && existing) continue
      table.set(key, { record, loadId, deleted: false })
    }
    for (const d of batch.deletes ?? []) {
      const t = this.table(d.resource)
      for (const k of d.keys) {
        const row = t.get(k.join('|'))
        if (row) row.deleted = true
      }
    }
    if (batch.sweep) {
      const target = RESOURCES[batch.sweep.resource]
      for (const row of this.table(target.name).values()) {
        if (row.loadId === loadId || row.deleted) continue
        if (batch.sweep.parentId !== undefined) {
          const parentKey = getPath(row.record, target.parent?.keyPath ?? [])
          if (parentKey !== batch.sweep.parentId) continue
        }
        row.deleted = true
      }
    }
    for (const cascade of batch.cascades ?? []) {
      for (const dependant of Object.values(RESOURCES)) {
        const by = dependant.sweptBy?.find((b) => b.resource === cascade.resource)
        if (!by) continue
        for (const row of this.table(dependant.name).values()) {
          if (row.loadId !== loadId && !row.deleted && getPath(row.record, by.keyPath) === cascade.id) row.deleted = true
        }
      }
    }
    for (const s of batch.state) {
      const id = `${s.resource}\u0000${s.parentId}`
      if (s.cursor === null) this.state.delete(id)
      else this.state.set(id, { resource: s.resource, parentId: s.parentId, cursor: structuredClone(s.cursor), loadId, updatedAt: new Date() })
    }
  }
}

export interface RunOptions {
  fullRefresh?: boolean
  selected?: readonly ResourceName[]
  options?: Partial<ExtractOptions>
  now?: () => Date
  /** Stop (as if the process died) after committing this many batches. */
  crashAfter?: number
  /** Called after each committed batch (e.g. to change the org mid-run). */
  afterBatch?: (batch: ExtractBatch, index: number) => void
  /** Run this definition instead of the registry's (e.g. a strategy built with a small seen-set cap). */
  def?: ResourceDefinition
}

export interface RunResult {
  batches: ExtractBatch[]
  records: Record<string, unknown>[]
  logs: LogEvent[]
  /** Requests the simulator received during this run. */
  requests: Simulator['requests']
}

/**
 * Pins the org clock so that mutations share one millisecond (the simulator's clock supports it,
 * the `SimClock` contract does not name it yet).
 */
export function frozen<T>(org: Org, fn: () => T): T {
  const clock = org.sim.clock as Simulator['clock'] & { freeze(): void; unfreeze(): void }
  clock.freeze()
  try {
    return fn()
  } finally {
    clock.unfreeze()
  }
}

export const TEST_OPTIONS: ExtractOptions = { lookbackMs: 0, systemLogStartMs: 7 * 24 * 3600_000, childConcurrency: 3 }

/** Runs one extractor into the mirror, committing batch by batch like the loader. */
export async function run(org: Org, mirror: Mirror, name: ResourceName, opts: RunOptions = {}): Promise<RunResult> {
  const def = opts.def ?? RESOURCES[name]
  const loadId = mirror.newLoad()
  const logs: LogEvent[] = []
  const batches: ExtractBatch[] = []
  const before = org.sim.requests.length
  const iterable = def.extract({
    client: org.client,
    state: mirror.stateRows(name),
    fullRefresh: opts.fullRefresh ?? false,
    selected: opts.selected ?? [name],
    options: { ...TEST_OPTIONS, ...opts.options },
    now: opts.now ?? (() => org.sim.clock.now()),
    logger: (e) => logs.push(e),
  })
  for await (const batch of iterable) {
    mirror.commit(def, batch, loadId)
    batches.push(batch)
    opts.afterBatch?.(batch, batches.length - 1)
    if (opts.crashAfter !== undefined && batches.length >= opts.crashAfter) break
  }
  return { batches, records: batches.flatMap((b) => b.records), logs, requests: org.sim.requests.slice(before) }
}

function keyOf(def: ResourceDefinition, record: Record<string, unknown>): string {
  return def.table.primaryKey.map((p) => String(getPath(record, p))).join('|')
}

function getPath(record: Record<string, unknown>, path: readonly string[]): unknown {
  let v: unknown = record
  for (const seg of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[seg] : undefined
  return v
}
