import type { OktaClient } from '../okta/types.ts'
import { oktaTime } from '../resources/strategies/cursor.ts'
import { LOG_RETENTION_MS } from '../resources/strategies/log-polling.ts'
import type { HistoryEvents } from '../resources/types.ts'
import { describeError } from '../util/errors.ts'
import type { Logger } from '../util/log.ts'
import { EffectColumns, HistoryTimeline } from './timeline.ts'

const LOG_PAGE_SIZE = 1000

/** One history table's window: from where its last succeeded run started (less the lookback), or, on a first load, from as far back as the log reaches. */
export interface WindowStart {
  sinceMs: number
  first: boolean
}

export function windowStart(args: { lastSucceededRunStart: Date | undefined; nowMs: number; lookbackMs: number; logStartMs: number }): WindowStart {
  const earliest = args.nowMs - Math.min(LOG_RETENTION_MS, Math.max(0, args.logStartMs))
  const last = args.lastSucceededRunStart
  if (last === undefined) return { sinceMs: earliest, first: true }
  return { sinceMs: Math.max(earliest, last.getTime() - Math.max(0, args.lookbackMs)), first: false }
}

/** The effects of the System Log events of every history table's window, read once per run, by resource (held as columns: see EffectColumns). */
export interface HistoryLog {
  effects: Map<string, EffectColumns>
}

/**
 * One bounded, filtered System Log query for every history table of the run (their event types
 * together, from the earliest window start up to now): ⌈events / 1000⌉ requests on the logs
 * bucket, usually one. Only each event's effects are kept (key, open or close, time), not the
 * event: a first load's 90 days of membership events stay small. A log that cannot be read (no
 * permission, an outage past the retries) times nothing: changes fall back to the records' own
 * times or the load's start, with a warning; the rows load all the same.
 */
export async function readHistoryLog(args: {
  client: OktaClient
  declarations: readonly { resource: string; events: HistoryEvents }[]
  sinceMs: number
  untilMs: number
  logger: Logger
  signal?: AbortSignal
}): Promise<HistoryLog> {
  const effects = new Map<string, EffectColumns>(args.declarations.map((d) => [d.resource, new EffectColumns()]))
  const filter = args.declarations.map((d) => `(${d.events.filter})`).join(' or ')
  const query = { since: oktaTime(args.sinceMs), until: oktaTime(args.untilMs), filter, limit: LOG_PAGE_SIZE }
  // The effects live for the whole run (a first load's window is 90 days of events): each id is
  // kept once however many events name it (a user in ten groups, a group of 10,000 members), not
  // once per event as the parsed pages hold it.
  const ids = new Map<string, string>()
  const intern = (id: string): string => {
    const kept = ids.get(id)
    if (kept !== undefined) return kept
    ids.set(id, id)
    return id
  }
  try {
    for await (const page of args.client.pages('/api/v1/logs', { query, ...(args.signal ? { signal: args.signal } : {}) })) {
      for (const event of page.items) {
        const published = event['published']
        if (typeof published !== 'string' || Number.isNaN(Date.parse(published))) continue
        const at = new Date(published).toISOString()
        for (const d of args.declarations) {
          for (const effect of d.events.effects(event)) effects.get(d.resource)!.push({ kind: effect.kind, key: effect.key.map(intern), at })
        }
      }
    }
  } catch (err) {
    if (args.signal?.aborted) throw err
    args.logger({
      level: 'warn',
      event: 'history.log_unavailable',
      msg: `cannot read the System Log to time the history tables (${describeError(err)}); this run's changes are timed by lastUpdated or the load`,
    })
    return { effects: new Map() }
  }
  return { effects }
}

/**
 * One table's timeline: its resource's effects inside its own window. The log lets go of them
 * (each resource's load asks once a run): a first load's 90 days of events are then held once,
 * by the timeline, not twice for the rest of the run.
 */
export function takeTimeline(log: HistoryLog, resource: string, window: WindowStart): HistoryTimeline {
  const all = log.effects.get(resource) ?? new EffectColumns()
  log.effects.delete(resource)
  const inWindow = new EffectColumns()
  for (let i = 0; i < all.length; i++) if (all.atMs(i) >= window.sinceMs) inWindow.copy(all, i)
  return new HistoryTimeline(inWindow, { horizon: oktaTime(window.sinceMs), first: window.first })
}
