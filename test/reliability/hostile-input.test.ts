/**
 * Hostile profile attributes from Okta: names and values built to break SQL (quotes, semicolons,
 * comments, unicode, a 1,000-character name, colliding names, a 100 KB value, integers beyond
 * int64, 2,000 distinct custom attributes). They must land safely and be queryable with their
 * exact values, and nothing in them may execute (a sentinel table survives).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pg from 'pg'
import Database from 'better-sqlite3'
import { defaultPipelineConfig } from '../../src/pipeline/defaults.ts'
import { runPipeline } from '../../src/pipeline/run.ts'
import { startSimulator } from '../../src/simulator/index.ts'
import type { Simulator } from '../../src/simulator/types.ts'
import { destinationKinds, destinations, quoteIdent, withReader, type DestKind } from './helpers.ts'

/** Node 21+: `JSON.stringify` emits the text verbatim (lib.es2024 typings lack it). */
const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON

const INJECTION = `'); DROP TABLE sentinel; --`
const LONG_NAME = `${'x'.repeat(500)}${'名'.repeat(100)}${'y'.repeat(399)}!`
const BIG_VALUE = Array.from({ length: 100_000 / 20 }, (_, i) => `${String(i).padStart(8, '0')}-'";--\\🙂`.slice(0, 20)).join('')

/** Attribute name → value for every user (`JSON.rawJSON`: digits sent verbatim, beyond what a double holds). */
const HOSTILE: [name: string, value: unknown, expected: string][] = [
  [`Robert${INJECTION}`, `x${INJECTION} "quoted" \\ back`, `x${INJECTION} "quoted" \\ back`],
  ['a"b`c\'d;e--f/*g*/h', 'semi;colon -- dash /* c */', 'semi;colon -- dash /* c */'],
  ['名前🙂ünïcødé', 'Ωmega 🙂 \u202e rtl\ttab\nnewline', 'Ωmega 🙂 \u202e rtl\ttab\nnewline'],
  [LONG_NAME, 'long name', 'long name'],
  // Names that snake_case to the same identifier as each other and as a standard attribute.
  ['FIRST NAME', 'collides 1', 'collides 1'],
  ['first_name', 'collides 2', 'collides 2'],
  ['bigValue', BIG_VALUE, BIG_VALUE],
  ['beyondInt64', rawJSON('123456789012345678901234567890'), '123456789012345678901234567890'],
  ['int64PlusOne', rawJSON('9223372036854775808'), '9223372036854775808'],
  ['int64Min', rawJSON('-9223372036854775808'), '-9223372036854775808'],
  ['beyondDouble', rawJSON('9007199254740993'), '9007199254740993'],
  // Postgres text cannot hold NUL at all: the one documented lossy case (NUL → U+FFFD there).
  ['nul\u0000InName', 'before\u0000after', 'before\u0000after'],
]
const CUSTOM = 2000

let sim: Simulator
let userIds: string[]

beforeAll(async () => {
  sim = await startSimulator({ seed: 41, size: { users: 25, groups: 2, apps: 1, logEvents: 5, logDays: 1 } })
  userIds = [...sim.org.userIds()]
  for (const [name, value] of HOSTILE) sim.org.addCustomAttribute(name, () => value, { touch: true })
  for (let i = 0; i < CUSTOM; i++) sim.org.addCustomAttribute(`custom${i}`, (_id, index) => `v${i}-${index}`)
})
afterAll(async () => {
  await sim?.close()
})

/** Creates a sentinel table next to where the pipeline will write (the schema, on Postgres). */
async function plantSentinel(kind: DestKind, url: string): Promise<void> {
  if (kind === 'duckdb') {
    await withReader(url, (r) => r.all('CREATE TABLE sentinel (x integer); INSERT INTO sentinel VALUES (42)'))
    return
  }
  if (kind === 'sqlite') {
    const db = new Database(url.slice('sqlite:'.length))
    db.exec('CREATE TABLE sentinel (x integer); INSERT INTO sentinel VALUES (42)')
    db.close()
    return
  }
  const u = new URL(url)
  const schema = u.searchParams.get('schema')!
  u.search = ''
  const client = new pg.Client({ connectionString: u.toString() })
  await client.connect()
  await client.query(`CREATE SCHEMA ${quoteIdent(schema)}; CREATE TABLE ${quoteIdent(schema)}.sentinel (x integer); INSERT INTO ${quoteIdent(schema)}.sentinel VALUES (42)`)
  await client.end()
}

