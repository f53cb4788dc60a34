import type { RowValue } from '../../schema/types.ts'
import type { CopyEncoder } from './copy-text.ts'

/** Each buffer holds ~1 MiB: bounded memory, few write calls. */
const CHUNK_BYTES = 1 << 20
const EMPTY = Buffer.alloc(0)
const TAB = 0x09
const LF = 0x0a
const NONE: readonly Buffer[] = Object.freeze([])

/**
 * COPY text lines appended to ~1 MiB buffers, each value's text written straight into the
 * buffer. Building a line by string concatenation made a rope of two pieces per column, which
 * `Buffer.from` then had to flatten, and the ropes outlived the young generation (a page of rows
 * is several MB): that flattening and its garbage were a third of a backfill's CPU.
 */
export class CopyLines {
  readonly #idx: readonly number[]
  readonly #encode: readonly CopyEncoder[]
  #done: Buffer[] = []
  // Allocated at the first row: a table of a few rows needs no 1 MiB.
  #buf = EMPTY
  #off = 0

  /** `encode[j]` encodes the row's value at `idx[j]`; there is one column at least (the primary key). */
  constructor(idx: readonly number[], encode: readonly CopyEncoder[]) {
    this.#idx = idx
    this.#encode = encode
  }

  add(row: readonly unknown[]): void {
    const idx = this.#idx
    const encode = this.#encode
    const last = idx.length - 1
    for (let j = 0; j <= last; j++) {
      const text = encode[j]!((row[idx[j]!] ?? null) as RowValue)
      // At most 3 UTF-8 bytes per UTF-16 unit, and the delimiter.
      const room = text.length * 3 + 1
      if (this.#off + room > this.#buf.length) {
        if (this.#off > 0) this.#done.push(this.#buf.subarray(0, this.#off))
        this.#buf = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, room))
        this.#off = 0
      }
      this.#off += this.#buf.write(text, this.#off)
      this.#buf[this.#off++] = j === last ? LF : TAB
    }
  }

  /** The buffers filled since the last call (full ones only, unless `all`: then the rest too). */
  take(all = false): readonly Buffer[] {
    if (all && this.#off > 0) {
      this.#done.push(this.#buf.subarray(0, this.#off))
      // The next row (if any) starts a new buffer: the one taken is the caller's now.
      this.#buf = EMPTY
      this.#off = 0
    }
    if (this.#done.length === 0) return NONE
    const out = this.#done
    this.#done = []
    return out
  }
}
