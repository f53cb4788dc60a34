/** Okta's rate-limit buckets as the client names them (the simulator uses the same names). */
export type BucketName =
  | 'users' // GET /api/v1/users (list)
  | 'user' // GET /api/v1/users/{id}
  | 'groups' // /api/v1/groups and /api/v1/groups/{id}/users (everything except /groups/{id})
  | 'group' // /api/v1/groups/{id}
  | 'apps' // /api/v1/apps and every /api/v1/apps/* (incl. /apps/{id}/users) — the small shared bucket
  | 'app' // /api/v1/apps/{id}
  | 'logs' // /api/v1/logs
  | 'token' // POST /oauth2/v1/token
  | 'default'

/**
 * Okta's rate-limit bucket for a request, named as in `BucketName`.
 * Only a label for pacing and counters: the limits themselves always come from the headers.
 */
export function bucketForPath(path: string): BucketName {
  const q = path.search(/[?#]/)
  const clean = (q === -1 ? path : path.slice(0, q)).replace(/\/+$/, '')
  const seg = clean.split('/').filter((s) => s.length > 0)
  if (seg[0] === 'oauth2') return seg.at(-1) === 'token' ? 'token' : 'default'
  if (seg[0] !== 'api' || seg[1] !== 'v1') return 'default'
  const [, , collection, id, sub] = seg
  switch (collection) {
    case 'users':
      // The list (and create) is `users`; one user and its sub-resources count against `user`.
      return id === undefined ? 'users' : 'user'
    case 'groups':
      // `/groups/{id}` alone has its own bucket; the list and `/groups/{id}/users` share `groups`.
      return id !== undefined && sub === undefined ? 'group' : 'groups'
    case 'apps':
      // Only one app itself (get/update/delete, Okta's table) is outside the small shared `/apps/*` bucket.
      return id !== undefined && sub === undefined ? 'app' : 'apps'
    case 'logs':
      return 'logs'
    default:
      return 'default'
  }
}
