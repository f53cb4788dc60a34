import type { ExtractContext } from '../types.ts'

/**
 * Pages of a listing that answers with a body envelope `{ value: [...], _links: { next: { href } } }`
 * instead of a bare array with a Link header (`/api/v1/iam/assignees/users`, okta-api.md §8.2).
 * Follows `_links.next` through the client (which refuses links off the org); a `next` already
 * followed in this listing is a server loop and fails the resource instead of spinning.
 */
export async function* envelopePages(ctx: ExtractContext, path: string, query: Record<string, string | number>): AsyncGenerator<Record<string, unknown>[]> {
  const followed = new Set<string>()
  let url: string | null = path
  let first = true
  while (url !== null) {
    const body: unknown = await ctx.client.get(url, { ...(first ? { query } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) })
    first = false
    if (body === null || typeof body !== 'object' || !Array.isArray((body as { value?: unknown }).value)) {
      throw new Error(`Okta GET ${path}: expected an envelope {"value": [...]}, got ${Array.isArray(body) ? 'an array' : typeof body}`)
    }
    const items = ((body as { value: unknown[] }).value).filter((v): v is Record<string, unknown> => v !== null && typeof v === 'object')
    yield items
    const next = nextHref(body)
    if (next !== null && followed.has(next)) throw new Error(`Okta GET ${path}: the listing's next link repeats (${next}); stopped a paging loop`)
    if (next !== null) followed.add(next)
    url = items.length === 0 ? null : next
  }
}

function nextHref(body: object): string | null {
  const links = (body as { _links?: unknown })._links
  const next = links !== null && typeof links === 'object' ? (links as { next?: unknown }).next : undefined
  const href = next !== null && typeof next === 'object' ? (next as { href?: unknown }).href : undefined
  return typeof href === 'string' && href !== '' ? href : null
}
