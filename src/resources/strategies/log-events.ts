/** Small readers for System Log events (plain JSON from `/api/v1/logs`). */

/** False only when the event says it failed (`outcome.result` other than SUCCESS). */
export function succeeded(event: Record<string, unknown>): boolean {
  const outcome = event['outcome']
  if (outcome === null || typeof outcome !== 'object') return true
  const result = (outcome as Record<string, unknown>)['result']
  return result === undefined || result === null || result === 'SUCCESS'
}

/** The ids of the event's targets of one type (e.g. `User`, `AppInstance`). */
export function targetIds(event: Record<string, unknown>, type: string): string[] {
  const targets = event['target']
  if (!Array.isArray(targets)) return []
  const ids: string[] = []
  for (const t of targets as unknown[]) {
    if (t === null || typeof t !== 'object') continue
    const target = t as Record<string, unknown>
    if (target['type'] === type && typeof target['id'] === 'string') ids.push(target['id'])
  }
  return ids
}
