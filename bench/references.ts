/**
 * The two references the pipeline is measured against, on the same pages of the same simulator:
 *
 * - `rawLoad`: the raw limit. Bare undici + JSON.parse, the flat mapper, and the fastest bare bulk
 *   path (SQLite: one reused prepared statement per table in 10k-row transactions; Postgres: COPY
 *   into typed tables; DuckDB: its appender straight into typed tables, one connection per table).
 *   Same endpoints, page sizes and 4 requests in flight as okta-elt; no cursor,
 *   no schema evolution, no retries, no rate-limit pacing.
 * - `tutorialLoad`: what a blog post would write. Global fetch page by page, one INSERT per row
 *   with autocommit (SQLite with default pragmas; DuckDB one prepared statement), users only,
 *   stopped after a sample.
 */
import { DuckDBInstance, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api'
import Database from 'better-sqlite3'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { Pool } from 'undici'
import { copyLine, flatten, pgType, quoteIdent, shapeOf, sqliteValues, type FlatShape } from './flat-mapper.ts'

export interface ReferenceResult {
  rows: Record<string, number>
  /** Per table: ms from its first request to its last write. */
  durations: Record<string, number>
  requests: number
  durationMs: number
}

export type Target = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string; schema: string } | { kind: 'duckdb'; file: string }

const USERS_QUERY = `search=${encodeURIComponent('lastUpdated gt "1970-01-01T00:00:00.000Z"')}&sortBy=lastUpdated&sortOrder=asc&limit=200`
const KEEP_JSON: Record<string, ReadonlySet<string>> = {
  users: new Set(['_links', '_embedded']),
  groups: new Set(['_links']),
  group_users: new Set(),
  apps: new Set(['_links', 'settings']),
  apps_assigned: new Set(['_links', '_embedded', 'profile']),
  system_log: new Set(['debugContext']),
}
/** The same primary keys as okta-elt's tables: a load that can be merged into must have them. */
const PRIMARY_KEYS: Record<string, readonly string[]> = {
  users: ['id'],
  groups: ['id'],
  group_users: ['group_id', 'user_id'],
  apps: ['id'],
  apps_assigned: ['app_id', 'user_id'],
  system_log: ['uuid'],
}
const FLUSH_ROWS = 10_000

function primaryKey(table: string): string {
  return `, PRIMARY KEY (${PRIMARY_KEYS[table]!.map(quoteIdent).join(', ')})`
}

/** Bulk writer for one table. */
interface TableSink {
  write(rows: Record<string, unknown>[]): Promise<void>
  finish(): Promise<void>
}

function nextLink(link: string | string[] | undefined): string | null {
  const s = Array.isArray(link) ? link.join(', ') : link ?? ''
  const m = /<([^>]+)>;\s*rel="next"/.exec(s)
  return m ? m[1]! : null
}

