import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DtlsCertificate } from '../../src/media/dtls/DtlsCertificate.ts';
import { LoadClient } from './LoadClient.ts';
import type { PacketSourceOptions } from './PacketSource.ts';
import { Publisher } from './Publisher.ts';
import type { ServerSignalling, SignalledSession } from './ServerSignalling.ts';
import { Subscriber } from './Subscriber.ts';

const EVENT_LOOP_RESOLUTION_MS = 5;
const SETUP_ATTEMPTS = 5;

export interface LoadGeneratorOptions {
  bindAddress: string;
  source: PacketSourceOptions;
  pacingFactor: number;
  tickMs: number;
  recvBufferBytes: number;
  connectTimeoutMs: number;
}

/** Cumulative counters of the whole load generator; the orchestrator takes differences. */
export interface LoadStats {
  at: number;
  publishers: number;
  subscribers: number;
  sentRtpPackets: number;
  sentRtpBytes: number;
  receivedRtpPackets: number;
  receivedRtpBytes: number;
  /** Expected and distinct received packets over every (subscriber, SSRC). */
  expected: number;
  distinct: number;
  duplicates: number;
  gapPackets: number;
  recovered: number;
  unrepaired: number;
  nacksSent: number;
  plisSent: number;
  keyframeRequests: number;
  keyframesSent: number;
  retransmissions: number;
  srtpErrors: number;
  closedClients: number;
  closedReasons: Record<string, number>;
  /** Negotiations that failed and were tried again (werift's DTLS client trips on retransmitted flights). */
  setupRetries: number;
  cpuUserMicros: number;
  cpuSystemMicros: number;
  /** Event-loop delay since the last reset, ms (the load generator's own health). */
  eventLoopP99Ms: number;
  eventLoopMaxMs: number;
  /** Our UDP ports, and the server ports we talk to (to read per-socket kernel drops). */
  udpPorts: number[];
  serverPorts: number[];
}

/**
 * All clients of one load-generator process and the one timer that drives them: every `tickMs` each
 * publisher emits and paces what is due and each subscriber does its RTCP chores. Receiving is event
 * driven (one UDP socket per client, as browsers have).
 */
export class LoadGenerator {
  readonly #options: LoadGeneratorOptions;
  readonly #signalling: ServerSignalling;
  readonly #certificate: DtlsCertificate;
  readonly #publishers: Publisher[] = [];
  readonly #subscribers: Subscriber[] = [];
  readonly #sessions: SignalledSession[] = [];
  readonly #clock = { now: performance.now() };
  readonly #eventLoop = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
  readonly #timer: NodeJS.Timeout;
  #closedClients = 0;
  readonly #closedReasons = new Map<string, number>();
  #setupRetries = 0;

  private constructor(
    options: LoadGeneratorOptions,
    signalling: ServerSignalling,
    certificate: DtlsCertificate,
  ) {
    this.#options = options;
    this.#signalling = signalling;
    this.#certificate = certificate;
    this.#eventLoop.enable();
    this.#timer = setInterval(() => this.#tick(), options.tickMs);
  }

  static async start(options: LoadGeneratorOptions, signalling: ServerSignalling): Promise<LoadGenerator> {
    return new LoadGenerator(options, signalling, await DtlsCertificate.generate());
  }

  /**
   * Publishes one camera; resolves with the stream id once ICE and DTLS are up and media flows. A
   * failed negotiation is retried with a new transport, as a browser app would reconnect.
   */
  publish(participant: string): Promise<string> {
    return this.#withRetry(() => this.#publishOnce(participant));
  }

  subscribe(participant: string, streamId: string): Promise<void> {
    return this.#withRetry(() => this.#subscribeOnce(participant, streamId));
  }

