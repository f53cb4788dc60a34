/**
 * The README's example queries on DuckDB: every ```sql block that is a query (SELECTs only) and
 * not marked `-- sqlite only` runs as written against the demo org copied into DuckDB with
 * `okta-elt backfill`, and returns rows. The one rewrite the README's Destinations section
 * documents is applied: jsonb's containment `col @> 'json'` is DuckDB's `json_contains(col, 'json')`.
 * (test/e2e/readme-sql.test.ts does the same for SQLite and Postgres.)
 */
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { query } from '../helpers/query.ts'
import { expectExit, okta, workdir, type Workdir } from './helpers.ts'

interface Query {
  title: string
  statements: string[]
}

function readmeQueries(markdown: string): Query[] {
  const out: Query[] = []
  for (const m of markdown.matchAll(/^```sql\n([\s\S]*?)^```/gm)) {
    const body = m[1]!
    if (/^-- sqlite only\s*$/.test(body.split('\n')[0]!)) continue
    const statements = body
      .split(/;[ \t]*$/m)
      .map((s) => s.trim())
      .filter((s) => s.split('\n').some((l) => l.trim() !== '' && !l.trim().startsWith('--')))
    const code = (s: string) => s.split('\n').filter((l) => !l.trim().startsWith('--')).join('\n').trim()
    if (statements.length === 0 || !statements.every((s) => /^select\b/i.test(code(s)))) continue
    const title = body.split('\n').find((l) => l.startsWith('-- ') && !/^-- (sqlite|postgres) only/.test(l)) ?? body.slice(0, 60)
    out.push({ title: title.replace(/^-- /, ''), statements: statements.map((s) => s.replace(/(\w+) @> ('[^']*')/g, 'json_contains($1, $2)')) })
  }
  return out
}

const queries = readmeQueries(readFileSync(new URL('../../README.md', import.meta.url), 'utf8'))

describe('README.md queries on DuckDB, against the demo org', () => {
  let work: Workdir
  let url: string

  beforeAll(async () => {
    work = workdir()
    expectExit(await okta(['demo'], { cwd: work.dir }), 0)
    url = `duckdb:${work.path('okta-demo.duckdb')}`
    expectExit(await okta(['backfill', '--from', `sqlite:${work.path('okta-demo.db')}`, '--to', url], { cwd: work.dir }), 0)
  }, 180_000)

  afterAll(() => {
    work?.cleanup()
  })

  it('are found', () => {
    expect(queries.length).toBeGreaterThanOrEqual(6)
  })

  for (const q of queries) {
    it(q.title, async () => {
      let rows: unknown[] = []
      for (const statement of q.statements) {
        rows = await query(url, statement).catch((err: unknown) => {
          throw new Error(`README SQL failed in DuckDB: ${(err as Error).message}\n${statement}`)
        })
      }
      expect(rows.length, 'rows returned by the last statement').toBeGreaterThan(0)
    })
  }

  it("the contract's views exist and hold rows", async () => {
    for (const view of ['user_app_access', 'privileged_users']) {
      const [row] = await query<{ n: number }>(url, `SELECT count(*) AS n FROM ${view}`)
      expect(row!.n, view).toBeGreaterThan(0)
    }
  })
})
