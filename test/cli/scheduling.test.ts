import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { validateConfigFile } from '../../src/cli/config.ts'
import { BufferOutput } from '../../src/cli/io.ts'
import { buildProgram } from '../../src/cli/program.ts'
import { tempDir } from './helpers.ts'

/**
 * The README's scheduling recipes (cron, systemd) and the files in examples/ they come from: they
 * call the checkout's Node 24, never the machine's node (20 on these machines, which cannot run
 * the code), the systemd units are complete and pass `systemd-analyze verify`, and the command
 * lines work when run.
 */
const ROOT = resolve(import.meta.dirname, '../..')
const README = readFileSync(join(ROOT, 'README.md'), 'utf8')
const SYSTEMD = join(ROOT, 'examples/systemd')
const units = Object.fromEntries(readdirSync(SYSTEMD).map((f) => [f, readFileSync(join(SYSTEMD, f), 'utf8')]))
const cronFile = readFileSync(join(ROOT, 'examples/cron/okta-elt'), 'utf8')
const CHECKOUT_NODE = '/opt/okta-elt/node_modules/.bin/node /opt/okta-elt/bin/okta-elt.js'

const codeBlocks = (lang: string) => [...README.matchAll(new RegExp('^```' + lang + '\\n([\\s\\S]*?)^```', 'gm'))].map((m) => m[1]!)
/** `Key=value` lines of a unit's section. */
function directives(unit: string): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const line of unit.split('\n')) {
    const m = /^(\w+)=(.*)$/.exec(line)
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!])
  }
  return out
}
const service = directives(units['okta-elt@.service']!)
/** Every command line of the recipes that starts okta-elt. */
const commandLines = [
  ...service.get('ExecStart')!,
  ...cronFile.split('\n').filter((l) => /^\d/.test(l)),
  ...codeBlocks('cron').flatMap((b) => b.split('\n').filter((l) => /^\d/.test(l))),
]

describe('scheduling recipes', () => {
  it('the README shows the systemd units exactly as examples/systemd has them', () => {
    const ini = codeBlocks('ini').map((b) => b.trimEnd())
    expect(Object.keys(units).sort()).toEqual(['okta-elt-failure@.service', 'okta-elt@.service', 'okta-elt@.timer'])
    for (const [name, text] of Object.entries(units)) expect(ini, name).toContain(text.trimEnd())
  })

  it('call the checkout’s Node 24 by absolute path, never the machine’s node', () => {
    expect(commandLines.length).toBeGreaterThanOrEqual(3)
    for (const line of commandLines) expect(line).toContain(`${CHECKOUT_NODE} run --config /etc/okta-elt/`)
    for (const block of [...codeBlocks('sh'), ...codeBlocks('cron'), ...codeBlocks('ini')]) {
      expect(block).not.toMatch(/\/usr\/bin\/node|(^|[\s;&|])node \//m)
    }
  })

  it('the command line works as written on a PATH whose only node is the machine’s', () => {
    const [nodePath, bin, ...args] = service.get('ExecStart')![0]!.replaceAll('/opt/okta-elt', ROOT).split(' ')
    const run = buildProgram({ stdout: new BufferOutput(), stderr: new BufferOutput(), env: {}, isTTY: false }, () => {}).commands.find((c) => c.name() === 'run')!
    const known = new Set(['--config', ...run.options.map((o) => o.long)])
    for (const line of commandLines) for (const flag of line.match(/ --[\w-]+/g) ?? []) expect(known, flag).toContain(flag.trim())
    expect(args[0]).toBe('run')
    const r = spawnSync(nodePath!, [bin!, '--version'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } })
    expect({ code: r.status, stdout: r.stdout.trim(), stderr: r.stderr }).toEqual({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+$/), stderr: '' })
  })

  it('the systemd service is complete: service user, state directory, env file, failure hook, stop is not a failure', () => {
    expect(service.get('Type')).toEqual(['oneshot'])
    expect(service.get('User')).toEqual(['okta-elt'])
    expect(service.get('StateDirectory')).toEqual(['okta-elt/%i'])
    expect(service.get('WorkingDirectory')).toEqual(['%S/okta-elt/%i'])
    expect(service.get('EnvironmentFile')).toEqual(['/etc/okta-elt/%i.env'])
    expect(service.get('ExecStart')![0]).toContain('--config /etc/okta-elt/orgs/%i.json')
    // SIGTERM (systemctl stop) ends a run with exit 130 after the batch commits.
    expect(service.get('SuccessExitStatus')).toEqual(['130'])
    expect(service.get('OnFailure')).toEqual(['okta-elt-failure@%n.service'])
    expect(directives(units['okta-elt-failure@.service']!).get('Type')).toEqual(['oneshot'])
    expect(directives(units['okta-elt@.timer']!).get('Persistent')).toEqual(['true'])
    // The README says who owns the env file and its mode.
    expect(README).toContain('install -m 0600 -o root -g root /dev/null /etc/okta-elt/acme.env')
  })

  it.skipIf(!existsSync('/usr/bin/systemd-analyze'))('systemd-analyze verify accepts the units', () => {
    const dir = tempDir()
    try {
      const unitDir = join(dir.dir, 'units')
      mkdirSync(unitDir)
      // Instances as `systemctl enable okta-elt@acme.timer` creates them; the checkout is this one.
      const instances = {
        'okta-elt@acme.service': units['okta-elt@.service']!,
        'okta-elt@acme.timer': units['okta-elt@.timer']!,
        'okta-elt-failure@okta-elt@acme.service.service': units['okta-elt-failure@.service']!,
      }
      for (const [name, text] of Object.entries(instances)) writeFileSync(join(unitDir, name), text.replaceAll('/opt/okta-elt', ROOT))
      const r = spawnSync('systemd-analyze', ['verify', '--man=no', ...Object.keys(instances).map((n) => join(unitDir, n))], { encoding: 'utf8' })
      expect({ code: r.status, stderr: r.stderr.trim() }).toEqual({ code: 0, stderr: '' })
    } finally {
      dir.cleanup()
    }
  })

  it('every README config example is valid', () => {
    const configs = codeBlocks('json')
      .map((b) => JSON.parse(b) as Record<string, unknown>)
      .filter((c) => 'okta' in c || 'destination' in c)
    expect(configs.length).toBeGreaterThanOrEqual(3)
    for (const c of configs) expect(() => validateConfigFile(c)).not.toThrow()
  })

  it('systemd-analyze, when present, is the real one', () => {
    if (!existsSync('/usr/bin/systemd-analyze')) return
    expect(execFileSync('systemd-analyze', ['--version'], { encoding: 'utf8' })).toMatch(/^systemd \d+/)
  })
})
