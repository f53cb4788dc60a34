import type { OrgStore } from './org-store.ts'

/** What a route handler gets: the org, the request's base URL, path and query. */
export interface RouteContext {
  store: OrgStore
  /** `http://host:port` as the client addressed us (links are built on it). */
  base: string
  /** Path + query as received. */
  rawUrl: string
  path: string
  query: URLSearchParams
}
