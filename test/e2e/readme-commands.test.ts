import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { CommanderError, type Command } from 'commander'
import { describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { BufferOutput } from '../../src/cli/io.ts'
import { buildProgram } from '../../src/cli/program.ts'

/**
 * Every command line the README shows works as written: each `okta-elt …` invocation (as
 * `npx okta-elt`, `bin/okta-elt.js`, a bare `okta-elt`, or the container image's arguments) names
 * a real command with real options and values the CLI accepts; each `npm` line a script or npm
 * command that exists; each `docker compose` line a service of docker-compose.yml; each
 * `kubectl -f` a manifest in the repository. Parsed by the real program with its actions
 * replaced, so nothing runs. (The SQL blocks have their own tests: readme-sql*.test.ts.)
 */
const root = fileURLToPath(new URL('../../', import.meta.url))
const readme = readFileSync(`${root}README.md`, 'utf8')
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { scripts: Record<string, string> }
const compose = parseYaml(readFileSync(`${root}docker-compose.yml`, 'utf8')) as { services: Record<string, unknown> }

/** Lines of the README's shell-like code blocks, `\`-continuations joined, `$ ` prompts dropped. */
function shellLines(): string[] {
  const out: string[] = []
  let lang: string | null = null
  let pending = ''
  for (const raw of readme.split('\n')) {
    const fence = /^\s*```(\w*)/.exec(raw)
    if (fence) {
      lang = lang === null ? fence[1]! : null
      continue
    }
    if (lang === null || ['sql', 'json', 'yaml', 'ini', 'psql'].includes(lang)) continue
    const line = raw.replace(/^\s*\$ /, '')
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' '
      continue
    }
    out.push((pending + line).trim())
    pending = ''
  }
  return out
}

/** Shell words of one line up to the first comment or operator, quotes removed. */
function words(line: string): string[] {
  const out: string[] = []
  let cur = ''
  let inWord = false
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!
    if (ch === "'" || ch === '"') {
      const end = line.indexOf(ch, i + 1)
      cur += line.slice(i + 1, end < 0 ? undefined : end)
      i = end < 0 ? line.length : end
      inWord = true
    } else if (/\s/.test(ch)) {
      if (inWord) out.push(cur)
      cur = ''
      inWord = false
    } else if (!inWord && ch === '#') {
      break
    } else if (!inWord && /[|;&<>]/.test(ch) || (/^[0-9]$/.test(ch) && !inWord && line[i + 1] === '>')) {
      break
    } else {
      cur += ch
      inWord = true
    }
  }
  if (inWord) out.push(cur)
  return out
}

/** The CLI arguments of every okta-elt invocation in the README. */
function invocations(): { line: string; args: string[] }[] {
  const found: { line: string; args: string[] }[] = []
  for (const line of shellLines()) {
    const w = words(line)
    // The synopsis block (`okta-elt run [--destination URL] …`) shows forms, not a command line.
    if (w.some((x) => x.startsWith('['))) continue
    for (let i = 0; i < w.length; i++) {
      const at = w[i]!
      const cli = at.endsWith('bin/okta-elt.js') || at === 'bin/okta-elt' || (at === 'okta-elt' && (i === 0 || w[i - 1] === 'npx' || isImageArg(w, i)))
      if (!cli) continue
      found.push({ line, args: w.slice(i + 1) })
      break
    }
  }
  return found
}

/** `docker run [options] okta-elt …`: the image name, whose arguments go to the CLI. */
function isImageArg(w: string[], i: number): boolean {
  if (w[0] !== 'docker' || w[1] !== 'run') return false
  // Options that take a value (the README uses -e NAME and -v SRC:DST).
  for (let j = 2; j < i; j++) if (['-e', '-v', '--env', '--volume', '--name'].includes(w[j]!)) j++
  return w.slice(2, i).every((x, k, a) => x.startsWith('-') || ['-e', '-v', '--env', '--volume', '--name'].includes(a[k - 1] ?? ''))
}

/** Parses `args` as the real CLI would, every command's action replaced by a no-op. */
async function parses(args: string[]): Promise<{ ok: boolean; message: string }> {
  const err = new BufferOutput()
  const program = buildProgram({ stdout: new BufferOutput(), stderr: err, env: {}, isTTY: false }, () => {})
  const quiet = (c: Command): void => {
    c.exitOverride()
    c.configureOutput({ writeOut: () => {}, writeErr: (s) => err.write(s) })
    for (const sub of c.commands) {
      sub.action(() => {})
      quiet(sub)
    }
  }
  quiet(program)
  try {
    await program.parseAsync(args, { from: 'user' })
    return { ok: true, message: '' }
  } catch (e) {
    if (e instanceof CommanderError && e.exitCode === 0) return { ok: true, message: '' }
    return { ok: false, message: err.text || String(e) }
  }
}

describe('README commands', () => {
  const calls = invocations()

  it('finds the okta-elt invocations of every shell block (run, status, check, backfill, simulate, demo; --version)', () => {
    const commands = new Set(calls.map((c) => c.args.find((a) => !a.startsWith('-')) ?? c.args[0]))
    for (const c of ['run', 'status', 'check', 'backfill', '--version']) expect(commands, c).toContain(c)
    expect(calls.length).toBeGreaterThanOrEqual(15)
  })

  it('every okta-elt invocation names a real command, options and values the CLI accepts', async () => {
    const failures: string[] = []
    for (const { line, args } of calls) {
      const r = await parses(args)
      if (!r.ok) failures.push(`${line}\n    → ${r.message.trim()}`)
    }
    expect(failures).toEqual([])
  })

  it('the checker refuses what the CLI refuses (an unknown option, command or value)', async () => {
    expect((await parses(['run', '--full-refesh'])).ok).toBe(false)
    expect((await parses(['statuz'])).ok).toBe(false)
    expect((await parses(['status', '--max-age', 'soon'])).ok).toBe(false)
    expect((await parses(['run', '--resources', 'users,nope'])).ok).toBe(false)
    expect((await parses(['status', '--max-age', '26h'])).ok).toBe(true)
  })

  it('every npm line runs a script of package.json or an npm command', () => {
    const npm = shellLines().map(words).filter((w) => w[0] === 'npm')
    expect(npm.length).toBeGreaterThanOrEqual(3)
    for (const w of npm) {
      const script = w[1] === 'run' ? w[2]! : w[1]!
      if (['install', 'ci', 'i'].includes(script)) continue
      expect(pkg.scripts, `npm ${w.slice(1).join(' ')}`).toHaveProperty(script)
    }
  })

  it('every docker compose line names a service of docker-compose.yml; every kubectl apply -f a manifest here', () => {
    const lines = shellLines().map(words)
    const composeLines = lines.filter((w) => w[0] === 'docker' && w[1] === 'compose')
    expect(composeLines.length).toBeGreaterThanOrEqual(3)
    for (const w of composeLines) {
      const rest = w.slice(2).filter((x, i, a) => !x.startsWith('-') && a[i - 1] !== '--profile')
      const [verb, service, ...more] = rest
      if (verb === 'build' && service === undefined) continue
      expect(compose.services, w.join(' ')).toHaveProperty(service!)
      if (verb === 'exec') expect(more.length).toBeGreaterThan(0)
    }
    const manifests = lines.filter((w) => w[0] === 'kubectl' && w[1] === 'apply').flatMap((w) => w.flatMap((x, i) => (w[i - 1] === '-f' ? [x] : [])))
    expect(manifests.length).toBeGreaterThan(0)
    for (const m of manifests) expect(existsSync(`${root}${m}`), m).toBe(true)
  })

  it('every unit a systemctl line names is one of examples/systemd (an instance of its template)', () => {
    const units = shellLines()
      .map(words)
      .filter((w) => (w[0] === 'sudo' ? w[1] : w[0]) === 'systemctl')
      .flatMap((w) => w.filter((x) => /^okta-elt.*\.(service|timer)$/.test(x)))
    expect(units.length).toBeGreaterThanOrEqual(3)
    for (const unit of units) expect(existsSync(`${root}examples/systemd/${unit.replace(/@[^.]+\./, '@.')}`), unit).toBe(true)
  })
})
