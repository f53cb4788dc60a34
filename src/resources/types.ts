import type { OktaClient } from '../okta/types.ts'
import type { DeclaredColumn, TableHints } from '../schema/types.ts'
import type { StateRow, StateWrite } from '../state/types.ts'
import type { Logger } from '../util/log.ts'

export const RESOURCE_NAMES = [
  'users', 'groups', 'group_users', 'apps', 'apps_assigned', 'system_log',
  'app_groups', 'user_roles', 'group_roles', 'user_factors', 'group_rules', 'user_types', 'user_schema',
] as const
export type ResourceName = (typeof RESOURCE_NAMES)[number]

/**
 * What a run loads unless told otherwise: every resource but `user_factors`, whose first load
 * costs one request per user (PRODUCT.md, Configuration).
 */
export const DEFAULT_RESOURCES: readonly ResourceName[] = RESOURCE_NAMES.filter((n) => n !== 'user_factors')

/**
 * Tables that keep a `<table>_history` twin unless the config's `history` says otherwise: the access
 * tables and `users` (PRODUCT.md, Configuration). Any resource's table may keep history but the
 * System Log's (its events never change).
 */
export const DEFAULT_HISTORY: readonly string[] = ['users', 'group_users', 'apps_assigned', 'app_groups', 'user_roles', 'group_roles']
export const HISTORY_CAPABLE: readonly string[] = RESOURCE_NAMES.filter((n) => n !== 'system_log')

/**
 * One resource, declared as data plus an `extract` built from a shared strategy.
 * The pipeline walks the registry (index.ts) with no per-resource logic.
 */
export interface ResourceDefinition {
  name: ResourceName
  /** Okta endpoint, e.g. `/api/v1/users` or `/api/v1/groups/{id}/users`. */
  endpoint: string
  /** How records map to the table (primary key, JSON-kept paths). */
  table: TableHints
  /** Child resources: the parent resource and the record path holding the parent id (e.g. ['group_id']). */
  parent?: { resource: ResourceName; keyPath: string[] }
  /**
   * Resources whose deleted records take rows of this one with them, and the record path holding
   * that record's id (e.g. `app_groups`: a deleted app by `app_id`, a deleted group by `group_id`).
   * The resource that learns of a deletion (the System Log) names only the deleted record; the
   * pipeline sweeps every resource that declares it here.
   */
  sweptBy?: { resource: ResourceName; keyPath: string[] }[]
  /** Resources that must finish before this one starts when both are selected. */
  runAfter?: ResourceName[]
  /** OAuth scopes the resource's requests need (a missing one fails this resource alone, naming it). */
  scopes: string[]
  /**
   * How to time this table's history (`<table>_history`, when the config's `history` names it):
   * the record's own change time and the System Log events that explain changes.
   */
  history?: HistoryDeclaration
  /** `merge` (upsert by primary key) or `append` (insert, dedupe by primary key). */
  writeMode: 'merge' | 'append'
  pageSize: number
  /** Human description of the cursor strategy (shown by `status` and docs). */
  cursorStrategy: string
  extract(ctx: ExtractContext): AsyncIterable<ExtractBatch>
  /**
   * For cursors that are a point in time moving toward "now" at a steady pace (the System Log's
   * events read up to): that time (ISO), read from a cursor this resource wrote. The live view
   * turns its progress into an ETA. Absent where the cursor says nothing about how much is left.
   */
  timePosition?(cursor: unknown): string | undefined
}

/** See `ResourceDefinition.history`. */
export interface HistoryDeclaration {
  /** Record path of the time Okta stamps on every change of a record (users, app users: `lastUpdated`). */
  changedAt?: string[]
  /** Record paths that move without being a change of the record (users' `lastLogin`): not compared, not a new version. */
  untracked?: string[][]
  /** System Log events that open or close this table's rows, matched by their targets. */
  events?: HistoryEvents
}

export interface HistoryEvents {
  /** A System Log filter matching every such event (one bounded query per run, on the logs bucket). */
  filter: string
  /**
   * What one event did: `open` (added, granted, updated) or `close` (removed, revoked) the row of
   * `key`, in primary-key order. A key of one part on a two-part table stands for every row of
   * that first part (a role granted to a user names the user, not the role).
   */
  effects(event: Record<string, unknown>): HistoryEffect[]
}

export interface HistoryEffect {
  kind: 'open' | 'close'
  key: string[]
}

export interface ExtractContext {
  client: OktaClient
  /** This resource's saved cursor rows (resource-level row has parentId ''). */
  state: StateRow[]
  /** Ignore cursors; pull everything and reconcile deletions by set difference. */
  fullRefresh: boolean
  /** Names of all resources selected for this run. */
  selected: readonly ResourceName[]
  options: ExtractOptions
  now: () => Date
  logger: Logger
  signal?: AbortSignal
}

export interface ExtractOptions {
  /** Users/groups: overlap subtracted from the watermark (search index is eventually consistent). Default 5 min. */
  lookbackMs: number
  /** System Log first run: how far back to start. Default 90 days (all that Okta retains). */
  systemLogStartMs: number
  /** Parallel child fetches (members per group, users per app). Default 4. */
  childConcurrency: number
}

/**
 * A unit the loader commits atomically: the rows of one page (or a few) together with the cursor
 * state that covers them, so that a crash between batches neither skips nor duplicates.
 */
export interface ExtractBatch {
  resource: ResourceName
  /** Okta JSON objects (child resources add their parent key, e.g. `{ group_id, user_id }`). */
  records: Record<string, unknown>[]
  /** Cursor state this batch advances to (committed with the rows). */
  state: StateWrite[]
  /**
   * Rows known gone, by primary-key values in `table.primaryKey` order; may target another resource
   * (log-driven deletes). `times`, aligned with `keys`: when each went (the event's `published`).
   */
  deletes?: { resource: ResourceName; keys: string[][]; times?: (string | undefined)[] }[]
  /**
   * After this batch's rows: mark every live row not written by this load as deleted, either for one
   * parent (`parentId`: per-parent replacement) or for the whole table (full listing / full refresh).
   */
  sweep?: { resource: ResourceName; parentId?: string }
  /**
   * Records known gone (e.g. a deleted group): every resource whose `sweptBy` names `resource`
   * marks its rows of that record deleted, in this batch's transaction.
   */
  cascades?: { resource: ResourceName; id: string; at?: string }[]
  /** Columns the source declares for this resource's table (users: the profile schema), created before their first value. */
  declaredColumns?: DeclaredColumn[]
}
