import { TOKEN_PATH } from '../../okta/auth.ts'
import { OktaAuthError, OktaHttpClient, OktaRequestError } from '../../okta/index.ts'
import { probeOrg } from '../../okta/org-probe.ts'
import type { OktaConfig } from '../../pipeline/types.ts'
import { SCOPE_PROBES, scopeUsage } from '../../resources/scopes.ts'
import type { ResourceName } from '../../resources/types.ts'
import { describeError } from '../../util/errors.ts'
import { fail, ok, skipped, type CheckResult } from './check-result.ts'

/** Per request. A preflight answers in seconds or says what is wrong; it never waits out a run's retries. */
export const CHECK_TIMEOUT_MS = 5_000

/**
 * The Okta half of `okta-elt check`: the org answers (one unauthenticated request), the
 * credentials are accepted (SSWS: the first API request is not a 401; OAuth: the token call
 * succeeds), and every scope the selected resources need is granted (one `limit=1` request per
 * endpoint family; a 403 names the missing scope). No retries: a failure is reported, not waited out.
 */
export async function checkOkta(okta: OktaConfig, selected: readonly ResourceName[], timeoutMs = CHECK_TIMEOUT_MS): Promise<CheckResult[]> {
  const families = scopeUsage(selected)
  const scopeName = (scope: string): string => `scope ${scope}`
  const skipScopes = (why: string): CheckResult[] => families.map((f) => skipped(scopeName(f.scope), why))

  // A smaller configured request timeout wins (the check is never slower than a run's single attempt).
  const deadline = Math.min(okta.requestTimeoutMs, timeoutMs)
  const reach = await probeOrg(okta.orgUrl, deadline)
  if (!reach.reachable) {
    return [fail('org', `${okta.orgUrl}: ${reach.reason}`), skipped('credentials', 'org unreachable'), ...skipScopes('org unreachable')]
  }
  // Okta answers this path (and its errors) in JSON; an HTML page means some other web server.
  const notOkta = reach.okta ? '' : ' (not JSON: is this the Okta org URL?)'
  const results: CheckResult[] = [ok('org', `${okta.orgUrl} answered HTTP ${reach.status} in ${reach.ms} ms${notOkta}`)]

  const client = new OktaHttpClient({
    ...okta,
    maxRetries: 0,
    requestTimeoutMs: deadline,
    maxInFlight: 1,
  })
  try {
    let credentials: CheckResult | null = null
    const scopeResults: CheckResult[] = []
    for (const family of families) {
      const name = scopeName(family.scope)
      const path = SCOPE_PROBES[family.scope]!
      const needed = `needed by ${family.resources.join(', ')}`
      try {
        await client.get(path)
        credentials ??= ok('credentials', acceptedDetail(okta))
        scopeResults.push(ok(name, `GET ${path.split('?')[0]} answered (${needed})`))
      } catch (err) {
        const verdict = classify(err)
        if (verdict === 'credentials') {
          // Rejected credentials fail every request alike: one line says so, the scopes are moot.
          results.push(fail('credentials', describeError(err)), ...skipScopes('credentials rejected'))
          return results
        }
        if (verdict === 'scope') credentials ??= ok('credentials', acceptedDetail(okta))
        scopeResults.push(fail(name, `${describeError(err)} (${needed}${grantHint(okta)})`))
      }
    }
    results.push(credentials ?? skipped('credentials', 'no request reached the API'), ...scopeResults)
    return results
  } finally {
    await client.close().catch(() => undefined)
  }
}

/** What a failed probe says about the credentials: rejected, accepted but short of a scope, or neither. */
function classify(err: unknown): 'credentials' | 'scope' | 'other' {
  if (!(err instanceof OktaAuthError)) return err instanceof OktaRequestError && err.path === TOKEN_PATH ? 'credentials' : 'other'
  if (err.path === TOKEN_PATH || err.status === 401) return 'credentials'
  return 'scope'
}

function acceptedDetail(okta: OktaConfig): string {
  return okta.auth.type === 'ssws' ? 'API token accepted' : `access token issued to client ${okta.auth.clientId}`
}

function grantHint(okta: OktaConfig): string {
  return okta.auth.type === 'oauth'
    ? '; grant it to the service app and list it in okta.auth.scopes'
    : "; the token's admin lacks the permission"
}
