/**
 * Stateless, seeded hashing: every generated value is a pure function of (seed, index, salt), so
 * any object of a million-user org can be rebuilt on demand instead of being kept in memory.
 */

function fmix(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** A well-mixed unsigned 32-bit hash of (seed, index, salt). */
export function hash(seed: number, index: number, salt: number): number {
  let h = fmix((Math.imul(seed, 0x9e3779b1) + Math.imul(salt, 0x7feb352d)) | 0)
  h = fmix(h ^ index)
  h = fmix((h + Math.imul(Math.floor(index / 4294967296), 0x846ca68b)) | 0)
  return h
}

/** Uniform in [0, 1). */
export function unit(seed: number, index: number, salt: number): number {
  return hash(seed, index, salt) / 4294967296
}

/** Uniform integer in [0, n). */
export function below(seed: number, index: number, salt: number, n: number): number {
  return Math.floor(unit(seed, index, salt) * n)
}

/** A sequential [0, 1) stream for callers that draw one value after another (demo days, test trials). */
export function randomStream(seed: number, salt: number): () => number {
  let index = 0
  return () => unit(seed, index++, salt)
}

export function pick<T>(items: readonly T[], seed: number, index: number, salt: number): T {
  return items[below(seed, index, salt, items.length)] as T
}

const HEX = '0123456789abcdef'

export function hex(seed: number, index: number, salt: number, length: number): string {
  let out = ''
  let h = hash(seed, index, salt)
  for (let i = 0; i < length; i++) {
    if (i > 0 && i % 8 === 0) h = hash(seed, index, salt + i)
    out += HEX[h & 15]
    h >>>= 4
  }
  return out
}
