import type { Simulator } from '../../src/simulator/index.ts'

export interface Res<T = unknown> {
  status: number
  headers: Headers
  body: T
  /** Absolute `rel="next"` URL, if any. */
  next: string | null
  self: string | null
}

/** Parses `link` (separate lines or joined with ", ") into rel → URL. */
export function parseLinks(header: string | null): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of (header ?? '').matchAll(/<([^>]+)>;\s*rel="([^"]+)"/g)) out[m[2] as string] = m[1] as string
  return out
}

export async function get<T = unknown>(sim: Simulator, pathOrUrl: string, opts: { token?: string; auth?: string } = {}): Promise<Res<T>> {
  const url = pathOrUrl.startsWith('http') ? pathOrUrl : sim.url + pathOrUrl
  const res = await fetch(url, { headers: { accept: 'application/json', authorization: opts.auth ?? `SSWS ${opts.token ?? sim.token}` } })
  const text = await res.text()
  const links = parseLinks(res.headers.get('link'))
  return { status: res.status, headers: res.headers, body: (text === '' ? undefined : JSON.parse(text)) as T, next: links.next ?? null, self: links.self ?? null }
}

/** Follows `next` links to the end; returns every item and the number of pages. */
export async function getAll<T = Record<string, unknown>>(sim: Simulator, path: string, maxPages = 10_000): Promise<{ items: T[]; pages: number }> {
  const items: T[] = []
  let url: string | null = path
  let pages = 0
  while (url !== null && pages < maxPages) {
    const res: Res<T[]> = await get<T[]>(sim, url)
    if (res.status !== 200) throw new Error(`HTTP ${res.status} for ${url}: ${JSON.stringify(res.body)}`)
    items.push(...res.body)
    pages++
    url = res.next
  }
  return { items, pages }
}

export const q = (s: string): string => encodeURIComponent(s)

export type Json = Record<string, any>
