import { describe, expect, it } from 'vitest'
import { bucketForPath, nextLink, OktaForeignUrlError, OktaHttpClient, OktaResponseError, parseLinkHeader } from '../../src/okta/index.ts'
import { sendJson, startServer, type ScriptedServer, closedAfterEach } from './helpers.ts'

const TOKEN = 'test-token-1'
const { track } = closedAfterEach()

function client(url: string, extra: Partial<ConstructorParameters<typeof OktaHttpClient>[0]> = {}): OktaHttpClient {
  const c = new OktaHttpClient({ orgUrl: url, auth: { type: 'ssws', token: TOKEN }, retryBaseDelayMs: 10, ...extra })
  return track(c)
}

describe('parseLinkHeader', () => {
  it('reads separate header lines', () => {
    const links = parseLinkHeader([
      '<https://acme.okta.com/api/v1/users?limit=200>; rel="self"',
      '<https://acme.okta.com/api/v1/users?after=00ud4tVDDXYVKPXKVLCO&limit=200>; rel="next"',
    ])
    expect(links['self']).toBe('https://acme.okta.com/api/v1/users?limit=200')
    expect(links['next']).toBe('https://acme.okta.com/api/v1/users?after=00ud4tVDDXYVKPXKVLCO&limit=200')
  })

  it('reads one comma-joined header, with commas and semicolons inside the URLs', () => {
    const value =
      '<https://a.okta.com/api/v1/users?search=x%20in%20(a,b);c&limit=2>; rel="self", <https://a.okta.com/api/v1/users?after=a,b;c&limit=2>; rel=next'
    expect(nextLink(value)).toBe('https://a.okta.com/api/v1/users?after=a,b;c&limit=2')
    expect(parseLinkHeader(value)['self']).toBe('https://a.okta.com/api/v1/users?search=x%20in%20(a,b);c&limit=2')
  })

  it('finds no next at the end of a list, and tolerates junk', () => {
    expect(nextLink('<https://a.okta.com/api/v1/users>; rel="self"')).toBeNull()
    expect(nextLink(undefined)).toBeNull()
    expect(nextLink('garbage, <>; rel="next"')).toBe('')
    expect(nextLink('<https://x/y>; rel="prev next"')).toBe('https://x/y')
  })
})

describe('bucketForPath', () => {
  it('names buckets like the simulator', () => {
    expect(bucketForPath('/api/v1/users')).toBe('users')
    expect(bucketForPath('/api/v1/users?limit=200')).toBe('users')
    expect(bucketForPath('/api/v1/users/00u1')).toBe('user')
    expect(bucketForPath('/api/v1/groups')).toBe('groups')
    expect(bucketForPath('/api/v1/groups/00g1/users')).toBe('groups')
    expect(bucketForPath('/api/v1/groups/00g1')).toBe('group')
    expect(bucketForPath('/api/v1/apps')).toBe('apps')
    expect(bucketForPath('/api/v1/apps/0oa1/users?limit=500')).toBe('apps')
    expect(bucketForPath('/api/v1/apps/0oa1/groups')).toBe('apps')
    expect(bucketForPath('/api/v1/apps/0oa1')).toBe('app')
    expect(bucketForPath('/api/v1/logs?since=x')).toBe('logs')
    expect(bucketForPath('/oauth2/v1/token')).toBe('token')
    expect(bucketForPath('/api/v1/users/00u1/groups')).toBe('user')
    expect(bucketForPath('/api/v1/meta/types/user')).toBe('default')
  })
})

