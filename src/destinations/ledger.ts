import { hostname } from 'node:os'
import type { Kysely } from 'kysely'
import type { StateRow } from '../state/types.ts'
import type { LoadRecord, LoadResult, LoadStatus } from './destination.ts'
import type { SqlTypeMap, Tx } from './dialect.ts'
import type { MetaDb } from './meta-db.ts'
import { statementChunks } from './statement-chunks.ts'

/** Rows per INSERT when importing load records (keeps parameter counts far below every database's limit). */
const ROWS_PER_STATEMENT = 500
const LOCK_ROW = 'writer'
const ABANDONED = 'abandoned: its run ended without recording an outcome (killed, crashed or lost its connection); its committed batches are kept'

/**
 * The pipeline's bookkeeping rows: loads (`_okta_elt_loads`), cursor state (`_okta_elt_state`) and
 * who holds the lock (`_okta_elt_lock`). Built with Kysely so one text serves every dialect; the
 * dialect only converts timestamps and JSON (`SqlTypeMap`). The writes that belong to a commit
 * (state, load counters) run on the commit's transaction (`Tx`).
 */
export class Ledger {
  readonly #meta: () => Kysely<MetaDb>
  readonly #types: SqlTypeMap

  constructor(meta: () => Kysely<MetaDb>, types: SqlTypeMap) {
    this.#meta = meta
    this.#types = types
  }

  // ---- loads -------------------------------------------------------------------------------

  async startLoad(load: { loadId: string; runId: string; resource: string; startedAt: Date }): Promise<void> {
    await this.#meta()
      .insertInto('_okta_elt_loads')
      .values({
        load_id: load.loadId,
        run_id: load.runId,
        resource: load.resource,
        status: 'running',
        started_at: this.#types.tsParam(load.startedAt),
        finished_at: null,
        error: null,
      })
      .onConflict((oc) => oc.column('load_id').doNothing())
      .execute()
  }

