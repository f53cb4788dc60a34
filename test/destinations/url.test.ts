import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openDestination, parseDestinationUrl } from '../../src/destinations/index.ts'
import { UsageError } from '../../src/util/errors.ts'
import { postgresUrl } from '../helpers/postgres.ts'

describe('destination URLs', () => {
  it.each([
    ['sqlite:./okta.db', { kind: 'sqlite', path: './okta.db', displayName: 'sqlite:./okta.db' }],
    ['sqlite:/var/lib/okta.db', { kind: 'sqlite', path: '/var/lib/okta.db' }],
    ['sqlite:///var/lib/okta.db', { kind: 'sqlite', path: '/var/lib/okta.db' }],
    ['postgres://u:p%40ss@db.example:5433/okta', { kind: 'postgres', schema: 'okta', displayName: 'postgres://u@db.example:5433/okta?schema=okta' }],
    ['postgresql://u:secret@h/db?schema=analytics&sslmode=require', { kind: 'postgres', schema: 'analytics', displayName: 'postgres://u@h/db?sslmode=require&schema=analytics' }],
    ['duckdb:./okta.duckdb', { kind: 'duckdb', path: './okta.duckdb', schema: 'main', displayName: 'duckdb:./okta.duckdb' }],
    ['duckdb:///var/lib/okta.duckdb?schema=okta', { kind: 'duckdb', path: '/var/lib/okta.duckdb', schema: 'okta', displayName: 'duckdb:/var/lib/okta.duckdb?schema=okta' }],
  ])('parses %s', (url, expected) => {
    expect(parseDestinationUrl(url)).toMatchObject(expected)
  })

  it('keeps driver options but not the schema in the connection string', () => {
    expect(parseDestinationUrl('postgres://u:secret@h:5432/db?schema=s1&sslmode=disable')).toMatchObject({
      kind: 'postgres',
      connectionString: 'postgres://u:secret@h:5432/db?sslmode=disable',
    })
  })

  it.each([
    'mysql://u:hunter2@h/db',
    'okta.db',
    'sqlite:',
    'sqlite::memory:',
    'sqlite:/p/q.db?mode=ro',
    'postgres://u:hunter2@[bad/db',
    'postgres://u:hunter2@h/db?schema=',
    'postgres://u:hunter2@h/db?schema=pg_catalog',
    'duckdb:',
    'duckdb::memory:',
    'duckdb:/p/q.duckdb?access_mode=read_only',
    'duckdb:/p/q.duckdb?schema=',
    'duckdb:/p/q.duckdb?schema=information_schema',
  ])('rejects %s as a usage error without the password', (url) => {
    let err: unknown
    try {
      openDestination(url)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(UsageError)
    expect((err as UsageError).exitCode).toBe(2)
    expect((err as Error).message).not.toContain('hunter2')
  })

  it('displayName hides the password', () => {
    const d = openDestination('postgres://alice:s3cr3t@localhost:5432/db')
    expect(d.displayName).toBe('postgres://alice@localhost:5432/db?schema=okta')
    expect(d.dialect).toBe('postgres')
    expect(d.capabilities.maxIdentifierBytes).toBe(63)
  })
})

describe('unreachable destinations', () => {
  it('postgres: one line, exit 2, no password', async () => {
    const d = openDestination('postgres://alice:s3cr3t@127.0.0.1:1/db?schema=x')
    const err = (await d.prepare().catch((e: unknown) => e)) as Error & { code: string; exitCode: number }
    expect(err.code).toBe('ERR_DESTINATION_UNREACHABLE')
    expect(err.exitCode).toBe(2)
    expect(err.message).not.toContain('s3cr3t')
    expect(err.message).toContain('postgres://alice@127.0.0.1:1/db?schema=x')
    expect(err.message.split('\n')).toHaveLength(1)
    await d.close()
  })

  it('postgres: wrong database name is unreachable too', async (ctx) => {
    const url = postgresUrl()
    if (url === null) return ctx.skip()
    const u = new URL(url)
    u.pathname = '/no_such_database_okta_elt'
    u.password = 'pw-should-not-leak'
    const d = openDestination(u.toString())
    const err = (await d.prepare().catch((e: unknown) => e)) as Error & { code: string }
    expect(err.code).toBe('ERR_DESTINATION_UNREACHABLE')
    expect(err.message).not.toContain('pw-should-not-leak')
  })

  it.each(['sqlite', 'duckdb'])('%s: a directory that does not exist', async (kind) => {
    const dir = mkdtempSync(join(tmpdir(), 'okta-elt-url-'))
    try {
      const d = openDestination(`${kind}:${join(dir, 'missing', 'okta.db')}`)
      const err = (await d.prepare().catch((e: unknown) => e)) as Error
      expect(err).toMatchObject({ code: 'ERR_DESTINATION_UNREACHABLE', exitCode: 2 })
      expect(err.message.split('\n')).toHaveLength(1)
      await d.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('duckdb: a file that is not a DuckDB database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'okta-elt-url-'))
    try {
      const file = join(dir, 'notes.txt')
      writeFileSync(file, 'not a database\n'.repeat(1000))
      const d = openDestination(`duckdb:${file}`)
      const err = (await d.prepare().catch((e: unknown) => e)) as Error
      expect(err).toMatchObject({ code: 'ERR_DESTINATION_UNREACHABLE', exitCode: 2 })
      expect(err.message).toContain('not a valid DuckDB database file')
      await d.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
