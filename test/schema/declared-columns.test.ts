import { describe, expect, it } from 'vitest'
import { Normalizer } from '../../src/schema/index.ts'
import type { TableHints } from '../../src/schema/index.ts'

const USERS: TableHints = { table: 'users', primaryKey: [['id']], jsonPaths: [['_links']] }
const normalizer = (): Normalizer => new Normalizer({ tables: [], maxIdentifierBytes: 63, maxColumns: 400 })
const typeOf = (n: Normalizer, column: string): string | undefined => n.tables().find((t) => t.name === 'users')?.columns.find((c) => c.name === column)?.type

describe('declared columns (the user profile schema typing users)', () => {
  it('creates each declared column with its type before any record holds a value, even in an empty batch', () => {
    const n = normalizer()
    const res = n.normalize({ ...USERS, declaredColumns: [{ path: ['profile', 'clearanceLevel'], type: 'bigint' }, { path: ['profile', 'fte'], type: 'double' }] }, [])
    expect(res.changes.map((c) => c.kind)).toEqual(['create_table'])
    expect(typeOf(n, 'profile__clearance_level')).toBe('bigint')
    expect(typeOf(n, 'profile__fte')).toBe('double')
    // A value of the declared type lands in that column; an integer in a double column stays a double.
    const rows = n.normalize(USERS, [{ id: 'u1', profile: { fte: 1, clearanceLevel: 3 } }])
    expect(rows.changes).toEqual([])
    expect(typeOf(n, 'profile__fte')).toBe('double')
  })

  it('widens an existing column to the declared type (never narrows), and a contradicting value widens as usual', () => {
    const n = normalizer()
    n.normalize(USERS, [{ id: 'u1', profile: { level: 2, code: 'x' } }])
    const res = n.normalize({ ...USERS, declaredColumns: [{ path: ['profile', 'level'], type: 'double' }, { path: ['profile', 'code'], type: 'bigint' }] }, [])
    expect(res.changes).toEqual([{ kind: 'widen_column', table: 'users', column: 'profile__level', from: 'bigint', to: 'double' }])
    expect(typeOf(n, 'profile__code')).toBe('text')
    n.normalize(USERS, [{ id: 'u2', profile: { level: 'senior' } }])
    expect(typeOf(n, 'profile__level')).toBe('text')
  })

  it('skips paths kept as JSON or beyond the flattening depth', () => {
    const n = normalizer()
    n.normalize({ ...USERS, declaredColumns: [{ path: ['_links', 'self'], type: 'text' }, { path: [], type: 'text' }] }, [])
    expect(n.tables().find((t) => t.name === 'users')?.columns.some((c) => c.path[0] === '_links')).toBe(false)
  })
})