describe('pages()', () => {
  /** Three pages of two users; `joined` picks the Link form. */
  async function pagedServer(joined: boolean): Promise<ScriptedServer> {
    const server = await startServer((req, res) => {
      const url = new URL(req.url, 'http://x')
      const after = Number(url.searchParams.get('after') ?? '0')
      const items = [{ id: `u${after}` }, { id: `u${after + 1}` }]
      const base = server.url
      const self = `<${base}${req.url}>; rel="self"`
      // The cursor link carries an encoded search exactly as Okta would: it must come back verbatim.
      const next = after < 4 ? `<${base}/api/v1/users?after=${after + 2}&search=lastUpdated%20gt%20%222024-01-01T00:00:00.000Z%22&limit=2>; rel="next"` : null
      const link = next === null ? [self] : joined ? [`${self}, ${next}`] : [self, next]
      sendJson(res, 200, items, { link, 'x-okta-request-id': `req-${req.n}` })
    })
    track(server)
    return server
  }

  for (const joined of [false, true]) {
    it(`follows rel="next" verbatim to the end (${joined ? 'one joined Link header' : 'separate Link headers'})`, async () => {
      const server = await pagedServer(joined)
      const c = client(server.url)
      const pages = []
      for await (const page of c.pages('/api/v1/users', { query: { limit: 2, search: 'lastUpdated gt "2024-01-01T00:00:00.000Z"' } })) pages.push(page)
      expect(pages.map((p) => p.items.map((u) => u['id']))).toEqual([['u0', 'u1'], ['u2', 'u3'], ['u4', 'u5']])
      expect(server.requests.map((r) => r.url)).toEqual([
        '/api/v1/users?limit=2&search=lastUpdated%20gt%20%222024-01-01T00%3A00%3A00.000Z%22',
        '/api/v1/users?after=2&search=lastUpdated%20gt%20%222024-01-01T00:00:00.000Z%22&limit=2',
        '/api/v1/users?after=4&search=lastUpdated%20gt%20%222024-01-01T00:00:00.000Z%22&limit=2',
      ])
      expect(pages[0]?.nextUrl).toBe(`${server.url}/api/v1/users?after=2&search=lastUpdated%20gt%20%222024-01-01T00:00:00.000Z%22&limit=2`)
      expect(pages[2]?.nextUrl).toBeNull()
      expect(pages[1]?.requestId).toBe('req-2')
      expect(pages[1]?.url).toBe(`${server.url}/api/v1/users?after=2&search=lastUpdated%20gt%20%222024-01-01T00:00:00.000Z%22&limit=2`)
      expect(server.requests.every((r) => r.headers['authorization'] === `SSWS ${TOKEN}`)).toBe(true)
      expect(server.requests[0]?.headers['accept']).toBe('application/json')
      expect(server.requests[0]?.headers['user-agent']).toMatch(/^okta-elt\//)
      expect(c.stats().buckets['users']?.requests).toBe(3)
      expect(c.stats().total.requests).toBe(3)
    })
  }

  it('resumes from an absolute next URL, and treats [] as an empty page', async () => {
    const server = await startServer((_req, res) => sendJson(res, 200, [], { link: `<${server.url}/api/v1/logs?after=1_1>; rel="self"` }))
    track(server)
    const c = client(server.url)
    const pages = []
    for await (const p of c.pages(`${server.url}/api/v1/logs?after=1_1`)) pages.push(p)
    expect(pages).toHaveLength(1)
    expect(pages[0]?.items).toEqual([])
    expect(server.requests[0]?.url).toBe('/api/v1/logs?after=1_1')
    expect(c.stats().buckets['logs']?.requests).toBe(1)
  })

  it('refuses a next link to another origin: the token never leaves the org', async () => {
    const evil = await startServer((_req, res) => sendJson(res, 200, []))
    track(evil)
    const server = await startServer((_req, res) =>
      sendJson(res, 200, [{ id: 1 }], { link: `<${evil.url}/api/v1/users?after=x>; rel="next"` }),
    )
    track(server)
    const c = client(server.url)
    const seen: unknown[] = []
    const run = async (): Promise<void> => {
      for await (const p of c.pages('/api/v1/users')) seen.push(...p.items)
    }
    // The server's link is a server fault (exit 1); a caller's foreign URL is refused too.
    await expect(run()).rejects.toMatchObject({ code: 'ERR_OKTA_BAD_LINK', exitCode: 1 })
    expect(seen).toEqual([])
    await expect(c.get(`${evil.url}/api/v1/users`)).rejects.toBeInstanceOf(OktaForeignUrlError)
    expect(evil.requests).toHaveLength(0)
  })

  it('rejects a page that is not a JSON array, without retrying', async () => {
    const server = await startServer((_req, res) => sendJson(res, 200, { not: 'an array' }))
    track(server)
    const c = client(server.url)
    const run = async (): Promise<void> => {
      for await (const _ of c.pages('/api/v1/users')) void _
    }
    await expect(run()).rejects.toBeInstanceOf(OktaResponseError)
    expect(server.requests).toHaveLength(1)
  })
})

describe('JSON numbers', () => {
  it('keeps integers beyond 2^53 exact as bigint, leaves the rest alone', async () => {
    const body =
      '[{"id":"u1","big":12345678901234567890,"neg":-9007199254740993,"max":9007199254740991,"f":1.5,"s":"12345678901234567890","e":1e21}]'
    const server = await startServer((_req, res) => sendJson(res, 200, body))
    track(server)
    const c = client(server.url)
    const [user] = await c.get<Array<Record<string, unknown>>>('/api/v1/users')
    expect(user?.['big']).toBe(12345678901234567890n)
    expect(user?.['neg']).toBe(-9007199254740993n)
    expect(user?.['max']).toBe(9007199254740991)
    expect(user?.['f']).toBe(1.5)
    expect(user?.['s']).toBe('12345678901234567890')
    expect(user?.['e']).toBe(1e21)
  })
})
