import { type ChildProcess, fork } from 'node:child_process';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { LoadgenEnvelope, LoadgenMessage, LoadgenReplyMap, LoadgenRequest } from './loadgenProtocol.ts';

const ENTRY = fileURLToPath(new URL('./loadgenMain.ts', import.meta.url));
const REQUEST_TIMEOUT_MS = 180_000;

/** The orchestrator's handle on one load-generator process: typed requests over IPC. */
export class LoadgenProcess {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly #exited: Promise<void>;
  #nextId = 1;

  private constructor(child: ChildProcess) {
    this.#child = child;
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        for (const { reject } of this.#pending.values())
          reject(new Error(`load generator exited (code ${code}, signal ${signal})`));
        this.#pending.clear();
        resolve();
      });
    });
    child.on('message', (message: LoadgenMessage) => {
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      if (message.ok) pending.resolve(message.result);
      else pending.reject(new Error(`load generator: ${message.error}`));
    });
  }

  static start(extraExecArgv: string[] = []): LoadgenProcess {
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const child = fork(ENTRY, [], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: extraExecArgv,
      env,
    });
    const loadgen = new LoadgenProcess(child);
    loadgen.priorityRaised = raisePriority(child.pid);
    return loadgen;
  }

  /** Whether the process runs at a higher CPU priority than the server (see raisePriority). */
  priorityRaised = false;

  get pid(): number {
    return this.#child.pid ?? 0;
  }

  request<K extends LoadgenRequest['op']>(
    body: Extract<LoadgenRequest, { op: K }>,
  ): Promise<LoadgenReplyMap[K]> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`load generator did not answer ${body.op} in ${REQUEST_TIMEOUT_MS} ms`));
      }, REQUEST_TIMEOUT_MS);
      this.#pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as LoadgenReplyMap[K]);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      const envelope: LoadgenEnvelope = { id, body };
      this.#child.send(envelope);
    });
  }

  /** Asks it to end every session and exit; kills it if it does not within 15 s. */
  async close(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 15_000);
    await this.request({ op: 'close' }).catch(() => undefined);
    await this.#exited;
    clearTimeout(timer);
  }
}

/**
 * The load generator is one JavaScript thread; a server with a thread per PeerConnection (Janus) or
 * a busy neighbour on a shared machine can starve it under the kernel's per-thread fairness, and then
 * its own sockets overflow and the server is blamed for the loss. A higher priority (nice -10, needs
 * root or CAP_SYS_NICE) keeps the measuring side healthy, so what saturates is the server.
 */
function raisePriority(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    setPriority(pid, -10);
    return true;
  } catch {
    return false;
  }
}
