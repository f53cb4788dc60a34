/**
 * Destinations the pipeline must not trust blindly (issue 13 §2-§4, issue 14 "status is
 * read-only"): URLs that would keep nothing or be misread, a file that disappears under a run, a
 * destination that refuses writes, a least-privilege Postgres role, and `status` never writing.
 * The CLI runs as a real subprocess, against the simulator and real SQLite files / Postgres.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimulator } from '../../src/simulator/index.ts'
import type { Simulator } from '../../src/simulator/types.ts'
import { sql } from 'kysely'
import pg from 'pg'
import { openDestination } from '../../src/destinations/index.ts'
import { dropSchema, postgresUrl, uniqueSchema, withSchema } from '../helpers/postgres.ts'
import { runCliProcess, startCli, tempDir, withReader } from './helpers.ts'

const TOKEN = 'desttrust-token-0a1b2c3d4e5f'
let sim: Simulator
let tmp: ReturnType<typeof tempDir>

beforeAll(async () => {
  sim = await startSimulator({ seed: 131, token: TOKEN, size: { users: 30, groups: 3, apps: 2, logEvents: 20, logDays: 2 } })
  tmp = tempDir()
})
afterAll(async () => {
  await sim?.close()
  tmp?.cleanup()
})

/** `okta-elt run [flags] --destination URL`; `lines` are stderr's lines, `last` the final one. */
async function runOnce(destination: string, flags: string[] = []) {
  const exit = await runCliProcess(['run', ...flags, '--destination', destination], {
    env: { OKTA_API_TOKEN: TOKEN, OKTA_ORG_URL: sim.url },
    cwd: tmp.dir,
  })
  const lines = exit.stderr.trimEnd().split('\n')
  return { ...exit, lines, last: lines.at(-1) ?? '' }
}

/** Whether this machine lets us set the immutable attribute (root on ext4/xfs/btrfs; not tmpfs or overlay). */
function chattrWorks(): boolean {
  const probe = tempDir()
  try {
    const f = probe.write('probe', '')
    execFileSync('chattr', ['+i', f], { stdio: 'ignore' })
    execFileSync('chattr', ['-i', f], { stdio: 'ignore' })
    return true
  } catch {
    return false
  } finally {
    probe.cleanup()
  }
}

describe('destination URLs that would keep nothing or be misread (exit 2, one line, nothing created)', () => {
  const cases: { url: (dir: string) => string; line: RegExp }[] = [
    { url: () => 'sqlite::memory:', line: /sqlite::memory: keeps nothing/ },
    { url: () => 'sqlite://:memory:', line: /keeps nothing/ },
    { url: () => 'sqlite::memory:?cache=shared', line: /keeps nothing/ },
    { url: () => 'sqlite:  ', line: /needs a path/ },
    { url: (dir) => `sqlite:${dir}/q.db?mode=ro`, line: /unknown parameter "mode".*no query parameters/ },
    { url: (dir) => `sqlite:${dir}/q2.db?mode=ro&cache=shared`, line: /unknown parameters "mode", "cache"/ },
    { url: () => `${postgresUrl() ?? 'postgres://u@127.0.0.1/db'}?schema=pg_catalog`, line: /\?schema=pg_catalog is a Postgres system schema/ },
    { url: () => 'postgres://u@127.0.0.1/db?schema=information_schema', line: /information_schema is a Postgres system schema/ },
    { url: () => 'postgres://u@127.0.0.1/db?schema=pg_toast', line: /system schema/ },
    { url: () => 'postgres://u@127.0.0.1/db?schema=pg_mine', line: /system schema/ },
  ]
  it.concurrent.for(cases)('$line', async (c, { expect }) => {
    const before = readdirSync(tmp.dir)
    const exit = await runOnce(c.url(tmp.dir))
    expect(exit.code, exit.stderr).toBe(2)
    expect(exit.lines, exit.stderr).toHaveLength(1)
    expect(exit.lines[0]).toMatch(/^okta-elt: --destination: /)
    expect(exit.lines[0]).toMatch(c.line)
    expect(readdirSync(tmp.dir)).toEqual(before)
  })

  it('a plain file path still works and creates only the file (+ WAL side files and lock)', async () => {
    const exit = await runOnce(`sqlite:${tmp.dir}/plain.db`)
    expect(exit.code, exit.stderr).toBe(0)
    expect(existsSync(`${tmp.dir}/plain.db`)).toBe(true)
  })
})