  async #withRetry<T>(attempt: () => Promise<T>): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await attempt();
      } catch (error) {
        if (i >= SETUP_ATTEMPTS) throw error;
        this.#setupRetries++;
        await new Promise((r) => setTimeout(r, 500 * i));
      }
    }
  }

  async #publishOnce(participant: string): Promise<string> {
    const client = await this.#client();
    const ssrcs = { audio: randomSsrc(), video: randomSsrc() };
    const session = await this.#signalling
      .publish(participant, client, {
        audioSsrc: ssrcs.audio,
        videoSsrc: ssrcs.video,
        cname: participant,
        streamId: `bench-${participant}`.replace(/[^A-Za-z0-9-]/g, ''),
      })
      .catch((error: unknown) => {
        client.close('failed');
        throw error;
      });
    this.#sessions.push(session);
    this.#publishers.push(
      new Publisher(
        client,
        ssrcs,
        participant,
        this.#options.source,
        this.#options.pacingFactor,
        this.#options.tickMs,
        performance.now(),
      ),
    );
    return session.streamId;
  }

  async #subscribeOnce(participant: string, streamId: string): Promise<void> {
    const client = await this.#client();
    const session = await this.#signalling
      .subscribe(participant, streamId, client)
      .catch((error: unknown) => {
        client.close('failed');
        throw error;
      });
    this.#sessions.push(session);
    this.#subscribers.push(new Subscriber(client, participant, this.#clock));
  }

  resetEventLoop(): void {
    this.#eventLoop.reset();
  }

  stats(): LoadStats {
    const stats: LoadStats = {
      at: performance.now(),
      publishers: this.#publishers.length,
      subscribers: this.#subscribers.length,
      sentRtpPackets: 0,
      sentRtpBytes: 0,
      receivedRtpPackets: 0,
      receivedRtpBytes: 0,
      expected: 0,
      distinct: 0,
      duplicates: 0,
      gapPackets: 0,
      recovered: 0,
      unrepaired: 0,
      nacksSent: 0,
      plisSent: 0,
      keyframeRequests: 0,
      keyframesSent: 0,
      retransmissions: 0,
      srtpErrors: 0,
      closedClients: this.#closedClients,
      closedReasons: Object.fromEntries(this.#closedReasons),
      setupRetries: this.#setupRetries,
      cpuUserMicros: 0,
      cpuSystemMicros: 0,
      // The histogram holds intervals between its timer's callbacks: the delay is what exceeds the period.
      eventLoopP99Ms: Math.max(0, this.#eventLoop.percentile(99) / 1e6 - EVENT_LOOP_RESOLUTION_MS),
      eventLoopMaxMs: Math.max(0, this.#eventLoop.max / 1e6 - EVENT_LOOP_RESOLUTION_MS),
      udpPorts: [],
      serverPorts: [],
    };
    const serverPorts = new Set<number>();
    for (const publisher of this.#publishers) {
      stats.sentRtpPackets += publisher.client.counters.rtpPacketsOut;
      stats.sentRtpBytes += publisher.client.counters.rtpBytesOut;
      stats.srtpErrors += publisher.client.counters.srtpErrors;
      stats.keyframeRequests += publisher.counters.keyframeRequests;
      stats.keyframesSent += publisher.counters.keyframesSent;
      stats.retransmissions += publisher.counters.retransmissions;
      stats.udpPorts.push(publisher.client.localPort);
      if (publisher.client.remote) serverPorts.add(publisher.client.remote.candidate.port);
    }
    for (const subscriber of this.#subscribers) {
      const counters = subscriber.client.counters;
      stats.receivedRtpPackets += counters.rtpPacketsIn;
      stats.receivedRtpBytes += counters.rtpBytesIn;
      stats.srtpErrors += counters.srtpErrors;
      stats.nacksSent += subscriber.counters.nacksSent;
      stats.plisSent += subscriber.counters.plisSent;
      stats.unrepaired += subscriber.counters.unrepaired;
      stats.udpPorts.push(subscriber.client.localPort);
      if (subscriber.client.remote) serverPorts.add(subscriber.client.remote.candidate.port);
      for (const stream of subscriber.streams.values()) {
        stats.expected += stream.expected;
        stats.distinct += stream.distinct;
        stats.duplicates += stream.duplicates;
        stats.gapPackets += stream.gapPackets;
        stats.recovered += stream.recovered;
      }
    }
    stats.serverPorts = [...serverPorts];
    const cpu = process.cpuUsage();
    stats.cpuUserMicros = cpu.user;
    stats.cpuSystemMicros = cpu.system;
    return stats;
  }

  /** Ends every session through the server's API (so it stops sending), then the clients. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#eventLoop.disable();
    await this.#signalling.close();
    for (const client of [...this.#publishers, ...this.#subscribers].map((p) => p.client)) client.close();
  }

  async #client(): Promise<LoadClient> {
    const client = await LoadClient.create({
      certificate: this.#certificate,
      bindAddress: this.#options.bindAddress,
      recvBufferBytes: this.#options.recvBufferBytes,
      connectTimeoutMs: this.#options.connectTimeoutMs,
    });
    client.onClosed = (reason) => {
      // A negotiation that failed is retried; only sessions that were up and then died count.
      if (!client.everConnected || reason === 'ended' || reason === 'closed') return;
      this.#closedClients++;
      this.#closedReasons.set(reason, (this.#closedReasons.get(reason) ?? 0) + 1);
    };
    return client;
  }

  #tick(): void {
    const now = performance.now();
    this.#clock.now = now;
    for (const publisher of this.#publishers) publisher.tick(now);
    for (const subscriber of this.#subscribers) subscriber.tick(now);
  }
}

function randomSsrc(): number {
  return (Math.random() * 0xfffffffe + 1) >>> 0;
}
