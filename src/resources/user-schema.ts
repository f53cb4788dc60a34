import { createHash } from 'node:crypto'
import type { ColumnType, DeclaredColumn } from '../schema/types.ts'
import { fullListingExtractor } from './strategies/full-listing.ts'
import type { ExtractContext, ResourceDefinition } from './types.ts'

const SCHEMA_PATH = '/api/v1/meta/schemas/user/default'

/**
 * The default user profile schema as one row per attribute: `name`, `section` (`base` or
 * `custom`), then the attribute's own fields (title, type, items type, required, mutability,
 * scope, enum…). Attributes carry no timestamp, so a row's version is a digest of its JSON.
 */
export function schemaAttributes(document: unknown): Record<string, unknown>[] {
  const definitions = objectAt(document, 'definitions')
  const out: Record<string, unknown>[] = []
  for (const section of ['base', 'custom'] as const) {
    const properties = objectAt(objectAt(definitions, section), 'properties')
    const required = objectAt(definitions, section)?.['required']
    for (const [name, attr] of Object.entries(properties ?? {})) {
      if (attr === null || typeof attr !== 'object' || Array.isArray(attr)) continue
      const declared = attr as Record<string, unknown>
      // A base attribute's `required` lives in the section's list; custom ones carry their own.
      const isRequired = declared['required'] ?? (Array.isArray(required) && required.includes(name))
      out.push({ name, section, ...declared, required: isRequired === true })
    }
  }
  return out
}

function objectAt(value: unknown, key: string): Record<string, unknown> | undefined {
  if (value === null || typeof value !== 'object') return undefined
  const v = (value as Record<string, unknown>)[key]
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined
}

/** The column type of a declared attribute type (okta-api.md §8.5); unknown types stay text. */
const COLUMN_TYPE_OF: Readonly<Record<string, ColumnType>> = { integer: 'bigint', number: 'double', boolean: 'boolean', array: 'json', string: 'text' }

/**
 * The `users` columns the schema's custom attributes declare (`profile.<name>`), so a column exists
 * with its declared type before any user holds a value.
 */
export function declaredProfileColumns(document: unknown): DeclaredColumn[] {
  return schemaAttributes(document)
    .filter((a) => a['section'] === 'custom' && typeof a['name'] === 'string')
    .map((a) => ({ path: ['profile', a['name'] as string], type: COLUMN_TYPE_OF[String(a['type'])] ?? 'text' }))
}

export async function fetchUserSchema(ctx: ExtractContext): Promise<unknown> {
  return ctx.client.get(SCHEMA_PATH, ctx.signal ? { signal: ctx.signal } : {})
}

async function* oneDocument(ctx: ExtractContext): AsyncGenerator<{ items: Record<string, unknown>[]; last: boolean }> {
  yield { items: schemaAttributes(await fetchUserSchema(ctx)), last: true }
}

export const userSchema: ResourceDefinition = {
  name: 'user_schema',
  endpoint: SCHEMA_PATH,
  // Permissions, enum labels and mastering rules as JSON: small lists nobody joins on.
  table: { table: 'user_schema', primaryKey: [['name']], jsonPaths: [['permissions'], ['oneOf'], ['master'], ['items', 'oneOf'], ['default']] },
  scopes: ['okta.schemas.read'],
  writeMode: 'merge',
  pageSize: 1,
  cursorStrategy: 'one request per run; one row per attribute (base and custom); only attributes whose definition changed are written; attributes no longer declared are marked deleted',
  extract: fullListingExtractor({
    resource: 'user_schema',
    path: SCHEMA_PATH,
    idOf: (attr) => attr['name'],
    version: (attr) => createHash('sha256').update(JSON.stringify(attr)).digest('base64url').slice(0, 22),
    source: oneDocument,
  }),
}