describe('a SQLite file that goes away mid-run is never reported as loaded', () => {
  /** Starts a run whose first users commit holds its transaction open, and acts on the file then. */
  async function runAndMeddle(name: string, meddle: (dir: string, file: string) => void) {
    const dir = join(tmp.dir, name)
    mkdirSync(dir)
    const file = join(dir, 'okta.db')
    const run = startCli(['run', '--destination', `sqlite:${file}`], {
      env: { OKTA_API_TOKEN: TOKEN, OKTA_ORG_URL: sim.url, OKTA_ELT_TEST_KILL_AT: 'users:1:stall:1500' },
      cwd: tmp.dir,
    })
    expect(await run.waitFor((l) => l.includes('holding the users batch 1 transaction open'))).not.toBeNull()
    meddle(dir, file)
    const exit = await run.done
    return { ...exit, last: exit.stderr.trimEnd().split('\n').at(-1) ?? '' }
  }

  it('its directory deleted: exit 1, the line names the file and says it is gone', async () => {
    const exit = await runAndMeddle('deleted', (dir) => rmSync(dir, { recursive: true, force: true }))
    expect(exit.code, exit.stderr).toBe(1)
    expect(exit.last).toMatch(/^okta-elt: run failed: users: sqlite:\S+deleted\/okta\.db is gone: the file was deleted \(or its directory removed\) during the run/)
    expect(exit.stdout).not.toMatch(/succeeded/)
  })

  it('the file replaced by another one: exit 1, "replaced"', async () => {
    const exit = await runAndMeddle('replaced', (_dir, file) => {
      renameSync(file, `${file}.moved`)
      writeFileSync(file, '')
    })
    expect(exit.code, exit.stderr).toBe(1)
    expect(exit.last).toMatch(/^okta-elt: run failed: users: sqlite:\S+okta\.db was replaced during the run/)
  })
})


/**
 * Tests run as root, for whom a 0444 mode or a 0555 directory does not stop writes; the immutable
 * attribute does (for root too), and `access(2)` reports it as EPERM. The EACCES wording (mode and
 * owner, for a non-root user) is not exercised here.
 */
describe.runIf(chattrWorks())('a SQLite destination that refuses writes (exit 2, one line naming the file)', () => {
  async function withImmutable(name: string, target: (dir: string, file: string) => string, fn: (file: string) => Promise<void>) {
    const dir = join(tmp.dir, name)
    mkdirSync(dir)
    const file = join(dir, 'okta.db')
    expect((await runOnce(`sqlite:${file}`)).code).toBe(0)
    const flagged = target(dir, file)
    execFileSync('chattr', ['+i', flagged])
    try {
      await fn(file)
    } finally {
      execFileSync('chattr', ['-i', flagged])
    }
  }

  it('an immutable database file', async () => {
    await withImmutable('immutable-file', (_d, f) => f, async (file) => {
      const exit = await runOnce(`sqlite:${file}`)
      expect(exit.code, exit.stderr).toBe(2)
      expect(exit.lines, exit.stderr).toHaveLength(1)
      expect(exit.lines[0]).toBe(`okta-elt: destination sqlite:${file} is not writable: ${file} is immutable or append-only (chattr +i / +a: see lsattr); okta-elt needs to read and write it`)
    })
  })

  it('a directory where SQLite cannot create its -wal file', async () => {
    await withImmutable('immutable-dir', (d) => d, async (file) => {
      const exit = await runOnce(`sqlite:${file}`)
      expect(exit.code, exit.stderr).toBe(2)
      expect(exit.lines, exit.stderr).toHaveLength(1)
      expect(exit.lines[0]).toMatch(/^okta-elt: destination sqlite:\S+ is not writable: the directory \S+immutable-dir is immutable or append-only .*okta\.db-wal and okta\.db-shm there/)
    })
  })
})

