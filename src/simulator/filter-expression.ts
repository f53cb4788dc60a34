/**
 * One parser for Okta's `filter` / `search` grammar (users, groups, System Log):
 * `attr op "value"` joined by `and` / `or`, grouped with parentheses, optionally negated with `not`;
 * operators and keywords are case-insensitive, attribute names are not. Each endpoint then checks
 * the parsed tree against what it allows (`validate`) and evaluates it against lazy records.
 */

export type Operator = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | 'sw' | 'co' | 'ew' | 'pr'
export type Literal = string | number | boolean | null

export type Expr =
  | { kind: 'and' | 'or'; left: Expr; right: Expr }
  | { kind: 'not'; expr: Expr }
  | { kind: 'cmp'; attr: string; op: Operator; value: Literal }

const OPERATORS = new Set<string>(['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'sw', 'co', 'ew', 'pr'])

/** The expression is not syntactically valid, or uses something the endpoint does not support. */
export class ExpressionError extends Error {
  /** `date`: a value that should be a date is not one (Okta answers E0000030). */
  readonly kind: 'syntax' | 'unsupported' | 'date'
  constructor(message: string, kind: 'syntax' | 'unsupported' | 'date' = 'syntax') {
    super(message)
    this.kind = kind
  }
}

type Token = { type: 'word'; text: string } | { type: 'string'; text: string } | { type: 'lparen' } | { type: 'rparen' }

function tokenize(input: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < input.length) {
    const c = input[i] as string
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++
    } else if (c === '(') {
      tokens.push({ type: 'lparen' })
      i++
    } else if (c === ')') {
      tokens.push({ type: 'rparen' })
      i++
    } else if (c === '"') {
      let text = ''
      i++
      while (i < input.length && input[i] !== '"') {
        if (input[i] === '\\' && i + 1 < input.length) i++
        text += input[i]
        i++
      }
      if (i >= input.length) throw new ExpressionError('unterminated string')
      i++
      tokens.push({ type: 'string', text })
    } else {
      let text = ''
      while (i < input.length && !' \t\n\r()"'.includes(input[i] as string)) {
        text += input[i]
        i++
      }
      tokens.push({ type: 'word', text })
    }
  }
  return tokens
}

export function parseExpression(input: string): Expr {
  const tokens = tokenize(input)
  let pos = 0
  const peekWord = (): string | undefined => {
    const t = tokens[pos]
    return t?.type === 'word' ? t.text.toLowerCase() : undefined
  }

  const parseOr = (): Expr => {
    let left = parseAnd()
    while (peekWord() === 'or') {
      pos++
      left = { kind: 'or', left, right: parseAnd() }
    }
    return left
  }
  const parseAnd = (): Expr => {
    let left = parseUnary()
    while (peekWord() === 'and') {
      pos++
      left = { kind: 'and', left, right: parseUnary() }
    }
    return left
  }
  const parseUnary = (): Expr => {
    const t = tokens[pos]
    if (!t) throw new ExpressionError('unexpected end of expression')
    if (t.type === 'lparen') {
      pos++
      const inner = parseOr()
      if (tokens[pos]?.type !== 'rparen') throw new ExpressionError('missing )')
      pos++
      return inner
    }
    if (peekWord() === 'not') {
      pos++
      return { kind: 'not', expr: parseUnary() }
    }
    if (t.type !== 'word' || !/^[A-Za-z_][A-Za-z0-9_.$-]*$/.test(t.text)) throw new ExpressionError('expected an attribute name')
    pos++
    const opToken = tokens[pos]
    if (opToken?.type !== 'word' || !OPERATORS.has(opToken.text.toLowerCase())) throw new ExpressionError(`expected an operator after ${t.text}`)
    pos++
    const op = opToken.text.toLowerCase() as Operator
    if (op === 'pr') return { kind: 'cmp', attr: t.text, op, value: null }
    const v = tokens[pos]
    pos++
    if (v?.type === 'string') return { kind: 'cmp', attr: t.text, op, value: v.text }
    if (v?.type === 'word') {
      const w = v.text.toLowerCase()
      if (w === 'true' || w === 'false') return { kind: 'cmp', attr: t.text, op, value: w === 'true' }
      if (w === 'null') return { kind: 'cmp', attr: t.text, op, value: null }
      if (/^-?\d+(\.\d+)?$/.test(v.text)) return { kind: 'cmp', attr: t.text, op, value: Number(v.text) }
    }
    throw new ExpressionError(`expected a value after ${t.text} ${op}`)
  }

  const expr = parseOr()
  if (pos !== tokens.length) throw new ExpressionError('unexpected trailing input')
  return expr
}

export interface ExpressionRules {
  /** Whether `attr op` is allowed; return false to reject with `unsupported`. */
  allow(attr: string, op: Operator): boolean
  /** Attributes holding dates: their values are parsed to epoch ms (bad date → `date` error). */
  dateAttrs: ReadonlySet<string>
  allowNot?: boolean
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:?\d{2})$/

export function parseDate(text: string): number | undefined {
  if (!ISO_DATE.test(text)) return undefined
  const ms = Date.parse(text)
  return Number.isNaN(ms) ? undefined : ms
}

