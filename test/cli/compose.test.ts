import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { CONFIG_ENV_VARS } from '../../src/cli/config.ts'
import { validateDestinationUrl } from '../../src/cli/destination-url.ts'
import { BufferOutput } from '../../src/cli/io.ts'
import { buildProgram } from '../../src/cli/program.ts'

/** Docker cannot run here: check the compose file agrees with the config loader and the CLI instead. */
interface Service {
  build?: string
  image?: string
  init?: boolean
  ports?: string[]
  command?: string[] | string
  environment?: Record<string, string>
  profiles?: string[]
  depends_on?: Record<string, { condition: string }>
  network_mode?: string
  volumes?: string[]
}

const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8'), { merge: true }) as {
  services: Record<string, Service>
  volumes?: Record<string, unknown>
}
const services = compose.services
const commandLine = (s: Service) => (Array.isArray(s.command) ? s.command.join(' ') : (s.command ?? ''))
/** The okta-elt command a service runs: the image's entrypoint is the CLI, so `command` holds its arguments. */
const cliCommand = (s: Service) => (Array.isArray(s.command) ? s.command[0] : undefined)

describe('docker-compose.yml', () => {
  it('has Postgres, the pipeline, and the simulator behind a profile', () => {
    expect(services.postgres?.image).toMatch(/^postgres:\d+/)
    expect(services.pipeline?.command).toEqual(['run'])
    expect(services.pipeline?.profiles).toBeUndefined()
    expect(services.pipeline?.depends_on?.postgres?.condition).toBe('service_healthy')
    expect(services.simulator?.profiles).toEqual(['simulator'])
    expect(commandLine(services.simulator!)).toMatch(/^simulate --host 0\.0\.0\.0 /)
  })

  it('builds the Dockerfile image once and runs it, instead of npm ci on every scheduled run', () => {
    for (const name of ['pipeline', 'simulator', 'pipeline-simulated']) {
      const s = services[name]!
      expect(s.build, name).toBe('.')
      expect(s.image, name).toBe('okta-elt:local')
      expect(s.init, name).toBe(true)
      expect(s.volumes, name).toBeUndefined()
      expect(commandLine(s), name).not.toMatch(/npm|node_modules|bin\/okta-elt/)
    }
    expect(compose.volumes).toEqual({ pgdata: null })
  })

  it('does not publish Postgres on the host', () => {
    expect(services.postgres?.ports).toBeUndefined()
    for (const port of services.simulator?.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:/)
  })

  it('sets only environment variables the config loader reads', () => {
    const pipelines = Object.entries(services).filter(([, s]) => cliCommand(s) === 'run')
    expect(pipelines.map(([name]) => name).sort()).toEqual(['pipeline', 'pipeline-simulated'])
    for (const [name, s] of pipelines) {
      const vars = Object.keys(s.environment ?? {})
      expect(vars.length, name).toBeGreaterThan(0)
      for (const v of vars) expect(CONFIG_ENV_VARS, `${name} sets ${v}`).toContain(v)
      expect(vars).toEqual(expect.arrayContaining(['OKTA_ORG_URL', 'OKTA_API_TOKEN', 'OKTA_ELT_DESTINATION']))
    }
  })

  it('points the pipeline at the compose Postgres with a valid destination URL', () => {
    const postgres = services.postgres!.environment!
    for (const name of ['pipeline', 'pipeline-simulated']) {
      const url = services[name]!.environment!.OKTA_ELT_DESTINATION!
      expect(() => validateDestinationUrl(url, name)).not.toThrow()
      const u = new URL(url)
      expect(u.hostname).toBe('postgres')
      expect(u.port).toBe('5432')
      expect(u.username).toBe(postgres.POSTGRES_USER)
      expect(u.password).toBe(postgres.POSTGRES_PASSWORD)
      expect(u.pathname).toBe(`/${postgres.POSTGRES_DB}`)
    }
  })

  it('runs the simulated pipeline on loopback with the token the simulator accepts', () => {
    const sim = services.simulator!
    const piped = services['pipeline-simulated']!
    expect(piped.profiles).toEqual(['simulator'])
    expect(piped.network_mode).toBe('service:simulator')
    const token = /--token (\S+)/.exec(commandLine(sim))?.[1]
    const port = /--port (\d+)/.exec(commandLine(sim))?.[1]
    expect(piped.environment!.OKTA_API_TOKEN).toBe(token)
    expect(piped.environment!.OKTA_ORG_URL).toBe(`http://127.0.0.1:${port}`)
  })

  it('uses only flags the simulate command defines', () => {
    const simulate = buildProgram({ stdout: new BufferOutput(), stderr: new BufferOutput(), env: {}, isTTY: false }, () => {}).commands.find(
      (c) => c.name() === 'simulate',
    )!
    const known = new Set(simulate.options.map((o) => o.long))
    const flags = commandLine(services.simulator!).match(/--[\w-]+/g) ?? []
    expect(flags.length).toBeGreaterThan(0)
    for (const f of flags) expect(known, f).toContain(f)
  })
})