class Limit {
  #free: number
  #queue: Array<() => void> = []
  constructor(n: number) {
    this.#free = n
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--
    else await new Promise<void>((resolve) => this.#queue.push(resolve))
    try {
      return await fn()
    } finally {
      const next = this.#queue.shift()
      if (next) next()
      else this.#free++
    }
  }
}

export async function rawLoad(args: { url: string; token: string; target: Target; logSince: string; resources?: readonly string[] }): Promise<ReferenceResult> {
  const wanted = (name: string): boolean => args.resources === undefined || args.resources.includes(name)
  const started = performance.now()
  const pool = new Pool(args.url, { connections: 4 })
  const limit = new Limit(4)
  const origin = new URL(args.url)
  let requests = 0
  const get = (pathOrUrl: string): Promise<{ items: Record<string, unknown>[]; next: string | null }> =>
    limit.run(async () => {
      const path = pathOrUrl.startsWith('http') ? pathOrUrl.slice(origin.origin.length) : pathOrUrl
      requests++
      const res = await pool.request({ path, method: 'GET', headers: { authorization: `SSWS ${args.token}`, accept: 'application/json' } })
      const text = await res.body.text()
      if (res.statusCode !== 200) throw new Error(`raw: ${res.statusCode} on ${path}: ${text.slice(0, 200)}`)
      return { items: JSON.parse(text) as Record<string, unknown>[], next: nextLink(res.headers['link']) }
    })

  const sinks = await openSinks(args.target)
  const rows: Record<string, number> = {}
  const durations: Record<string, number> = {}
  const t0: Record<string, number> = {}

  async function pages(table: string, first: string, onPage?: (items: Record<string, unknown>[]) => void, stopShort?: number, mapRecord?: (r: Record<string, unknown>) => Record<string, unknown>): Promise<void> {
    t0[table] ??= performance.now()
    const sink = sinks.table(table)
    let url: string | null = first
    while (url !== null) {
      const page: { items: Record<string, unknown>[]; next: string | null } = await get(url)
      onPage?.(page.items)
      const keep = KEEP_JSON[table]!
      const flat = page.items.map((r) => flatten(mapRecord ? mapRecord(r) : r, keep))
      rows[table] = (rows[table] ?? 0) + flat.length
      await sink.write(flat)
      url = stopShort !== undefined && page.items.length < stopShort ? null : page.next
    }
  }

  async function children(table: string, parents: string[], path: (id: string) => string, map: (id: string, r: Record<string, unknown>) => Record<string, unknown>): Promise<void> {
    t0[table] ??= performance.now()
    let i = 0
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (i < parents.length) {
          const id = parents[i++]!
          await pages(table, path(id), undefined, undefined, (r) => map(id, r))
        }
      }),
    )
  }

  const ids = (into: string[]) => (items: Record<string, unknown>[]) => {
    for (const r of items) into.push(r['id'] as string)
  }
  const done = (table: string) => () => {
    durations[table] = performance.now() - (t0[table] ?? started)
  }

  const groupIds: string[] = []
  const appIds: string[] = []
  await Promise.all([
    !wanted('users') ? null : pages('users', `/api/v1/users?${USERS_QUERY}`).then(() => sinks.table('users').finish()).then(done('users')),
    !wanted('groups') ? null : pages('groups', '/api/v1/groups?expand=stats&limit=200', ids(groupIds))
      .then(() => sinks.table('groups').finish())
      .then(done('groups'))
      .then(() => children('group_users', groupIds, (id) => `/api/v1/groups/${id}/users?limit=1000`, (g, u) => ({ group_id: g, user_id: u['id'] })))
      .then(() => sinks.table('group_users').finish())
      .then(done('group_users')),
    !wanted('apps') ? null : pages('apps', '/api/v1/apps?limit=200', ids(appIds))
      .then(() => sinks.table('apps').finish())
      .then(done('apps'))
      .then(() =>
        children('apps_assigned', appIds, (id) => `/api/v1/apps/${id}/users?limit=500`, (a, u) => {
          const { id, ...rest } = u
          return { app_id: a, user_id: id, ...rest }
        }),
      )
      .then(() => sinks.table('apps_assigned').finish())
      .then(done('apps_assigned')),
    !wanted('system_log') ? null : pages('system_log', `/api/v1/logs?since=${encodeURIComponent(args.logSince)}&limit=1000&sortOrder=ASCENDING`, undefined, 1000)
      .then(() => sinks.table('system_log').finish())
      .then(done('system_log')),
  ])
  await sinks.close()
  await pool.close()
  return { rows, durations, requests, durationMs: performance.now() - started }
}

interface Sinks {
  table(name: string): TableSink
  close(): Promise<void>
}

async function openSinks(target: Target): Promise<Sinks> {
  return target.kind === 'sqlite' ? sqliteSinks(target.file) : target.kind === 'duckdb' ? duckdbSinks(target.file) : postgresSinks(target.url, target.schema)
}

export function duckdbType(kind: FlatShape['kinds'][number]): string {
  return { text: 'varchar', number: 'double', boolean: 'boolean', timestamp: 'timestamptz', json: 'json' }[kind]
}

/**
 * DuckDB's fastest bulk path: its appender (columnar chunks, no SQL per row) straight into typed
 * tables with the same primary keys, one connection per table, flushed every 10k rows. Timestamps
 * go in as ISO text, which the appender casts to TIMESTAMPTZ in C++.
 */