/** Checks the tree against an endpoint's rules and returns a copy with date literals as epoch ms. */
export function validate(expr: Expr, rules: ExpressionRules): Expr {
  switch (expr.kind) {
    case 'and':
    case 'or':
      return { kind: expr.kind, left: validate(expr.left, rules), right: validate(expr.right, rules) }
    case 'not':
      if (!rules.allowNot) throw new ExpressionError('not is unsupported', 'unsupported')
      return { kind: 'not', expr: validate(expr.expr, rules) }
    case 'cmp': {
      if (!rules.allow(expr.attr, expr.op)) throw new ExpressionError(`${expr.attr} ${expr.op} is unsupported`, 'unsupported')
      if (rules.dateAttrs.has(expr.attr) && expr.op !== 'pr') {
        const ms = typeof expr.value === 'string' ? parseDate(expr.value) : undefined
        if (ms === undefined) throw new ExpressionError(`invalid date for ${expr.attr}`, 'date')
        return { ...expr, value: ms }
      }
      return expr
    }
  }
}

function compareOne(actual: unknown, op: Operator, expected: Literal): boolean {
  if (op === 'pr') return actual !== undefined && actual !== null
  if (actual === undefined) return false
  if (expected === null || actual === null) {
    if (op === 'eq') return actual === expected
    if (op === 'ne') return actual !== expected
    return false
  }
  if (typeof actual === 'string' && typeof expected === 'string') {
    // Okta's string matching is case-insensitive.
    const a = actual.toLowerCase()
    const e = expected.toLowerCase()
    switch (op) {
      case 'eq': return a === e
      case 'ne': return a !== e
      case 'sw': return a.startsWith(e)
      case 'co': return a.includes(e)
      case 'ew': return a.endsWith(e)
      case 'gt': return a > e
      case 'ge': return a >= e
      case 'lt': return a < e
      case 'le': return a <= e
    }
  }
  if (typeof actual === 'number' && typeof expected === 'number') {
    switch (op) {
      case 'eq': return actual === expected
      case 'ne': return actual !== expected
      case 'gt': return actual > expected
      case 'ge': return actual >= expected
      case 'lt': return actual < expected
      case 'le': return actual <= expected
      default: return false
    }
  }
  if (typeof actual === 'boolean' && typeof expected === 'boolean') {
    if (op === 'eq') return actual === expected
    if (op === 'ne') return actual !== expected
    return false
  }
  if (op === 'eq' || op === 'ne') {
    const same = String(actual).toLowerCase() === String(expected).toLowerCase()
    return op === 'eq' ? same : !same
  }
  return false
}

/** Evaluates against a record seen through `get(attr)` (arrays match when any element matches). */
export function evaluate(expr: Expr, get: (attr: string) => unknown): boolean {
  switch (expr.kind) {
    case 'and': return evaluate(expr.left, get) && evaluate(expr.right, get)
    case 'or': return evaluate(expr.left, get) || evaluate(expr.right, get)
    case 'not': return !evaluate(expr.expr, get)
    case 'cmp': {
      const actual = get(expr.attr)
      if (Array.isArray(actual)) {
        if (expr.op === 'pr') return actual.length > 0
        return actual.some((v) => compareOne(v, expr.op, expr.value))
      }
      return compareOne(actual, expr.op, expr.value)
    }
  }
}

/** The conjuncts of a top-level `and` chain (the whole tree when it is not one). */
export function conjuncts(expr: Expr): Expr[] {
  return expr.kind === 'and' ? [...conjuncts(expr.left), ...conjuncts(expr.right)] : [expr]
}

export interface Range {
  /** Inclusive lower bound (epoch ms), if the expression implies one. */
  min?: number
  /** Inclusive upper bound. */
  max?: number
}

/**
 * The numeric range an `and` chain forces on one date attribute, so a scan can start with a
 * binary search instead of reading a million records (`gt` on whole milliseconds is `ge` + 1).
 */
export function rangeOf(expr: Expr, attr: string): Range {
  const range: Range = {}
  for (const c of conjuncts(expr)) {
    if (c.kind !== 'cmp' || c.attr !== attr || typeof c.value !== 'number') continue
    const v = c.value
    const lower = c.op === 'gt' ? v + 1 : c.op === 'ge' || c.op === 'eq' ? v : undefined
    const upper = c.op === 'lt' ? v - 1 : c.op === 'le' || c.op === 'eq' ? v : undefined
    if (lower !== undefined) range.min = Math.max(range.min ?? -Infinity, lower)
    if (upper !== undefined) range.max = Math.min(range.max ?? Infinity, upper)
  }
  return range
}

/** The value of an `attr eq "…"` conjunct, when the chain has one. */
export function equalityOf(expr: Expr, attr: string): Literal | undefined {
  for (const c of conjuncts(expr)) {
    if (c.kind === 'cmp' && c.attr === attr && c.op === 'eq') return c.value
  }
  return undefined
}

/** Reads `a.b.c` from nested objects; arrays along the way collect every element's value. */
export function readPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj
  for (const key of path.split('.')) {
    if (cur === null || cur === undefined) return undefined
    if (Array.isArray(cur)) {
      cur = cur.map((v) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined))
    } else if (typeof cur === 'object') {
      cur = (cur as Record<string, unknown>)[key]
    } else {
      return undefined
    }
  }
  return cur
}
