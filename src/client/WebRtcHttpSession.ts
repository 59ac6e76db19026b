import type { MediaGrant } from '../protocol/roomSignalling.ts';
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from './backoff.ts';
import type { ClientLogger } from './ClientLogger.ts';
import { DotmError } from './DotmError.ts';
import {
  applyIceFragment,
  buildIceRestartFragment,
  parseSdpFragment,
  SDP_FRAGMENT_CONTENT_TYPE,
} from './sdpFragment.ts';

/**
 * new → connecting → connected ⇄ reconnecting; failed when recovery is impossible (the controller
 * refused a new grant), closed after close().
 */
export type MediaSessionState = 'new' | 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'closed';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;
export type RTCPeerConnectionConstructor = new (configuration: RTCConfiguration) => RTCPeerConnection;

export interface WebRtcHttpSessionOptions {
  /** The grant for the first POST; without one, start() asks renewGrant. */
  grant?: MediaGrant;
  /** A fresh grant from the controller (`republish` for WHIP, `subscribe` for WHEP). */
  renewGrant: () => Promise<MediaGrant>;
  fetch?: FetchLike;
  RTCPeerConnection?: RTCPeerConnectionConstructor;
  requestTimeoutMs?: number;
  /** How long ICE may stay 'disconnected' before it is restarted. */
  iceDisconnectedGraceMs?: number;
  /** A negotiated session whose ICE has not connected by then starts over on a new resource. */
  connectTimeoutMs?: number;
  retry?: BackoffOptions;
  /** How many POSTs start() tries (with fresh grants) before giving up. */
  maxStartAttempts?: number;
  random?: () => number;
  logger?: ClientLogger;
  onStateChange?: (state: MediaSessionState, error?: DotmError) => void;
}

interface HttpResult {
  ok: boolean;
  status: number;
  statusText: string;
  headers: Headers;
  url: string;
  body: string;
}

type RecoveryMode = 'ice-restart' | 'new-resource';

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const DEFAULT_ICE_DISCONNECTED_GRACE_MS = 2_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;
const DEFAULT_MAX_START_ATTEMPTS = 3;
/** DELETEs are courtesy: a dead node must not hold up the next POST or leave() for long. */
const DELETE_TIMEOUT_MS = 2_000;

/**
 * What WHIP (RFC 9725) and WHEP share: POST the offer, keep the resource URL and ETag, restart ICE
 * with a PATCH of an SDP fragment, and when that is impossible start over on a new resource with a
 * fresh grant. Subclasses only say which transceivers the offer carries.
 */
export abstract class WebRtcHttpSession {
  protected abstract readonly protocol: 'WHIP' | 'WHEP';
  /**
   * Whether starting over on a new resource DELETEs the old one. Not for WHIP: to the node a
   * DELETE means the publisher is done, and the controller then ends the stream for everyone.
   */
  protected abstract readonly deletesResourceOnRestart: boolean;
  protected abstract addTransceivers(pc: RTCPeerConnection): void;
  /** The answer is applied: receivers exist, senders are wired. */
  protected onNegotiated(_pc: RTCPeerConnection): void {}

  readonly #options: WebRtcHttpSessionOptions;
  readonly #fetch: FetchLike;
  readonly #PeerConnection: RTCPeerConnectionConstructor;
  readonly #requestTimeoutMs: number;
  readonly #logger: ClientLogger | undefined;

  #state: MediaSessionState = 'new';
  #grant: MediaGrant | undefined;
  #pc: RTCPeerConnection | undefined;
  /** Bumped for every peer connection, so events and answers for an abandoned one are ignored. */
  #generation = 0;
  #resourceUrl: string | undefined;
  #etag: string | undefined;
  #starting = false;
  #recovery: Promise<void> | undefined;
  /** Set when the current resource is known to be useless (stream moved): skip the ICE restart. */
  #newResourceRequested = false;
  #nextGrant: MediaGrant | undefined;
  #iceRestartsSinceConnected = 0;
  #disconnectedTimer: ReturnType<typeof setTimeout> | undefined;
  #watchdogTimer: ReturnType<typeof setTimeout> | undefined;
  #wakeSleeper: (() => void) | undefined;
  /**
   * retryNow() came while an attempt was under way: should that attempt fail (a 409 because the
   * publisher arrived a moment after the POST left), the next one goes without waiting.
   */
  #retryRequested = false;
  readonly #inflight = new Set<AbortController>();

