/**
 * Micro-benchmark of the destinations' write path: 200k user-shaped records (~40 flattened
 * columns: text, timestamps, bigint, boolean, JSON) normalized by the real Normalizer and written
 * through `commitBatch` (merge mode) in batches, into SQLite and DuckDB (temp files) and Postgres (a
 * fresh schema, dropped afterwards). Only `commitBatch` is timed.
 *
 *   node bench/destinations.ts [records] [batchSize] [sqlite,duckdb,postgres]
 *   OKTA_ELT_BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/test (default) ; OKTA_ELT_BENCH_PG_URL=skip to skip Postgres
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { openDestination } from '../src/destinations/index.ts'
import { Normalizer } from '../src/schema/index.ts'
import type { TableHints } from '../src/schema/index.ts'

const total = Number(process.argv[2] ?? 200_000)
const batchSize = Number(process.argv[3] ?? 2_000)
const only = (process.argv[4] ?? 'sqlite,duckdb,postgres').split(',')
const pgUrl = process.env.OKTA_ELT_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const hints: TableHints = { table: 'users', primaryKey: [['id']], jsonPaths: [['_links']] }
const departments = ['Engineering', 'Sales', 'Support', 'Finance', 'Legal']

function user(i: number): Record<string, unknown> {
  const ts = new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString()
  return {
    id: `00u${i.toString(36).padStart(17, '0')}`,
    status: i % 17 === 0 ? 'DEPROVISIONED' : 'ACTIVE',
    created: ts,
    activated: ts,
    statusChanged: ts,
    lastLogin: i % 3 === 0 ? null : ts,
    lastUpdated: ts,
    passwordChanged: ts,
    type: { id: 'oty1162QAr8hJjTaq0g4' },
    profile: {
      login: `user${i}@example.com`,
      firstName: `First${i}`,
      lastName: `Last\t${i}`,
      nickName: `nick${i}`,
      displayName: `First${i} Last${i}`,
      email: `user${i}@example.com`,
      mobilePhone: '+1-555-415-1337',
      preferredLanguage: 'en-US',
      userType: 'Employee',
      organization: 'Okta',
      title: 'Engineer',
      division: 'R&D',
      department: departments[i % departments.length],
      costCenter: String(i % 100),
      employeeNumber: String(i),
      streetAddress: '301 Brannan St.',
      city: 'San Francisco',
      state: 'CA',
      zipCode: '94107',
      countryCode: 'US',
      managerId: '00u118oQYT4TBTemp0g4',
      startDate: '2013-06-24',
      level: i % 9,
      isContractor: i % 4 === 0,
      entitlements: ['vpn', 'jira'],
    },
    credentials: { provider: { type: 'OKTA', name: 'OKTA' } },
    _links: { self: { href: `https://example.okta.com/api/v1/users/${i}` } },
  }
}

async function run(url: string): Promise<void> {
  const dest = openDestination(url)
  await dest.prepare()
  const normalizer = new Normalizer({ tables: await dest.readSchema(), ...dest.capabilities })
  // Pass 1 inserts every row; pass 2 merges the same keys again (the nightly-update case).
  for (const pass of ['insert', 'update'] as const) {
    let commitMs = 0
    let columns = 0
    for (let start = 0; start < total; start += batchSize) {
      const records = Array.from({ length: Math.min(batchSize, total - start) }, (_, k) => user(start + k))
      const { changes, batches } = normalizer.normalize(hints, records)
      columns = Math.max(columns, ...batches.map((b) => b.columns.length))
      const t0 = performance.now()
      await dest.commitBatch({
        loadId: `bench-${pass}`,
        resource: 'users',
        schemaChanges: changes,
        writes: batches.map((rows) => ({ mode: 'merge' as const, rows })),
        deletes: [],
        sweeps: [],
        state: [{ resource: 'users', parentId: '', cursor: { at: start } }],
        counts: { rows: records.length },
      })
      commitMs += performance.now() - t0
    }
    const counts = await dest.countRows()
    const rate = Math.round(total / (commitMs / 1000)).toLocaleString('en-US')
    const tables = counts.map((c) => `${c.table}=${c.rows}`).join(' ')
    console.log(`${dest.dialect.padEnd(8)} ${pass.padEnd(6)} ${total} rows, ${columns} columns, batches of ${batchSize}: ${(commitMs / 1000).toFixed(2)} s in commitBatch = ${rate} rows/s (${tables})`)
  }
  await dest.close()
}

const dir = mkdtempSync(join(tmpdir(), 'okta-elt-bench-'))
try {
  if (only.includes('sqlite')) await run(`sqlite:${join(dir, 'bench.db')}`)
  if (only.includes('duckdb')) await run(`duckdb:${join(dir, 'bench.duckdb')}`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
if (pgUrl !== 'skip' && only.includes('postgres')) {
  const schema = `bench_${process.pid}`
  const u = new URL(pgUrl)
  u.searchParams.set('schema', schema)
  try {
    await run(u.toString())
  } finally {
    const client = new pg.Client({ connectionString: pgUrl })
    await client.connect()
    await client.query(`drop schema if exists "${schema}" cascade`)
    await client.end()
  }
}
