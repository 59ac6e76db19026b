import { parseRtcpCompound } from '../../src/media/rtcp/compound.ts';
import { buildNack } from '../../src/media/rtcp/nack.ts';
import { buildPli } from '../../src/media/rtcp/pli.ts';
import { buildReceiverReport } from '../../src/media/rtcp/receiverReport.ts';
import { delaySinceLastSrField, type ReportBlock } from '../../src/media/rtcp/reportBlock.ts';
import { buildSdesCname } from '../../src/media/rtcp/sdes.ts';
import { ntpMiddle32 } from '../../src/media/rtcp/senderReport.ts';
import type { LoadClient } from './LoadClient.ts';
import { LossCounter } from './LossCounter.ts';

const RECEIVER_REPORT_INTERVAL_MS = 1000;
/** A gap not repaired by a retransmission within this long is a lost packet; video asks for a keyframe. */
const UNREPAIRED_AFTER_MS = 300;
const MIN_PLI_GAP_MS = 1000;

export interface SubscriberCounters {
  nacksSent: number;
  nackedPackets: number;
  plisSent: number;
  unrepaired: number;
}

/**
 * A viewer that does what a browser's receive side does on the wire, without decoding: counts every
 * decrypted RTP packet per SSRC (LossCounter), NACKs gaps at once, sends a PLI when a video gap stays
 * unrepaired, and a Receiver Report (+ SDES) every second whose blocks name the last Sender Report of
 * each stream (LSR/DLSR), from which the server learns the viewer's round-trip time.
 */
export class Subscriber {
  readonly client: LoadClient;
  readonly ssrc = (Math.random() * 0xffffffff) >>> 0;
  readonly counters: SubscriberCounters = { nacksSent: 0, nackedPackets: 0, plisSent: 0, unrepaired: 0 };
  readonly streams = new Map<number, LossCounter>();
  readonly #videoPayloadType: number;
  readonly #videoSsrcs = new Set<number>();
  readonly #cname: string;
  readonly #missing: number[] = [];
  readonly #lastReported = new Map<number, { expected: number; distinct: number }>();
  /** Per SSRC: the last SR's NTP middle 32 bits and when it arrived. */
  readonly #lastSenderReport = new Map<number, { lsr: number; atMs: number }>();
  readonly #clock: { now: number };
  #nextReportMs: number;
  #lastPliMs = -Infinity;

  /** `clock.now` is the load generator's tick time: no clock read per packet. */
  constructor(client: LoadClient, cname: string, clock: { now: number }) {
    if (!client.remote) throw new Error('subscriber client is not connected');
    this.client = client;
    this.#cname = cname;
    this.#clock = clock;
    this.#videoPayloadType = client.remote.video?.payloadType ?? -1;
    this.#nextReportMs = clock.now + Math.random() * RECEIVER_REPORT_INTERVAL_MS;
    client.onRtp = (buf, len) => this.#handleRtp(buf, len);
    client.onRtcp = (buf, len) => this.#handleRtcp(buf, len);
  }

  tick(nowMs: number): void {
    if (!this.client.connected) return;
    for (const ssrc of this.#videoSsrcs) {
      const unrepaired = this.streams.get(ssrc)!.expireUnrepaired(nowMs, UNREPAIRED_AFTER_MS);
      if (unrepaired === 0) continue;
      this.counters.unrepaired += unrepaired;
      if (nowMs - this.#lastPliMs >= MIN_PLI_GAP_MS) {
        this.#lastPliMs = nowMs;
        this.counters.plisSent++;
        this.client.sendRtcp(buildPli(this.ssrc, ssrc));
      }
    }
    if (nowMs >= this.#nextReportMs) {
      this.#nextReportMs = nowMs + RECEIVER_REPORT_INTERVAL_MS;
      this.#sendReceiverReport();
    }
  }

  #handleRtp(buf: Buffer, len: number): void {
    if (len < 12) return;
    const ssrc = buf.readUInt32BE(8);
    let stream = this.streams.get(ssrc);
    if (!stream) {
      stream = new LossCounter(ssrc);
      this.streams.set(ssrc, stream);
      if ((buf[1]! & 0x7f) === this.#videoPayloadType) this.#videoSsrcs.add(ssrc);
    }
    const missing = this.#missing;
    stream.onPacket((buf[2]! << 8) | buf[3]!, this.#clock.now, missing);
    if (missing.length > 0) {
      this.counters.nacksSent++;
      this.counters.nackedPackets += missing.length;
      this.client.sendRtcp(buildNack(this.ssrc, ssrc, missing));
      missing.length = 0;
    }
  }

  #handleRtcp(buf: Buffer, len: number): void {
    for (const rtcp of parseRtcpCompound(buf, len)) {
      if (rtcp.type === 'sr')
        this.#lastSenderReport.set(rtcp.ssrc, {
          lsr: ntpMiddle32(rtcp.ntpSeconds, rtcp.ntpFraction),
          atMs: this.#clock.now,
        });
    }
  }

  #sendReceiverReport(): void {
    const blocks: ReportBlock[] = [];
    for (const [ssrc, stream] of this.streams) {
      const last = this.#lastReported.get(ssrc) ?? { expected: 0, distinct: 0 };
      const expected = stream.expected - last.expected;
      const distinct = stream.distinct - last.distinct;
      this.#lastReported.set(ssrc, { expected: stream.expected, distinct: stream.distinct });
      const senderReport = this.#lastSenderReport.get(ssrc);
      blocks.push({
        ssrc,
        fractionLost: expected > 0 ? Math.max(0, Math.floor(((expected - distinct) * 256) / expected)) : 0,
        cumulativeLost: stream.lost,
        extendedHighestSequence: stream.extendedHighest >>> 0,
        jitter: 0,
        lastSr: senderReport?.lsr ?? 0,
        delaySinceLastSr: senderReport ? delaySinceLastSrField(this.#clock.now - senderReport.atMs) : 0,
      });
    }
    const report = buildReceiverReport(this.ssrc, blocks);
    this.client.sendRtcp(Buffer.concat([report, buildSdesCname(this.ssrc, this.#cname)]));
  }
}
