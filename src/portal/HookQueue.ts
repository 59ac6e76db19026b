import type { HookRecord } from '../db/HookRepository.ts';
import type { Logger } from '../log/Logger.ts';
import type { WebhookEvent } from './webhookEvents.ts';

/** Counters over every hook, for tests and operators. */
export interface WebhookStats {
  /** Callbacks the receiver accepted. */
  delivered: number;
  /** Attempts that failed (each retry counts). */
  failedAttempts: number;
  /** Events given up on after the last retry. */
  givenUp: number;
  /** Events never attempted: a queue was full, or the tenant or hook was gone. */
  dropped: number;
}

/** Sends one event; resolves true when the receiver took it, false when it should be dropped, throws to retry. */
export type DeliverCallback = (
  hook: HookRecord,
  event: WebhookEvent,
  timestamp: number,
  signal: AbortSignal,
) => Promise<boolean>;

export interface HookQueueOptions {
  hook: HookRecord;
  deliver: DeliverCallback;
  retryDelaysMs: readonly number[];
  maxQueued: number;
  stats: WebhookStats;
  log: Logger;
  now: () => number;
  /** Called when the queue ran empty, so the dispatcher can forget it. */
  onIdle: () => void;
}

/**
 * One hook's callbacks, one at a time and in order (bbb-webhooks: "one event at a time and in
 * order"). A failed callback is retried after each of the delays; after the last it is given up
 * (at most once from then on). A hook whose receiver kept failing gets one try per event until it
 * answers again, so a receiver that is down does not make each queued event wait out all retries.
 */
export class HookQueue {
  readonly #o: HookQueueOptions;
  readonly #events: WebhookEvent[] = [];
  readonly #abort = new AbortController();
  #running = false;
  #unreachable = false;
  #closed = false;
  #wake: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: HookQueueOptions) {
    this.#o = options;
  }

  get hook(): HookRecord {
    return this.#o.hook;
  }

  /** False when the queue is full or closed (the event is dropped and counted). */
  push(event: WebhookEvent): boolean {
    if (this.#closed || this.#events.length >= this.#o.maxQueued) {
      this.#o.stats.dropped++;
      if (!this.#closed)
        this.#o.log.warn('webhook queue full: event dropped', {
          hookId: this.#o.hook.hookId,
          callback: redactedUrl(this.#o.hook.callbackUrl),
          eventId: event.data.id,
        });
      return false;
    }
    this.#events.push(event);
    if (!this.#running) void this.#run();
    return true;
  }

  /** Stops at once: the request in flight is aborted, queued events are dropped. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#o.stats.dropped += this.#events.length;
    this.#events.length = 0;
    this.#abort.abort();
    clearTimeout(this.#timer);
    this.#wake?.();
  }

  async #run(): Promise<void> {
    this.#running = true;
    while (this.#events.length > 0 && !this.#closed) await this.#send(this.#events.shift()!);
    this.#running = false;
    if (!this.#closed) this.#o.onIdle();
  }

  async #send(event: WebhookEvent): Promise<void> {
    const { hook, stats, log } = this.#o;
    // One timestamp for all tries of a callback, as bbb-webhooks: retries carry the same body.
    const timestamp = this.#o.now();
    const delays = this.#unreachable ? [] : this.#o.retryDelaysMs;
    for (let attempt = 0; ; attempt++) {
      try {
        if (await this.#o.deliver(hook, event, timestamp, this.#abort.signal)) stats.delivered++;
        else stats.dropped++;
        this.#unreachable = false;
        return;
      } catch (error) {
        if (this.#closed) return;
        stats.failedAttempts++;
        const fields = {
          hookId: hook.hookId,
          callback: redactedUrl(hook.callbackUrl),
          eventId: event.data.id,
          attempt: attempt + 1,
          error,
        };
        const delay = delays[attempt];
        if (delay === undefined) {
          stats.givenUp++;
          this.#unreachable = true;
          log.warn('webhook callback failed; giving up on this event', fields);
          return;
        }
        log.warn('webhook callback failed; will retry', { ...fields, retryInMs: delay });
        await this.#sleep(delay);
        if (this.#closed) return;
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#timer = setTimeout(resolve, ms);
    });
  }
}

/** Logs name the receiver, not the query of its URL (it may carry the receiver's own token). */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}
