import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { SimulatorOptions } from '../src/simulator/index.ts'
import type { RequestReport, SimCommand, SimReply } from './sim-protocol.ts'

type Command = SimCommand extends infer C ? (C extends { id: number } ? Omit<C, 'id'> : never) : never

/** A simulator running in a child process (bench/sim-worker.ts), driven over IPC. */
export class SimProcess {
  readonly url: string
  readonly token: string
  readonly counts: Record<string, number>
  readonly #child: ChildProcess
  #next = 1
  readonly #pending = new Map<number, (reply: SimReply) => void>()

  private constructor(child: ChildProcess, ready: { url: string; token: string; counts: Record<string, number> }) {
    this.#child = child
    this.url = ready.url
    this.token = ready.token
    this.counts = ready.counts
    child.on('message', (raw) => {
      const reply = raw as SimReply
      this.#pending.get(reply.id)?.(reply)
      this.#pending.delete(reply.id)
    })
  }

  static async start(options: SimulatorOptions): Promise<SimProcess> {
    const child = fork(fileURLToPath(new URL('./sim-worker.ts', import.meta.url)), [JSON.stringify(options)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: ['--max-old-space-size=4096'],
    })
    const ready = await new Promise<SimReply>((resolve, reject) => {
      child.once('message', (m) => resolve(m as SimReply))
      child.once('exit', (code) => reject(new Error(`simulator process exited with ${code}`)))
    })
    if (!ready.ok) throw new Error(ready.error)
    return new SimProcess(child, ready.value as { url: string; token: string; counts: Record<string, number> })
  }

  async call<T>(cmd: Command): Promise<T> {
    const id = this.#next++
    const reply = await new Promise<SimReply>((resolve) => {
      this.#pending.set(id, resolve)
      this.#child.send({ ...cmd, id })
    })
    if (!reply.ok) throw new Error(`simulator: ${reply.error}`)
    return reply.value as T
  }

  requests(times = false): Promise<RequestReport> {
    return this.call<RequestReport>({ op: 'requests', times })
  }

  clear(): Promise<void> {
    return this.call<void>({ op: 'clear' })
  }

  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()))
    await this.call({ op: 'close' }).catch(() => undefined)
    this.#child.kill()
    await exited
  }
}
