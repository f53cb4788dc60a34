import type { ExtractContext } from '../types.ts'
import { oktaTime, parentCursors } from './cursor.ts'
import { eventsSinceLastPass, fullPassCursor, listIds, type NarrowingCursor } from './log-narrowing.ts'
import type { ParentPlan } from './per-parent.ts'

const APP_PAGE_SIZE = 200

export interface AppNarrowing {
  resource: string
  /** System Log filter of the events that can change this resource's rows of an app. */
  filter: string
  /** The apps one event says to re-pull. */
  appsOf(event: Record<string, unknown>): Iterable<string>
}

/** A narrowed pass over the apps: the listing, the apps to re-pull and the cursor to commit. */
export interface AppPass {
  existing: Set<string>
  pull: string[]
  cursor: NarrowingCursor
  /** False when every app is re-pulled (first run, full refresh, no System Log). */
  narrowed: boolean
}

/**
 * Which apps' children (`/apps/{id}/users`, `/apps/{id}/groups`) to re-pull. The `/api/v1/apps/*`
 * bucket is small (100/min for the whole org) and neither endpoint has a change filter, so when the
 * System Log runs too the pass narrows to the apps with matching events not yet acted upon (one
 * bounded query on the logs bucket), plus apps without a cursor (new to us). Otherwise, and on a
 * full refresh, every app is re-pulled. The app listing itself is always complete (one request per
 * 200 apps), so apps that vanished are detected either way.
 */
export async function planAppPass(ctx: ExtractContext, spec: AppNarrowing, onEvent?: (event: Record<string, unknown>) => void): Promise<AppPass> {
  const passStartedAt = oktaTime(ctx.now().getTime())
  const cursors = parentCursors(ctx.state)
  const existing = await listIds(ctx, '/api/v1/apps', { limit: APP_PAGE_SIZE })
  const changed = new Set<string>()
  const cursor = await eventsSinceLastPass(ctx, {
    resource: spec.resource,
    filter: spec.filter,
    until: passStartedAt,
    onEvent: (event) => {
      onEvent?.(event)
      for (const id of spec.appsOf(event)) changed.add(id)
    },
  })
  const narrowed = cursor !== undefined
  const pull = [...existing].filter((id) => !narrowed || changed.has(id) || !cursors.has(id))
  ctx.logger({
    level: 'debug',
    event: 'extract.plan',
    msg: `${spec.resource}: re-pulling ${pull.length} of ${existing.size} apps${narrowed ? ' (narrowed by System Log events)' : ''}`,
    resource: spec.resource,
    apps: existing.size,
    pulling: pull.length,
  })
  return { existing, pull, cursor: cursor ?? fullPassCursor(passStartedAt), narrowed }
}

/** The per-parent plan of an app-narrowed pass: each re-pulled app gets `{ pulledAt }`. */
export function appParentPlan(pass: AppPass, extra: Partial<ParentPlan> = {}): ParentPlan {
  return {
    pull: pass.pull.map((id) => ({ id, cursor: { pulledAt: pass.cursor.passStartedAt } })),
    existing: pass.existing,
    cursor: pass.cursor,
    ...extra,
  }
}
