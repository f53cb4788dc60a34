/**
 * The `okta-elt` binary (bin/okta-elt.js imports this). Wires the real process into `runCli`:
 * streams, environment, terminal detection, and signals (the first SIGINT/SIGTERM asks the
 * command to stop cleanly; the second exits at once with 130).
 */
import type { CliIo } from './io.ts'
import { runCli } from './program.ts'

type Sig = 'SIGINT' | 'SIGTERM'
const handlers = new Set<(signal: Sig) => void>()
let received = 0

function onProcessSignal(signal: Sig): void {
  received++
  if (received > 1) {
    process.stderr.write(`\nokta-elt: ${signal} again, exiting now\n`)
    process.exit(130)
  }
  for (const h of [...handlers]) h(signal)
}

const io: CliIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  isTTY: process.stderr.isTTY === true,
  cwd: process.cwd(),
  // Listeners are installed only while a command subscribes, so outside a run Ctrl-C keeps its
  // default meaning (terminate).
  onSignal: (handler) => {
    if (handlers.size === 0) {
      process.on('SIGINT', onProcessSignal)
      process.on('SIGTERM', onProcessSignal)
    }
    handlers.add(handler)
    return () => {
      handlers.delete(handler)
      if (handlers.size === 0 && received === 0) {
        process.off('SIGINT', onProcessSignal)
        process.off('SIGTERM', onProcessSignal)
      }
    }
  },
}

const code = await runCli(process.argv.slice(2), io)
process.exitCode = code
// A connection pool or timer left open by a lower layer must not keep a cron job alive: give
// pending writes a moment, then exit with the command's code.
setTimeout(() => process.exit(code), 2000).unref()
