import type { OktaClient } from '../okta/types.ts'
import { oktaTime } from '../resources/strategies/cursor.ts'
import { LOG_RETENTION_MS } from '../resources/strategies/log-polling.ts'
import type { HistoryEvents } from '../resources/types.ts'
import { describeError } from '../util/errors.ts'
import type { Logger } from '../util/log.ts'
import { HistoryTimeline, type TimedEffect } from './timeline.ts'

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

/** The System Log events of every history table's window, read once per run. */
export interface HistoryLog {
  events: readonly { published: string; event: Record<string, unknown> }[]
}

/**
 * One bounded, filtered System Log query for every history table of the run (their event types
 * together, from the earliest window start up to now): ⌈events / 1000⌉ requests on the logs
 * bucket, usually one. A log that cannot be read (no permission, an outage past the retries)
 * times nothing: changes fall back to the records' own times or the load's start, with a warning;
 * the rows load all the same.
 */
export async function readHistoryLog(args: {
  client: OktaClient
  filters: readonly string[]
  sinceMs: number
  untilMs: number
  logger: Logger
  signal?: AbortSignal
}): Promise<HistoryLog> {
  const events: { published: string; event: Record<string, unknown> }[] = []
  const filter = args.filters.map((f) => `(${f})`).join(' or ')
  const query = { since: oktaTime(args.sinceMs), until: oktaTime(args.untilMs), filter, limit: LOG_PAGE_SIZE }
  try {
    for await (const page of args.client.pages('/api/v1/logs', { query, ...(args.signal ? { signal: args.signal } : {}) })) {
      for (const event of page.items) {
        const published = event['published']
        if (typeof published !== 'string' || Number.isNaN(Date.parse(published))) continue
        events.push({ published: new Date(published).toISOString(), event })
      }
    }
  } catch (err) {
    if (args.signal?.aborted) throw err
    args.logger({
      level: 'warn',
      event: 'history.log_unavailable',
      msg: `cannot read the System Log to time the history tables (${describeError(err)}); this run's changes are timed by lastUpdated or the load`,
    })
    return { events: [] }
  }
  return { events }
}

/** One table's timeline: the effects its resource declares, of the events inside its own window. */
export function timelineFor(log: HistoryLog, events: HistoryEvents, window: WindowStart): HistoryTimeline {
  const effects: TimedEffect[] = []
  for (const { published, event } of log.events) {
    if (Date.parse(published) < window.sinceMs) continue
    for (const effect of events.effects(event)) effects.push({ ...effect, at: published })
  }
  return new HistoryTimeline(effects, { horizon: oktaTime(window.sinceMs), first: window.first })
}
