import { sql } from 'kysely'
import type { RawBuilder } from 'kysely'
import { historyTableName, VALID_FROM, VALID_SOURCE, VALID_TO } from '../schema/history-twin.ts'
import type { CommitBatch, CommitHistory, HistoryTableSpec } from './destination.ts'
import type { SqlDriver, SqlTypeMap, Tx } from './dialect.ts'
import type { LiveTable, SchemaWorkspace } from './live-schema.ts'
import { statementChunks } from './statement-chunks.ts'
import { sweepScopes, type SweepScope } from './sweep-scopes.ts'
import { DELETED_AT, LOAD_ID } from './system-columns.ts'

const STAGE = '_okta_elt_history_stage'
/** Stage rows per INSERT: 3 parameters a key row, 6 a timed one (far below every database's limit: SQLite's is 32,766). */
const KEY_ROWS_PER_STATEMENT = 2000
const TIMED_ROWS_PER_STATEMENT = 500
/** Keys per DELETE: an OR of key matches (SQLite's expression depth limit is 1,000). */
const KEYS_PER_DELETE = 500
/** Parents per swept scope's IN list. */
const SWEPT_PARENTS_PER_STATEMENT = 500
/** Staged keys from which the planner is told how many there are (see `SqlDialect.analyzeScratchTables`). */
const ANALYZE_FROM_ROWS = 100
/** Rows a history table gains before the planner is told again (and again each time it doubles). */
const REANALYZE_AFTER_ROWS = 2000

/** `written`: a key the batch wrote; `gone`: one it deleted or swept; `open`/`close`: an event; `past`: a log-shown interval. */
export type Stage = { kind: 'written' | 'gone' | 'open' | 'close' | 'past'; k1: string; k2: string; at?: Date; until?: Date; source?: string }

/**
 * Keeps `<table>_history` in step with `<table>`, inside the commit's transaction, after its rows,
 * deletions and sweeps (PRODUCT.md, History). Set-based: the keys the batch touched and the System
 * Log events that time them are staged in `_okta_elt_history_stage`, then a few statements per
 * table do the work whatever the batch size:
 *  0. drop the written keys whose row equals its open interval (most of a re-pulled parent's), so
 *     the rest costs what changed;
 *  1. close the open interval of every touched key that is gone, changed, or closed and reopened
 *     by an event since it opened; at the event's time, else the new version's start, else the load's;
 *  2. drop the intervals that closed the instant they opened (nothing was ever true in them);
 *  3. insert the intervals the System Log shows began and ended before this load, where they
 *     overlap nothing already known;
 *  4. open an interval for every touched live row without one: at the event that opened it, else
 *     the record's own change time, else the load's start, never before the key's last interval ended.
 * A re-read record that did not change touches its open interval not at all.
 */
export class HistoryWriter {
  readonly #driver: SqlDriver
  readonly #types: SqlTypeMap
  readonly #indexKeys: boolean
  readonly #analyzeStage: boolean
  readonly #temporaryStage: boolean
  readonly #fill: ((tx: Tx, rows: readonly Stage[]) => Promise<void>) | undefined
  /** Per history table: rows this writer added since it last analyzed it, and its size then. */
  readonly #growth = new Map<string, { added: number; analyzed: number }>()

  constructor(parts: {
    driver: SqlDriver
    types: SqlTypeMap
    indexKeys: boolean
    analyzeStage: boolean
    temporaryStage: boolean
    /** The dialect's bulk path into the (emptied) scratch table (see `BulkWriter.stageHistory`); else multi-row INSERTs. */
    fill?: (tx: Tx, rows: readonly Stage[]) => Promise<void>
  }) {
    this.#driver = parts.driver
    this.#types = parts.types
    this.#indexKeys = parts.indexKeys
    this.#analyzeStage = parts.analyzeStage
    this.#temporaryStage = parts.temporaryStage
    this.#fill = parts.fill
  }

  async sync(tx: Tx, ws: SchemaWorkspace, batch: CommitBatch, now: Date): Promise<void> {
    const history = batch.history
    if (history === undefined) return
    for (const spec of history.tables) {
      const table = ws.get(spec.table)
      const twin = ws.get(historyTableName(spec.table))
      if (table === undefined || twin === undefined) continue
      const pk = table.def.primaryKey
      if (pk.length < 1 || pk.length > 2) continue
      await this.#syncTable(tx, { table, twin, spec, pk, batch, history, now })
    }
  }

