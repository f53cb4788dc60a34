/** Record paths (JSON path segments, e.g. ['profile', 'firstName']), as resources declare them. */

export function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i])
}

export function startsWith(path: readonly string[], prefix: readonly string[]): boolean {
  return path.length >= prefix.length && prefix.every((s, i) => s === path[i])
}

/** The value at `path` in a record (undefined where the path does not lead). */
export function valueAt(record: Record<string, unknown>, path: readonly string[]): unknown {
  let v: unknown = record
  for (const p of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined
  return v
}
