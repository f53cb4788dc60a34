/**
 * The bundled Okta simulator's public surface: what the CLI (`simulate`, `demo`), the tests and
 * the benchmarks use. A real HTTP server on loopback that behaves like Okta's Management API
 * (../shared/okta-api.md); this file is its contract, `server.ts` its implementation.
 */

/** Okta's rate-limit buckets: the client's vocabulary (src/okta/buckets.ts), shared by the simulator. */
export type { BucketName } from '../okta/buckets.ts'
import type { BucketName } from '../okta/buckets.ts'

export interface OrgSize {
  users: number
  groups: number
  /** Average group memberships per user (spread over groups, skewed like a real org). */
  membershipsPerUser: number
  apps: number
  /** Average app assignments per user. */
  assignmentsPerUser: number
  /** System Log events spread over `logDays` before the clock's start. */
  logEvents: number
  logDays: number
}

export interface SimulatorOptions {
  /** Deterministic generation seed. Default 1. */
  seed?: number
  size?: Partial<OrgSize>
  /** The SSWS API token accepted. Default: generated from the seed. */
  token?: string
  /** Extra SSWS tokens with restricted scopes (for 403 tests): token → granted scopes. */
  scopedTokens?: Record<string, string[]>
  /** OAuth service apps accepted by POST /oauth2/v1/token (private_key_jwt). */
  oauthClients?: OAuthClientRegistration[]
  /** Access-token lifetime in seconds. Default 3600. */
  accessTokenTtlSeconds?: number
  /** DPoP server behaviour (nonce rotation, a resource-side nonce); which apps require DPoP is `requireDpop`. */
  dpop?: DpopOptions
  host?: string
  /** Default 0 (any free port). */
  port?: number
  /** Org clock start (data timestamps, retention). Default: real now. */
  now?: Date
  /** Per-bucket per-minute limits as the headers report them. `false`/absent: unlimited (headers still sent). */
  rateLimits?: Partial<Record<BucketName, number>> | false
  /** Rate-limit window length in ms (Okta: 60000). Shorter windows scale a benchmark down in time. */
  rateLimitWindowMs?: number
  /** Concurrent in-flight request limit (Okta: 75). Default: none. */
  concurrencyLimit?: number
  /** Skew of the server's `Date` header and reset epoch relative to the local clock, ms. Default 0. */
  serverClockSkewMs?: number
  /** Added latency per request, ms. Default 0. */
  latencyMs?: number
}

/** The simulated authorization server's DPoP behaviour. */
export interface DpopOptions {
  /**
   * Rotate the server nonce this often (ms). The previous nonce stays good for one more lifetime
   * (requests in flight carry it); an older one is answered `use_dpop_nonce`. Default: never.
   */
  nonceLifetimeMs?: number
  /**
   * Resource requests must carry the current nonce too (RFC 9449 §9), answered 401
   * `WWW-Authenticate: DPoP error="use_dpop_nonce"` otherwise. Okta does not (yet) ask for one.
   */
  resourceNonce?: boolean
}

export interface OAuthClientRegistration {
  clientId: string
  /** Public key (PEM SPKI or JWK) the client assertion must verify against. */
  publicKey: string | JsonWebKeyLike
  keyId?: string
  /** Scopes granted to the app. */
  scopes: string[]
  /**
   * "Require Demonstrating Proof of Possession (DPoP) header in token requests"
   * (`dpop_bound_access_tokens`): a token request without a valid proof is refused, the nonce
   * handshake is enforced, and tokens are DPoP-bound. Default false.
   */
  requireDpop?: boolean
}

export interface JsonWebKeyLike {
  kty: string
  [k: string]: unknown
}

export interface Simulator {
  /** Base URL, e.g. `http://127.0.0.1:49152`. */
  readonly url: string
  /** The SSWS token accepted. */
  readonly token: string
  readonly clock: SimClock
  readonly org: OrgControl
  readonly faults: FaultControl
  /** Every request received, in arrival order (for assertions). */
  readonly requests: readonly RecordedRequest[]
  clearRequests(): void
  /** Change rate limits at runtime (resets windows). */
  setRateLimits(limits: Partial<Record<BucketName, number>> | false, windowMs?: number): void
  /** Invalidates every OAuth access token issued so far (the next API call with one gets 401 E0000011). */
  expireAccessTokens(): void
  /** A new DPoP nonce: the next proof with the old one is answered `use_dpop_nonce` (with the new one). */
  rotateDpopNonce(): void
  close(): Promise<void>
}

export interface RecordedRequest {
  method: string
  /** Path + query as received. */
  url: string
  path: string
  bucket: BucketName
  status: number
  /** Local time the request arrived (ms since epoch). */
  at: number
  /** What the fault injector did, if anything. */
  fault?: FaultKind
  /** The OAuth `error` of the answer (`use_dpop_nonce`, `invalid_dpop_proof`, …), if it was one. */
  oauthError?: string
}

export interface SimClock {
  now(): Date
  /** Moves the org clock forward. */
  advance(ms: number): void
  set(date: Date): void
  /** Stops the clock (at `at`, default now) so several mutations share one millisecond; `advance`/`set` still move it. */
  freeze(at?: Date): void
  /** Lets the frozen clock run on with real time from where it stands. */
  unfreeze(): void
}

