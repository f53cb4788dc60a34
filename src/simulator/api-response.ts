/** What a route handler returns (the server turns it into headers and a JSON body). */
import { randomBytes } from 'node:crypto'

export interface ApiResponse {
  status: number
  body: unknown
  headers?: Record<string, string | string[]>
  /** `link` header lines. */
  links?: string[]
}

/** Thrown by handlers to answer with an Okta error object. */
export class ApiError extends Error {
  readonly response: ApiResponse
  constructor(response: ApiResponse) {
    super(`HTTP ${response.status}`)
    this.response = response
  }
}

export function errorId(): string {
  return `oae${randomBytes(16).toString('base64url').slice(0, 22)}`
}

/** Okta's error body: errorCode, errorSummary, errorLink, errorId, errorCauses. */
export function oktaError(status: number, errorCode: string, errorSummary: string, causes: string[] = [], headers?: Record<string, string>): ApiResponse {
  return {
    status,
    body: { errorCode, errorSummary, errorLink: errorCode, errorId: errorId(), errorCauses: causes.map((c) => ({ errorSummary: c })) },
    ...(headers ? { headers } : {}),
  }
}

export function fail(status: number, errorCode: string, errorSummary: string, causes: string[] = []): never {
  throw new ApiError(oktaError(status, errorCode, errorSummary, causes))
}

export const notFound = (what: string, kind: string): never =>
  fail(404, 'E0000007', `Not found: Resource not found: ${what} (${kind})`)
