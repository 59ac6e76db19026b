import type { Logger } from '../log/Logger.ts';
import { MediaWorkerHandle, WorkerRequestError } from './MediaWorkerHandle.ts';
import type { WorkerEvent, WorkerStartOptions, WorkerStats } from './worker/workerProtocol.ts';

export interface WorkerPoolEvents {
  onWorkerEvent(event: WorkerEvent): void;
  /** A worker died unexpectedly; these streams' OTMs died with it. */
  onStreamsLost(streamIds: string[], reason: string): void;
}

const RESPAWN_DELAY_MS = 500;

/**
 * The node's media worker processes. An OTM lives in exactly one worker (its publisher and all its
 * subscribers share that worker's UDP port); new OTMs go to the worker hosting the fewest.
 * A worker that dies is replaced; what it hosted is reported lost so the controller re-places it.
 */
export class WorkerPool {
  readonly #workers: Array<MediaWorkerHandle | undefined>;
  readonly #byStream = new Map<string, MediaWorkerHandle>();
  readonly #options: (index: number) => WorkerStartOptions;
  readonly #events: WorkerPoolEvents;
  readonly #log: Logger;
  #closed = false;
  readonly #respawnTimers = new Set<NodeJS.Timeout>();

  private constructor(
    size: number,
    options: (index: number) => WorkerStartOptions,
    events: WorkerPoolEvents,
    log: Logger,
  ) {
    this.#workers = new Array(size).fill(undefined);
    this.#options = options;
    this.#events = events;
    this.#log = log;
  }

  static async start(
    size: number,
    options: (index: number) => WorkerStartOptions,
    events: WorkerPoolEvents,
    log: Logger,
  ): Promise<WorkerPool> {
    const pool = new WorkerPool(size, options, events, log);
    try {
      await Promise.all(pool.#workers.map((_, index) => pool.#spawn(index)));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  get size(): number {
    return this.#workers.length;
  }

  get workers(): ReadonlyArray<MediaWorkerHandle> {
    return this.#workers.filter((w): w is MediaWorkerHandle => w?.alive === true);
  }

  workerFor(streamId: string): MediaWorkerHandle | undefined {
    return this.#byStream.get(streamId);
  }

  get streamCount(): number {
    return this.#byStream.size;
  }

  /** Picks the least-busy live worker and creates the OTM there. */
  async createOtm(streamId: string, room: string, publisherId: string): Promise<MediaWorkerHandle> {
    const existing = this.#byStream.get(streamId);
    if (existing) return existing;
    const worker = this.workers.reduce<MediaWorkerHandle | undefined>(
      (best, w) => (!best || w.streams.size < best.streams.size ? w : best),
      undefined,
    );
    if (!worker) throw new WorkerRequestError('worker-gone', 'no media worker is running on this node');
    await worker.request({ op: 'createOtm', streamId, room, publisherId });
    worker.streams.add(streamId);
    this.#byStream.set(streamId, worker);
    return worker;
  }

  async closeOtm(streamId: string, reason: string): Promise<boolean> {
    const worker = this.#byStream.get(streamId);
    if (!worker) return false;
    this.#byStream.delete(streamId);
    worker.streams.delete(streamId);
    await worker.request({ op: 'closeOtm', streamId, reason }).catch(() => undefined);
    return true;
  }

  async stats(): Promise<WorkerStats[]> {
    const results = await Promise.allSettled(this.workers.map((w) => w.request({ op: 'stats' })));
    return results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  }

  pids(): number[] {
    return this.workers.flatMap((w) => (w.pid ? [w.pid] : []));
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#respawnTimers) clearTimeout(timer);
    this.#respawnTimers.clear();
    await Promise.all(this.#workers.map((w) => w?.close()));
    this.#byStream.clear();
  }

  async #spawn(index: number): Promise<void> {
    const handle = await MediaWorkerHandle.start(
      this.#options(index),
      {
        onEvent: (event) => this.#events.onWorkerEvent(event),
        onExit: (code, signal, expected) => this.#handleExit(index, code, signal, expected),
      },
      this.#log,
    );
    if (this.#closed) {
      await handle.close();
      return;
    }
    this.#workers[index] = handle;
    this.#log.debug('media worker started', { worker: index, pid: handle.pid, udpPort: handle.udpPort });
  }

  #handleExit(index: number, code: number | null, signal: NodeJS.Signals | null, expected: boolean): void {
    const handle = this.#workers[index];
    if (!handle) return;
    const lost = [...handle.streams];
    for (const streamId of lost) this.#byStream.delete(streamId);
    handle.streams.clear();
    if (expected || this.#closed) return;
    this.#log.error('media worker died', { worker: index, code, signal, streams: lost.length });
    this.#workers[index] = undefined;
    if (lost.length > 0) this.#events.onStreamsLost(lost, `media worker ${index} died`);
    const timer = setTimeout(() => {
      this.#respawnTimers.delete(timer);
      if (this.#closed) return;
      this.#spawn(index).catch((error) =>
        this.#log.error('media worker respawn failed', { worker: index, error }),
      );
    }, RESPAWN_DELAY_MS);
    this.#respawnTimers.add(timer);
  }
}
