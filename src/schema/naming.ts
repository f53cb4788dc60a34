import { createHash } from 'node:crypto'

/**
 * Identifier rules shared by the normalizer and anyone who needs to predict a column or table name.
 *
 * Every name this module returns matches `^[a-z_][a-z0-9_]*$` and is at most `maxBytes` bytes, so it
 * is safe even unquoted (destinations quote it anyway). Rules:
 *  - snake_case: `lastUpdated` → `last_updated`, `userID` → `user_id`, `URL` → `url`,
 *    `HTTPSProxy` → `https_proxy`.
 *  - accents are transliterated (`prénom` → `prenom`); any other character outside [a-z0-9_]
 *    (spaces, quotes, `;`, `-`, emoji, CJK) becomes `_`, runs of `_` collapse to one, trailing `_`
 *    are dropped.
 *  - a leading `_` is kept when the key had one (`_links` → `_links`, `_embedded`), so Okta's
 *    meta objects stay recognisable; keys starting with a digit get a `_` prefix.
 *  - a key with nothing left (`""`, `--`, `🎉`, `名前`) becomes `k_<hash8>` of the raw key.
 *  - nesting joins segment names with `__` (`profile.firstName` → `profile__first_name`).
 *  - names longer than `maxBytes` keep a prefix and end in `_<hash8>` of the full name.
 *  - a name already taken in the table (another path, or a system column) gets `_2`, `_3`, … —
 *    the first path to claim a name keeps it forever, because the normalizer reads the
 *    path → name mapping back from the stored schema instead of recomputing it.
 */

/** Columns the pipeline owns. Data keys never get these names (they are de-collided instead). */
export const SYSTEM_COLUMNS = ['_load_id', '_deleted_at', '_parent_id', '_idx', '_overflow'] as const

/** Separator for nested paths in names. */
export const NEST_SEPARATOR = '__'

/** First 8 hex digits of the SHA-256 of `text`: short, deterministic, collision-unlikely. */
export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8)
}

const SAFE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/

/** One JSON key → one snake_case identifier segment (not yet shortened). */
export function snakeCase(key: string): string {
  // Fast path: most Okta keys are already simple lowercase words.
  if (SAFE.test(key)) return key
  let s = key.normalize('NFKD').replace(/\p{M}+/gu, '')
  s = s.replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2').replace(/([a-z0-9])([A-Z])/g, '$1_$2')
  s = s.toLowerCase().replace(/[^a-z0-9]+/g, '_')
  s = s.replace(/^_+/, '').replace(/_+$/, '')
  if (s === '') return `k_${shortHash(key)}`
  if (key.startsWith('_')) s = `_${s}`
  else if (s.charCodeAt(0) <= 57) s = `_${s}` // starts with a digit
  return s
}

/** A path of JSON keys → `a__b__c` (not yet shortened). */
export function pathToName(path: readonly string[]): string {
  return path.map(snakeCase).join(NEST_SEPARATOR)
}

/** Deterministically shortens `name` to `maxBytes` with a hash suffix of the full name. */
export function shortenIdentifier(name: string, maxBytes: number): string {
  // Names are ASCII by construction, so characters = bytes.
  if (name.length <= maxBytes) return name
  const hash = shortHash(name)
  return `${name.slice(0, Math.max(1, maxBytes - hash.length - 1)).replace(/_+$/, '')}_${hash}`
}

/** `base`, or the first of `base_2`, `base_3`, … (shortened to fit) that is not in `taken`. */
export function uniqueIdentifier(base: string, taken: ReadonlySet<string>, maxBytes: number): string {
  const first = shortenIdentifier(base, maxBytes)
  if (!taken.has(first)) return first
  for (let i = 2; ; i++) {
    const suffix = `_${i}`
    const candidate = first.length + suffix.length <= maxBytes ? first + suffix : first.slice(0, maxBytes - suffix.length) + suffix
    if (!taken.has(candidate)) return candidate
  }
}

/** The name a column for `path` gets in a table whose names are `taken`. */
export function columnNameFor(path: readonly string[], taken: ReadonlySet<string>, maxBytes: number): string {
  return uniqueIdentifier(pathToName(path), taken, maxBytes)
}

/** The name of the child table for the array at `path` of table `parent`. */
export function childTableNameFor(parent: string, path: readonly string[], taken: ReadonlySet<string>, maxBytes: number): string {
  return uniqueIdentifier(`${parent}${NEST_SEPARATOR}${pathToName(path)}`, taken, maxBytes)
}
