import type { OktaClient } from '../okta/types.ts'
import { LOG_RETENTION_MS } from '../resources/strategies/log-polling.ts'
import { oktaTime } from '../resources/strategies/cursor.ts'
import type { HistoryEvents } from '../resources/types.ts'
import { describeError } from '../util/errors.ts'
import type { Logger } from '../util/log.ts'
import { HistoryTimeline, type TimedEffect } from './timeline.ts'

const LOG_PAGE_SIZE = 1000

/**
 * Reads the System Log events that time one history table's changes since its resource's last
 * succeeded load (less the lookback: an event may be persisted a little after it is published),
 * up to this load's start; on a first load, as far back as the log reaches (`logStartMs`, at most
 * Okta's 90 days), which is what lets it reconstruct the past. One bounded, filtered query on the
 * logs bucket: ⌈events / 1000⌉ requests. A log this token may not read times nothing: the changes
 * fall back to the record's own time or the load's start (a warning says so).
 */
export async function readHistoryWindow(args: {
  client: OktaClient
  resource: string
  events: HistoryEvents
  lastSucceededStart: Date | undefined
  loadStartedAt: Date
  lookbackMs: number
  logStartMs: number
  logger: Logger
  signal?: AbortSignal
}): Promise<HistoryTimeline> {
  const until = args.loadStartedAt.getTime()
  const last = args.lastSucceededStart
  const first = last === undefined
  const earliest = until - Math.min(LOG_RETENTION_MS, Math.max(0, args.logStartMs))
  const since = last === undefined ? earliest : Math.max(earliest, last.getTime() - Math.max(0, args.lookbackMs))
  const horizon = oktaTime(since)
  const effects: TimedEffect[] = []
  const query = { since: horizon, until: oktaTime(until), filter: args.events.filter, limit: LOG_PAGE_SIZE }
  try {
    for await (const page of args.client.pages('/api/v1/logs', { query, ...(args.signal ? { signal: args.signal } : {}) })) {
      for (const event of page.items) {
        const published = event['published']
        if (typeof published !== 'string' || Number.isNaN(Date.parse(published))) continue
        const at = new Date(published).toISOString()
        for (const effect of args.events.effects(event)) effects.push({ ...effect, at })
      }
    }
  } catch (err) {
    if ((err as { status?: unknown }).status !== 403) throw err
    args.logger({
      level: 'warn',
      event: 'history.log_unavailable',
      msg: `${args.resource}: cannot read the System Log to time its history (${describeError(err)}); changes are timed by the load`,
      resource: args.resource,
    })
    return new HistoryTimeline([], { horizon, first })
  }
  return new HistoryTimeline(effects, { horizon, first })
}
