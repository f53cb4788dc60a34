import type { CompiledChild, CompiledRoot, ColumnState, KeyInfo, ShapeNode, TableState } from './table-state.ts'
import { MAX_FLATTEN_DEPTH } from './table-state.ts'
import { isObjectArray, parseTimestamp, scalarText } from './infer.ts'
import { toJsonText } from './json-text.ts'

/**
 * Compiles a table's known shape into one straight-line extractor (`new Function`): it reads every
 * known path directly into local variables and returns the row array, or null as soon as the
 * record does not match what the shape knows (an unknown key, detected by comparing the number of
 * keys found with the object's key count; a value whose type does not fit its column; an array or
 * object where the shape has none). The caller then takes the slow discovery path for that one
 * record, which updates the schema and shape, and recompiles later.
 *
 * Why: a generic recursive flattener rediscovers every record's shape (allocating paths, looking
 * up columns by path) and measured ~5× slower than a per-shape compiled function. The compiled
 * extractor has no side effects before it returns a row (child arrays are only pushed onto `kids`,
 * which the caller discards on null), so bailing out midway and redoing the record is safe.
 */

const helpers = {
  J: toJsonText,
  TS: parseTimestamp,
  TXT: scalarText,
  /** A scalar in a json column: the JSON string of its text (type-lattice.ts: text → json). */
  JS: (v: string | number | boolean | bigint): string => JSON.stringify(scalarText(v)),
  OA: isObjectArray,
  HAS: Object.hasOwn,
  MINS: BigInt(Number.MIN_SAFE_INTEGER),
  MAXS: BigInt(Number.MAX_SAFE_INTEGER),
  CNT(o: object): number {
    let n = 0
    for (const _ in o) n++
    return n
  },
}

class Emitter {
  readonly lines: string[] = []
  readonly kidTables: TableState[] = []
  #next = 0
  readonly #table: TableState

  constructor(table: TableState) {
    this.#table = table
  }

  id(prefix: string): string {
    return `${prefix}${this.#next++}`
  }

  col(c: ColumnState): string {
    return `c${c.index}`
  }

  /**
   * Assigns scalar `v` (not null, not an object) to column `c`, or bails when it does not fit.
   * Encodes exactly as infer.ts `encodeValue` does (the generic walk is the reference).
   */
  scalar(c: ColumnState, v: string): string {
    const t = this.col(c)
    switch (c.type) {
      case 'text':
        return `${t} = H.TXT(${v});`
      case 'json':
        return `${t} = H.JS(${v});`
      case 'bigint':
        return `if (typeof ${v} === 'number') { if (!Number.isSafeInteger(${v})) return null; ${t} = ${v} === 0 ? 0 : ${v} } else if (typeof ${v} === 'bigint' && ${v} >= H.MINS && ${v} <= H.MAXS) ${t} = Number(${v}); else return null;`
      case 'double':
        return `if (typeof ${v} !== 'number') return null; ${t} = ${v} === 0 ? 0 : ${v};`
      case 'boolean':
        return `if (typeof ${v} !== 'boolean') return null; ${t} = ${v};`
      case 'timestamp':
        return `if (typeof ${v} !== 'string' || (${t} = H.TS(${v})) === null) return null;`
    }
  }

  /** Code reading object `o` (at path length `depth`) against `node`, counting found keys into a fresh counter. */
  object(node: ShapeNode, o: string, depth: number): void {
    const n = this.id('n')
    const v = this.id('v')
    this.lines.push(`{ let ${n} = 0, ${v};`)
    for (const [key, info] of node.keys) {
      const k = JSON.stringify(key)
      // Keys that exist on Object.prototype (`constructor`, `__proto__`, …) must be read as own
      // properties, or an absent key would yield the inherited value.
      const read = key in Object.prototype ? `(H.HAS(${o}, ${k}) ? ${o}[${k}] : undefined)` : `${o}[${k}]`
      this.lines.push(`${v} = ${read}; if (${v} !== undefined) { ${n}++;`)
      if (!info.ignore) this.value(info, v, depth + 1)
      this.lines.push('}')
    }
    this.lines.push(`if (${n} !== H.CNT(${o})) return null; }`)
  }

  /** Code for the value `v` of a key whose path has `depth` segments. */
  value(info: KeyInfo, v: string, depth: number): void {
    const c = info.col
    if (info.json) {
      this.lines.push(c ? `if (${v} !== null) ${this.col(c)} = H.J(${v});` : `if (${v} !== null) return null;`)
      return
    }
    this.lines.push(`if (${v} !== null) { if (typeof ${v} === 'object') { if (Array.isArray(${v})) {`)
    // Arrays of objects → child table (roots); any other array, [] included → the JSON column.
    const toJson = c !== undefined && c.type === 'json' ? `${this.col(c)} = H.J(${v});` : 'return null;'
    if (this.#table.isRoot) {
      const onObjects = info.child ? `kids.push(K[${this.kid(info.child)}], ${v});` : 'return null;'
      this.lines.push(`if (${v}.length > 0 && H.OA(${v})) { ${onObjects} } else { ${toJson} }`)
    } else {
      this.lines.push(toJson)
    }
    this.lines.push('} else {')
    // At the depth bound a non-empty object is one JSON value; above it, it flattens.
    if (depth >= MAX_FLATTEN_DEPTH) this.lines.push(`for (const _ in ${v}) { ${toJson} break }`)
    else if (info.obj) this.object(info.obj, v, depth)
    else this.lines.push(`for (const _ in ${v}) return null;`)
    this.lines.push('} } else {')
    this.lines.push(c ? this.scalar(c, v) : 'return null;')
    this.lines.push('} }')
  }

  kid(child: TableState): number {
    let i = this.kidTables.indexOf(child)
    if (i < 0) i = this.kidTables.push(child) - 1
    return i
  }
}

function build(table: TableState): { body: string; kids: TableState[] } {
  const e = new Emitter(table)
  const cols = table.columns.map((c) => e.col(c))
  if (cols.length > 0) e.lines.push(`let ${cols.map((c) => `${c} = null`).join(', ')};`)
  e.object(table.shape, 'r', 0)
  const prefix = table.isRoot ? '' : 'pid, idx, '
  e.lines.push(`return [${prefix}${cols.join(', ')}];`)
  return { body: e.lines.join('\n'), kids: e.kidTables }
}

export function compileRoot(table: TableState): CompiledRoot {
  const { body, kids } = build(table)
  return new Function('H', 'K', `return function extract(r, kids) {\n${body}\n}`)(helpers, kids) as CompiledRoot
}

export function compileChild(table: TableState): CompiledChild {
  const { body } = build(table)
  return new Function('H', `return function extract(r, pid, idx) {\n${body}\n}`)(helpers) as CompiledChild
}
