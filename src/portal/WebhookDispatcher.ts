import type { Database } from '../db/Database.ts';
import { type HookRecord, HookRepository } from '../db/HookRepository.ts';
import type { MeetingRecord } from '../db/MeetingRepository.ts';
import { TenantRepository } from '../db/TenantRepository.ts';
import type { Logger } from '../log/Logger.ts';
import { callbackBody, secretFingerprint, signedCallbackUrl } from './callbackSigning.ts';
import type { ChecksumAlgorithm } from './checksum.ts';
import { HookQueue, type WebhookStats } from './HookQueue.ts';
import { KeyedSerialQueue } from './KeyedSerialQueue.ts';
import type { MeetingEvents } from './MeetingEvents.ts';
import type { WebhookEvent, WebhookEventId } from './webhookEvents.ts';

export interface WebhookDeliveryOptions {
  /**
   * The waits before each retry of a failed callback. Default bbb-webhooks' own: 1, 2, 5, 10 and
   * 30 s, so six tries over about 50 s; then the event is given up.
   */
  retryDelaysMs?: readonly number[];
  /** A callback that has not answered in this long failed. Default 5 s (bbb-webhooks' requestTimeout). */
  requestTimeoutMs?: number;
  /** Events waiting for one hook; more are dropped. Default 1000. */
  maxQueuedPerHook?: number;
  /** Events waiting to be matched against hooks, over every tenant; more are dropped. Default 10000. */
  maxPending?: number;
  /**
   * How long a tenant's hooks and secrets are reused before they are read again: a hook or secret
   * changed through another controller (or `dotm tenant`) counts after this long. Default 2 s.
   */
  cacheMs?: number;
  /** The hash of callback checksums. Default sha1, what receivers written for BigBlueButton check. */
  checksumAlgorithm?: ChecksumAlgorithm;
}

export interface WebhookDispatcherOptions extends WebhookDeliveryOptions {
  db: Database;
  /** The `domain` of each callback: bbb-webhooks sends its server's domain name. */
  domain: () => string;
  log: Logger;
  now?: () => number;
}

interface Cached<T> {
  at: number;
  value: Promise<T>;
}

/**
 * Delivers meeting events to the hooks portals registered (BBB's hooks/create), signed the way
 * bbb-webhooks signs them. Publishing only queues: a slow or dead receiver never holds up a join,
 * a create or an end. Delivery lives in this process's memory: each hook gets its callbacks in
 * order with retries, and what is still queued when the controller stops is lost (at most once).
 */
export class WebhookDispatcher implements MeetingEvents {
  readonly stats: WebhookStats = { delivered: 0, failedAttempts: 0, givenUp: 0, dropped: 0 };
  readonly #o: WebhookDispatcherOptions;
  readonly #log: Logger;
  readonly #hooks: HookRepository;
  readonly #tenants: TenantRepository;
  readonly #now: () => number;
  readonly #intake = new KeyedSerialQueue();
  readonly #queues = new Map<string, HookQueue>();
  readonly #hookCache = new Map<string, Cached<HookRecord[]>>();
  readonly #secretCache = new Map<string, Cached<string[] | undefined>>();
  #closed = false;

  constructor(options: WebhookDispatcherOptions) {
    this.#o = options;
    this.#log = options.log.child({ component: 'webhooks' });
    this.#hooks = new HookRepository(options.db);
    this.#tenants = new TenantRepository(options.db);
    this.#now = options.now ?? Date.now;
  }

