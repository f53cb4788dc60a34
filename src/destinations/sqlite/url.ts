import { UsageError } from '../../util/errors.ts'
import type { DestinationTarget } from '../dialect.ts'

export interface SqliteTarget extends DestinationTarget {
  kind: 'sqlite'
  path: string
}

/** `sqlite:PATH` (`sqlite:./okta.db`, `sqlite:/abs/okta.db`; `sqlite://PATH` is tolerated). */
export function parseSqliteUrl(url: string): SqliteTarget {
  let path = url.slice(url.indexOf(':') + 1)
  if (path.startsWith('//')) path = path.slice(2)
  const problem = sqlitePathProblem(path)
  if (problem !== null) throw new UsageError(`destination ${problem}`, 'ERR_DESTINATION_URL')
  return { kind: 'sqlite', path, displayName: `sqlite:${path}` }
}

/**
 * Why a `sqlite:` path cannot be a destination, or null:
 *  - empty: nothing to open (better-sqlite3 would make an anonymous temporary database);
 *  - `:memory:`: a run would "succeed" and keep nothing, since the database vanishes on close;
 *  - a query string: better-sqlite3 takes the path literally, so `q.db?mode=ro` would silently
 *    create a file of that name and ignore the option. No SQLite option is meaningful for a
 *    destination the pipeline writes, so every parameter is refused by name.
 */
export function sqlitePathProblem(path: string): string | null {
  const trimmed = path.trim()
  if (trimmed === '') return 'sqlite: needs a path to a file, e.g. sqlite:./okta.db'
  if (trimmed.toLowerCase().includes(':memory:')) {
    return `sqlite:${trimmed} keeps nothing (an in-memory database vanishes when the run ends): use a file path, e.g. sqlite:./okta.db`
  }
  const q = trimmed.indexOf('?')
  if (q >= 0) {
    const names = [...new URLSearchParams(trimmed.slice(q + 1)).keys()].filter((k) => k !== '')
    const what = names.length === 0 ? 'a query string' : `unknown parameter${names.length > 1 ? 's' : ''} ${names.map((n) => JSON.stringify(n.slice(0, 40))).join(', ')}`
    return `sqlite:${trimmed.slice(0, q)}: ${what}: a sqlite destination takes no query parameters (the path would be taken literally, "?" included)`
  }
  return null
}
