import type { ExtractBatch, ExtractContext, ResourceName } from '../types.ts'
import { cursorString, oktaTime, resourceCursor } from './cursor.ts'
import { readStringMap } from './seen-set.ts'

export interface FullListingSpec {
  resource: ResourceName
  path: string
  /** `limit` per page; undefined for listings that take none (user types: one page). */
  pageSize?: number
  query?: Record<string, string | number>
  /** A record's key in the cursor's version map; default its `id`. */
  idOf?(record: Record<string, unknown>): unknown
  /** A record's version (apps: `lastUpdated`); undefined means "always load". */
  version(record: Record<string, unknown>): string | undefined
  /**
   * Where the records come from, when not a Link-paged listing of `path` (e.g. one document
   * turned into records: the user schema's attributes). Each element is one page; `last` marks the end.
   */
  source?(ctx: ExtractContext): AsyncIterable<{ items: Record<string, unknown>[]; last: boolean }>
}

/**
 * The resource-level cursor of a full-listing resource.
 * `{ listedAt?, versions }`: `versions` maps the id of every record the table holds live to the
 * version it was loaded at; `listedAt` is when the last complete listing started (for `status`).
 */
export interface FullListingCursor {
  listedAt?: string
  versions: Record<string, string>
}

/**
 * For collections with no change filter (apps): list everything every run (that request is
 * unavoidable), but write only the records that are new or whose version moved since the saved
 * `versions`, and mark deleted, by key, the saved ids the complete listing no longer holds (a set
 * difference: a table sweep would wrongly hit the unchanged records this load did not write).
 *
 * Without saved versions (first run, an older cursor) and on a full refresh everything is written
 * and the last batch sweeps the table instead.
 *
 * Crash safety: every page's batch carries the saved versions overlaid with what the listing has
 * shown so far (each either written in this batch or earlier, or skipped because the table already
 * holds that version), so the cursor never names a row that did not commit, and an id saved before
 * stays in it until a complete listing proves it gone.
 */
export function fullListingExtractor(spec: FullListingSpec): (ctx: ExtractContext) => AsyncGenerator<ExtractBatch> {
  return async function* extract(ctx) {
    const { resource } = spec
    const listedAt = oktaTime(ctx.now().getTime())
    const cursor = resourceCursor(ctx.state)
    const hasVersions = cursor !== null && typeof cursor === 'object' && 'versions' in cursor
    const reconcileBySweep = ctx.fullRefresh || !hasVersions
    const saved = readStringMap(cursor, 'versions')
    const savedListedAt = cursorString(cursor, 'listedAt')
    const listed = new Map<string, string>()

    const cursorOf = (complete: boolean): FullListingCursor => {
      if (complete) return { listedAt, versions: Object.fromEntries(listed) }
      const versions = Object.fromEntries(saved)
      for (const [id, v] of listed) versions[id] = v
      return { ...(savedListedAt === undefined ? {} : { listedAt: savedListedAt }), versions }
    }
    const final = (): Pick<ExtractBatch, 'state' | 'sweep' | 'deletes'> => {
      const state = [{ resource, parentId: '', cursor: cursorOf(true) }]
      if (reconcileBySweep) return { state, sweep: { resource } }
      const gone = [...saved.keys()].filter((id) => !listed.has(id))
      return { state, ...(gone.length > 0 ? { deletes: [{ resource, keys: gone.map((id) => [id]) }] } : {}) }
    }

    let finished = false
    for await (const page of spec.source ? spec.source(ctx) : linkPages(ctx, spec)) {
      const records: Record<string, unknown>[] = []
      for (const record of page.items) {
        const id = spec.idOf ? spec.idOf(record) : record['id']
        const version = spec.version(record)
        if (typeof id === 'string' && version !== undefined) {
          const unchanged = !reconcileBySweep && saved.get(id) === version
          listed.set(id, version)
          if (unchanged) continue
        }
        records.push(record)
      }
      const last = page.last
      finished ||= last
      yield { resource, records, ...(last ? final() : { state: [{ resource, parentId: '', cursor: cursorOf(false) }] }) }
    }
    if (!finished) yield { resource, records: [], ...final() }
  }
}

async function* linkPages(ctx: ExtractContext, spec: FullListingSpec): AsyncGenerator<{ items: Record<string, unknown>[]; last: boolean }> {
  const query = { ...spec.query, ...(spec.pageSize === undefined ? {} : { limit: spec.pageSize }) }
  for await (const page of ctx.client.pages(spec.path, { query, ...(ctx.signal ? { signal: ctx.signal } : {}) })) {
    yield { items: page.items, last: page.nextUrl === null }
  }
}