  async wants(meeting: MeetingRecord, eventId: WebhookEventId): Promise<boolean> {
    if (this.#closed) return false;
    try {
      return (await this.#hooksOf(meeting.tenantId)).some((hook) =>
        matches(hook, meeting.externalId, eventId),
      );
    } catch (error) {
      this.#log.error('could not read the hooks of a tenant', { tenantId: meeting.tenantId, error });
      return false;
    }
  }

  publish(meeting: MeetingRecord, event: WebhookEvent): void {
    if (this.#closed) return;
    if (this.#intake.pending >= (this.#o.maxPending ?? 10_000)) {
      this.stats.dropped++;
      this.#log.warn('too many webhook events waiting: event dropped', { eventId: event.data.id });
      return;
    }
    // Per tenant, in order: a hook list read from the database must not let a later event overtake.
    this.#intake
      .run(meeting.tenantId, async () => {
        if (this.#closed) return;
        for (const hook of await this.#hooksOf(meeting.tenantId)) {
          if (matches(hook, meeting.externalId, event.data.id)) this.#queueOf(hook).push(event);
        }
      })
      .catch((error: unknown) => {
        this.stats.dropped++;
        this.#log.error('could not match a webhook event to hooks', { tenantId: meeting.tenantId, error });
      });
  }

  /** A hook was made or removed through this process: read the tenant's hooks again at once. */
  hooksChanged(tenantId: string): void {
    this.#hookCache.delete(tenantId);
  }

  /** A hook was destroyed: what it still had queued is dropped. */
  hookRemoved(tenantId: string, hookId: number): void {
    this.hooksChanged(tenantId);
    for (const [key, queue] of this.#queues) {
      if (queue.hook.tenantId === tenantId && queue.hook.hookId === hookId) {
        queue.close();
        this.#queues.delete(key);
      }
    }
  }

  /** A tenant's secrets changed through this process. */
  tenantsChanged(): void {
    this.#secretCache.clear();
  }

  /** Stops delivery: requests in flight are aborted, queued events are dropped. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const queue of this.#queues.values()) queue.close();
    this.#queues.clear();
    await this.#intake.idle();
  }

  #queueOf(hook: HookRecord): HookQueue {
    // The URL is part of the key: a hookID freed by destroy may be given to another callback.
    const key = `${hook.tenantId}\n${hook.hookId}\n${hook.callbackUrl}`;
    let queue = this.#queues.get(key);
    if (!queue) {
      const created = new HookQueue({
        hook,
        deliver: (h, event, timestamp, signal) => this.#deliver(h, event, timestamp, signal),
        retryDelaysMs: this.#o.retryDelaysMs ?? [1000, 2000, 5000, 10_000, 30_000],
        maxQueued: this.#o.maxQueuedPerHook ?? 1000,
        stats: this.stats,
        log: this.#log,
        now: this.#now,
        onIdle: () => {
          if (this.#queues.get(key) === created) this.#queues.delete(key);
        },
      });
      this.#queues.set(key, created);
      queue = created;
    }
    return queue;
  }

  async #deliver(
    hook: HookRecord,
    event: WebhookEvent,
    timestamp: number,
    signal: AbortSignal,
  ): Promise<boolean> {
    const secret = await this.#signingSecret(hook);
    if (secret === undefined) return false; // the tenant was removed, and its hooks with it
    const body = callbackBody([event], timestamp, this.#o.domain());
    const url = signedCallbackUrl(hook.callbackUrl, body, secret, this.#o.checksumAlgorithm ?? 'sha1');
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8' },
        body,
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.#o.requestTimeoutMs ?? 5000)]),
      });
    } catch (error) {
      throw new Error(`could not reach the receiver: ${reasonOf(error)}`);
    }
    await response.body?.cancel().catch(() => {});
    // bbb-webhooks counts a 401 as delivered: the receiver got it and refused it, retrying won't help.
    if (!response.ok && response.status !== 401)
      throw new Error(`the receiver answered HTTP ${response.status}`);
    return true;
  }

  /** The secret that registered the hook while the tenant has it, else the tenant's first. */
  async #signingSecret(hook: HookRecord): Promise<string | undefined> {
    const secrets = await this.#cached(this.#secretCache, hook.tenantId, async () => {
      return (await this.#tenants.get(hook.tenantId))?.secrets;
    });
    if (!secrets || secrets.length === 0) return undefined;
    if (hook.secretFingerprint) {
      const registering = secrets.find((s) => secretFingerprint(s) === hook.secretFingerprint);
      if (registering !== undefined) return registering;
    }
    return secrets[0];
  }

  #hooksOf(tenantId: string): Promise<HookRecord[]> {
    return this.#cached(this.#hookCache, tenantId, () => this.#hooks.list(tenantId));
  }

  #cached<T>(cache: Map<string, Cached<T>>, key: string, load: () => Promise<T>): Promise<T> {
    const now = this.#now();
    const hit = cache.get(key);
    if (hit && now - hit.at < (this.#o.cacheMs ?? 2000)) return hit.value;
    const value = load();
    const entry = { at: now, value };
    cache.set(key, entry);
    // A failed read is not kept: the next event tries again.
    value.catch(() => {
      if (cache.get(key) === entry) cache.delete(key);
    });
    return value;
  }
}

/** bbb-webhooks: a hook without meetingID gets every meeting's events; event ids compare in lower case. */
function matches(hook: HookRecord, externalMeetingId: string, eventId: string): boolean {
  if (hook.meetingId !== undefined && hook.meetingId !== externalMeetingId) return false;
  return hook.eventIds === undefined || hook.eventIds.includes(eventId);
}

function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return 'no answer in time';
  const cause = error.cause as { code?: string; message?: string } | undefined;
  return cause?.code ?? cause?.message ?? error.message;
}
