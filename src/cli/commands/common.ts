import type { PipelineConfig } from '../../pipeline/types.ts'
import { resolveAuth, type ParsedConfig } from '../config.ts'
import type { CliIo } from '../io.ts'

/** Options every command receives (commander's globals). */
export interface GlobalOptions {
  /** Config file path. Default `./pipeline.config.json`. */
  config: string
  /** True when `--config` was given: a missing file is then an error instead of "use the environment". */
  configExplicit: boolean
  verbose: boolean
}

/** Registers the config's secrets with the io's redactor, so no output can ever show them. */
export function registerSecrets(io: CliIo, config: PipelineConfig): void {
  const auth = config.okta.auth
  if (auth.type === 'ssws') io.secrets?.add(auth.token)
  else io.secrets?.add(auth.privateKey)
  registerUrlPassword(io, config.destination)
}

/**
 * For commands that need no Okta credentials (`status`, `backfill --from`) but print or copy what
 * a run stored: registers the configured token or key when they can be resolved, so a secret an
 * older version stored in clear is still blanked. Never fails: pattern redaction always applies.
 */
export async function registerConfiguredSecrets(io: CliIo, parsed: ParsedConfig): Promise<void> {
  try {
    const auth = await resolveAuth(parsed, io.env)
    io.secrets?.add(auth.type === 'ssws' ? auth.token : auth.privateKey)
  } catch {
    // No credentials configured here: nothing to register.
  }
}

/** A password in a destination URL is a secret too. */
export function registerUrlPassword(io: CliIo, url: string | undefined): void {
  if (url === undefined || !/^postgres(ql)?:\/\//.test(url)) return
  try {
    const password = new URL(url).password
    if (password !== '') {
      io.secrets?.add(password)
      io.secrets?.add(decodeURIComponent(password))
    }
  } catch {
    // Unparseable URLs are rejected by validation before any output.
  }
}

/**
 * Runs `body` with an AbortSignal that fires on the first SIGINT/SIGTERM (the process io exits at
 * once on the second). `onInterrupt` lets the command say what is happening.
 */
export async function withInterrupt<T>(io: CliIo, onInterrupt: (signal: string) => void, body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController()
  const unsubscribe = io.onSignal?.((sig) => {
    if (controller.signal.aborted) return
    onInterrupt(sig)
    controller.abort(new Error(`interrupted by ${sig}`))
  })
  try {
    return await body(controller.signal)
  } finally {
    unsubscribe?.()
  }
}