async function duckdbSinks(file: string): Promise<Sinks> {
  // The same settings as okta-elt's DuckDB destination (src/destinations/duckdb/instances.ts): only the code path differs.
  const instance = await DuckDBInstance.create(file, { checkpoint_threshold: '256MB' })
  const sinks = new Map<string, TableSink>()
  const connections: DuckDBConnection[] = []
  return {
    table(name) {
      let sink = sinks.get(name)
      if (!sink) {
        let shape: FlatShape | null = null
        let appender: DuckDBAppender | null = null
        let buffer: Record<string, unknown>[] = []
        // Serialized: the child tables' four fetchers write concurrently, and the first flush creates the table.
        let chain: Promise<void> = Promise.resolve()
        const flush = (): Promise<void> => {
          if (buffer.length === 0) return chain
          const rows = buffer
          buffer = []
          chain = chain.then(() => append(rows))
          return chain
        }
        const append = async (rows: Record<string, unknown>[]): Promise<void> => {
          if (shape === null) {
            shape = shapeOf(rows.slice(0, 1000))
            const conn = await instance.connect()
            connections.push(conn)
            await conn.run(`CREATE TABLE ${quoteIdent(name)} (${shape.columns.map((c, i) => `${quoteIdent(c)} ${duckdbType(shape!.kinds[i]!)}`).join(', ')}${primaryKey(name)})`)
            appender = await conn.createAppender(name)
          }
          const { columns, kinds } = shape
          const a = appender!
          for (const row of rows) {
            for (let i = 0; i < columns.length; i++) {
              const v = row[columns[i]!]
              if (v === undefined || v === null) a.appendNull()
              else if (typeof v === 'object') a.appendVarchar(JSON.stringify(v))
              else if (kinds[i] === 'number' && typeof v === 'number') a.appendDouble(v)
              else if (kinds[i] === 'boolean' && typeof v === 'boolean') a.appendBoolean(v)
              else a.appendVarchar(String(v))
            }
            a.endRow()
          }
          a.flushSync()
        }
        sink = {
          async write(rows) {
            for (const r of rows) buffer.push(r)
            if (buffer.length >= FLUSH_ROWS) await flush()
          },
          async finish() {
            await flush()
            appender?.closeSync()
            appender = null
          },
        }
        sinks.set(name, sink)
      }
      return sink
    },
    async close() {
      for (const c of connections) c.closeSync()
      instance.closeSync()
    },
  }
}

function sqliteSinks(file: string): Sinks {
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  // The same settings as okta-elt's SQLite destination: only the code path differs.
  db.pragma('wal_autocheckpoint = 16384')
  const sinks = new Map<string, TableSink>()
  return {
    table(name) {
      let sink = sinks.get(name)
      if (!sink) {
        let shape: FlatShape | null = null
        let insert: Database.Statement | null = null
        let buffer: Record<string, unknown>[] = []
        const flush = (): void => {
          if (buffer.length === 0) return
          if (shape === null) {
            shape = shapeOf(buffer.slice(0, 1000))
            db.exec(`CREATE TABLE ${quoteIdent(name)} (${shape.columns.map(quoteIdent).join(', ')}${primaryKey(name)})`)
            insert = db.prepare(`INSERT INTO ${quoteIdent(name)} VALUES (${shape.columns.map(() => '?').join(', ')})`)
          }
          const s = shape
          const stmt = insert!
          const rows = buffer
          buffer = []
          db.transaction(() => {
            for (const row of rows) stmt.run(sqliteValues(row, s))
          })()
        }
        sink = {
          async write(rows) {
            for (const r of rows) buffer.push(r)
            if (buffer.length >= FLUSH_ROWS) flush()
          },
          async finish() {
            flush()
          },
        }
        sinks.set(name, sink)
      }
      return sink
    },
    async close() {
      db.close()
    },
  }
}

