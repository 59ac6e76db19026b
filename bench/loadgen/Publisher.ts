import { parseRtcpCompound } from '../../src/media/rtcp/compound.ts';
import { nackToSequenceNumbers } from '../../src/media/rtcp/nack.ts';
import { buildSdesCname } from '../../src/media/rtcp/sdes.ts';
import { buildSenderReport, ntpFromUnixMs } from '../../src/media/rtcp/senderReport.ts';
import type { LoadClient } from './LoadClient.ts';
import { Pacer } from './Pacer.ts';
import { PacketSource, type PacketSourceOptions, type SourcePacket } from './PacketSource.ts';
import { RtpPacketWriter, SRTP_TAG_ROOM } from './RtpPacketWriter.ts';

const HISTORY = 1024;
const SENDER_REPORT_INTERVAL_MS = 1000;

export interface PublisherCounters {
  keyframeRequests: number;
  keyframesSent: number;
  nacksReceived: number;
  retransmissions: number;
}

/**
 * A camera without a camera: PacketSource → Pacer → RtpPacketWriter → SRTP → UDP. Answers the server's
 * PLI/FIR with a keyframe (rate-limited as an encoder does), NACKs from a 1024-packet history, and
 * sends a Sender Report per SSRC every second as browsers do.
 */
export class Publisher {
  readonly client: LoadClient;
  readonly ssrcs: { audio: number; video: number };
  readonly counters: PublisherCounters = {
    keyframeRequests: 0,
    keyframesSent: 0,
    nacksReceived: 0,
    retransmissions: 0,
  };
  readonly #source: PacketSource;
  readonly #pacer: Pacer;
  readonly #writer: RtpPacketWriter;
  readonly #cname: string;
  readonly #video: SourcePacket[] = [];
  readonly #audio: SourcePacket[] = [];
  /** Plain copies of recently sent packets, by SSRC-kind and sequence, for NACKs. */
  readonly #history = new Map<number, Array<Buffer | undefined>>();
  readonly #sent = new Map<number, { packets: number; octets: number; lastTimestamp: number }>();
  #nextReportMs: number;
  #now = 0;

  constructor(
    client: LoadClient,
    ssrcs: { audio: number; video: number },
    cname: string,
    sourceOptions: PacketSourceOptions,
    pacingFactor: number,
    tickMs: number,
    nowMs: number,
  ) {
    if (!client.remote) throw new Error('publisher client is not connected');
    this.client = client;
    this.ssrcs = ssrcs;
    this.#cname = cname;
    this.#source = new PacketSource(sourceOptions, nowMs);
    this.#pacer = new Pacer(sourceOptions.bitrateBps, pacingFactor, nowMs, tickMs);
    this.#writer = new RtpPacketWriter(ssrcs, client.remote);
    for (const ssrc of [ssrcs.audio, ssrcs.video]) {
      this.#history.set(ssrc, new Array(HISTORY));
      this.#sent.set(ssrc, { packets: 0, octets: 0, lastTimestamp: 0 });
    }
    this.#nextReportMs = nowMs + Math.random() * SENDER_REPORT_INTERVAL_MS;
    client.onRtcp = (buf, len) => this.#handleRtcp(buf, len);
  }

  tick(nowMs: number): void {
    if (!this.client.connected) return;
    this.#now = nowMs;
    this.#source.poll(nowMs, this.#video, this.#audio);
    for (const packet of this.#audio) this.#send(packet);
    this.#audio.length = 0;
    if (this.#video.length > 0) {
      this.#pacer.enqueue(this.#video);
      this.#video.length = 0;
    }
    this.#pacer.drain(nowMs, (packet) => this.#send(packet));
    this.counters.keyframesSent = this.#source.keyframesSent;
    if (nowMs >= this.#nextReportMs) {
      this.#nextReportMs = nowMs + SENDER_REPORT_INTERVAL_MS;
      this.#sendReports();
    }
  }

  #send(packet: SourcePacket): void {
    const written = this.#writer.write(packet, this.#now);
    if (!written) return;
    const ssrc = packet.kind === 'video' ? this.ssrcs.video : this.ssrcs.audio;
    const sequence = written.buf.readUInt16BE(2);
    this.#history.get(ssrc)![sequence % HISTORY] = Buffer.from(written.buf.subarray(0, written.len));
    const sent = this.#sent.get(ssrc)!;
    sent.packets++;
    sent.octets += written.len - 12;
    sent.lastTimestamp = packet.timestamp;
    this.client.sendRtp(written.buf, written.len);
  }

  #handleRtcp(buf: Buffer, len: number): void {
    for (const rtcp of parseRtcpCompound(buf, len)) {
      if (rtcp.type === 'pli' || rtcp.type === 'fir') {
        this.counters.keyframeRequests++;
        this.#source.requestKeyframe(this.#now);
      } else if (rtcp.type === 'nack') {
        this.counters.nacksReceived++;
        const history = this.#history.get(rtcp.mediaSsrc);
        if (!history) continue;
        for (const sequence of nackToSequenceNumbers(rtcp)) {
          const plain = history[sequence % HISTORY];
          if (!plain || plain.readUInt16BE(2) !== sequence) continue;
          const copy = Buffer.allocUnsafe(plain.length + SRTP_TAG_ROOM);
          plain.copy(copy);
          this.client.sendRtp(copy, plain.length);
          this.counters.retransmissions++;
        }
      }
    }
  }

  #sendReports(): void {
    const ntp = ntpFromUnixMs(Date.now());
    const parts: Buffer[] = [];
    for (const [ssrc, sent] of this.#sent) {
      if (sent.packets === 0) continue;
      parts.push(
        buildSenderReport({
          ssrc,
          ntpSeconds: ntp.ntpSeconds,
          ntpFraction: ntp.ntpFraction,
          rtpTimestamp: sent.lastTimestamp >>> 0,
          packetCount: sent.packets >>> 0,
          octetCount: sent.octets >>> 0,
        }),
      );
    }
    if (parts.length === 0) return;
    parts.push(buildSdesCname(this.ssrcs.video, this.#cname));
    this.client.sendRtcp(Buffer.concat(parts));
  }
}
