import { z } from 'zod'
import { OKTA_CLIENT_LIMITS as L } from '../okta/defaults.ts'
import { HISTORY_CAPABLE, RESOURCE_NAMES } from '../resources/types.ts'

/**
 * The shape of `pipeline.config.json`, as written by users (before defaults, env overrides and
 * secret resolution). Every object is strict: a typo'd key is an error naming it, never silently
 * ignored. Secrets have no place here: only the NAME of an environment variable or a file path.
 */

// An environment variable name. Checked so that a token pasted into `tokenEnv` by mistake is
// rejected without ever being echoed (the message names the key, not the value).
const envVarName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
  error: 'expected the NAME of an environment variable (letters, digits, _), e.g. OKTA_API_TOKEN',
})

const filePath = z.string().min(1, { error: 'expected a file path' })

export const sswsAuthSchema = z.strictObject({
  type: z.literal('ssws'),
  /** Environment variable holding the API token. Default `OKTA_API_TOKEN`. */
  tokenEnv: envVarName.optional(),
  /** File holding the API token (relative paths: to the config file's directory). */
  tokenFile: filePath.optional(),
})

export const oauthAuthSchema = z.strictObject({
  type: z.literal('oauth'),
  clientId: z.string().min(1),
  /** Environment variable holding the private key (PEM PKCS#8 or JWK JSON). Default `OKTA_PRIVATE_KEY`. */
  privateKeyEnv: envVarName.optional(),
  privateKeyFile: filePath.optional(),
  keyId: z.string().min(1).optional(),
  scopes: z.array(z.string().min(1)).min(1).optional(),
  /** DPoP-bound tokens: `"auto"` (default) once Okta demands them, `true` always, `false` never. */
  dpop: z.literal(['auto', true, false]).optional(),
})

export const configFileSchema = z.strictObject({
  okta: z
    .strictObject({
      orgUrl: z.string().optional(),
      auth: z.discriminatedUnion('type', [sswsAuthSchema, oauthAuthSchema]).optional(),
      rateLimitShare: z.number().gt(0).lte(1).optional(),
      maxInFlight: z.int().min(L.maxInFlight.min).max(L.maxInFlight.max).optional(),
      requestTimeoutMs: z.int().min(L.requestTimeoutMs.min).max(L.requestTimeoutMs.max).optional(),
      maxRetries: z.int().min(L.maxRetries.min).max(L.maxRetries.max).optional(),
      maxWaitSeconds: z.number().min(L.maxWaitSeconds.min).max(L.maxWaitSeconds.max).optional(),
    })
    .optional(),
  destination: z.string().min(1).optional(),
  resources: z.array(z.enum(RESOURCE_NAMES)).min(1).optional(),
  // Tables that keep a <table>_history twin; [] for none.
  history: z.array(z.enum(HISTORY_CAPABLE as [string, ...string[]])).optional(),
  systemLog: z
    .strictObject({
      startDaysAgo: z.number().gt(0).lte(3650).optional(),
    })
    .optional(),
  extract: z
    .strictObject({
      lookbackMinutes: z.number().min(0).max(1440).optional(),
      childConcurrency: z.int().min(1).max(32).optional(),
    })
    .optional(),
  load: z
    .strictObject({
      maxBatchRows: z.int().min(1).max(100_000).optional(),
    })
    .optional(),
  lockWaitSeconds: z.number().min(0).max(86_400).optional(),
})

export type ConfigFile = z.infer<typeof configFileSchema>

/** Keys that would hold a secret in the file itself: rejected with an explanation, value never echoed. */
export const LITERAL_SECRET_KEYS: Record<string, string> = {
  token: 'tokenEnv',
  apiToken: 'tokenEnv',
  ssws: 'tokenEnv',
  privateKey: 'privateKeyEnv',
  clientSecret: 'privateKeyEnv',
  password: 'tokenEnv',
}

/** Every key path the schema knows, for "did you mean" suggestions. */
export const KNOWN_KEYS: Record<string, string[]> = {
  '': ['okta', 'destination', 'resources', 'history', 'systemLog', 'extract', 'load', 'lockWaitSeconds'],
  okta: ['orgUrl', 'auth', 'rateLimitShare', 'maxInFlight', 'requestTimeoutMs', 'maxRetries', 'maxWaitSeconds'],
  'okta.auth': ['type', 'tokenEnv', 'tokenFile', 'clientId', 'privateKeyEnv', 'privateKeyFile', 'keyId', 'scopes', 'dpop'],
  systemLog: ['startDaysAgo'],
  extract: ['lookbackMinutes', 'childConcurrency'],
  load: ['maxBatchRows'],
}