async function postgresSinks(url: string, schema: string): Promise<Sinks> {
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  await admin.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`)
  await admin.end()
  const sinks = new Map<string, TableSink>()
  const clients: pg.Client[] = []
  return {
    table(name) {
      let sink = sinks.get(name)
      if (!sink) {
        const client = new pg.Client({ connectionString: url })
        clients.push(client)
        const connected = client.connect()
        let shape: FlatShape | null = null
        let buffer: Record<string, unknown>[] = []
        let chain: Promise<void> = connected.then(() => undefined)
        const flush = (): Promise<void> => {
          if (buffer.length === 0) return chain
          const rows = buffer
          buffer = []
          chain = chain.then(async () => {
            const table = `${quoteIdent(schema)}.${quoteIdent(name)}`
            if (shape === null) {
              shape = shapeOf(rows.slice(0, 1000))
              await client.query(`CREATE TABLE ${table} (${shape.columns.map((c, i) => `${quoteIdent(c)} ${pgType(shape!.kinds[i]!)}`).join(', ')}${primaryKey(name)})`)
            }
            const s = shape
            const stream = client.query(copyFrom(`COPY ${table} FROM STDIN`))
            await new Promise<void>((resolve, reject) => {
              stream.on('error', reject)
              stream.on('finish', resolve)
              let chunk = ''
              for (const row of rows) {
                chunk += copyLine(row, s)
                if (chunk.length > 1 << 20) {
                  stream.write(chunk)
                  chunk = ''
                }
              }
              stream.end(chunk)
            })
          })
          return chain
        }
        sink = {
          async write(rows) {
            for (const r of rows) buffer.push(r)
            // Let the COPY of one flush overlap the fetching of the next pages: wait only when a
            // second flush would queue behind it.
            if (buffer.length >= FLUSH_ROWS) await flush()
          },
          finish: () => flush(),
        }
        sinks.set(name, sink)
      }
      return sink
    },
    async close() {
      await Promise.all(clients.map((c) => c.end()))
    },
  }
}

/** The tutorial loop: global fetch page by page, one autocommitted INSERT per row, users only. */
export async function tutorialLoad(args: { url: string; token: string; target: Target; sampleUsers: number }): Promise<ReferenceResult> {
  const started = performance.now()
  let next: string | null = `${args.url}/api/v1/users?${USERS_QUERY}`
  let loaded = 0
  let requests = 0
  let insert: ((row: Record<string, unknown>) => Promise<void>) | null = null
  let close: () => Promise<void> = async () => undefined
  const keep = KEEP_JSON['users']!
  while (next !== null && loaded < args.sampleUsers) {
    const res: Response = await fetch(next, { headers: { Authorization: `SSWS ${args.token}`, Accept: 'application/json' } })
    requests++
    const users = (await res.json()) as Record<string, unknown>[]
    const flat = users.map((u) => flatten(u, keep))
    if (insert === null) {
      const shape = shapeOf(flat)
      if (args.target.kind === 'duckdb') {
        const instance = await DuckDBInstance.create(args.target.file)
        const conn = await instance.connect()
        await conn.run(`CREATE TABLE users (${shape.columns.map((c, i) => `${quoteIdent(c)} ${duckdbType(shape.kinds[i]!)}`).join(', ')}${primaryKey('users')})`)
        const stmt = await conn.prepare(`INSERT INTO users VALUES (${shape.columns.map(() => '?').join(', ')})`)
        insert = async (row) => {
          stmt.bind(shape.columns.map((c) => {
            const v = row[c]
            return v === undefined || v === null ? null : typeof v === 'object' ? JSON.stringify(v) : (v as string | number | boolean)
          }) as never)
          await stmt.run()
        }
        close = async () => {
          conn.closeSync()
          instance.closeSync()
        }
      } else if (args.target.kind === 'sqlite') {
        const db = new Database(args.target.file)
        db.exec(`CREATE TABLE users (${shape.columns.map(quoteIdent).join(', ')}${primaryKey('users')})`)
        const stmt = db.prepare(`INSERT INTO users VALUES (${shape.columns.map(() => '?').join(', ')})`)
        insert = async (row) => {
          stmt.run(sqliteValues(row, shape))
        }
        close = async () => {
          db.close()
        }
      } else {
        const client = new pg.Client({ connectionString: args.target.url })
        await client.connect()
        const table = `${quoteIdent(args.target.schema)}.users`
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(args.target.schema)}`)
        await client.query(`CREATE TABLE ${table} (${shape.columns.map((c, i) => `${quoteIdent(c)} ${pgType(shape.kinds[i]!)}`).join(', ')}${primaryKey('users')})`)
        const sql = `INSERT INTO ${table} VALUES (${shape.columns.map((_, i) => `$${i + 1}`).join(', ')})`
        insert = async (row) => {
          await client.query(sql, shape.columns.map((c) => {
            const v = row[c]
            return v !== null && typeof v === 'object' ? JSON.stringify(v) : v ?? null
          }))
        }
        close = () => client.end()
      }
    }
    for (const row of flat) {
      await insert(row)
      loaded++
    }
    next = nextLink(res.headers.get('link') ?? undefined)
  }
  await close()
  const durationMs = performance.now() - started
  return { rows: { users: loaded }, durations: { users: durationMs }, requests, durationMs }
}

