import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../log/Logger.ts';
import type {
  AgentToWorker,
  WorkerErrorBody,
  WorkerEvent,
  WorkerReplyMap,
  WorkerRequest,
  WorkerStartOptions,
  WorkerToAgent,
} from './worker/workerProtocol.ts';

const WORKER_ENTRY = fileURLToPath(new URL('./worker/mediaWorkerMain.ts', import.meta.url));
const REQUEST_TIMEOUT_MS = 10_000;
const EXIT_GRACE_MS = 2_000;

export class WorkerRequestError extends Error {
  override name = 'WorkerRequestError';
  readonly code: WorkerErrorBody['code'] | 'worker-gone' | 'timeout';
  constructor(code: WorkerRequestError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

export interface MediaWorkerHandleEvents {
  onEvent(event: WorkerEvent): void;
  /** The process is gone (crash, kill, or close()); every OTM it hosted went with it. */
  onExit(code: number | null, signal: NodeJS.Signals | null, expected: boolean): void;
}

/** The agent's end of one media worker process: typed requests over IPC, and its lifecycle. */
export class MediaWorkerHandle {
  readonly index: number;
  readonly streams = new Set<string>();
  #udpPort = 0;
  readonly #child: ChildProcess;
  readonly #pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  readonly #events: MediaWorkerHandleEvents;
  readonly #log: Logger;
  #nextId = 1;
  #closing = false;
  #exited = false;
  readonly #exitPromise: Promise<void>;

  private constructor(child: ChildProcess, index: number, events: MediaWorkerHandleEvents, log: Logger) {
    this.#child = child;
    this.index = index;
    this.#events = events;
    this.#log = log;
    this.#exitPromise = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exited = true;
        this.#failPending(new WorkerRequestError('worker-gone', `media worker ${index} exited`));
        this.#events.onExit(code, signal, this.#closing);
        resolve();
      });
    });
    child.on('message', (message: WorkerToAgent) => this.#handleMessage(message));
    child.on('error', (error) => this.#log.error('media worker process error', { worker: index, error }));
  }

  /** Forks the worker and resolves once its UDP socket is bound. */
  static async start(
    options: WorkerStartOptions,
    events: MediaWorkerHandleEvents,
    log: Logger,
  ): Promise<MediaWorkerHandle> {
    const child = fork(WORKER_ENTRY, [JSON.stringify(options)], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: options.v8Flags,
      env:
        options.mallocArenaMax > 0
          ? { ...process.env, MALLOC_ARENA_MAX: String(options.mallocArenaMax) }
          : process.env,
    });
    const handle = new MediaWorkerHandle(child, options.index, events, log);
    await new Promise<void>((resolve, reject) => {
      const onMessage = (message: WorkerToAgent) => {
        if (message.kind !== 'ready') return;
        child.off('message', onMessage);
        handle.#udpPort = message.udpPort;
        resolve();
      };
      child.on('message', onMessage);
      child.once('exit', (code) =>
        reject(
          new Error(
            `media worker ${options.index} exited during start (code ${code}${code === 9 ? ': Node refused an option; see node.workerV8Flags' : ''})`,
          ),
        ),
      );
    });
    return handle;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get udpPort(): number {
    return this.#udpPort;
  }

  get alive(): boolean {
    return !this.#exited;
  }

  request<K extends WorkerRequest['op']>(
    body: Extract<WorkerRequest, { op: K }>,
  ): Promise<WorkerReplyMap[K]> {
    if (this.#exited || this.#closing) {
      return Promise.reject(
        new WorkerRequestError('worker-gone', `media worker ${this.index} is not running`),
      );
    }
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(
          new WorkerRequestError('timeout', `media worker ${this.index} did not answer ${body.op} in time`),
        );
      }, REQUEST_TIMEOUT_MS);
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      const message: AgentToWorker = { kind: 'request', id, body };
      this.#child.send(message);
    });
  }

  /** Asks the worker to stop; kills it if it has not exited after a grace period. */
  async close(): Promise<void> {
    if (this.#exited) return;
    this.#closing = true;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), EXIT_GRACE_MS);
    await this.#exitPromise;
    clearTimeout(timer);
  }

  /** For failure tests: the worker dies the way a crash would. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.#child.kill(signal);
  }

  #handleMessage(message: WorkerToAgent): void {
    if (message.kind === 'event') {
      this.#events.onEvent(message.body);
      return;
    }
    if (message.kind !== 'reply') return;
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    this.#pending.delete(message.id);
    clearTimeout(pending.timer);
    if (message.ok) pending.resolve(message.result);
    else pending.reject(new WorkerRequestError(message.error.code, message.error.message));
  }

  #failPending(error: Error): void {
    for (const { reject, timer } of this.#pending.values()) {
      clearTimeout(timer);
      reject(error);
    }
    this.#pending.clear();
  }
}