describe.runIf(chattrWorks())('a SQLite file that stops being writable mid-run', () => {
  it('fails with a line naming the file and why (exit 1), and the next run completes', async () => {
    const dir = join(tmp.dir, 'immutable-midrun')
    mkdirSync(dir)
    const file = join(dir, 'okta.db')
    const run = startCli(['run', '--destination', `sqlite:${file}`], {
      env: { OKTA_API_TOKEN: TOKEN, OKTA_ORG_URL: sim.url, OKTA_ELT_TEST_KILL_AT: 'users:1:stall:1500' },
      cwd: tmp.dir,
    })
    expect(await run.waitFor((l) => l.includes('holding the users batch 1 transaction open'))).not.toBeNull()
    // Writes through the handles SQLite already holds fail from now on (EPERM), like a read-only remount.
    execFileSync('chattr', ['+i', `${file}-wal`])
    let exit: Awaited<typeof run.done>
    try {
      exit = await run.done
    } finally {
      execFileSync('chattr', ['-i', `${file}-wal`])
    }
    expect(exit.code, exit.stderr).toBe(1)
    expect(exit.stderr).not.toMatch(/unexpected error/)
    const last = exit.stderr.trimEnd().split('\n').at(-1)!
    expect(last).toMatch(/^okta-elt: .*sqlite:\S+immutable-midrun\/okta\.db failed: disk I\/O error \(SQLITE_IOERR\w*\): \S+okta\.db-wal is immutable or append-only/)
    const again = await runOnce(`sqlite:${file}`)
    expect(again.code, again.stderr).toBe(0)
    expect(await withReader(`sqlite:${file}`, (r) => r.all('select count(*) as n from users'))).toEqual([{ n: 30n }])
  })
})

describe.runIf(postgresUrl() !== null)('a Postgres statement timeout (exit 1, names the destination, keeps what committed)', () => {
  const schemas: string[] = []
  afterAll(async () => {
    for (const s of schemas) await dropSchema(postgresUrl()!, s)
  })

  /** A loaded schema, a URL for it with a 1 s statement_timeout, and a session holding `table` locked. */
  async function lockedWhileRunning(table: string, fn: (url: string, plain: string) => Promise<void>, loaded?: (plain: string) => Promise<void>) {
    const schema = uniqueSchema('dt_timeout')
    schemas.push(schema)
    const plain = withSchema(postgresUrl()!, schema)
    expect((await runOnce(plain)).code).toBe(0)
    await loaded?.(plain)
    const u = new URL(plain)
    u.searchParams.set('options', '-c statement_timeout=1000')
    const blocker = new pg.Client({ connectionString: postgresUrl()! })
    await blocker.connect()
    try {
      await blocker.query('begin')
      await blocker.query(`lock table "${schema}"."${table}" in access exclusive mode`)
      await fn(u.toString(), plain)
    } finally {
      await blocker.query('rollback').catch(() => {})
      await blocker.end()
    }
  }

  it('during a commit: that resource fails with "statement timeout", the others load, committed rows stay', async () => {
    let plainUrl = ''
    let before: unknown
    await lockedWhileRunning('users', async (url, plain) => {
      plainUrl = plain
      const exit = await runOnce(url, ['--full-refresh'])
      expect(exit.code, exit.stderr).toBe(1)
      expect(exit.last).toMatch(/^okta-elt: run failed: users: commit of a users batch to postgres:\/\/\S+schema=dt_timeout_\w+ failed: statement timeout: the server cancelled a statement that ran longer than its statement_timeout .*ALTER ROLE/)
      expect(exit.last).not.toMatch(/more failed/)
    }, async (plain) => {
      before = await withReader(plain, (r) => r.all("select count(*) as n, string_agg(_load_id, ',' order by _load_id) as loads from users"))
    })
    // The lock released: the rows of the first run are all there, untouched by the failed commit.
    expect(await withReader(plainUrl, (r) => r.all("select count(*) as n, string_agg(_load_id, ',' order by _load_id) as loads from users"))).toEqual(before)
  })

  it('while preparing the destination: one line naming it, not "unexpected error"', async () => {
    await lockedWhileRunning('_okta_elt_columns', async (url) => {
      const exit = await runOnce(url)
      expect(exit.code, exit.stderr).toBe(1)
      expect(exit.lines, exit.stderr).toHaveLength(1)
      expect(exit.lines[0]).toMatch(/^okta-elt: cannot prepare destination postgres:\/\/\S+schema=dt_timeout_\w+: statement timeout: /)
    })
  })
})

