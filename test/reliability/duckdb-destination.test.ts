/**
 * DuckDB destination facts the shared suites do not reach: `status` is read-only on a DuckDB file
 * (never creates one, never writes one), a file that is not an okta-elt destination is one line,
 * `backfill --from` a DuckDB file that does not exist creates nothing, and a file deleted or
 * replaced mid-run is never reported as loaded. The CLI runs as a real subprocess against the
 * simulator and real DuckDB files.
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimulator } from '../../src/simulator/index.ts'
import type { Simulator } from '../../src/simulator/types.ts'
import type { TableDef } from '../../src/schema/types.ts'
import { commit, openPrepared } from '../destinations/destinations.ts'
import { runCliProcess, tempDir } from './helpers.ts'

let sim: Simulator
let tmp: ReturnType<typeof tempDir>

beforeAll(async () => {
  sim = await startSimulator({ seed: 77, size: { users: 30, groups: 3, apps: 2, logEvents: 20, logDays: 2 } })
  tmp = tempDir()
})
afterAll(async () => {
  await sim?.close()
  tmp?.cleanup()
})

async function cli(args: string[], env: Record<string, string> = {}) {
  const exit = await runCliProcess(args, { env, cwd: tmp.dir })
  return { ...exit, lines: exit.stderr.trimEnd().split('\n') }
}

const digest = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex')

describe('duckdb: status is read-only', () => {
  it('a missing file is one line (exit 2) and is not created', async () => {
    const exit = await cli(['status', '--destination', `duckdb:${join(tmp.dir, 'missing.duckdb')}`])
    expect(exit.code, exit.stderr).toBe(2)
    expect(exit.lines, exit.stderr).toHaveLength(1)
    expect(exit.lines[0]).toMatch(/no such (database|destination)/)
    expect(readdirSync(tmp.dir).filter((f) => f.startsWith('missing'))).toEqual([])
  })

  it('a DuckDB file without okta-elt tables is one line (exit 2) and stays byte for byte the same', async () => {
    const file = join(tmp.dir, 'foreign.duckdb')
    const instance = await DuckDBInstance.create(file)
    const conn = await instance.connect()
    await conn.run('CREATE TABLE theirs (x integer); INSERT INTO theirs VALUES (1); CHECKPOINT')
    conn.closeSync()
    instance.closeSync()
    const before = digest(file)
    const exit = await cli(['status', '--destination', `duckdb:${file}`])
    expect(exit.code, exit.stderr).toBe(2)
    expect(exit.lines).toEqual([`okta-elt: no such destination duckdb:${file}: it holds no okta-elt tables (run \`okta-elt run\` first, or check the destination)`])
    expect(digest(file)).toBe(before)
  })

  it('a loaded file: status reads it and changes nothing', async () => {
    const file = join(tmp.dir, 'loaded.duckdb')
    const run = await cli(['run', '--destination', `duckdb:${file}`], { OKTA_API_TOKEN: sim.token, OKTA_ORG_URL: sim.url })
    expect(run.code, run.stderr).toBe(0)
    const before = digest(file)
    const exit = await cli(['status', '--json', '--destination', `duckdb:${file}`])
    expect(exit.code, exit.stderr).toBe(0)
    const report = JSON.parse(exit.stdout) as { resources: { resource: string; rows: number }[] }
    expect(report.resources.find((r) => r.resource === 'users')?.rows).toBe(30)
    expect(digest(file)).toBe(before)
    expect(readdirSync(tmp.dir).filter((f) => f.startsWith('loaded'))).toEqual(['loaded.duckdb'])
  })
})

describe('duckdb: backfill --from never creates its source', () => {
  it('a --from that does not exist is one line (exit 2); neither source nor target is created', async () => {
    const exit = await cli(['backfill', '--from', `duckdb:${join(tmp.dir, 'typo.duckdb')}`, '--to', `duckdb:${join(tmp.dir, 'target.duckdb')}`])
    expect(exit.code, exit.stderr).toBe(2)
    expect(exit.lines, exit.stderr).toHaveLength(1)
    expect(exit.lines[0]).toMatch(/^okta-elt: no such destination duckdb:\S+typo\.duckdb: the file does not exist/)
    expect(readdirSync(tmp.dir).filter((f) => f.startsWith('typo') || f.startsWith('target'))).toEqual([])
  })
})

describe('duckdb: a file that goes away mid-run is never reported as loaded', () => {
  const table: TableDef = { name: 'users', primaryKey: ['id'], columns: [{ name: 'id', path: ['id'], type: 'text' }] }
  const write = (loadId: string, id: string) =>
    commit({ loadId, writes: [{ mode: 'merge', rows: { table: 'users', columns: ['id'], rows: [[id]] } }], counts: { rows: 1 } })

  for (const [what, remove] of [
    ['deleted', (file: string) => rmSync(file, { force: true })],
    ['replaced by another file', (file: string) => (writeFileSync(`${file}.other`, ''), renameSync(`${file}.other`, file))],
  ] as const) {
    it(`${what}: the next commit and the load's outcome fail with ERR_DESTINATION_GONE, one line`, async () => {
      const file = join(tmp.dir, `gone-${what.length}.duckdb`)
      const d = await openPrepared(`duckdb:${file}`)
      try {
        await d.lock({ waitMs: 0, owner: 'test' })
        await d.startLoad({ loadId: 'l1', runId: 'r1', resource: 'users', startedAt: new Date() })
        await d.commitBatch(commit({ loadId: 'l1', schemaChanges: [{ kind: 'create_table', table }] }))
        await d.commitBatch(write('l1', 'u1'))
        remove(file)
        const err = (await d.commitBatch(write('l1', 'u2')).catch((e: unknown) => e)) as Error & { code: string; exitCode: number }
        expect(err).toMatchObject({ code: 'ERR_DESTINATION_GONE', exitCode: 1 })
        expect(err.message).toContain(`duckdb:${file}`)
        expect(err.message.split('\n')).toHaveLength(1)
        await expect(d.finishLoad({ loadId: 'l1', status: 'succeeded', finishedAt: new Date() })).rejects.toMatchObject({ code: 'ERR_DESTINATION_GONE' })
      } finally {
        await d.close()
      }
    })
  }
})

describe('duckdb: rows of keys the table lacks are appended straight into it', () => {
  // The write path probes the batch's keys and appends (no stage, no ON CONFLICT) when none is
  // there: what it appends must be exactly what the merge would have left, in the transaction.
  const users: TableDef = {
    name: 'users',
    primaryKey: ['id'],
    columns: [
      { name: 'id', path: ['id'], type: 'text' },
      { name: 'n', path: ['n'], type: 'bigint' },
      { name: 'at', path: ['at'], type: 'timestamp' },
      { name: 'note', path: ['note'], type: 'text' },
    ],
  }
  const children: TableDef = {
    name: 'users__tags',
    parent: 'users',
    primaryKey: ['_parent_id', '_idx'],
    columns: [
      { name: '_parent_id', path: [], type: 'text' },
      { name: '_idx', path: [], type: 'bigint' },
      { name: 'tag', path: ['tag'], type: 'text' },
    ],
  }
  const read = async (d: Awaited<ReturnType<typeof openPrepared>>, table: string) =>
    (await d.readRows(table, { limit: 100 })).rows

  it('appends new keys, merges a key written earlier in the same commit, replaces children, and rolls back with the batch', async () => {
    let fail = false
    const d = await openPrepared(`duckdb:${join(tmp.dir, 'direct.duckdb')}`, { beforeCommit: () => { if (fail) throw new Error('injected') } })
    try {
      await d.commitBatch(commit({ schemaChanges: [{ kind: 'create_table', table: users }, { kind: 'create_table', table: children }] }))
      // A failed batch leaves no appended row behind.
      fail = true
      await expect(d.commitBatch(commit({ writes: [{ mode: 'merge', rows: { table: 'users', columns: ['id', 'n'], rows: [['u0', 1]] } }] }))).rejects.toThrow('injected')
      fail = false
      expect(await d.countRows()).toEqual([{ table: 'users', rows: 0, deleted: 0 }, { table: 'users__tags', rows: 0, deleted: 0 }])
      // Two writes of one table in one commit: the second carries u1 again (merged: absent columns cleared) and u3 (new).
      await d.commitBatch(commit({
        writes: [
          { mode: 'merge', rows: { table: 'users', columns: ['id', 'n', 'at', 'note'], rows: [['u1', 1, '2024-01-02T03:04:05.678Z', 'first'], ['u2', 2, null, 'x']] } },
          { mode: 'merge', rows: { table: 'users', columns: ['id', 'n'], rows: [['u1', 10], ['u3', 3]] } },
          { mode: 'merge', rows: { table: 'users__tags', columns: ['_parent_id', '_idx', 'tag'], rows: [['u1', 0, 'a'], ['u1', 1, 'b']], replaceChildrenOf: ['u1'] } },
        ],
      }))
      expect(await read(d, 'users')).toEqual([
        ['u1', 10, null, null, 'load-1', null],
        ['u2', 2, null, 'x', 'load-1', null],
        ['u3', 3, null, null, 'load-1', null],
      ])
      // The next load replaces u1's children (deleted, then appended under the same keys) and
      // writes a child of u2 whose parent it did not clear (probed: new, appended).
      await d.commitBatch(commit({
        loadId: 'load-2',
        writes: [
          { mode: 'merge', rows: { table: 'users__tags', columns: ['_parent_id', '_idx', 'tag'], rows: [['u1', 0, 'c']], replaceChildrenOf: ['u1'] } },
          { mode: 'merge', rows: { table: 'users__tags', columns: ['_parent_id', '_idx', 'tag'], rows: [['u2', 0, 'd']] } },
        ],
      }))
      expect(await read(d, 'users__tags')).toEqual([
        ['u1', 0, 'c', 'load-2', null],
        ['u2', 0, 'd', 'load-2', null],
      ])
      await d.commitBatch(commit({ loadId: 'load-3', writes: [{ mode: 'merge', rows: { table: 'users', columns: ['id', 'at'], rows: [['u4', '2024-05-06T07:08:09.000Z']] } }] }))
      expect((await read(d, 'users')).at(-1)).toEqual(['u4', null, '2024-05-06T07:08:09.000Z', null, 'load-3', null])
    } finally {
      await d.close()
    }
  })
})
