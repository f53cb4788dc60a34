import type { Generated } from 'kysely'

/**
 * Kysely types of the pipeline's metadata tables (created by migrations/, column types from each
 * dialect's driver). Timestamps are `timestamptz` on Postgres and DuckDB (Date out; Date or ISO
 * string in) and ISO-8601 TEXT on SQLite (string in, string out); JSON is `jsonb` on Postgres
 * (parsed by pg), `JSON` on DuckDB and TEXT on SQLite (text out: `SqlTypeMap.readJson` parses).
 */
type Timestamp = Date | string

export interface MetaDb {
  _okta_elt_loads: {
    load_id: string
    run_id: string
    resource: string
    status: string
    started_at: Timestamp
    finished_at: Timestamp | null
    rows: Generated<number | string>
    batches: Generated<number>
    error: string | null
  }
  _okta_elt_state: {
    resource: string
    parent_id: string
    cursor: unknown
    load_id: string
    updated_at: Timestamp
  }
  _okta_elt_columns: {
    table_name: string
    column_name: string
    path: string
    type: string
    parent_table: string | null
    table_path: string | null
    pk_ordinal: number | null
    ordinal: number
    added_at: Timestamp
    load_id: string
    updated_at: Timestamp
  }
  _okta_elt_schema_changes: {
    id: Generated<number | string>
    load_id: string
    changed_at: Timestamp
    kind: string
    table_name: string
    column_name: string | null
    from_type: string | null
    to_type: string | null
  }
  _okta_elt_lock: {
    name: string
    owner: string
    pid: number
    host: string
    acquired_at: Timestamp
  }
  _okta_elt_history_stage: {
    kind: string
    k1: string
    k2: string
    at_time: Timestamp | null
    until_time: Timestamp | null
    source: string | null
  }
}