export type UserStatus =
  | 'STAGED'
  | 'PROVISIONED'
  | 'ACTIVE'
  | 'RECOVERY'
  | 'LOCKED_OUT'
  | 'PASSWORD_EXPIRED'
  | 'SUSPENDED'
  | 'DEPROVISIONED'

/** Mutations stamp `lastUpdated` (or `lastMembershipUpdated`) with the clock and emit the matching System Log events. */
export interface OrgControl {
  counts(): { users: number; groups: number; memberships: number; apps: number; assignments: number; logEvents: number }
  /** The user as the API would return it (undefined when hard-deleted or unknown). */
  getUser(id: string): Record<string, unknown> | undefined
  /** Ids of users in generation order (including DEPROVISIONED, excluding hard-deleted). Lazy. */
  userIds(): Iterable<string>
  groupIds(): string[]
  appIds(): string[]
  groupMemberIds(groupId: string): string[]
  appAssigneeIds(appId: string): string[]

  createUser(profile?: Record<string, unknown>, status?: UserStatus): string
  updateUser(id: string, profilePatch: Record<string, unknown>): void
  setUserStatus(id: string, status: UserStatus): void
  /** Hard delete (Okta requires DEPROVISIONED first; the simulator deprovisions on the way). */
  deleteUser(id: string): void
  /** Adds a custom profile attribute to every user (value per user from `valueFor`). Does not bump lastUpdated unless `touch`. */
  addCustomAttribute(name: string, valueFor: (userId: string, index: number) => unknown, opts?: { touch?: boolean }): void
  /** Changes an attribute's values (e.g. integer → string) for the given users, bumping lastUpdated. */
  setAttribute(userIds: string[], name: string, valueFor: (userId: string) => unknown): void

  createGroup(name: string, type?: 'OKTA_GROUP' | 'APP_GROUP' | 'BUILT_IN'): string
  updateGroup(id: string, profilePatch: Record<string, unknown>): void
  deleteGroup(id: string): void
  addMember(groupId: string, userId: string): void
  removeMember(groupId: string, userId: string): void

  createApp(label: string, signOnMode?: string): string
  deleteApp(id: string): void
  assignUser(appId: string, userId: string, scope?: 'USER' | 'GROUP'): void
  unassignUser(appId: string, userId: string): void

  // Access graph (okta-api.md §8); each change logs its System Log event.
  assignGroupToApp(appId: string, groupId: string): void
  unassignGroupFromApp(appId: string, groupId: string): void
  /** Grants a standard role type (e.g. `READ_ONLY_ADMIN`) or `CUSTOM`; returns the assignment id. */
  grantUserRole(userId: string, type: string): string
  revokeUserRole(userId: string, roleId: string): void
  grantGroupRole(groupId: string, type: string): string
  revokeGroupRole(groupId: string, roleId: string): void
  /** Enrols an ACTIVE factor (`push`, `sms`, `token:software:totp`, `webauthn`, `email`, `question`); returns its id. */
  enrollFactor(userId: string, factorType: string): string
  resetFactor(userId: string, factorId: string): void
  resetAllFactors(userId: string): void
  /** Group rules: Okta logs no event for these edits. */
  createGroupRule(name: string, expression: string, groupIds: string[]): string
  updateGroupRule(id: string, patch: Partial<{ name: string; status: 'ACTIVE' | 'INACTIVE' | 'INVALID'; expression: string; groupIds: string[]; excludeUsers: string[] }>): void
  deleteGroupRule(id: string): void
  /** Declares a custom attribute in the user profile schema without giving any user a value. */
  declareCustomAttribute(name: string, attr: { type: 'string' | 'boolean' | 'number' | 'integer' | 'array'; title?: string; items?: { type: string } }): void
  /**
   * Removes a custom attribute from the user profile schema, and its values from every user.
   * Base attributes cannot go; neither can the ones every generated user holds (startDate…).
   */
  removeCustomAttribute(name: string): void
  /** User types (Okta logs no System Log event for type edits). Returns the new type's id (`oty…`). */
  createUserType(name: string, displayName: string, description?: string): string
  updateUserType(id: string, patch: Partial<{ displayName: string; description: string }>): void
  /** Okta refuses to delete the default type. */
  deleteUserType(id: string): void

  /**
   * Appends a System Log event. `published` defaults to the clock; an earlier `published` makes a
   * late event (persisted now, published in the past): polling still delivers it, in persistence order.
   */
  emitLogEvent(event: Partial<Record<string, unknown>> & { eventType: string }, opts?: { published?: Date }): string
}

export type FaultKind =
  | 'rate_limit' // 429 E0000047 with Remaining 0
  | 'concurrency' // 429 with X-Rate-Limit-Limit: 0
  | 'server_error' // 500 E0000009
  | 'bad_gateway' // 502
  | 'unavailable' // 503 E0000010
  | 'reset' // destroy the socket mid-response
  | 'hang' // never respond (until the client times out)
  | 'slow' // respond after `delayMs`
  | 'truncate' // send half of the JSON body, then end
  | 'shape' // mangle the page: an object field becomes a string, `profile` becomes a boolean

export interface FaultRule {
  kind: FaultKind
  /** Only requests whose path starts with this (or matches this RegExp). Default: all API requests. */
  path?: string | RegExp
  /** How many matching requests to affect. Default 1. Infinity for a storm. */
  times?: number
  /** Skip this many matching requests first. Default 0. */
  after?: number
  /** For `slow`. */
  delayMs?: number
}

export interface FaultControl {
  inject(rule: FaultRule): void
  clear(): void
}
