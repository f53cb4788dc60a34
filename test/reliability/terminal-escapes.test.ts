/**
 * Text from the network is data, not terminal control. A server whose error body carries ESC
 * sequences (clear screen, set the window title), BEL, backspace, NUL, CR, an 8-bit CSI and a
 * bidi override gets none of them onto the operator's terminal: the run's error line, the
 * summary, the JSON log lines, `--json`, `status` (human and --json) show them in visible
 * `\u001b` form, and `--json` still round-trips the text. On a terminal (the live view), the
 * only control sequences written are the view's own cursor moves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BufferOutput, type CliIo } from '../../src/cli/io.ts'
import { runCli } from '../../src/cli/program.ts'
import { startHostileServer, type HostileServer } from './hostile-server.ts'
import { runCliProcess, tempDir } from './helpers.ts'

const TOKEN = 'escape-test-token-1234567890'
const HOSTILE = '\x1b[2J\x1b]0;pwned\x07 bell\x08\x08back \x00nul \x1b[31mred\x1b[0m \u009b31m c1 \u202eevil\u202c \x7fdel'
// What may reach a terminal besides text: newline and tab (the CLI's own layout).
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/

let server: HostileServer
let tmp: ReturnType<typeof tempDir>
beforeAll(async () => {
  server = await startHostileServer(() => ({ status: 400, body: { errorCode: 'E0000001\x1b[5m', errorSummary: `Api validation failed: ${HOSTILE}` } }))
  tmp = tempDir()
})
afterAll(async () => {
  await server?.close()
  tmp?.cleanup()
})

function config(name: string): string {
  return tmp.write(`${name}.json`, { okta: { orgUrl: server.url, maxRetries: 0 }, destination: `sqlite:${tmp.dir}/${name}.db`, resources: ['users', 'groups'] })
}

function expectNoControl(text: string, where: string): void {
  const m = CONTROL.exec(text)
  expect(m, `${where}: raw control character U+${m?.[0].charCodeAt(0).toString(16).padStart(4, '0')} near ${JSON.stringify(text.slice(Math.max(0, (m?.index ?? 0) - 30), (m?.index ?? 0) + 10))}`).toBeNull()
}

describe('a hostile error body reaches no terminal raw (subprocess)', () => {
  it('run (human and --json), its error line, JSON log lines, status (human and --json)', async () => {
    const file = config('escapes')
    const env = { OKTA_API_TOKEN: TOKEN }
    const human = await runCliProcess(['--config', file, 'run'], { env, cwd: tmp.dir })
    const json = await runCliProcess(['--config', file, 'run', '--json'], { env, cwd: tmp.dir })
    const status = await runCliProcess(['--config', file, 'status'], { cwd: tmp.dir })
    const statusJson = await runCliProcess(['--config', file, 'status', '--json'], { cwd: tmp.dir })
    expect(human.code, human.stderr).toBe(1)
    expect(json.code).toBe(1)
    expect(status.code, status.stderr).toBe(0)
    for (const [where, exit] of Object.entries({ human, json, status, statusJson })) {
      expectNoControl(exit.stdout, `${where} stdout`)
      expectNoControl(exit.stderr, `${where} stderr`)
    }
    // Visible, not swallowed: the operator can still read what the server sent.
    const errorLine = human.stderr.split('\n').find((l) => l.startsWith('okta-elt: run failed'))
    expect(errorLine).toContain('\\u001b[2J\\u001b]0;pwned\\u0007')
    expect(human.stdout).toContain('\\u202eevil')
    expect(status.stdout).toContain('\\u001b[2J')
    // Every JSON document still parses; the log lines too.
    const summary = JSON.parse(json.stdout) as { resources: { error?: string }[] }
    expect(summary.resources[0]!.error).toContain('\\u001b]0;pwned')
    expect(() => JSON.parse(statusJson.stdout)).not.toThrow()
    for (const line of json.stderr.split('\n').filter((l) => l.startsWith('{'))) expect(() => JSON.parse(line)).not.toThrow()
  })
})

describe('on a terminal (live view, in-process)', () => {
  it('writes only its own cursor moves; the error text is escaped', async () => {
    const raw = new BufferOutput()
    const stdout = new BufferOutput()
    const io: CliIo = { stdout, stderr: raw, env: { OKTA_API_TOKEN: TOKEN }, isTTY: true, cwd: tmp.dir }
    const code = await runCli(['--config', config('tty'), 'run'], io)
    expect(code).toBe(1)
    // The live view's own sequences: clear line, cursor up, carriage return. Anything else is a leak.
    const rest = raw.text.replace(/\x1b\[2K|\x1b\[\d+A|\r/g, '')
    expectNoControl(rest, 'terminal stderr')
    expectNoControl(stdout.text, 'terminal stdout')
    expect(raw.text).toContain('\\u001b[2J')
  })
})
