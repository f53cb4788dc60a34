/**
 * A server that quotes the request's credential back (some proxies and broken load balancers
 * echo what they were sent, with or without the `SSWS ` / `Bearer ` / `DPoP ` prefix) must never
 * get that credential stored or printed. The real binary runs against small hostile servers of
 * our own; then every table of the destination (SQLite and Postgres), the SQLite files' raw
 * bytes (-wal and -shm included), and everything `run` (human, --verbose, --json), `status`
 * (which is not given the token) and `backfill --from` wrote or copied is scanned for every
 * secret of the run: the API token, the private key (PEM and its body), the client assertion,
 * the access token the server minted, the Postgres password. Not even a 12-character piece.
 */
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import Database from 'better-sqlite3'
import { exportPKCS8, generateKeyPair } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHostileServer, type HostileServer, type SeenRequest } from './hostile-server.ts'
import { destinationKinds, destinations, quoteIdent, runCliProcess, tempDir, withReader, type DestKind } from './helpers.ts'

const TOKEN = `00ECHO${randomBytes(18).toString('base64url')}`
const PG_PASSWORD = `pg-SECRET-${randomBytes(6).toString('hex')}`
const ACCESS_TOKEN = `opaque-at-${randomBytes(16).toString('hex')}`
let privatePem: string

/** Strips the scheme from an Authorization value: what a proxy that echoes "the credential" sends. */
const bare = (authorization: string): string => authorization.replace(/^\S+\s+/, '')

interface EchoCase {
  name: string
  auth: 'ssws' | 'oauth'
  respond: (req: SeenRequest) => { status: number; body: unknown }
  exit: number
}

/** The OAuth token endpoint of the hostile org: it mints an opaque access token (not a JWT, so only registration can catch it). */
function tokenEndpoint(req: SeenRequest): { status: number; body: unknown } | null {
  if (!req.path.startsWith('/oauth2/v1/token')) return null
  return { status: 200, body: { token_type: 'Bearer', access_token: ACCESS_TOKEN, expires_in: 3600, scope: 'okta.users.read okta.groups.read' } }
}

const CASES: EchoCase[] = [
  {
    name: '500 quoting the header with its SSWS prefix',
    auth: 'ssws',
    respond: (req) => ({ status: 500, body: { errorCode: 'E0000009', errorSummary: `Internal Server Error: upstream rejected Authorization: ${req.authorization}` } }),
    exit: 1,
  },
  {
    name: '400 quoting the bare token (in errorSummary and errorCode)',
    auth: 'ssws',
    respond: (req) => ({ status: 400, body: { errorCode: bare(req.authorization), errorSummary: `Bad credential ${bare(req.authorization)} for this proxy` } }),
    exit: 1,
  },
  {
    name: '401 quoting the token re-prefixed as DPoP',
    auth: 'ssws',
    respond: (req) => ({ status: 401, body: { errorCode: 'E0000011', errorSummary: `Invalid token provided: DPoP ${bare(req.authorization)}` } }),
    exit: 2,
  },
  {
    name: 'OAuth: 400 quoting the minted access token bare',
    auth: 'oauth',
    respond: (req) => tokenEndpoint(req) ?? { status: 400, body: { errorCode: 'E0000001', errorSummary: `token ${bare(req.authorization)} not valid here` } },
    exit: 1,
  },
  {
    name: 'OAuth: the token endpoint quoting the client assertion and the request body',
    auth: 'oauth',
    respond: (req) => {
      const assertion = new URLSearchParams(req.body).get('client_assertion') ?? ''
      return { status: 400, body: { error: 'invalid_client', error_description: `assertion ${assertion} rejected; you sent ${req.body}` } }
    },
    exit: 2,
  },
]

let tmp: ReturnType<typeof tempDir>
beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true })
  privatePem = await exportPKCS8(pair.privateKey)
  tmp = tempDir()
})
afterAll(() => tmp?.cleanup())

