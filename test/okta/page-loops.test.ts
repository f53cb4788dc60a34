/**
 * Listings end because the data says so: scripted servers whose pagination never ends, or whose
 * pages hold odd items, against the shared paging layer (`pages()`, src/okta/page-guard.ts).
 */
import { describe, expect, it } from 'vitest'
import { OktaHttpClient, type OktaClientConfig } from '../../src/okta/index.ts'
import { closedAfterEach, recordingLogger, sendJson, startServer, type SeenRequest } from './helpers.ts'

const { track } = closedAfterEach()

function client(url: string, extra: Partial<OktaClientConfig> = {}): OktaHttpClient {
  return track(new OktaHttpClient({ orgUrl: url, auth: { type: 'ssws', token: 'tok' }, retryBaseDelayMs: 10, ...extra }))
}

/** A server answering `/api/v1/users?…` with `page(after)`: its items and the next cursor (null: the end). */
async function listing(page: (after: string | null, req: SeenRequest) => { items: unknown[]; next: string | null }) {
  const server = await startServer((req, res) => {
    const after = new URL(req.url, 'http://x').searchParams.get('after')
    const { items, next } = page(after, req)
    const link = [`<${server.url}${req.url}>; rel="self"`]
    if (next !== null) link.push(`<${server.url}/api/v1/users?after=${next}&limit=2>; rel="next"`)
    sendJson(res, 200, items, { link })
  })
  return track(server)
}

async function drain(c: OktaHttpClient, path = '/api/v1/users'): Promise<{ ids: unknown[]; error: unknown }> {
  const ids: unknown[] = []
  try {
    for await (const p of c.pages(path)) ids.push(...p.items.map((i) => i['id']))
    return { ids, error: null }
  } catch (error) {
    return { ids, error }
  }
}

const user = (id: string) => ({ id, lastUpdated: '2024-01-01T00:00:00.000Z' })

describe('pagination that never ends fails that listing with one line', () => {
  it('a next link to the same URL', async () => {
    // Fresh records each time: only the repeated URL gives the loop away.
    const server = await listing((_after, req) => ({ items: [user(`u${req.n}`)], next: 'same' }))
    const { ids, error } = await drain(client(server.url))
    expect(error).toMatchObject({ code: 'ERR_OKTA_PAGINATION_LOOP', exitCode: 1, retryable: false })
    expect((error as Error).message).toMatch(/^Okta GET \/api\/v1\/users failed: pagination loop: the next link repeats a page this listing already requested/)
    expect((error as Error).message).not.toContain('\n')
    // Page 1 (first URL) and page 2 (after=same) are new; the third request would repeat the second.
    expect(server.requests).toHaveLength(2)
    expect(ids).toEqual(['u1', 'u2'])
  })

  it('two pages pointing at each other', async () => {
    const server = await listing((after) => (after === 'b' ? { items: [user('u3')], next: 'a' } : { items: [user(after === 'a' ? 'u2' : 'u1')], next: after === 'a' ? 'b' : 'a' }))
    const { ids, error } = await drain(client(server.url))
    expect(error).toMatchObject({ code: 'ERR_OKTA_PAGINATION_LOOP' })
    expect(server.requests.map((r) => r.url)).toEqual(['/api/v1/users', '/api/v1/users?after=a&limit=2', '/api/v1/users?after=b&limit=2'])
    expect(ids).toEqual(['u1', 'u2', 'u3'])
  })

  it('a fresh cursor every time, serving the same records', async () => {
    const server = await listing((_after, req) => ({ items: [user('u1'), user('u2')], next: `c${req.n}` }))
    const { ids, error } = await drain(client(server.url))
    expect(error).toMatchObject({ code: 'ERR_OKTA_PAGINATION_LOOP' })
    expect((error as Error).message).toMatch(/a page holds only records this listing already returned \(2\)/)
    expect(server.requests).toHaveLength(2)
    // Every record once: what a load counts is distinct rows.
    expect(ids).toEqual(['u1', 'u2'])
  })

  it('endless empty pages, each with a fresh next link', async () => {
    const server = await listing((_after, req) => ({ items: req.n === 1 ? [user('u1')] : [], next: `e${req.n}` }))
    const { ids, error } = await drain(client(server.url))
    expect(error).toMatchObject({ code: 'ERR_OKTA_PAGINATION_LOOP' })
    expect((error as Error).message).toMatch(/10 empty pages in a row/)
    expect(server.requests).toHaveLength(11)
    expect(ids).toEqual(['u1'])
  })

  it('a page mixing new and repeated records keeps the new ones, each record once; the same id at a newer version is kept', async () => {
    const pages: Record<string, { items: unknown[]; next: string | null }> = {
      first: { items: [user('u1'), user('u2')], next: 'p2' },
      p2: { items: [user('u2'), user('u3'), { id: 'u1', lastUpdated: '2024-02-02T00:00:00.000Z' }], next: null },
    }
    const server = await listing((after) => pages[after ?? 'first']!)
    const { ids, error } = await drain(client(server.url))
    expect(error).toBeNull()
    expect(ids).toEqual(['u1', 'u2', 'u3', 'u1'])
  })

  it('a legitimate empty page in the middle and an empty last page are fine', async () => {
    const pages: Record<string, { items: unknown[]; next: string | null }> = {
      first: { items: [user('u1')], next: 'p2' },
      p2: { items: [], next: 'p3' },
      p3: { items: [user('u2')], next: 'p4' },
      p4: { items: [], next: null },
    }
    const server = await listing((after) => pages[after ?? 'first']!)
    const { ids, error } = await drain(client(server.url))
    expect(error).toBeNull()
    expect(ids).toEqual(['u1', 'u2'])
  })
})

