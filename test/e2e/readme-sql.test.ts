/**
 * Every ```sql block of README.md, run as written against the demo org (`okta-elt demo`, what
 * `npm start` loads) in SQLite and, copied there with `okta-elt backfill`, in Postgres. A block
 * whose first line is `-- sqlite only` or `-- postgres only` runs only in that database. Postgres
 * gets the session the README describes: `SET search_path TO <the destination's schema>`.
 * Every example promises rows on the demo org, so its last statement must return some.
 */
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dropSchema, postgresUrl, uniqueSchema, withSchema } from '../helpers/postgres.ts'
import { query } from '../helpers/query.ts'
import { expectExit, okta, workdir, type Workdir } from './helpers.ts'

type Dialect = 'sqlite' | 'postgres'

interface SqlBlock {
  /** The block's first comment line (its title), for the test name. */
  title: string
  only: Dialect | null
  statements: string[]
}

function readmeSqlBlocks(markdown: string): SqlBlock[] {
  return [...markdown.matchAll(/^```sql\n([\s\S]*?)^```/gm)].map((m) => {
    const body = m[1]!
    const only = /^-- (sqlite|postgres) only\s*$/m.exec(body.split('\n')[0]!)?.[1] as Dialect | undefined
    const title = body.split('\n').find((l) => l.startsWith('-- ') && !/^-- (sqlite|postgres) only/.test(l)) ?? body.slice(0, 60)
    // Statements end with `;` at the end of a line (the README's SQL has no `;` inside literals).
    const statements = body
      .split(/;[ \t]*$/m)
      .map((s) => s.trim())
      .filter((s) => s.split('\n').some((l) => l.trim() !== '' && !l.trim().startsWith('--')))
    return { title: title.replace(/^-- /, ''), only: only ?? null, statements }
  })
}

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
const blocks = readmeSqlBlocks(README)

describe('README.md sql blocks', () => {
  it('are found, and some are marked per dialect', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(8)
    expect(blocks.filter((b) => b.only === 'sqlite').length).toBeGreaterThan(0)
    expect(blocks.filter((b) => b.only === 'postgres').length).toBeGreaterThan(0)
    for (const b of blocks) expect(b.statements.length, b.title).toBeGreaterThan(0)
  })
})

describe('README.md sql blocks against the demo org', () => {
  let work: Workdir
  const urls: Partial<Record<Dialect, string>> = {}
  const pgBase = postgresUrl()
  const schema = uniqueSchema('readme')

  beforeAll(async () => {
    work = workdir()
    // The demo as a newcomer runs it: default size, no config, no token.
    expectExit(await okta(['demo'], { cwd: work.dir }), 0)
    urls.sqlite = `sqlite:${work.path('okta-demo.db')}`
    if (pgBase !== null) {
      urls.postgres = withSchema(pgBase, schema)
      expectExit(await okta(['backfill', '--from', urls.sqlite, '--to', urls.postgres], { cwd: work.dir }), 0)
    }
  }, 180_000)

  afterAll(async () => {
    work?.cleanup()
    if (pgBase !== null) await dropSchema(pgBase, schema)
  })

  for (const dialect of ['sqlite', 'postgres'] as const) {
    for (const block of blocks.filter((b) => b.only === null || b.only === dialect)) {
      it(`${dialect}: ${block.title}`, async (ctx) => {
        const url = urls[dialect]
        if (url === undefined) return ctx.skip()
        let rows: unknown[] = []
        for (const statement of block.statements) {
          rows = await query(url, statement).catch((err: unknown) => {
            throw new Error(`README SQL failed in ${dialect}: ${(err as Error).message}\n${statement}`)
          })
        }
        expect(rows.length, 'rows returned by the last statement').toBeGreaterThan(0)
      })
    }
  }
})
