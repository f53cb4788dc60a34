import { hash } from './random.ts'

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const DIGIT = new Map([...ALPHABET].map((c, i) => [c, i]))
const MULTIPLIER = 0x2c1b3c6d | 1

function inverseOdd(a: number): number {
  // Newton's iteration for the inverse of an odd number modulo 2^32.
  let inv = a
  for (let i = 0; i < 5; i++) inv = Math.imul(inv, 2 - Math.imul(a, inv))
  return inv
}
const INVERSE = inverseOdd(MULTIPLIER)

/**
 * Okta-looking 20-character ids (`00u…`, `00g…`, `0oa…`) that decode back to their generation
 * index: a seeded bijection on 32 bits, written in 6 base-62 characters at a fixed position and
 * padded with seeded filler. Lets `/users/{id}` find a lazily generated user without an id map.
 */
export class IdCodec {
  readonly #prefix: string
  readonly #seed: number
  readonly #k1: number
  readonly #k2: number

  constructor(prefix: string, seed: number) {
    this.#prefix = prefix
    this.#seed = seed
    this.#k1 = hash(seed, 0, prefix.charCodeAt(2))
    this.#k2 = hash(seed, 1, prefix.charCodeAt(2))
  }

  encode(index: number): string {
    const x = (Math.imul((index ^ this.#k1) >>> 0, MULTIPLIER) + this.#k2) >>> 0
    let core = ''
    let v = x
    for (let i = 0; i < 6; i++) {
      core = ALPHABET[v % 62] + core
      v = Math.floor(v / 62)
    }
    let filler = ''
    let h = hash(this.#seed, x, 77)
    for (let i = 0; i < 11; i++) {
      if (i === 5) h = hash(this.#seed, x, 78)
      filler += ALPHABET[h % 62]
      h = Math.floor(h / 62)
    }
    return this.#prefix + filler.slice(0, 5) + core + filler.slice(5)
  }

  /** The index an id was generated from, or undefined when it is not one of ours. */
  decode(id: string): number | undefined {
    if (id.length !== 20 || !id.startsWith(this.#prefix)) return undefined
    let x = 0
    for (let i = 8; i < 14; i++) {
      const d = DIGIT.get(id[i] as string)
      if (d === undefined) return undefined
      x = x * 62 + d
    }
    if (x > 0xffffffff) return undefined
    const index = ((Math.imul((x - this.#k2) >>> 0, INVERSE) >>> 0) ^ this.#k1) >>> 0
    return this.encode(index) === id ? index : undefined
  }
}
