import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { driverReason } from '../errors.ts'
import { quoteIdent } from '../identifiers.ts'
import type { DestinationProbe } from '../probe.ts'

const CONNECT_TIMEOUT_MS = 5_000

/**
 * `check`'s preflight of a Postgres schema (see probe.ts): connects, and inside a transaction that
 * is rolled back does what a run's first step does (create the schema if missing, create a table
 * in it), so a read-only server, a read-only role or a missing privilege is reported with the
 * database's reason.
 */
export async function probePostgres(connectionString: string, schema: string): Promise<DestinationProbe> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, application_name: 'okta-elt check' })
  // A connection dropped mid-probe surfaces from the awaited query; without a listener it would crash the process.
  client.on('error', () => undefined)
  try {
    await client.connect()
  } catch (err) {
    await client.end().catch(() => undefined)
    return { writable: false, detail: `cannot connect: ${driverReason(err)}` }
  }
  try {
    const info = (
      await client.query<{ readonly: string; recovery: boolean; exists: boolean }>(
        `select current_setting('transaction_read_only') as readonly, pg_is_in_recovery() as recovery,
                exists (select 1 from pg_namespace where nspname = $1) as exists`,
        [schema],
      )
    ).rows[0]!
    if (info.recovery) return { writable: false, detail: 'the server is a read-only standby (pg_is_in_recovery)' }
    if (info.readonly === 'on') return { writable: false, detail: 'sessions are read-only (default_transaction_read_only = on)' }
    const probeTable = `_okta_elt_check_${randomBytes(4).toString('hex')}`
    await client.query('begin')
    try {
      // What the run's first step does (the run creates the schema unconditionally too).
      await client.query(`create schema if not exists ${quoteIdent(schema)}`)
      await client.query(`create table ${quoteIdent(schema)}.${quoteIdent(probeTable)} (x integer)`)
    } catch (err) {
      return { writable: false, detail: `cannot create tables in schema "${schema}": ${driverReason(err)}` }
    } finally {
      await client.query('rollback').catch(() => undefined)
    }
    return {
      writable: true,
      detail: info.exists ? `connected; schema "${schema}" exists and takes new tables` : `connected; schema "${schema}" does not exist yet, the first run creates it`,
    }
  } catch (err) {
    return { writable: false, detail: driverReason(err) }
  } finally {
    await client.end().catch(() => undefined)
  }
}
