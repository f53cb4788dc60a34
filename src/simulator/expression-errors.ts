import { fail } from './api-response.ts'
import { ExpressionError, parseExpression, validate, type Expr, type ExpressionRules } from './filter-expression.ts'

/** Parses and validates a `filter`/`search` parameter, answering Okta's 400s on failure. */
export function parseParam(text: string, rules: ExpressionRules, param: 'filter' | 'search'): Expr {
  try {
    return validate(parseExpression(text), rules)
  } catch (err) {
    if (!(err instanceof ExpressionError)) throw err
    if (err.kind === 'date') {
      fail(400, 'E0000030', "Invalid date. Dates must be of the form yyyy-MM-dd'T'HH:mm:ss.SSSZZ, e.g. 2013-01-01T12:00:00.000-07:00.")
    }
    return fail(400, 'E0000031', 'Invalid search criteria.', [`${param}: ${err.message}`])
  }
}