  async #syncTable(
    tx: Tx,
    a: { table: LiveTable; twin: LiveTable; spec: HistoryTableSpec; pk: string[]; batch: CommitBatch; history: CommitHistory; now: Date },
  ): Promise<void> {
    const { table, twin, spec, pk, batch, history } = a
    const name = table.def.name
    const seed = history.created.includes(name)
    const writes = batch.writes.filter((w) => w.rows.table === name)
    const deletes = batch.deletes.filter((d) => d.table === name)
    const sweeps = batch.sweeps.filter((s) => s.table === name)
    const events = history.events.filter((e) => e.table === name)
    const past = history.past.filter((p) => p.table === name)
    if (!seed && writes.length === 0 && deletes.length === 0 && sweeps.length === 0 && past.length === 0) return

    const stage: Stage[] = []
    const scoped = new Set<string>()
    const scope = (key: readonly unknown[], kind: 'written' | 'gone'): void => {
      const k1 = String(key[0])
      const k2 = pk.length === 2 ? String(key[1]) : ''
      const id = `${k1}\u0000${k2}`
      if (scoped.has(`${kind}\u0000${id}`)) return
      scoped.add(`${kind}\u0000${id}`)
      stage.push({ kind, k1, k2 })
    }
    for (const w of writes) {
      const at = pk.map((c) => w.rows.columns.indexOf(c))
      if (at.some((i) => i < 0)) continue
      for (const row of w.rows.rows) scope(at.map((i) => row[i]), 'written')
    }
    for (const d of deletes) {
      d.keys.forEach((key, i) => {
        scope(key, 'gone')
        const when = d.times?.[i]
        if (when !== undefined) stage.push({ kind: 'close', k1: String(key[0]), k2: pk.length === 2 ? String(key[1]) : '', at: new Date(when) })
      })
    }
    for (const e of events) stage.push({ kind: e.kind, k1: e.key[0]!, k2: pk.length === 2 ? (e.key[1] ?? '*') : '', at: new Date(e.at) })
    for (const p of past) stage.push({ kind: 'past', k1: p.key[0]!, k2: pk.length === 2 ? (p.key[1] ?? '') : '', at: new Date(p.from), until: new Date(p.to), source: p.source })

    const T = this.#driver.tableRef(name)
    const H = this.#driver.tableRef(twin.def.name)
    const S = this.#temporaryStage ? sql`pg_temp.${sql.id(STAGE)}` : this.#driver.tableRef(STAGE)
    const L = this.#types.tsParam(history.loadStartedAt)
    const id = (alias: string, col: string): RawBuilder<unknown> => sql`${sql.id(alias)}.${sql.id(col)}`
    const sameKey = (x: string, y: string): RawBuilder<unknown> => sql.join(pk.map((c) => sql`${id(x, c)} = ${id(y, c)}`), sql` and `)
    // A stage row naming the key of row `r`; `exact: false` also accepts a one-part event key (`*`).
    const staged = (s: string, r: string, exact: boolean): RawBuilder<unknown> => {
      const first = sql`${id(s, 'k1')} = ${id(r, pk[0]!)}`
      if (pk.length === 1) return first
      const second = exact ? sql`${id(s, 'k2')} = ${id(r, pk[1]!)}` : sql`(${id(s, 'k2')} = ${id(r, pk[1]!)} or ${id(s, 'k2')} = '*')`
      return sql`${first} and ${second}`
    }
    const exec = (q: RawBuilder<unknown>) => tx.exec(q.compile(this.#driver.kysely))

    // A new history table: the primary key serves lookups by its first key part (a group's
    // members at T); an index serves the second (a user's groups at T).
    if (seed && this.#indexKeys && pk.length === 2) {
      const index = sql.id(`${twin.def.name}__${pk[1]}`.slice(0, 63))
      await exec(sql`create index if not exists ${index} on ${H} (${sql.id(pk[1]!)}, ${sql.id(VALID_FROM)})`)
    }

    // The connection's own copy (columns and index) of the shared table (see `SqlDialect.temporaryScratchTables`).
    if (this.#temporaryStage) await exec(sql`create temp table if not exists ${sql.id(STAGE)} (like ${this.#driver.tableRef(STAGE)} including all) on commit delete rows`)
    await exec(sql`delete from ${S}`)
    // Keys alone (most rows: a re-pulled group's every member) go three parameters a row, so a
    // large group costs few statements; timed rows six.
    const keysOnly = this.#fill === undefined ? stage.filter((r) => r.at === undefined) : []
    if (this.#fill !== undefined) await this.#fill(tx, stage)
    for (let i = 0; i < keysOnly.length; i += KEY_ROWS_PER_STATEMENT) {
      const chunk = keysOnly.slice(i, i + KEY_ROWS_PER_STATEMENT)
      await exec(sql`insert into ${S} (kind, k1, k2) values ${sql.join(chunk.map((r) => sql`(${r.kind}, ${r.k1}, ${r.k2})`))}`)
    }
    const timed = this.#fill === undefined ? stage.filter((r) => r.at !== undefined) : []
    for (let i = 0; i < timed.length; i += TIMED_ROWS_PER_STATEMENT) {
      const chunk = timed.slice(i, i + TIMED_ROWS_PER_STATEMENT)
      const ts = (d: Date | undefined) => (d === undefined ? null : this.#types.tsParam(d))
      await exec(
        sql`insert into ${S} (kind, k1, k2, at_time, until_time, source) values ${sql.join(
          chunk.map((r) => sql`(${r.kind}, ${r.k1}, ${r.k2}, ${ts(r.at)}, ${ts(r.until)}, ${r.source ?? null})`),
        )}`,
      )
    }
    // Swept rows: the keys are the database's to find (every live row of a scope this load did not
    // write). The sweeps of one column go as one IN list (a batch of group members sweeps dozens
    // of groups), their close events one statement per time: the same rows as one statement per
    // sweep, without repeats (the steps below read the stage by distinct key, or by min/max time).
    const k2 = pk.length === 2 ? sql.id(pk[1]!) : sql`''`
    // Each scope's parents chunked by `statementChunks` (see sweepScopes); a whole-table scope is one statement.
    const swept = (scope: SweepScope<unknown>) => {
      const inScope = scope.column === undefined ? [sql``] : [...statementChunks(scope.values, SWEPT_PARENTS_PER_STATEMENT)].map((chunk) => sql` and ${sql.id(scope.column!)} in (${sql.join(chunk)})`)
      return inScope.map((where) => sql`from ${T} where ${sql.id(DELETED_AT)} = ${this.#types.tsParam(a.now)}${where}`)
    }
    for (const scope of sweepScopes(sweeps, () => 'all')) {
      for (const from of swept(scope)) await exec(sql`insert into ${S} (kind, k1, k2) select 'gone', ${sql.id(pk[0]!)}, ${k2} ${from}`)
    }
    for (const scope of sweepScopes(sweeps, (s) => s.at ?? null)) {
      for (const from of swept(scope)) await exec(sql`insert into ${S} (kind, k1, k2, at_time) select 'close', ${sql.id(pk[0]!)}, ${k2}, ${this.#types.tsParam(new Date(scope.group))} ${from}`)
    }

    if (this.#analyzeStage && (stage.length >= ANALYZE_FROM_ROWS || sweeps.length > 0)) await exec(sql`analyze ${S}`)
    // A history table a load is filling (a first load) looks as small to the planner as it was
    // when last analyzed, and the probes below then scan it once per key: told again each time it
    // has doubled (a few ANALYZEs a load, none on a nightly run), of the columns they filter by.
    const growth = this.#growth.get(twin.def.name) ?? { added: 0, analyzed: 0 }
    this.#growth.set(twin.def.name, growth)
    if (this.#analyzeStage && growth.added >= Math.max(REANALYZE_AFTER_ROWS, growth.analyzed)) {
      await exec(sql`analyze ${H} (${sql.join([...pk, VALID_TO].map((c) => sql.id(c)))})`)
      growth.analyzed += growth.added
      growth.added = 0
    }

    const notCompared = new Set([LOAD_ID, DELETED_AT, ...pk, ...spec.untracked])
    const compared = table.def.columns.filter((c) => !notCompared.has(c.name) && twin.byName.has(c.name)).map((c) => c.name)
    const changedAt = spec.changedAt !== undefined && table.byName.get(spec.changedAt)?.type === 'timestamp' ? spec.changedAt : undefined
    const unchanged = compared.length === 0 ? sql`` : sql` and not (${sql.join(compared.map((c) => sql`${id('t', c)} is distinct from ${id('h', c)}`), sql` or `)})`
    const liveRow = sql`exists (select 1 from ${T} as t where ${sameKey('t', 'h')} and t.${sql.id(DELETED_AT)} is null)`
    const from = (r: string) => id(r, VALID_FROM)

    // 0. Most written keys changed nothing (a re-pulled group's members, a re-pulled app's every
    // assignee): drop them first, one probe each, so that the steps below look only at what
    // changed. Kept: keys with no open interval, a changed row, or a removal since it opened. A
    // scalar subquery, not EXISTS: Postgres would flatten EXISTS into a join of the whole tables
    // (it cannot estimate the comparisons), where this stays one index probe per staged key.
    const same = await exec(sql`delete from ${S} as w where w.kind = 'written' and (
        select 1 from ${H} as h join ${T} as t on ${sameKey('t', 'h')}
        where ${staged('w', 'h', true)} and h.${sql.id(VALID_TO)} is null and t.${sql.id(DELETED_AT)} is null${unchanged}
          and not exists (select 1 from ${S} as c where c.kind = 'close' and ${staged('c', 'h', true)} and c.at_time > ${from('h')})
        limit 1) is not null`)
    if (this.#analyzeStage && same.affected >= ANALYZE_FROM_ROWS) await exec(sql`analyze ${S}`)

    // 1. Close. `reopened`: removed after the interval opened, then added again (exact-key events
    // both). A removal the row outlived with no add after it (log noise, or the add not logged
    // yet) reopens nothing, so a crashed and resumed load ends where an uninterrupted one does.
    const reopened = sql`(select min(s.at_time) from ${S} as s where s.kind = 'close' and ${staged('s', 'h', true)} and s.at_time > ${from('h')}
      and exists (select 1 from ${S} as o where o.kind = 'open' and o.k1 = s.k1 and o.k2 = s.k2 and o.at_time >= s.at_time))`
    const openEvent = sql`(select max(s.at_time) from ${S} as s where s.kind = 'open' and ${staged('s', 't', false)})`
    const own = changedAt === undefined ? sql`null` : id('t', changedAt)
    const nextStart = sql`(select case when ${openEvent} > ${from('h')} then ${openEvent} when ${own} > ${from('h')} then ${own} else ${L} end from ${T} as t where ${sameKey('t', 'h')})`
    const closeEvent = sql`(select min(s.at_time) from ${S} as s where s.kind = 'close' and ${staged('s', 'h', false)} and s.at_time > ${from('h')})`
    // Driven by the staged keys (UPDATE … FROM), so that only their rows are looked at. A written
    // row of a table whose every column is its key cannot have changed: there only the keys gone
    // and those with a removal event can close (a group's re-pulled members need no look).
    const closing = compared.length === 0 && changedAt === undefined ? sql`kind in ('gone', 'close')` : sql`kind in ('written', 'gone', 'close')`
    const closed = await exec(sql`update ${H} as h set ${sql.id(VALID_TO)} = case
        when ${reopened} is not null then ${reopened}
        when ${liveRow} then coalesce(${nextStart}, ${L})
        else coalesce(${closeEvent}, ${L}) end
      from (select distinct k1, k2 from ${S} where ${closing}) as sc
      where ${staged('sc', 'h', true)} and h.${sql.id(VALID_TO)} is null
        and (${reopened} is not null or not exists (select 1 from ${T} as t where ${sameKey('t', 'h')} and t.${sql.id(DELETED_AT)} is null${unchanged}))
      returning ${sql.join(pk.map((c) => sql.id(c)))}, case when ${sql.id(VALID_TO)} <= ${sql.id(VALID_FROM)} then 1 else 0 end as empty`)

    // 2. An interval that closed the instant it opened held nothing (and its start is the next
    // one's). The close reports which, so the common commit (none) costs no statement. (Unqualified:
    // SQLite's RETURNING takes no table alias.)
    const empty = closed.rows.filter((r) => Number(r['empty']) === 1).map((r) => pk.map((c) => r[c]))
    for (let i = 0; i < empty.length; i += KEYS_PER_DELETE) {
      const keys = sql.join(empty.slice(i, i + KEYS_PER_DELETE).map((k) => sql`(${sql.join(pk.map((c, j) => sql`${sql.id(c)} = ${k[j]}`), sql` and `)})`), sql` or `)
      await exec(sql`delete from ${H} where ${sql.id(VALID_TO)} <= ${sql.id(VALID_FROM)} and (${keys})`)
    }

    // 3. Intervals the log shows that began and ended before this load, where nothing known overlaps them.
    if (past.length > 0) {
      const keyCols = pk.map((c) => sql.id(c))
      const keyVals = pk.length === 2 ? sql`s.k1, s.k2` : sql`s.k1`
      const overlapKey = pk.length === 2 ? sql`h.${sql.id(pk[0]!)} = s.k1 and h.${sql.id(pk[1]!)} = s.k2` : sql`h.${sql.id(pk[0]!)} = s.k1`
      await exec(sql`insert into ${H} (${sql.join(keyCols)}, ${sql.id(LOAD_ID)}, ${sql.id(VALID_FROM)}, ${sql.id(VALID_TO)}, ${sql.id(VALID_SOURCE)})
        select ${keyVals}, ${batch.loadId}, s.at_time, s.until_time, s.source from ${S} as s
        where s.kind = 'past' and s.until_time > s.at_time
          and not exists (select 1 from ${H} as h where ${overlapKey} and h.${sql.id(VALID_FROM)} < s.until_time and (h.${sql.id(VALID_TO)} is null or h.${sql.id(VALID_TO)} > s.at_time))`)
    }

    // 4. Open. Candidates in order of precision, each only if it does not reach back into the key's
    // last interval. Each written key's latest add event and last interval end are computed once,
    // into its stage row, rather than as subqueries repeated in every branch below (DuckDB joins
    // whole tables for each). A new history table opens every live row of its table instead.
    let openAt: RawBuilder<unknown>
    let lastEnd: RawBuilder<unknown>
    if (seed) {
      openAt = openEvent
      lastEnd = sql`(select max(h2.${sql.id(VALID_TO)}) from ${H} as h2 where ${sameKey('h2', 't')})`
    } else {
      const openOf = pk.length === 2 ? sql`s.k1 = w.k1 and (s.k2 = w.k2 or s.k2 = '*')` : sql`s.k1 = w.k1`
      await exec(sql`update ${S} as w set
          at_time = (select max(s.at_time) from ${S} as s where s.kind = 'open' and ${openOf}),
          until_time = (select max(h2.${sql.id(VALID_TO)}) from ${H} as h2 where ${staged('w', 'h2', true)})
        where w.kind = 'written'`)
      openAt = id('sc', 'at_time')
      lastEnd = id('sc', 'until_time')
    }
    const fits = (v: RawBuilder<unknown>) => sql`${v} is not null and (${lastEnd} is null or ${v} >= ${lastEnd})`
    const start = sql`case when ${fits(openAt)} then ${openAt} when ${fits(own)} then ${own} when ${lastEnd} is null or ${L} >= ${lastEnd} then ${L} else ${lastEnd} end`
    const source = sql`case when ${fits(openAt)} then 'system_log' when ${fits(own)} then 'last_updated' else 'load' end`
    const copied = table.def.columns.filter((c) => twin.byName.has(c.name)).map((c) => c.name)
    const rows = seed ? sql`from ${T} as t` : sql`from ${S} as sc join ${T} as t on sc.kind = 'written' and ${staged('sc', 't', true)}`
    const opened = await exec(sql`insert into ${H} (${sql.join(copied.map((c) => sql.id(c)))}, ${sql.id(VALID_FROM)}, ${sql.id(VALID_TO)}, ${sql.id(VALID_SOURCE)})
      select ${sql.join(copied.map((c) => id('t', c)))}, ${start}, null, ${source} ${rows}
      where t.${sql.id(DELETED_AT)} is null and not exists (select 1 from ${H} as h where ${sameKey('h', 't')} and h.${sql.id(VALID_TO)} is null)`)
    growth.added += opened.affected
  }
}
