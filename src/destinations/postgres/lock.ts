import { createHash } from 'node:crypto'
import { sql } from 'kysely'
import type pg from 'pg'
import type { WriterLock } from '../dialect.ts'
import type { PostgresDriver } from './driver.ts'

/**
 * A session advisory lock keyed by the schema, held on its own connection: per database and
 * schema, released by the server the moment that session ends (the process died, the network
 * dropped), so a crashed run never blocks the next one.
 */
export class PostgresLock implements WriterLock {
  readonly #driver: PostgresDriver
  #client: pg.Client | null = null

  constructor(driver: PostgresDriver) {
    this.#driver = driver
  }

  get #key(): bigint {
    return createHash('sha256').update(`okta-elt:${this.#driver.schema}`).digest().readBigInt64BE(0)
  }

  async tryLock(owner: string): Promise<boolean> {
    if (this.#client === null) this.#client = await this.#driver.connect(`okta-elt lock ${owner}`)
    const r = await this.#client.query<{ ok: boolean }>('select pg_try_advisory_lock($1::bigint) as ok', [this.#key.toString()])
    return r.rows[0]?.ok === true
  }

  async release(): Promise<void> {
    const client = this.#client
    this.#client = null
    if (client === null) return
    try {
      await client.query('select pg_advisory_unlock($1::bigint)', [this.#key.toString()])
    } finally {
      await client.end().catch(() => {})
    }
  }

  /** The backend holding the advisory lock, as Postgres sees it. */
  async describe(recorded: string): Promise<string> {
    const key = BigInt.asUintN(64, this.#key)
    const { rows } = await sql<{ pid: number; application_name: string; client_addr: string | null }>`
      select a.pid, a.application_name, a.client_addr::text as client_addr
      from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and l.granted and l.objsubid = 1
        and l.classid = ${Number(key >> 32n)}::oid and l.objid = ${Number(key & 0xffffffffn)}::oid`.execute(this.#driver.kysely)
    const backend = rows[0]
    if (backend === undefined) return recorded
    return `${recorded}; Postgres backend ${backend.pid} "${backend.application_name}"${backend.client_addr === null ? '' : ` from ${backend.client_addr}`}`
  }
}
