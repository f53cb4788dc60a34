/**
 * Splits `items` for multi-row statements whose SQL text depends on how many rows they carry
 * (VALUES lists, IN lists): full chunks of `max`, then the rest in chunks of distinct powers of two
 * (1,234 with max 2,048: 1,024 + 128 + 64 + 16 + 2). A driver that keeps prepared statements by
 * their text (SQLite's) then meets at most log2(max) + 2 texts per statement, not one per size;
 * each is a compiled program held in native memory for the life of the connection.
 */
export function* statementChunks<T>(items: readonly T[], max: number): Generator<T[]> {
  let i = 0
  for (; items.length - i >= max; i += max) yield items.slice(i, i + max)
  let size = 1
  while (size * 2 <= items.length - i) size *= 2
  for (; i < items.length; size /= 2) {
    if (items.length - i >= size) {
      yield items.slice(i, i + size)
      i += size
    }
  }
}
