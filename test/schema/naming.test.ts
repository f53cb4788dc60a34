import { describe, expect, it } from 'vitest'
import { childTableNameFor, columnNameFor, pathToName, shortenIdentifier, snakeCase, uniqueIdentifier } from '../../src/schema/index.ts'

const SAFE = /^[a-z_][a-z0-9_]*$/

describe('snakeCase', () => {
  it.each([
    ['lastUpdated', 'last_updated'],
    ['hasAdminPrivlege', 'has_admin_privlege'],
    ['URL', 'url'],
    ['userID', 'user_id'],
    ['userId', 'user_id'],
    ['HTTPSProxy', 'https_proxy'],
    ['iOS', 'i_os'],
    ['os_platform', 'os_platform'],
    ['_links', '_links'],
    ['_embedded', '_embedded'],
    ['first name', 'first_name'],
    ['First-Name', 'first_name'],
    ['prénom', 'prenom'],
    ['Ünïcödé', 'unicode'],
    ['2fa', '_2fa'],
    ['sha256Hash', 'sha256_hash'],
    ['a  b', 'a_b'],
    ['trailing_', 'trailing'],
    ['x; DROP TABLE users; --', 'x_drop_table_users'],
    ["it's", 'it_s'],
    ['a"b', 'a_b'],
    ['🎉party', 'party'],
  ])('%j → %j', (key, expected) => {
    expect(snakeCase(key)).toBe(expected)
  })

  it.each(['', '--', '🎉', '名前', '"', ';', '_', '   '])('%j has nothing left: becomes k_<hash>, distinct per key', (key) => {
    const name = snakeCase(key)
    expect(name).toMatch(/^k_[0-9a-f]{8}$/)
    expect(snakeCase(key)).toBe(name) // deterministic
  })

  it('gives different keys with nothing left different names', () => {
    expect(new Set(['', '--', '🎉', '名前', '住所'].map(snakeCase)).size).toBe(5)
  })

  it('keeps every result to [a-z0-9_] for arbitrary unicode', () => {
    const keys = ['\u0000', '\u2028x', 'Ω≈ç√', 'ǅemal', 'ﬁle', 'ß', 'İstanbul', 'a\tb\nc', '${x}', '`x`', '[x]', 'x.y']
    for (const key of keys) expect(snakeCase(key)).toMatch(SAFE)
  })
})

describe('pathToName and shortening', () => {
  it('joins nested paths with __', () => {
    expect(pathToName(['profile', 'firstName'])).toBe('profile__first_name')
    expect(pathToName(['_embedded', 'stats', 'usersCount'])).toBe('_embedded__stats__users_count')
  })

  it.each([63, 30])('shortens deterministically to %d bytes with a hash suffix', (max) => {
    const long = 'a'.repeat(200)
    const s = shortenIdentifier(long, max)
    expect(s.length).toBeLessThanOrEqual(max)
    expect(s).toMatch(/_[0-9a-f]{8}$/)
    expect(shortenIdentifier(long, max)).toBe(s)
    expect(shortenIdentifier('b'.repeat(200), max)).not.toBe(s)
    expect(shortenIdentifier('short', max)).toBe('short')
  })

  it('de-collides with _2, _3, … and stays within the limit', () => {
    const taken = new Set(['first_name', 'first_name_2'])
    expect(uniqueIdentifier('first_name', taken, 63)).toBe('first_name_3')
    const long = 'x'.repeat(63)
    const t2 = new Set([long])
    const u = uniqueIdentifier(long, t2, 63)
    expect(u).toHaveLength(63)
    expect(u.endsWith('_2')).toBe(true)
  })

  it('names columns and child tables within the byte limit', () => {
    const path = ['profile', 'x'.repeat(1000)]
    const name = columnNameFor(path, new Set(), 63)
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(63)
    expect(name.startsWith('profile__xxx')).toBe(true)
    const table = childTableNameFor('system_log', ['target'], new Set(), 63)
    expect(table).toBe('system_log__target')
  })
})
