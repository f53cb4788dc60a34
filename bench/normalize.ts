/**
 * Micro-benchmark of the normalizer: 100k user-shaped records (~40 flattened columns, a few
 * optional attributes, an array of scalars, `_links` kept as JSON), normalized in batches of 1,000
 * like the pipeline does, through the compiled per-shape extractors and through the generic walk.
 *
 *   node bench/normalize.ts [records]
 */
import { Normalizer } from '../src/schema/index.ts'
import type { TableHints } from '../src/schema/index.ts'

const total = Number(process.argv[2] ?? 100_000)
const batchSize = 1_000
const hints: TableHints = { table: 'users', primaryKey: [['id']], jsonPaths: [['_links']] }
const departments = ['Engineering', 'Sales', 'Support', 'Finance', 'Legal']

function user(i: number): Record<string, unknown> {
  const ts = new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString()
  return {
    id: `00u${i.toString(36).padStart(17, '0')}`,
    status: i % 17 === 0 ? 'DEPROVISIONED' : 'ACTIVE',
    created: ts,
    activated: i % 5 === 0 ? null : ts,
    statusChanged: ts,
    lastLogin: i % 3 === 0 ? null : ts,
    lastUpdated: ts,
    passwordChanged: ts,
    type: { id: 'oty1162QAr8hJjTaq0g4' },
    profile: {
      login: `user${i}@example.com`,
      firstName: `First${i}`,
      lastName: `Last${i}`,
      nickName: i % 2 === 0 ? null : `nick${i}`,
      displayName: `First${i} Last${i}`,
      email: `user${i}@example.com`,
      secondEmail: null,
      mobilePhone: '+1-555-415-1337',
      primaryPhone: null,
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
    credentials: { password: {}, provider: { type: 'OKTA', name: 'OKTA' } },
    _links: { self: { href: `https://example.okta.com/api/v1/users/${i}` } },
  }
}

// Records as they come off the wire: parsed JSON, distinct objects.
const records = JSON.parse(JSON.stringify(Array.from({ length: total }, (_, i) => user(i)))) as Record<string, unknown>[]

function run(compile: boolean): number {
  const n = new Normalizer({ tables: [], maxIdentifierBytes: 63, maxColumns: 1500, compile })
  const start = process.hrtime.bigint()
  let rows = 0
  for (let i = 0; i < records.length; i += batchSize) {
    const { batches } = n.normalize(hints, records.slice(i, i + batchSize))
    rows += batches[0]?.rows.length ?? 0
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  if (rows !== total) throw new Error(`expected ${total} rows, got ${rows}`)
  return total / seconds
}

for (const round of [1, 2]) {
  const generic = run(false)
  const compiled = run(true)
  console.log(
    `round ${round}: ${total} records  generic ${Math.round(generic).toLocaleString('en')} records/s  ` +
      `compiled ${Math.round(compiled).toLocaleString('en')} records/s  (×${(compiled / generic).toFixed(1)})`,
  )
}