  async finishLoad(result: LoadResult): Promise<void> {
    await this.#meta()
      .updateTable('_okta_elt_loads')
      .set({ status: result.status, finished_at: this.#types.tsParam(result.finishedAt), error: result.error ?? null })
      .where('load_id', '=', result.loadId)
      .execute()
  }

  /** Inside a commit: the batch's counts added to its load's running totals. */
  async addCounts(tx: Tx, loadId: string, rows: number): Promise<void> {
    await tx.exec(
      this.#meta()
        .updateTable('_okta_elt_loads')
        .set((eb) => ({ rows: eb('rows', '+', rows), batches: eb('batches', '+', 1) }))
        .where('load_id', '=', loadId)
        .compile(),
    )
  }

  async readLoads(limit: number, only: { resource?: string; status?: LoadStatus } = {}): Promise<LoadRecord[]> {
    let query = this.#meta().selectFrom('_okta_elt_loads').selectAll()
    if (only.resource !== undefined) query = query.where('resource', '=', only.resource)
    if (only.status !== undefined) query = query.where('status', '=', only.status)
    const rows = await query
      .orderBy('started_at', 'desc')
      .orderBy('load_id', 'desc')
      .limit(limit)
      .execute()
    return rows.map((r) => ({
      loadId: r.load_id,
      runId: r.run_id,
      resource: r.resource,
      status: r.status as LoadStatus,
      startedAt: toDate(r.started_at),
      finishedAt: r.finished_at === null ? null : toDate(r.finished_at),
      rows: Number(r.rows),
      batches: Number(r.batches),
      error: r.error,
    }))
  }

  /**
   * When the run that last loaded `resource` successfully started (its first load's start), if
   * one did: a history window starts there, so that events published while that run was under
   * way (after its System Log window closed) are read again.
   */
  async lastSucceededRunStart(resource: string): Promise<Date | undefined> {
    const last = await this.#meta()
      .selectFrom('_okta_elt_loads')
      .select(['run_id', 'started_at'])
      .where('resource', '=', resource)
      .where('status', '=', 'succeeded')
      .orderBy('started_at', 'desc')
      .limit(1)
      .executeTakeFirst()
    if (last === undefined) return undefined
    const first = await this.#meta()
      .selectFrom('_okta_elt_loads')
      .select('started_at')
      .where('run_id', '=', last.run_id)
      .orderBy('started_at', 'asc')
      .limit(1)
      .executeTakeFirst()
    return toDate((first ?? last).started_at)
  }

  /** Load records copied from another destination; existing load ids are left alone. */
  async importLoads(loads: readonly LoadRecord[]): Promise<void> {
    for (let i = 0; i < loads.length; i += ROWS_PER_STATEMENT) {
      const rows = loads.slice(i, i + ROWS_PER_STATEMENT).map((l) => ({
        load_id: l.loadId,
        run_id: l.runId,
        resource: l.resource,
        status: l.status,
        started_at: this.#types.tsParam(l.startedAt),
        finished_at: l.finishedAt === null ? null : this.#types.tsParam(l.finishedAt),
        rows: l.rows,
        batches: l.batches,
        error: l.error,
      }))
      if (rows.length > 0) await this.#meta().insertInto('_okta_elt_loads').values(rows).onConflict((oc) => oc.column('load_id').doNothing()).execute()
    }
  }

  /**
   * Loads still `running` when we take the lock belong to a run that died without recording an
   * outcome (SIGKILL, power loss, a dropped connection): holding the lock proves it is not alive.
   * Their batches are committed or rolled back already; only the label was missing.
   */
  async closeAbandonedLoads(): Promise<void> {
    await this.#meta().updateTable('_okta_elt_loads').set({ status: 'interrupted', error: ABANDONED }).where('status', '=', 'running').execute()
  }

  // ---- cursor state --------------------------------------------------------------------------

  async readState(resource: string): Promise<StateRow[]> {
    const rows = await this.#meta().selectFrom('_okta_elt_state').selectAll().where('resource', '=', resource).orderBy('parent_id').execute()
    return rows.map((r) => ({
      resource: r.resource,
      parentId: r.parent_id,
      cursor: this.#types.readJson(r.cursor),
      loadId: r.load_id,
      updatedAt: toDate(r.updated_at),
    }))
  }

  /**
   * Inside a commit: the batch's cursor rows written (a null cursor removes its row) with the rows
   * they cover, in a few statements however many parents the batch finished (a batch of group
   * members finishes dozens of groups, each its own cursor row; one statement each was most of a
   * DuckDB commit's statements). A key written twice keeps its last cursor, as writing them in
   * order would; one statement may not touch a row twice, hence the dedupe. Chunked by
   * `statementChunks`, so that SQLite's statement cache meets a few texts, not one per count.
   */
  async writeStates(tx: Tx, states: readonly { resource: string; parentId: string; cursor: unknown }[], loadId: string, now: Date): Promise<void> {
    const last = new Map<string, { resource: string; parentId: string; cursor: unknown }>()
    for (const s of states) {
      const key = `${s.resource}\u0000${s.parentId}`
      last.delete(key)
      last.set(key, s)
    }
    const removed = new Map<string, string[]>()
    const written: { resource: string; parent_id: string; cursor: unknown; load_id: string; updated_at: Date | string }[] = []
    for (const s of last.values()) {
      if (s.cursor === null || s.cursor === undefined) removed.set(s.resource, [...(removed.get(s.resource) ?? []), s.parentId])
      else written.push({ resource: s.resource, parent_id: s.parentId, cursor: this.#types.jsonParam(s.cursor), load_id: loadId, updated_at: this.#types.tsParam(now) })
    }
    for (const [resource, parents] of removed) {
      for (const chunk of statementChunks(parents, ROWS_PER_STATEMENT)) {
        await tx.exec(this.#meta().deleteFrom('_okta_elt_state').where('resource', '=', resource).where('parent_id', 'in', chunk).compile())
      }
    }
    for (const chunk of statementChunks(written, ROWS_PER_STATEMENT)) {
      await tx.exec(
        this.#meta()
          .insertInto('_okta_elt_state')
          .values(chunk)
          .onConflict((oc) =>
            oc.columns(['resource', 'parent_id']).doUpdateSet((eb) => ({ cursor: eb.ref('excluded.cursor'), load_id: eb.ref('excluded.load_id'), updated_at: eb.ref('excluded.updated_at') })),
          )
          .compile(),
      )
    }
  }

  // ---- the lock holder -----------------------------------------------------------------------

  /** Who holds the lock, for the "locked by …" message of the next run (informational only). */
  async recordHolder(owner: string): Promise<void> {
    const row = { name: LOCK_ROW, owner, pid: process.pid, host: hostname(), acquired_at: this.#types.tsParam(new Date()) }
    await this.#meta()
      .insertInto('_okta_elt_lock')
      .values(row)
      .onConflict((oc) => oc.column('name').doUpdateSet({ owner: row.owner, pid: row.pid, host: row.host, acquired_at: row.acquired_at }))
      .execute()
  }

  /** One line naming who holds the lock, as recorded by the holder when it took it. */
  async describeHolder(): Promise<string> {
    const row = await this.#meta().selectFrom('_okta_elt_lock').selectAll().where('name', '=', LOCK_ROW).executeTakeFirst()
    if (row === undefined) return 'holder unknown'
    return `held by ${row.owner}, pid ${row.pid} on ${row.host}, since ${toDate(row.acquired_at).toISOString()}`
  }
}

export function toDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value)
}
