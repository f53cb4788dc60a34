import { findNodeAtLocation, parse, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser'

/**
 * Where in the config file a problem is: `config /abs/pipeline.config.json:4:15`, so an editor
 * (or a person) jumps straight to it. jsonc-parser gives every key and value its offset; the
 * values themselves still come from `JSON.parse` (strict JSON, no comments or trailing commas).
 */
export interface ConfigLocation {
  /** `config /abs/file.json:L:C` for the key path (its key when `key` is set, else its value); the nearest located ancestor otherwise. */
  at(path?: readonly PropertyKey[], opts?: { key?: boolean }): string
}

/** Without a file (configuration from the environment only): just `config`. */
export const NO_FILE: ConfigLocation = { at: () => 'config' }

/** A file that cannot be read or parsed at all: its path, no position. */
export function fileOnly(path: string): ConfigLocation {
  return { at: () => `config ${path}` }
}

export function locateIn(path: string, text: string): ConfigLocation {
  const root = parseTree(text, [], { allowTrailingComma: false, disallowComments: true })
  return {
    at(keyPath = [], opts = {}) {
      if (root === undefined) return `config ${path}`
      for (let n = keyPath.length; n >= 0; n--) {
        const segments = keyPath.slice(0, n).filter((s): s is string | number => typeof s !== 'symbol')
        const node = findNodeAtLocation(root, segments)
        if (node === undefined) continue
        // A property's key is the parent property node's first child.
        const target: Node = opts.key === true && n === keyPath.length && node.parent?.type === 'property' ? node.parent : node
        return `config ${path}:${lineColumn(text, target.offset)}`
      }
      return `config ${path}`
    },
  }
}

/** The first syntax problem of a text that `JSON.parse` refused, as `L:C: what`, never quoting the text. */
export function syntaxProblem(text: string): { offset: number; what: string } | null {
  const errors: ParseError[] = []
  parse(text, errors, { allowTrailingComma: false, disallowComments: true, allowEmptyContent: false })
  const first = errors[0]
  if (first === undefined) return null
  return { offset: first.offset, what: SYNTAX[printParseErrorCode(first.error)] ?? 'invalid JSON' }
}

const SYNTAX: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'expected a key in double quotes (a trailing comma?)',
  ValueExpected: 'expected a value (a trailing comma?)',
  ColonExpected: 'expected ":"',
  CommaExpected: 'expected ","',
  CloseBraceExpected: 'expected "}"',
  CloseBracketExpected: 'expected "]"',
  EndOfFileExpected: 'unexpected text after the end of the JSON',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfComment: 'comments are not allowed in JSON',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'invalid number',
  InvalidUnicode: 'invalid \\u escape in a string',
  InvalidEscapeCharacter: 'invalid escape in a string',
  InvalidCharacter: 'control character in a string',
}

/** 1-based `line:column` of an offset. */
export function lineColumn(text: string, offset: number): string {
  let line = 1
  let lineStart = 0
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++
      lineStart = i + 1
    }
  }
  return `${line}:${offset - lineStart + 1}`
}