for (const kind of destinationKinds()) {
  describe(`hostile profile attributes → ${kind}`, () => {
    let dests: ReturnType<typeof destinations>
    beforeAll(() => {
      dests = destinations(kind)
    })
    afterAll(async () => {
      await dests?.cleanup()
    })

    it('land safely and queryably with exact values; nothing executes', async () => {
      const url = dests.fresh()
      await plantSentinel(kind, url)
      const config = { ...defaultPipelineConfig({ orgUrl: sim.url, auth: { type: 'ssws', token: sim.token }, destination: url }), resources: ['users' as const] }
      const summary = await runPipeline({ config })
      expect(summary.resources[0]!.error).toBeUndefined()
      expect(summary.status).toBe('succeeded')

      await withReader(url, async (r) => {
        expect(await r.all('SELECT x FROM sentinel')).toEqual([{ x: kind === 'sqlite' ? 42n : 42 }])
        const columns = await r.all<{ column_name: string; path: string; type: string }>(
          `SELECT column_name, path, type FROM _okta_elt_columns WHERE table_name = 'users'`,
        )
        const byPath = new Map(columns.map((c) => [c.path, c]))
        // Every value read back as text exactly as the database holds it: no driver number rounding.
        const asText = (col: string) => (kind === 'sqlite' ? `CAST(${quoteIdent(col)} AS TEXT)` : `${quoteIdent(col)}::text`)
        const user = userIds[7]!
        const index = 7

        for (const [name, , expected] of HOSTILE) {
          const col = byPath.get(JSON.stringify(['profile', name]))
          expect(col, `a column for ${name.slice(0, 40)}`).toBeDefined()
          expect(Buffer.byteLength(col!.column_name)).toBeLessThanOrEqual(63)
          const [row] = await r.all<{ v: string }>(`SELECT ${asText(col!.column_name)} AS v FROM users WHERE id = $1`.replace('$1', kind === 'postgres' ? '$1' : '?'), [user])
          // Integers beyond int64 cannot be a bigint column: they live in a text (or json) column, digits intact.
          const exact = kind === 'postgres' ? expected.replaceAll('\u0000', '\uFFFD') : expected
          expect(row!.v, name.slice(0, 40)).toBe(col!.type === 'json' ? JSON.stringify(exact) : exact)
        }
        // The standard attribute the collisions imitate is untouched.
        const first = byPath.get(JSON.stringify(['profile', 'firstName']))!
        expect(first.column_name).toBe('profile__first_name')
        expect(new Set(columns.map((c) => c.column_name)).size).toBe(columns.length)

        // 2,000 custom attributes: each a column, or (past the column limit) a key of `_overflow`.
        const [full] = await r.all<Record<string, unknown>>(`SELECT * FROM users WHERE id = ${kind === 'postgres' ? '$1' : '?'}`, [user])
        const overflowText = full!['_overflow']
        const overflow = (typeof overflowText === 'string' ? JSON.parse(overflowText) : {}) as { profile?: Record<string, unknown> }
        let inColumns = 0
        let inOverflow = 0
        for (let i = 0; i < CUSTOM; i++) {
          const expected = `v${i}-${index}`
          const col = byPath.get(JSON.stringify(['profile', `custom${i}`]))
          if (col !== undefined) {
            expect(full![col.column_name]).toBe(expected)
            inColumns++
          } else {
            expect(overflow.profile?.[`custom${i}`], `custom${i}`).toBe(expected)
            inOverflow++
          }
        }
        expect(inColumns + inOverflow).toBe(CUSTOM)
        expect(inOverflow).toBeGreaterThan(0)
        // Queryable with plain SQL on the overflow column too.
        const lastKey = `custom${CUSTOM - 1}`
        const viaSql =
          kind === 'sqlite'
            ? await r.all<{ v: string }>(`SELECT json_extract(_overflow, '$.profile.${lastKey}') AS v FROM users WHERE id = ?`, [user])
            : kind === 'duckdb'
              ? await r.all<{ v: string }>(`SELECT _overflow->>'$.profile.${lastKey}' AS v FROM users WHERE id = ?`, [user])
              : await r.all<{ v: string }>(`SELECT _overflow->'profile'->>'${lastKey}' AS v FROM users WHERE id = $1`, [user])
        expect(viaSql[0]!.v).toBe(`v${CUSTOM - 1}-${index}`)
      })

      // A second run over the same schema (columns known now) changes nothing and still succeeds.
      const again = await runPipeline({ config, fullRefresh: true })
      expect(again.status).toBe('succeeded')
      expect(again.schemaChanges).toEqual([])
    })
  })
}