  constructor(options: WebRtcHttpSessionOptions) {
    this.#options = options;
    this.#grant = options.grant;
    const fetchImpl = options.fetch ?? globalThis.fetch?.bind(globalThis);
    if (!fetchImpl) throw new DotmError('invalid-state', 'no fetch implementation available');
    this.#fetch = fetchImpl;
    const PeerConnection = options.RTCPeerConnection ?? globalThis.RTCPeerConnection;
    if (!PeerConnection) throw new DotmError('media-unavailable', 'this browser has no RTCPeerConnection');
    this.#PeerConnection = PeerConnection;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#logger = options.logger;
  }

  get state(): MediaSessionState {
    return this.#state;
  }
  get grant(): MediaGrant | undefined {
    return this.#grant;
  }
  /** The WHIP/WHEP resource, absolute; undefined before the first answer or if the server sent no Location. */
  get resourceUrl(): string | undefined {
    return this.#resourceUrl;
  }
  get etag(): string | undefined {
    return this.#etag;
  }
  get peerConnection(): RTCPeerConnection | undefined {
    return this.#pc;
  }

  /** Negotiates the first resource, retrying with fresh grants up to maxStartAttempts. */
  async start(): Promise<void> {
    if (this.#state !== 'new')
      throw new DotmError('invalid-state', `${this.protocol} session already started`);
    this.#setState('connecting');
    this.#starting = true;
    try {
      await this.#establish(
        this.#options.grant,
        this.#options.maxStartAttempts ?? DEFAULT_MAX_START_ATTEMPTS,
      );
    } catch (error) {
      const failure = DotmError.from(error);
      if (!this.#isClosed()) this.#fail(failure);
      throw failure;
    } finally {
      this.#starting = false;
    }
    if (this.#newResourceRequested) void this.#recover('new-resource');
  }

  /**
   * Starts over on a new resource: with `grant` when the caller already has one, otherwise with
   * one from renewGrant. For a moved stream, whose old resource is useless.
   */
  reconnect(grant?: MediaGrant): Promise<void> {
    if (grant) this.#nextGrant = grant;
    return this.#recover('new-resource');
  }

  /** ICE restart by PATCH; falls back to a new resource when the server cannot do it. */
  restartIce(): Promise<void> {
    return this.#recover('ice-restart');
  }

  /** Cuts a retry wait short, e.g. when the controller just announced the stream. */
  retryNow(): void {
    this.#retryRequested = true;
    this.#wakeSleeper?.();
  }

  /**
   * Closes the peer connection and DELETEs the resource (best effort, survives page unload).
   * `deleteResource: false` skips the DELETE when the server already dropped the stream.
   */
  async close(options: { deleteResource?: boolean } = {}): Promise<void> {
    if (this.#state === 'closed') return;
    this.#setState('closed');
    this.#clearTimers();
    this.#wakeSleeper?.();
    this.#abortInflight(new DotmError('closed', `${this.protocol} session closed`));
    await this.#dispose(options.deleteResource === false ? 'keep' : 'delete-on-unload');
  }

  #recover(mode: RecoveryMode): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'failed' || this.#state === 'new')
      return Promise.resolve();
    if (mode === 'new-resource') {
      this.#newResourceRequested = true;
      // A PATCH or POST towards the old resource is pointless now; failing it fast lets the
      // running attempt move on to the new one, and a retry wait (the old node refusing) ends now.
      this.#abortInflight(new DotmError('superseded', 'a new resource was requested'));
      this.#wakeSleeper?.();
    }
    if (this.#starting) return Promise.resolve();
    if (!this.#recovery) {
      this.#recovery = this.#runRecovery(mode).finally(() => {
        this.#recovery = undefined;
        // Asked for too late to abort the attempt that just succeeded: that one is stale too.
        if (this.#newResourceRequested) {
          void this.#recover('new-resource');
          return;
        }
        const ice = this.#pc?.iceConnectionState;
        if (this.#state === 'reconnecting' && (ice === 'connected' || ice === 'completed')) {
          this.#setState('connected');
        }
      });
    }
    return this.#recovery;
  }

  async #runRecovery(mode: RecoveryMode): Promise<void> {
    this.#setState('reconnecting');
    this.#clearTimers();
    try {
      if (mode === 'ice-restart' && this.#canPatch()) {
        try {
          await this.#patchIceRestart();
          this.#iceRestartsSinceConnected++;
          if (!this.#newResourceRequested) {
            this.#armWatchdog(this.#generation);
            return;
          }
        } catch (error) {
          if (this.#state === 'closed') return;
          this.#logger?.debug(`${this.protocol}: ICE restart by PATCH failed, starting over`, { error });
        }
      }
      await this.#establish(undefined, Number.POSITIVE_INFINITY);
    } catch (error) {
      if (this.#state !== 'closed') this.#fail(DotmError.from(error));
    }
  }

  #canPatch(): boolean {
    // A PATCH that was answered but did not bring ICE back will not do better the second time.
    return (
      !this.#newResourceRequested &&
      this.#iceRestartsSinceConnected === 0 &&
      this.#resourceUrl !== undefined &&
      this.#pc !== undefined &&
      this.#pc.signalingState === 'stable'
    );
  }

  async #establish(initialGrant: MediaGrant | undefined, maxAttempts: number): Promise<void> {
    let grant = initialGrant;
    for (let attempt = 0; ; attempt++) {
      this.#throwIfClosed();
      this.#newResourceRequested = false;
      this.#retryRequested = false;
      let grantRefused = false;
      try {
        if (this.#nextGrant) {
          grant = this.#nextGrant;
          this.#nextGrant = undefined;
        }
        if (!grant) {
          try {
            grant = await this.#options.renewGrant();
          } catch (error) {
            grantRefused = true;
            throw error;
          }
        }
        await this.#negotiate(grant);
        return;
      } catch (error) {
        this.#throwIfClosed();
        const failure = DotmError.from(error);
        // The node refusing is worth a fresh grant; the controller refusing for good is final.
        if ((grantRefused && failure.permanent) || attempt + 1 >= maxAttempts) throw failure;
        this.#logger?.debug(`${this.protocol}: negotiation failed, retrying`, { error: failure, attempt });
        grant = undefined;
        if (failure.code !== 'superseded') {
          await this.#sleep(
            backoffDelay(attempt, this.#options.retry ?? DEFAULT_BACKOFF, this.#options.random),
          );
        }
      }
    }
  }