describe('odd page items', () => {
  it('skips null (and other non-object) items with one warning per page, and counts them', async () => {
    const server = await listing(() => ({ items: [user('u1'), null, 7, user('u2'), null], next: null }))
    const { logger, events } = recordingLogger()
    const c = client(server.url, { logger })
    const { ids, error } = await drain(c)
    expect(error).toBeNull()
    expect(ids).toEqual(['u1', 'u2'])
    const warnings = events.filter((e) => e.event === 'okta.skipped_records')
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatchObject({ level: 'warn', skipped: 3 })
    expect(warnings[0]!.msg).toBe('Okta GET /api/v1/users: skipped 3 page items that are not a JSON object (e.g. null)')
    expect(c.stats().buckets['users']?.skippedRecords).toBe(3)
    expect(c.stats().total.skippedRecords).toBe(3)
  })

  it('a page of nulls only is an empty page, not an error', async () => {
    const server = await listing(() => ({ items: [null, null], next: null }))
    const { ids, error } = await drain(client(server.url))
    expect(error).toBeNull()
    expect(ids).toEqual([])
  })

  it('hands on a record nested 5,000 levels deep (and one holding a bigint beside it): no stack overflow, no retry', async () => {
    const depth = 5000
    const deep = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)
    const body = `[{"id":"u1","big":12345678901234567890,"deep":${deep}},{"id":"u2","note":"\\u0000okta-elt-bigint:1"}]`
    const server = await startServer((_req, res) => sendJson(res, 200, body))
    track(server)
    const c = client(server.url)
    const pages = []
    for await (const p of c.pages('/api/v1/users')) pages.push(p)
    expect(server.requests).toHaveLength(1)
    const [first, second] = pages[0]!.items
    expect(first?.['big']).toBe(12345678901234567890n)
    let node: unknown = first?.['deep']
    let levels = 0
    while (typeof node === 'object' && node !== null) {
      node = (node as Record<string, unknown>)['a']
      levels++
    }
    expect(levels).toBe(depth)
    expect(node).toBe(1)
    // A string that looks like the parser's internal marker stays a string.
    expect(second?.['note']).toBe('\u0000okta-elt-bigint:1')
  })
})

describe('next links the client will not follow are a server fault, found before the page is handed on', () => {
  for (const [name, link] of [
    ['a //host path on the org', (url: string) => `${url}//evil.example/api/v1/users?after=x`],
    ['a scheme-relative //host link', () => '//evil.example/api/v1/users?after=x'],
    ['another host', () => 'https://evil.example/api/v1/users?after=x'],
  ] as const) {
    it(name, async () => {
      const server = await startServer((_req, res) => sendJson(res, 200, [user('u1')], { link: `<${link(server.url)}>; rel="next"` }))
      track(server)
      const { ids, error } = await drain(client(server.url))
      expect(error).toMatchObject({ code: 'ERR_OKTA_BAD_LINK', exitCode: 1 })
      expect((error as Error).message).toMatch(/^Okta GET \/api\/v1\/users failed: 200 \(refusing its next link .*: .*host/)
      expect((error as Error).message).not.toContain('after=x')
      // The page carrying the bad link is never yielded, so it can never be checkpointed.
      expect(ids).toEqual([])
      expect(server.requests).toHaveLength(1)
    })
  }
})

describe('PageGuard memory', () => {
  it('remembers the last `identityWindow` records only (bounded on a 90-day System Log listing)', async () => {
    const { PageGuard } = await import('../../src/okta/page-guard.ts')
    const guard = new PageGuard({ identityWindow: 2 })
    const page = (...ids: string[]) => ids.map((id) => ({ uuid: id, published: '2024-01-01T00:00:00.000Z' }))
    expect(guard.accept(page('a', 'b'), true)).toMatchObject({ repeats: 0 })
    expect(guard.accept(page('b', 'c'), true)).toMatchObject({ repeats: 1 })
    // `a` fell out of the window: met again, it counts as new.
    expect(guard.accept(page('a'), true)).toMatchObject({ repeats: 0, items: [{ uuid: 'a' }] })
    expect(guard.accept(page('a'), true)).toEqual({ loop: 'a page holds only records this listing already returned (1)' })
  })
})
