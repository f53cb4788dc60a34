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
} from './errors.ts'
export type { OktaRequestErrorInit } from './errors.ts'
export type { BucketStats, ClientStats, OktaClient, Page, PageRequest } from './types.ts'