  async #negotiate(grant: MediaGrant): Promise<void> {
    await this.#releaseResource(grant.url);
    this.#throwIfClosed();
    this.#grant = grant;
    this.#iceRestartsSinceConnected = 0;
    const generation = ++this.#generation;
    const pc = new this.#PeerConnection({ iceServers: grant.iceServers, bundlePolicy: 'max-bundle' });
    this.#pc = pc;
    this.#watch(pc, generation);
    this.addTransceivers(pc);
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    this.#throwIfStale(generation);
    // No waiting for ICE gathering: the node is ICE-lite and learns our address from our checks.
    const result = await this.#http('POST', grant.url, grant.token, {
      headers: { 'Content-Type': 'application/sdp' },
      body: pc.localDescription?.sdp ?? offer.sdp ?? '',
    });
    if (!result.ok)
      throw DotmError.fromHttp(result.status, result.statusText, result.body, `${this.protocol} POST`);
    const location = result.headers.get('Location');
    this.#resourceUrl = location ? new URL(location, result.url || grant.url).href : undefined;
    this.#etag = result.headers.get('ETag') ?? undefined;
    this.#throwIfStale(generation);
    if (!this.#resourceUrl) {
      this.#logger?.warn(`${this.protocol}: answer without Location; ICE restart and DELETE are impossible`);
    }
    if (!result.body.includes('m=')) {
      throw new DotmError(
        'protocol-error',
        `${this.protocol} POST answered ${result.status} without an SDP answer`,
      );
    }
    await pc.setRemoteDescription({ type: 'answer', sdp: result.body });
    this.#throwIfStale(generation);
    this.onNegotiated(pc);
    this.#armWatchdog(generation);
  }

  async #patchIceRestart(): Promise<void> {
    const pc = this.#pc;
    const url = this.#resourceUrl;
    const grant = this.#grant;
    if (!pc || !url || !grant) throw new DotmError('invalid-state', 'nothing to restart');
    const generation = this.#generation;
    const offer = await pc.createOffer({ iceRestart: true });
    await pc.setLocalDescription(offer);
    this.#throwIfStale(generation);
    const headers: Record<string, string> = {
      'Content-Type': SDP_FRAGMENT_CONTENT_TYPE,
      'If-Match': this.#etag ?? '*',
    };
    const result = await this.#http('PATCH', url, grant.token, {
      headers,
      body: buildIceRestartFragment(pc.localDescription?.sdp ?? offer.sdp ?? ''),
    });
    this.#throwIfStale(generation);
    if (!result.ok)
      throw DotmError.fromHttp(result.status, result.statusText, result.body, `${this.protocol} PATCH`);
    if (result.status !== 200) {
      throw new DotmError(
        'protocol-error',
        `ICE restart answered ${result.status} without the server's credentials`,
      );
    }
    const etag = result.headers.get('ETag');
    if (etag) this.#etag = etag;
    const remote = pc.currentRemoteDescription ?? pc.remoteDescription;
    if (!remote?.sdp) throw new DotmError('invalid-state', 'no remote description to restart');
    const sdp = applyIceFragment(remote.sdp, parseSdpFragment(result.body));
    await pc.setRemoteDescription({ type: 'answer', sdp });
    this.#throwIfStale(generation);
  }

  #watch(pc: RTCPeerConnection, generation: number): void {
    pc.oniceconnectionstatechange = () => {
      if (generation !== this.#generation || this.#state === 'closed' || this.#state === 'failed') return;
      switch (pc.iceConnectionState) {
        case 'connected':
        case 'completed':
          this.#clearTimers();
          this.#iceRestartsSinceConnected = 0;
          if (!this.#recovery) this.#setState('connected');
          break;
        case 'disconnected':
          // Often a blip (Wi-Fi roam) that ICE repairs by itself within a second or two.
          if (this.#disconnectedTimer === undefined) {
            this.#disconnectedTimer = setTimeout(() => {
              this.#disconnectedTimer = undefined;
              if (generation === this.#generation && pc.iceConnectionState === 'disconnected') {
                void this.restartIce();
              }
            }, this.#options.iceDisconnectedGraceMs ?? DEFAULT_ICE_DISCONNECTED_GRACE_MS);
          }
          break;
        case 'failed':
          clearTimeout(this.#disconnectedTimer);
          this.#disconnectedTimer = undefined;
          void this.restartIce();
          break;
        default:
          break;
      }
    };
    pc.onconnectionstatechange = () => {
      if (generation !== this.#generation || pc.connectionState !== 'failed') return;
      // ICE fine but DTLS failed: only a new resource (new handshake) helps.
      const ice = pc.iceConnectionState;
      void this.#recover(ice === 'connected' || ice === 'completed' ? 'new-resource' : 'ice-restart');
    };
  }

  #armWatchdog(generation: number): void {
    clearTimeout(this.#watchdogTimer);
    this.#watchdogTimer = setTimeout(() => {
      this.#watchdogTimer = undefined;
      const ice = this.#pc?.iceConnectionState;
      if (generation !== this.#generation || ice === 'connected' || ice === 'completed') return;
      this.#logger?.debug(`${this.protocol}: ICE did not connect in time, starting over`);
      void this.#recover('new-resource');
    }, this.#options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
  }

  /**
   * Awaited before a new POST to the same node: one keyed by stream could apply a late DELETE to the
   * new resource. A resource on another node (the stream moved) cannot be confused with the new one,
   * and that node may be dead: a crashed host answers nothing, and waiting out the DELETE's timeout
   * would add seconds to the media gap.
   */
  #releaseResource(nextUrl: string): Promise<void> {
    if (!this.deletesResourceOnRestart) return this.#dispose('keep');
    const current = this.#resourceUrl;
    const releasing = this.#dispose('delete');
    if (current !== undefined && !sameOrigin(current, nextUrl)) {
      releasing.catch(() => undefined);
      return Promise.resolve();
    }
    return releasing;
  }

  /**
   * Lets go of the current peer connection and resource. The DELETE goes first and the peer
   * connection closes after it: closing first makes the node drop the resource on the DTLS
   * close_notify (as a lost peer, not a deliberate end) and then answer the DELETE with 404.
   */
  async #dispose(resource: 'delete' | 'delete-on-unload' | 'keep'): Promise<void> {
    const pc = this.#pc;
    const url = this.#resourceUrl;
    const token = this.#grant?.token;
    this.#pc = undefined;
    this.#resourceUrl = undefined;
    this.#etag = undefined;
    if (pc) {
      pc.oniceconnectionstatechange = null;
      pc.onconnectionstatechange = null;
    }
    try {
      if (url && token && resource !== 'keep')
        await this.#deleteResource(url, token, resource === 'delete-on-unload');
    } finally {
      pc?.close();
    }
  }

  async #deleteResource(url: string, token: string, keepalive: boolean): Promise<void> {
    try {
      const result = await this.#http('DELETE', url, token, { timeoutMs: DELETE_TIMEOUT_MS, keepalive });
      if (!result.ok && result.status !== 404) {
        this.#logger?.debug(`${this.protocol}: DELETE answered ${result.status}`);
      }
    } catch (error) {
      this.#logger?.debug(`${this.protocol}: DELETE failed`, { error });
    }
  }

  async #http(
    method: string,
    url: string,
    token: string,
    options: { headers?: Record<string, string>; body?: string; timeoutMs?: number; keepalive?: boolean },
  ): Promise<HttpResult> {
    const controller = new AbortController();
    this.#inflight.add(controller);
    const timeoutMs = options.timeoutMs ?? this.#requestTimeoutMs;
    const timer = setTimeout(
      () =>
        controller.abort(
          new DotmError('timeout', `${method} ${url} got no answer within ${timeoutMs / 1000} s`),
        ),
      timeoutMs,
    );
    try {
      const response = await this.#fetch(url, {
        method,
        headers: { ...options.headers, Authorization: `Bearer ${token}` },
        body: options.body,
        signal: controller.signal,
        keepalive: options.keepalive,
      });
      const body = await response.text();
      return {
        ok: response.ok,
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
        url: response.url,
        body,
      };
    } catch (error) {
      if (controller.signal.aborted && controller.signal.reason instanceof DotmError)
        throw controller.signal.reason;
      const message = error instanceof Error ? error.message : String(error);
      throw new DotmError('network', `${method} ${url} failed: ${message}`, { cause: error });
    } finally {
      clearTimeout(timer);
      this.#inflight.delete(controller);
    }
  }

  #abortInflight(reason: DotmError): void {
    for (const controller of this.#inflight) controller.abort(reason);
  }

  #sleep(ms: number): Promise<void> {
    if (this.#retryRequested) {
      this.#retryRequested = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        if (this.#wakeSleeper === wake) this.#wakeSleeper = undefined;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#wakeSleeper = wake;
    });
  }

  #fail(error: DotmError): void {
    this.#clearTimers();
    this.#setState('failed', error);
    void this.#dispose('delete');
  }

  #clearTimers(): void {
    clearTimeout(this.#disconnectedTimer);
    clearTimeout(this.#watchdogTimer);
    this.#disconnectedTimer = undefined;
    this.#watchdogTimer = undefined;
  }

  /** A method, not an inline comparison: TypeScript would keep a narrowing of #state across awaits. */
  #isClosed(): boolean {
    return this.#state === 'closed';
  }

  #throwIfClosed(): void {
    if (this.#isClosed()) throw new DotmError('closed', `${this.protocol} session closed`);
  }

  #throwIfStale(generation: number): void {
    this.#throwIfClosed();
    if (generation !== this.#generation) throw new DotmError('superseded', 'a newer negotiation took over');
  }

  #setState(state: MediaSessionState, error?: DotmError): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#options.onStateChange?.(state, error);
  }
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}