/** Every secret of a run, as the pieces to look for: 12-character windows (24 for the long key). */
function secretPieces(server: HostileServer): string[] {
  const assertions = server.seen.map((r) => new URLSearchParams(r.body).get('client_assertion')).filter((a): a is string => a !== null && a !== '')
  const short = [TOKEN, ACCESS_TOKEN, PG_PASSWORD, ...assertions]
  const body = privatePem.split('\n').filter((l) => !l.startsWith('-----')).join('')
  const pieces = new Set<string>()
  for (const s of short) for (let i = 0; i + 12 <= s.length; i++) pieces.add(s.slice(i, i + 12))
  for (let i = 0; i + 24 <= body.length; i += 8) pieces.add(body.slice(i, i + 24))
  return [...pieces]
}

function expectNoLeak(text: string, pieces: readonly string[], where: string): void {
  const found = pieces.find((p) => text.includes(p))
  expect(found, `${where} contains a piece of a secret: …${found}…`).toBeUndefined()
  expect(text, `${where} holds a PEM block`).not.toMatch(/PRIVATE KEY/)
}

/** Every row of every table of the destination, as text. */
async function dumpTables(kind: DestKind, url: string): Promise<{ text: string; errors: string[] }> {
  return withReader(url, async (r) => {
    const tables =
      kind === 'sqlite'
        ? (await r.all<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table'`)).map((t) => t.name)
        : (await r.all<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()`)).map((t) => t.name)
    expect(tables).toContain('_okta_elt_loads')
    const parts: string[] = []
    for (const t of tables) {
      const rows = await r.all(`SELECT * FROM ${quoteIdent(t)}`)
      parts.push(`${t}: ${JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`)
    }
    const errors = (await r.all<{ error: string | null }>('SELECT error FROM _okta_elt_loads')).map((l) => l.error ?? '')
    return { text: parts.join('\n'), errors }
  })
}

/** The raw bytes of a SQLite database and its sidecars (-wal, -shm, -journal, .lock). */
function sqliteFileBytes(url: string): string {
  const file = url.slice('sqlite:'.length)
  const dir = dirname(file)
  return readdirSync(dir)
    .filter((f) => f.startsWith(basename(file)))
    .map((f) => readFileSync(join(dir, f)).toString('latin1'))
    .join('\n')
}

function withPassword(url: string): string {
  const u = new URL(url)
  u.password = PG_PASSWORD
  return u.toString()
}

for (const kind of destinationKinds()) {
  describe(`a server echoing the credential → ${kind}: stored and printed nowhere`, () => {
    let dests: ReturnType<typeof destinations>
    beforeAll(() => {
      dests = destinations(kind)
    })
    afterAll(async () => {
      await dests?.cleanup()
    })

    // One at a time (each case is five CLI processes in a row), with room for a loaded machine.
    it.for(CASES)('$name', { timeout: 120_000 }, async (c, { expect }) => {
      const server = await startHostileServer(c.respond)
      try {
        // Postgres here uses trust authentication: the password is accepted and ignored, but it is a secret of the run all the same.
        const url = kind === 'postgres' ? withPassword(dests.fresh()) : dests.fresh()
        const copyUrl = kind === 'postgres' ? withPassword(dests.fresh()) : dests.fresh()
        const auth = c.auth === 'ssws' ? {} : { auth: { type: 'oauth', clientId: '0oaECHO', scopes: ['okta.users.read', 'okta.groups.read'] } }
        const config = tmp.write(`${kind}-${c.name.replace(/\W+/g, '-')}.json`, {
          okta: { orgUrl: server.url, maxRetries: 0, ...auth },
          destination: url,
          resources: ['users', 'groups'],
        })
        const env: Record<string, string> = c.auth === 'ssws' ? { OKTA_API_TOKEN: TOKEN } : { OKTA_PRIVATE_KEY: privatePem }

        const outputs: [string, string][] = []
        const cli = async (args: string[], e: Record<string, string>, code: number): Promise<void> => {
          const exit = await runCliProcess(['--config', config, ...args], { env: e, cwd: tmp.dir })
          expect(exit.code, `${args.join(' ')}: ${exit.stderr}`).toBe(code)
          outputs.push([`${args.join(' ')} stdout`, exit.stdout], [`${args.join(' ')} stderr`, exit.stderr])
        }
        await cli(['run', '--json'], env, c.exit)
        await cli(['--verbose', 'run'], env, c.exit)
        // status and backfill --from are not given the credentials: what they show comes from the tables.
        await cli(['status'], {}, 0)
        await cli(['status', '--json'], {}, 0)
        await cli(['backfill', '--from', url, '--to', copyUrl, '--json'], {}, 0)

        // The server did echo a credential, and the stored errors show where it was blanked.
        expect(server.seen.some((r) => r.authorization !== '' || r.body.includes('client_assertion'))).toBe(true)
        const pieces = secretPieces(server)
        for (const [where, text] of outputs) expectNoLeak(text, pieces, where)
        for (const target of [url, copyUrl]) {
          const { text, errors } = await dumpTables(kind, target)
          expect(errors.some((e) => e.includes('[redacted]')), errors.join('\n')).toBe(true)
          expectNoLeak(text, pieces, `the tables of ${target}`)
          if (kind === 'sqlite') expectNoLeak(sqliteFileBytes(target), pieces, `the files of ${target}`)
        }
      } finally {
        await server.close()
      }
    })

    it('a load error stored in clear (an older version, another writer): status and backfill --from never show or copy it', { timeout: 120_000 }, async () => {
      const server = await startHostileServer(() => ({ status: 400, body: { errorCode: 'E0000001', errorSummary: 'nothing to see' } }))
      try {
        const url = kind === 'postgres' ? withPassword(dests.fresh()) : dests.fresh()
        const copyUrl = kind === 'postgres' ? withPassword(dests.fresh()) : dests.fresh()
        const config = tmp.write(`${kind}-legacy.json`, { okta: { orgUrl: server.url, maxRetries: 0 }, destination: url, resources: ['users'] })
        const first = await runCliProcess(['--config', config, 'run'], { env: { OKTA_API_TOKEN: TOKEN }, cwd: tmp.dir })
        expect(first.code, first.stderr).toBe(1)
        const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJsZWdhY3ktdG9rZW4tb3duZXIifQ.bGVnYWN5LXNpZ25hdHVyZS12YWx1ZQ'
        const other = `00OTHER${randomBytes(12).toString('hex')}`
        const legacy = `legacy: Authorization: SSWS ${other}; Bearer ${jwt}; bare ${TOKEN}; ${privatePem.replaceAll('\n', ' ')}`
        await writeSql(kind, url, `UPDATE _okta_elt_loads SET error = '${legacy}'`)

        // Without the credentials: every credential-shaped string goes by pattern.
        const blind = await runCliProcess(['--config', config, 'status'], { cwd: tmp.dir })
        const blindJson = await runCliProcess(['--config', config, 'status', '--json'], { cwd: tmp.dir })
        for (const exit of [blind, blindJson]) {
          expect(exit.code, exit.stderr).toBe(0)
          expect(exit.stdout).toContain('legacy: Authorization: SSWS [redacted]')
          for (const secret of [other, jwt, 'PRIVATE KEY', privatePem.split('\n')[1]!]) expect(exit.stdout + exit.stderr).not.toContain(secret)
        }
        // With the configured token resolvable, the bare token too; and the copy carries none of it.
        const status = await runCliProcess(['--config', config, 'status', '--json'], { env: { OKTA_API_TOKEN: TOKEN }, cwd: tmp.dir })
        const copy = await runCliProcess(['--config', config, 'backfill', '--from', url, '--to', copyUrl], { env: { OKTA_API_TOKEN: TOKEN }, cwd: tmp.dir })
        expect(copy.code, copy.stderr).toBe(0)
        const pieces = [...secretPieces(server), other.slice(0, 12), jwt.slice(-12)]
        expectNoLeak(status.stdout + status.stderr + copy.stdout + copy.stderr, pieces, 'status and backfill')
        const { text, errors } = await dumpTables(kind, copyUrl)
        expect(errors.some((e) => e.startsWith('legacy: Authorization: SSWS [redacted]')), errors.join('\n')).toBe(true)
        expectNoLeak(text, pieces, 'the backfill copy')
        if (kind === 'sqlite') expectNoLeak(sqliteFileBytes(copyUrl), pieces, 'the files of the backfill copy')
      } finally {
        await server.close()
      }
    })
  })
}

/** Writes to a destination behind the pipeline's back (what an older version might have stored). */
async function writeSql(kind: DestKind, url: string, sql: string): Promise<void> {
  if (kind === 'sqlite') {
    const db = new Database(url.slice('sqlite:'.length))
    db.exec(sql)
    db.close()
    return
  }
  await withReader(url, (r) => r.all(sql))
}