/**
 * A DBA's least-privilege role: `USAGE, CREATE` on a schema made for it, nothing on the database
 * beyond PUBLIC's defaults (`CONNECT`, `TEMPORARY`). Today's code ran `CREATE SCHEMA IF NOT EXISTS`
 * unconditionally, which needs `CREATE` on the database even when the schema exists.
 */
describe.runIf(postgresUrl() !== null)('least privilege on Postgres', () => {
  const role = uniqueSchema('dt_role')
  const schema = uniqueSchema('dt_lp')
  let admin: pg.Client

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: postgresUrl()! })
    await admin.connect()
    const db = (await admin.query<{ db: string }>('select current_database() as db')).rows[0]!.db
    await admin.query(`create role "${role}" login`)
    await admin.query(`revoke create on database "${db}" from public`)
    await admin.query(`revoke all on database "${db}" from "${role}"`)
    await admin.query(`create schema "${schema}"`)
    await admin.query(`grant usage, create on schema "${schema}" to "${role}"`)
  })
  afterAll(async () => {
    await admin.query(`drop schema if exists "${schema}" cascade`)
    await admin.query(`drop owned by "${role}"`).catch(() => {})
    await admin.query(`drop role if exists "${role}"`)
    await admin.end()
  })

  function asRole(): string {
    const u = new URL(withSchema(postgresUrl()!, schema))
    u.username = role
    u.password = ''
    return u.toString()
  }

  it('a role with only USAGE, CREATE on a pre-created schema loads everything, twice', async () => {
    const first = await runOnce(asRole())
    expect(first.code, first.stderr).toBe(0)
    const second = await runOnce(asRole())
    expect(second.code, second.stderr).toBe(0)
    const [row] = (await admin.query<{ n: string; owner: string }>(`select count(*)::text as n, min(tableowner) as owner from pg_tables where schemaname = $1`, [schema])).rows
    expect(Number(row!.n)).toBeGreaterThanOrEqual(7)
    expect(row!.owner).toBe(role)
    const users = (await admin.query<{ n: string }>(`select count(*)::text as n from "${schema}".users`)).rows[0]!.n
    expect(Number(users)).toBe(30)
  })

  it('without CREATE on the database, a missing schema is one line naming the privilege (exit 2)', async () => {
    const u = new URL(asRole())
    u.searchParams.set('schema', `${schema}_missing`)
    const exit = await runOnce(u.toString())
    expect(exit.code, exit.stderr).toBe(2)
    expect(exit.lines, exit.stderr).toHaveLength(1)
    expect(exit.lines[0]).toMatch(/^okta-elt: destination postgres:\/\/\S+ is not writable: permission denied for database \w+: schema dt_lp_\w+_missing does not exist and this role may not create it; create it and GRANT USAGE, CREATE ON SCHEMA/)
  })
})

/** `okta-elt status` (no token needed) against a destination URL. */
async function status(destination: string) {
  const exit = await runCliProcess(['status', '--destination', destination], { env: {}, cwd: tmp.dir })
  return { ...exit, lines: exit.stderr.trimEnd().split('\n') }
}

