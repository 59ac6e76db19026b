import type { Logger } from '../../log/Logger.ts';
import type { DtlsCertificate } from '../../media/dtls/DtlsCertificate.ts';
import type { UdpMux } from '../../media/ice/UdpMux.ts';
import { Otm, type ResourceEndpoint } from '../../media/otm/Otm.ts';
import { OtmError } from '../../media/otm/OtmError.ts';
import { buildIceFragment, parseIceFragment } from '../sdpFragment.ts';
import { WorkerRuntimeMonitor } from './WorkerRuntimeMonitor.ts';
import type {
  WorkerErrorBody,
  WorkerEvent,
  WorkerReplyMap,
  WorkerRequest,
  WorkerStartOptions,
  WorkerStats,
} from './workerProtocol.ts';

export class WorkerRequestFailure extends Error {
  readonly body: WorkerErrorBody;
  constructor(body: WorkerErrorBody) {
    super(body.message);
    this.body = body;
  }
}

/**
 * Everything inside one media worker process: its UDP socket (shared by all its OTMs through ICE
 * demultiplexing), its DTLS certificate and its OTMs. Closing it closes every OTM, then the socket.
 */
export class MediaWorker {
  readonly #mux: UdpMux;
  readonly #certificate: DtlsCertificate;
  readonly #options: WorkerStartOptions;
  readonly #emit: (event: WorkerEvent) => void;
  readonly #log: Logger;
  readonly #otms = new Map<string, Otm>();
  /** Counters of OTMs already closed, so node totals never go backwards. */
  #closedTotals = { packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0 };
  readonly #runtime = new WorkerRuntimeMonitor();

  constructor(
    mux: UdpMux,
    certificate: DtlsCertificate,
    options: WorkerStartOptions,
    emit: (event: WorkerEvent) => void,
    log: Logger,
  ) {
    this.#mux = mux;
    this.#certificate = certificate;
    this.#options = options;
    this.#emit = emit;
    this.#log = log;
  }

  handle(request: WorkerRequest): WorkerReplyMap[WorkerRequest['op']] {
    switch (request.op) {
      case 'createOtm':
        this.#createOtm(request.streamId, request.room);
        return {};
      case 'closeOtm':
        this.#closeOtm(request.streamId);
        return {};
      case 'publish':
        return this.#otm(request.streamId).acceptPublisher(request.participantId, request.offer);
      case 'subscribe':
        return this.#otm(request.streamId).acceptSubscriber(request.participantId, request.offer);
      case 'restartIce':
        return this.#restartIce(request.streamId, request.resourceId, request.endpoint, request.sdpFragment);
      case 'deleteResource':
        this.#otm(request.streamId).removeResource(request.resourceId, request.endpoint);
        return {};
      case 'stats':
        return this.stats();
    }
  }

  stats(): WorkerStats {
    let subscribers = 0;
    let nackCacheBytes = 0;
    let maxNackRetentionMs = 0;
    const totals = { ...this.#closedTotals };
    for (const otm of this.#otms.values()) {
      subscribers += otm.subscriberCount;
      nackCacheBytes += otm.nackCacheBytes;
      maxNackRetentionMs = Math.max(maxNackRetentionMs, otm.nackRetentionMs);
      totals.packetsIn += otm.counters.packetsIn;
      totals.packetsOut += otm.counters.packetsOut;
      totals.bytesIn += otm.counters.bytesIn;
      totals.bytesOut += otm.counters.bytesOut;
    }
    const cpu = process.cpuUsage();
    const mux = this.#mux.stats();
    return {
      otms: this.#otms.size,
      subscribers,
      nackCacheBytes,
      maxNackRetentionMs,
      rtpPacketsIn: totals.packetsIn,
      rtpPacketsOut: totals.packetsOut,
      bytesIn: totals.bytesIn,
      bytesOut: totals.bytesOut,
      cpuUserMicros: cpu.user,
      cpuSystemMicros: cpu.system,
      rssBytes: process.memoryUsage.rss(),
      udpPort: this.#mux.localPort,
      droppedDatagrams: mux.droppedDatagrams,
      ...this.#runtime.sample(),
    };
  }

  async close(): Promise<void> {
    for (const streamId of [...this.#otms.keys()]) this.#closeOtm(streamId);
    this.#runtime.close();
    await this.#mux.close();
  }

  #createOtm(streamId: string, room: string): void {
    if (this.#otms.has(streamId)) return;
    const otm = new Otm(
      {
        streamId,
        room,
        mux: this.#mux,
        certificate: this.#certificate,
        consentTimeoutMs: this.#options.consentTimeoutMs,
        nackCachePackets: this.#options.nackCachePackets,
        keyframeRequestIntervalMs: this.#options.keyframeRequestIntervalMs,
        publisherMaxBitrateBps: this.#options.publisherMaxBitrateBps,
        publisherCongestionControl: this.#options.publisherCongestionControl,
      },
      {
        onPublisherConnected: (o, tracks) =>
          this.#emit({ event: 'publisherConnected', streamId: o.streamId, ...tracks }),
        onPublisherDisconnected: (o, reason) =>
          this.#emit({ event: 'publisherDisconnected', streamId: o.streamId, reason }),
        onSubscriberConnected: (o, participantId) =>
          this.#emit({ event: 'subscriberConnected', streamId: o.streamId, participantId }),
        onSubscriberDisconnected: (o, participantId, reason) =>
          this.#emit({ event: 'subscriberDisconnected', streamId: o.streamId, participantId, reason }),
      },
    );
    this.#otms.set(streamId, otm);
    this.#log.debug('OTM created', { streamId, room });
  }

  #closeOtm(streamId: string): void {
    const otm = this.#otms.get(streamId);
    if (!otm) return;
    this.#otms.delete(streamId);
    otm.close();
    this.#closedTotals.packetsIn += otm.counters.packetsIn;
    this.#closedTotals.packetsOut += otm.counters.packetsOut;
    this.#closedTotals.bytesIn += otm.counters.bytesIn;
    this.#closedTotals.bytesOut += otm.counters.bytesOut;
    this.#log.debug('OTM closed', { streamId });
  }

  #restartIce(
    streamId: string,
    resourceId: string,
    endpoint: ResourceEndpoint,
    sdpFragment: string,
  ): { sdpFragment: string } {
    const otm = this.#otm(streamId);
    const fragment = parseIceFragment(sdpFragment);
    if (!fragment)
      throw new WorkerRequestFailure({ code: 'bad-sdp', message: 'body is not a trickle-ice-sdpfrag' });
    if (!otm.hasResource(resourceId, endpoint))
      throw new WorkerRequestFailure({
        code: 'not-found',
        message: `no such ${endpoint.toUpperCase()} resource on this stream`,
      });
    if (!fragment.iceUfrag || !fragment.icePwd) return { sdpFragment: '' };
    const restarted = otm.restartIce(resourceId, endpoint, fragment.iceUfrag);
    return {
      sdpFragment: buildIceFragment({
        ufrag: restarted.ufrag,
        pwd: restarted.pwd,
        mids: fragment.mids,
        candidate: restarted.candidate,
      }),
    };
  }

  #otm(streamId: string): Otm {
    const otm = this.#otms.get(streamId);
    if (!otm)
      throw new WorkerRequestFailure({ code: 'not-found', message: `stream ${streamId} has no OTM here` });
    return otm;
  }
}

export function toErrorBody(error: unknown): WorkerErrorBody {
  if (error instanceof WorkerRequestFailure) return error.body;
  if (error instanceof OtmError) return { code: error.code, message: error.message };
  return { code: 'internal', message: 'internal error in media worker' };
}
