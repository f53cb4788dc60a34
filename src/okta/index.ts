/** The Okta client's public API. */
export { OktaHttpClient } from './client.ts'
export type { OktaClientConfig } from './config.ts'
export { bucketForPath } from './buckets.ts'
export { parseLinkHeader, nextLink } from './link-header.ts'
export { parseJson } from './json.ts'
export {
  OktaRequestError,
  OktaApiError,
  OktaAuthError,
  OktaRateLimitError,
  OktaTimeoutError,
  OktaNetworkError,
  OktaResponseError,
  OktaForeignUrlError,
  OktaConfigError,
  OktaUnreachableError,
  OktaWaitTooLongError,
  OktaPaginationLoopError,
  OktaBadLinkError,
  OktaRedirectError,
} from './errors.ts'
export { isLoopbackHost } from './loopback.ts'
export { OKTA_CLIENT_DEFAULTS, OKTA_CLIENT_LIMITS } from './defaults.ts'
export type { OktaRequestErrorInit } from './errors.ts'
export type { BucketStats, ClientStats, OktaAuth, OktaClient, Page, PageRequest } from './types.ts'
export type { BucketName } from './buckets.ts'
