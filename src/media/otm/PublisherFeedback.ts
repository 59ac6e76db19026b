import { buildNack } from '../rtcp/nack.ts';
import { buildReceiverReport } from '../rtcp/receiverReport.ts';
import { buildRemb } from '../rtcp/remb.ts';
import type { ReportBlock } from '../rtcp/reportBlock.ts';
import { buildSdesCname } from '../rtcp/sdes.ts';
import { TwccRecorder } from '../rtcp/TwccRecorder.ts';
import { NackGenerator, type NackGeneratorOptions, type NackPacketOutcome } from '../rtp/NackGenerator.ts';
import { ReceiveStatistics } from '../rtp/ReceiveStatistics.ts';
import { headerExtensionDataLength, headerExtensionOffset } from '../rtp/rtpHeader.ts';

export interface PublisherFeedbackOptions {
  /** Our SSRC as the sender of RTCP toward the publisher. */
  senderSsrc: number;
  cname: string;
  /** Carried in every REMB: the most the publisher may send. */
  maxBitrateBps: number;
  /** Header extension id of transport-wide sequence numbers; 0 when transport-cc was not agreed. */
  transportCcExtensionId: number;
  nack?: NackGeneratorOptions;
}

interface SourceFeedback {
  statistics: ReceiveStatistics;
  /** Only for sources we ask retransmissions of (video that negotiated nack). */
  nack: NackGenerator | undefined;
}

/**
 * Everything an OTM tells its publisher about what arrived, per publisher connection: receiver
 * reports (loss, jitter, LSR/DLSR) with a REMB in the same compound, NACKs for holes in the video,
 * and transport-wide congestion control feedback when it was agreed.
 */
export class PublisherFeedback {
  /** Sequence numbers put into NACKs so far, retries included. */
  nackRequested = 0;
  readonly #options: PublisherFeedbackOptions;
  readonly #sources = new Map<number, SourceFeedback>();
  readonly #twcc: TwccRecorder | undefined;
  readonly #cname: Buffer;
  /** The media SSRC of transport-cc feedback: any of the publisher's, libwebrtc ignores it. */
  #lastSsrc = 0;

  constructor(options: PublisherFeedbackOptions) {
    this.#options = options;
    this.#twcc = options.transportCcExtensionId > 0 ? new TwccRecorder() : undefined;
    this.#cname = buildSdesCname(options.senderSsrc, options.cname);
  }

  get usesTransportCc(): boolean {
    return this.#twcc !== undefined;
  }

  hasSource(ssrc: number): boolean {
    return this.#sources.has(ssrc);
  }

  /** Starts reporting on one of the publisher's SSRCs; `nack` asks retransmissions of its losses. */
  addSource(ssrc: number, clockRate: number, nack: boolean): void {
    if (this.#sources.has(ssrc)) return;
    this.#sources.set(ssrc, {
      statistics: new ReceiveStatistics(ssrc, clockRate),
      nack: nack ? new NackGenerator(this.#options.nack) : undefined,
    });
  }

  /**
   * Every RTP packet that arrived on the transport, routed or not: transport-cc feedback must account
   * for each of them or the sender counts it lost. `arrivalUs` on a monotonic clock.
   */
  onTransportPacket(packet: Buffer, length: number, arrivalUs: number): void {
    const twcc = this.#twcc;
    if (twcc === undefined) return;
    const offset = headerExtensionOffset(packet, length, this.#options.transportCcExtensionId);
    if (offset < 0 || headerExtensionDataLength(packet, offset) < 2) return;
    twcc.record((packet[offset]! << 8) | packet[offset + 1]!, arrivalUs);
  }

  /**
   * One RTP packet of a source added with `addSource`. 'gap': NACKs are due now (`buildNacks`);
   * 'recovered': it was a packet we were waiting for, so a retransmission, not a new one.
   */
  onRtp(ssrc: number, sequence: number, timestamp: number, nowMs: number): NackPacketOutcome {
    const source = this.#sources.get(ssrc);
    if (source === undefined) return 'late';
    this.#lastSsrc = ssrc;
    source.statistics.onPacket(sequence, timestamp, nowMs);
    return source.nack === undefined ? 'in-order' : source.nack.onPacket(sequence, nowMs);
  }

  onSenderReport(ssrc: number, ntpSeconds: number, ntpFraction: number, nowMs: number): void {
    this.#sources.get(ssrc)?.statistics.onSenderReport(ntpSeconds, ntpFraction, nowMs);
  }

  /**
   * The periodic compound: RR with one block per source, SDES CNAME, and REMB. Undefined until a
   * packet arrived (a REMB needs the SSRCs it applies to). Each call closes a reporting interval.
   */
  buildReport(nowMs: number): Buffer | undefined {
    const blocks: ReportBlock[] = [];
    for (const source of this.#sources.values()) {
      if (source.statistics.started) blocks.push(source.statistics.report(nowMs));
    }
    if (blocks.length === 0) return undefined;
    const { senderSsrc, maxBitrateBps } = this.#options;
    return Buffer.concat([
      buildReceiverReport(senderSsrc, blocks),
      this.#cname,
      buildRemb(
        senderSsrc,
        maxBitrateBps,
        blocks.map((block) => block.ssrc),
      ),
    ]);
  }

  /** NACKs due now, one packet per source with holes. */
  buildNacks(nowMs: number): Buffer[] {
    const packets: Buffer[] = [];
    for (const [ssrc, source] of this.#sources) {
      if (source.nack === undefined || source.nack.missingCount === 0) continue;
      const sequences = source.nack.collect(nowMs);
      if (sequences.length === 0) continue;
      packets.push(buildNack(this.#options.senderSsrc, ssrc, sequences));
      this.nackRequested += sequences.length;
    }
    return packets;
  }

  /** When `buildNacks` has work next (a retry or a give-up); undefined when no packet is missing. */
  nextNackDueMs(): number | undefined {
    let due: number | undefined;
    for (const source of this.#sources.values()) {
      const at = source.nack?.nextDueMs();
      if (at !== undefined && (due === undefined || at < due)) due = at;
    }
    return due;
  }

  /** Transport-cc feedback for what arrived since the last call (call every 50–100 ms). */
  buildTransportFeedback(): Buffer[] {
    if (this.#twcc === undefined || !this.#twcc.hasPending()) return [];
    return this.#twcc.buildFeedback(this.#options.senderSsrc, this.#lastSsrc);
  }
}
