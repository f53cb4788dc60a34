import type { ExtractBatch, ExtractContext, ResourceName } from '../types.ts'
import { parentCursors } from './cursor.ts'
import { fanOut } from './fan-out.ts'

/** What one run of a per-parent resource does, decided before any child is fetched. */
export interface ParentPlan {
  /** Parents whose children are re-pulled (replacing what the table holds for them), with the cursor each gets once fully pulled. */
  pull: { id: string; cursor: unknown }[]
  /**
   * Every parent that exists now, when the plan listed them all. Saved parents missing from it are
   * gone: their children are swept and their cursor rows deleted. Undefined when the listing was
   * partial (an incremental filter), where absence proves nothing.
   */
  existing?: ReadonlySet<string>
  /** Resource-level cursor, written with the last batch (after every parent completed). */
  cursor: unknown
  /**
   * Keys of this resource's rows known gone without re-pulling their parent (e.g. a hard-deleted
   * user's assignments to apps not re-pulled this run). Marked deleted in batches of their own,
   * before any child is fetched; idempotent, so a crash before the final cursor just repeats them.
   */
  deletes?: Iterable<string[]>
}

/** Keys per `deletes` batch. */
const DELETE_CHUNK = 1000

export interface PerParentSpec {
  resource: ResourceName
  /** The children's endpoint for one parent, e.g. `/api/v1/groups/{id}/users`. */
  childPath(parentId: string): string
  /** `limit` per child page; undefined for endpoints that take none (roles, factors: one page). */
  pageSize: number | undefined
  /** One child as the row to write, e.g. `{ group_id, user_id }`. */
  toRecord(parentId: string, child: Record<string, unknown>): Record<string, unknown>
  plan(ctx: ExtractContext): Promise<ParentPlan>
}

/**
 * Per-parent replacement: the children of each planned parent are re-listed in full, one batch per
 * page, and the parent's last batch carries a sweep (rows of that parent not written by this load
 * are marked deleted, so removals apply) together with the parent's cursor. A crash mid-parent
 * leaves its cursor untouched, so the next run pulls that parent again. Parents are fetched in
 * parallel (`childConcurrency`), a few pages in memory at most.
 */
export function perParentExtractor(spec: PerParentSpec): (ctx: ExtractContext) => AsyncGenerator<ExtractBatch> {
  return async function* extract(ctx) {
    const { resource } = spec
    const plan = await spec.plan(ctx)
    const saved = parentCursors(ctx.state)

    const pulled = new Set(plan.pull.map((p) => p.id))
    // Every parent that exists is being re-pulled: a whole-table sweep also catches children of
    // parents that vanished without a cursor row (e.g. state lost, or a crash before the first one).
    const sweepAll = plan.existing !== undefined && [...plan.existing].every((id) => pulled.has(id))

    if (plan.existing) {
      for (const parentId of saved.keys()) {
        if (plan.existing.has(parentId)) continue
        ctx.logger({ level: 'info', event: 'extract.parent_gone', msg: `${resource}: parent ${parentId} is gone; its rows are marked deleted`, resource, parentId })
        yield goneBatch(resource, parentId)
      }
    }

    let chunk: string[][] = []
    for (const key of plan.deletes ?? []) {
      chunk.push(key)
      if (chunk.length < DELETE_CHUNK) continue
      yield { resource, records: [], state: [], deletes: [{ resource, keys: chunk }] }
      chunk = []
    }
    if (chunk.length > 0) yield { resource, records: [], state: [], deletes: [{ resource, keys: chunk }] }

    const batches = fanOut<{ id: string; cursor: unknown }, ExtractBatch>(
      plan.pull,
      { concurrency: ctx.options.childConcurrency, ...(ctx.signal ? { signal: ctx.signal } : {}) },
      async (parent, emit, signal) => {
        const path = spec.childPath(parent.id)
        try {
          const query = spec.pageSize === undefined ? {} : { limit: spec.pageSize }
          for await (const page of ctx.client.pages(path, { query, signal })) {
            const last = page.nextUrl === null
            await emit({
              resource,
              records: page.items.map((child) => spec.toRecord(parent.id, child)),
              state: last ? [{ resource, parentId: parent.id, cursor: parent.cursor }] : [],
              ...(last ? { sweep: { resource, parentId: parent.id } } : {}),
            })
          }
        } catch (err) {
          // Deleted between the listing and this fetch: same as gone.
          if (!isNotFound(err)) throw err
          ctx.logger({ level: 'info', event: 'extract.parent_gone', msg: `${resource}: parent ${parent.id} disappeared mid-run`, resource, parentId: parent.id })
          await emit(goneBatch(resource, parent.id))
        }
      },
    )
    yield* batches

    yield {
      resource,
      records: [],
      state: [{ resource, parentId: '', cursor: plan.cursor }],
      ...(sweepAll ? { sweep: { resource } } : {}),
    }
  }
}

function goneBatch(resource: ResourceName, parentId: string): ExtractBatch {
  return { resource, records: [], state: [{ resource, parentId, cursor: null }], sweep: { resource, parentId } }
}

function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { status?: unknown }).status === 404
}
