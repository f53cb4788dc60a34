import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { CONFIG_ENV_VARS, validateConfigFile } from '../../src/cli/config.ts'
import { validateDestinationUrl } from '../../src/cli/destination-url.ts'
import { BufferOutput } from '../../src/cli/io.ts'
import { buildProgram } from '../../src/cli/program.ts'

/**
 * No cluster here: the manifests in examples/kubernetes are parsed as Kubernetes does (YAML 1.1,
 * so `0440` is octal) and checked against each other, the Dockerfile's user and the CLI.
 */
const DIR = resolve(import.meta.dirname, '../../examples/kubernetes')

/** Manifests are untyped YAML; the assertions are the types. */
type Obj = Record<string, any>

const manifests: Obj[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .flatMap((file) =>
    parseAllDocuments(readFileSync(join(DIR, file), 'utf8'), { version: '1.1' }).map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`)
      return { ...(doc.toJS() as Obj), _file: file }
    }),
  )
const byKind = (kind: string): Obj => {
  const found = manifests.filter((m) => m.kind === kind)
  expect(found, kind).toHaveLength(1)
  return found[0]!
}

describe('examples/kubernetes', () => {
  const cronJob = byKind('CronJob')
  const configMap = byKind('ConfigMap')
  const secret = byKind('Secret')
  const job = cronJob.spec.jobTemplate.spec
  const pod = job.template.spec
  const container = pod.containers[0]
  const mountOf = (volumeName: string): string => container.volumeMounts.find((m: Obj) => m.name === volumeName).mountPath
  const volume = (pred: (v: Obj) => boolean): Obj => pod.volumes.find(pred)

  it('every manifest has apiVersion, kind and a name; one org per set, all named alike', () => {
    expect(manifests.map((m) => m.kind).sort()).toEqual(['ConfigMap', 'CronJob', 'Secret'])
    for (const m of manifests) {
      expect(m.apiVersion, m._file).toMatch(/^(v1|batch\/v1)$/)
      expect(m.metadata.name, m._file).toBe('okta-elt-acme')
    }
  })

  it('the CronJob never runs two jobs of an org at once, runs one non-root container within 256Mi', () => {
    expect(cronJob.apiVersion).toBe('batch/v1')
    expect(cronJob.spec.concurrencyPolicy).toBe('Forbid')
    expect(cronJob.spec.schedule.split(' ')).toHaveLength(5)
    expect(pod.restartPolicy).toBe('Never')
    expect(pod.containers).toHaveLength(1)
    expect(container.image).toMatch(/okta-elt:\d+\.\d+\.\d+$/)
    expect(container.resources.limits.memory).toBe('256Mi')
    // The Dockerfile's final stage runs as the node image's `node` user, uid 1000.
    expect(readFileSync(resolve(DIR, '../../Dockerfile'), 'utf8')).toMatch(/^USER node$/m)
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 })
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true })
    // SIGTERM lets the batch commit, then exits 130: leave it time before the SIGKILL.
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(60)
  })

  it('a configuration error (exit 2) fails the job at once instead of retrying', () => {
    const rule = job.podFailurePolicy.rules.find((r: Obj) => r.onExitCodes !== undefined)
    expect(rule).toEqual({ action: 'FailJob', onExitCodes: { containerName: container.name, operator: 'In', values: [2] } })
  })

  it('runs `okta-elt run --config` on the mounted ConfigMap, with flags the CLI defines', () => {
    const args: string[] = container.args
    expect(args[0]).toBe('run')
    const run = buildProgram({ stdout: new BufferOutput(), stderr: new BufferOutput(), env: {}, isTTY: false }, () => {}).commands.find((c) => c.name() === 'run')!
    const known = new Set(['--config', '--verbose', ...run.options.map((o) => o.long)])
    for (const flag of args.filter((a) => a.startsWith('--'))) expect(known, flag).toContain(flag)
    const configPath = args[args.indexOf('--config') + 1]!
    const configVolume = volume((v) => v.configMap?.name === configMap.metadata.name)
    expect(configPath).toBe(`${mountOf(configVolume.name)}/${Object.keys(configMap.data)[0]}`)
  })

  it('the ConfigMap holds a valid config with no secret in it, one destination schema for the org', () => {
    const config = validateConfigFile(JSON.parse(configMap.data['pipeline.config.json']))
    expect(config.okta?.orgUrl).toMatch(/^https:\/\//)
    const destination = config.destination!
    expect(() => validateDestinationUrl(destination, 'destination')).not.toThrow()
    expect(new URL(destination).password).toBe('')
    expect(new URL(destination).searchParams.get('schema')).toBe('okta_acme')
  })

  it('secrets come from the Secret: the token as the file the config names, the password as PGPASSWORD', () => {
    const keys = Object.keys(secret.stringData)
    const config = validateConfigFile(JSON.parse(configMap.data['pipeline.config.json']))
    const auth = config.okta?.auth as { tokenFile?: string }
    const secretVolume = volume((v) => v.secret?.secretName === secret.metadata.name)
    expect(secretVolume.secret.defaultMode).toBe(0o440)
    const items: Obj[] = secretVolume.secret.items
    expect(items.map((i) => `${mountOf(secretVolume.name)}/${i.path}`)).toContain(auth.tokenFile)
    for (const item of items) expect(keys).toContain(item.key)
    for (const env of container.env as Obj[]) {
      // The pipeline's variables, plus PGPASSWORD, which the Postgres client reads itself.
      expect([...CONFIG_ENV_VARS, 'PGPASSWORD'], env.name).toContain(env.name)
      expect(env.value, `${env.name} is not a literal`).toBeUndefined()
      expect(env.valueFrom.secretKeyRef.name).toBe(secret.metadata.name)
      expect(keys).toContain(env.valueFrom.secretKeyRef.key)
    }
  })
})