/**
 * The backfill reference when pgloader is not installed: what pgloader does, bare. Every table of
 * a SQLite file into a Postgres schema, 4 tables at once (largest first), one connection per
 * table: better-sqlite3 iterating raw rows → COPY text → pg-copy-streams, the primary key added
 * after the data (as pgloader builds its indexes after its COPY). Declared types mapped as
 * pgloader maps them (INTEGER → bigint, REAL → double precision, the rest text: SQLite's text
 * timestamps stay text). No verification, no cursor semantics, no transaction across tables.
 */
export async function rawCopy(args: { file: string; url: string; schema: string; concurrency?: number }): Promise<{ rows: Record<string, number>; durationMs: number }> {
  const started = performance.now()
  const db = new Database(args.file, { readonly: true })
  const tables = (db.prepare(`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`).all() as { name: string }[]).map((t) => {
    const info = db.prepare(`select name, type, pk from pragma_table_info(?)`).all(t.name) as { name: string; type: string; pk: number }[]
    const count = (db.prepare(`select count(*) as n from ${quoteIdent(t.name)}`).get() as { n: number }).n
    return { name: t.name, info, count }
  })
  tables.sort((a, b) => b.count - a.count)
  const admin = new pg.Client({ connectionString: args.url })
  await admin.connect()
  await admin.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(args.schema)}`)
  await admin.end()
  const rows: Record<string, number> = {}
  const pgTypeOf = (declared: string): string => (/INT/i.test(declared) ? 'bigint' : /REAL|FLOA|DOUB/i.test(declared) ? 'double precision' : 'text')
  let next = 0
  await Promise.all(
    Array.from({ length: args.concurrency ?? 4 }, async () => {
      const client = new pg.Client({ connectionString: args.url })
      await client.connect()
      // A connection of its own: better-sqlite3 runs nothing else on a connection mid-iteration.
      const source = new Database(args.file, { readonly: true })
      try {
        while (next < tables.length) {
          const t = tables[next++]!
          const ref = `${quoteIdent(args.schema)}.${quoteIdent(t.name)}`
          await client.query(`CREATE TABLE ${ref} (${t.info.map((c) => `${quoteIdent(c.name)} ${pgTypeOf(c.type)}`).join(', ')})`)
          const stream = client.query(copyFrom(`COPY ${ref} FROM STDIN`))
          const done = new Promise<void>((resolve, reject) => {
            stream.on('error', reject)
            stream.on('finish', resolve)
          })
          let n = 0
          let chunk = ''
          for (const row of source.prepare(`select * from ${quoteIdent(t.name)}`).raw(true).iterate() as IterableIterator<unknown[]>) {
            for (let i = 0; i < row.length; i++) {
              if (i > 0) chunk += '\t'
              const v = row[i]
              if (v === null || v === undefined) chunk += '\\N'
              else {
                const s = String(v)
                chunk += /[\\\t\n\r]/.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : s
              }
            }
            chunk += '\n'
            n++
            if (chunk.length > 1 << 20) {
              const ok = stream.write(chunk)
              chunk = ''
              // Yield to the other tables' connections (and respect backpressure).
              await (ok ? new Promise<void>((r) => setImmediate(r)) : new Promise<void>((r) => stream.once('drain', () => r())))
            }
          }
          stream.end(chunk)
          await done
          const pk = t.info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk)
          if (pk.length > 0) await client.query(`ALTER TABLE ${ref} ADD PRIMARY KEY (${pk.map((c) => quoteIdent(c.name)).join(', ')})`)
          rows[t.name] = n
        }
      } finally {
        source.close()
        await client.end()
      }
    }),
  )
  db.close()
  return { rows, durationMs: performance.now() - started }
}