describe('status is read-only', () => {
  it('SQLite: a missing file is one line (exit 2) and is not created', async () => {
    const file = join(tmp.dir, 'status-missing.db')
    const exit = await status(`sqlite:${file}`)
    expect(exit.code, exit.stderr).toBe(2)
    expect(exit.lines, exit.stderr).toHaveLength(1)
    expect(exit.lines[0]).toMatch(/no such (database|destination)/)
    expect(readdirSync(tmp.dir).filter((f) => f.startsWith('status-missing'))).toEqual([])
  })

  it('SQLite: a file without okta-elt tables is one line (exit 2) and stays untouched', async () => {
    const file = tmp.write('status-empty.db', '')
    const exit = await status(`sqlite:${file}`)
    expect(exit.code, exit.stderr).toBe(2)
    expect(exit.lines, exit.stderr).toHaveLength(1)
    expect(exit.lines[0]).toBe(`okta-elt: no such destination sqlite:${file}: it holds no okta-elt tables (run \`okta-elt run\` first, or check the destination)`)
    expect(readFileSync(file)).toHaveLength(0)
    expect(readdirSync(tmp.dir).filter((f) => f.startsWith('status-empty'))).toEqual(['status-empty.db'])
  })

  it.runIf(chattrWorks())('SQLite: status reads an immutable database', async () => {
    const dir = join(tmp.dir, 'status-immutable')
    mkdirSync(dir)
    const file = join(dir, 'okta.db')
    expect((await runOnce(`sqlite:${file}`)).code).toBe(0)
    execFileSync('chattr', ['+i', file])
    try {
      const exit = await status(`sqlite:${file}`)
      expect(exit.code, exit.stderr).toBe(0)
      expect(exit.stdout).toMatch(/users\s+30\b/)
    } finally {
      execFileSync('chattr', ['-i', file])
    }
  })

  describe.runIf(postgresUrl() !== null)('Postgres', () => {
    const schemas: string[] = []
    let admin: pg.Client
    beforeAll(async () => {
      admin = new pg.Client({ connectionString: postgresUrl()! })
      await admin.connect()
    })
    afterAll(async () => {
      for (const s of schemas) await admin.query(`drop schema if exists "${s}" cascade`)
      await admin.end()
    })
    const fresh = (): string => {
      const s = uniqueSchema('dt_status')
      schemas.push(s)
      return s
    }
    const tablesIn = async (schema: string): Promise<string[]> =>
      (await admin.query<{ t: string }>('select tablename as t from pg_tables where schemaname = $1 order by 1', [schema])).rows.map((r) => r.t)

    it('a schema that does not exist: one line (exit 2), and neither it nor any table is created', async () => {
      const schema = fresh()
      const exit = await status(withSchema(postgresUrl()!, schema))
      expect(exit.code, exit.stderr).toBe(2)
      expect(exit.lines, exit.stderr).toHaveLength(1)
      expect(exit.lines[0]).toMatch(new RegExp(`^okta-elt: no such destination postgres://\\S+schema=${schema}: schema ${schema} does not exist`))
      expect((await admin.query('select 1 from pg_namespace where nspname = $1', [schema])).rowCount).toBe(0)
    })

    it('an empty schema: one line (exit 2), no metadata tables created', async () => {
      const schema = fresh()
      await admin.query(`create schema "${schema}"`)
      const exit = await status(withSchema(postgresUrl()!, schema))
      expect(exit.code, exit.stderr).toBe(2)
      expect(exit.lines[0]).toMatch(/it holds no okta-elt tables/)
      expect(await tablesIn(schema)).toEqual([])
    })

    it('a loaded schema: status reads it, changes nothing, and its session refuses writes', async () => {
      const schema = fresh()
      const url = withSchema(postgresUrl()!, schema)
      expect((await runOnce(url)).code).toBe(0)
      const snapshot = async () => [await tablesIn(schema), (await admin.query(`select * from "${schema}"._okta_elt_lock`)).rows]
      const before = await snapshot()
      const exit = await status(url)
      expect(exit.code, exit.stderr).toBe(0)
      expect(exit.stdout).toMatch(/users\s+30\b/)
      expect(await snapshot()).toEqual(before)
      // The same read-only open, in process: a write through its connection is refused by Postgres.
      const dest = openDestination(url, { readOnly: true })
      try {
        await dest.prepare()
        await expect(sql`delete from users`.execute(dest.db)).rejects.toThrow(/read-only transaction/)
        await expect(dest.lock({ waitMs: 0, owner: 'x' })).rejects.toThrow(/read-only/)
      } finally {
        await dest.close()
      }
    })
  })
})

describe('backfill --from never creates its source', () => {
  it('a --from that does not exist is one line (exit 2); neither source nor target is created', async () => {
    const from = join(tmp.dir, 'backfill-typo.db')
    const to = join(tmp.dir, 'backfill-target.db')
    const exit = await runCliProcess(['backfill', '--from', `sqlite:${from}`, '--to', `sqlite:${to}`], { env: {}, cwd: tmp.dir })
    expect(exit.code, exit.stderr).toBe(2)
    const lines = exit.stderr.trimEnd().split('\n')
    expect(lines, exit.stderr).toHaveLength(1)
    expect(lines[0]).toMatch(/^okta-elt: no such destination sqlite:\S+backfill-typo\.db: the file does not exist/)
    expect(readdirSync(tmp.dir).filter((f) => f.startsWith('backfill-'))).toEqual([])
  })
})
