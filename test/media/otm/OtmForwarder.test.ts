import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import type { OtmForwarder } from '../../../src/media/otm/OtmForwarder.ts';
import { parseRtcpCompound, type RtcpPacket } from '../../../src/media/rtcp/compound.ts';
import { buildFir } from '../../../src/media/rtcp/fir.ts';
import { buildNack } from '../../../src/media/rtcp/nack.ts';
import { buildPli } from '../../../src/media/rtcp/pli.ts';
import { buildReceiverReport } from '../../../src/media/rtcp/receiverReport.ts';
import { buildSenderReport, ntpMiddle32 } from '../../../src/media/rtcp/senderReport.ts';
import { TWCC_NOT_RECEIVED } from '../../../src/media/rtcp/transportWideCc.ts';
import { rtpPayloadType, rtpSequence, rtpSsrc, rtpTimestamp } from '../../../src/media/rtp/rtpHeader.ts';
import {
  advance,
  audioPacket,
  connectPublisher,
  connectSubscriber,
  createForwarder,
  payloadTag,
  publisherTracks,
  type RecordingTransport,
  receive,
  videoPacket,
} from './otmTestKit.ts';

const START_MS = 1_700_000_000_000;
const VIDEO_SSRC = 0x0a0a0a0a;
const AUDIO_SSRC = 0x0b0b0b0b;

function ofType<T extends RtcpPacket['type']>(
  transport: RecordingTransport,
  type: T,
): Array<Extract<RtcpPacket, { type: T }>> {
  return transport.rtcpPackets().filter((p): p is Extract<RtcpPacket, { type: T }> => p.type === type);
}

describe('OtmForwarder', () => {
  let forwarder: OtmForwarder;

  beforeEach(() => {
    mock.timers.enable({ apis: ['setInterval', 'setTimeout', 'setImmediate', 'Date'], now: START_MS });
    forwarder = createForwarder();
  });

  afterEach(() => {
    forwarder.close();
    mock.timers.reset();
  });

  describe('renumbering', () => {
    it("keeps one SSRC, continuous sequence numbers and timestamps across a publisher's reconnect", () => {
      const first = connectPublisher(forwarder);
      const viewer = connectSubscriber(forwarder);
      for (let i = 0; i < 5; i++) {
        const sequence = (65533 + i) & 0xffff;
        receive(
          forwarder,
          first.leg,
          videoPacket({ ssrc: VIDEO_SSRC, sequence, timestamp: 1000 + 3000 * i, keyframe: i === 0 }),
        );
        advance(33);
      }
      const second = connectPublisher(forwarder);
      advance(500);
      for (let i = 0; i < 3; i++) {
        receive(
          forwarder,
          second.leg,
          videoPacket({
            ssrc: 0x0c0c0c0c,
            sequence: 100 + i,
            timestamp: 7_000_000 + 3000 * i,
            keyframe: i === 0,
          }),
        );
        advance(33);
      }

      const sent = viewer.transport.rtp;
      const outgoingSsrc = forwarder.tracks.get('video')!.ssrc;
      assert.equal(sent.length, 8);
      assert.deepEqual(
        sent.map((p) => rtpSsrc(p)),
        sent.map(() => outgoingSsrc),
      );
      assert.ok(
        sent.every((p) => rtpPayloadType(p) === 98),
        "the viewer's payload type",
      );
      const firstSequence = rtpSequence(sent[0]!);
      assert.deepEqual(
        sent.map((p) => rtpSequence(p)),
        sent.map((_, i) => (firstSequence + i) & 0xffff),
        'no gap and no jump at the reconnect',
      );
      const timestamps = sent.map((p) => rtpTimestamp(p));
      const steps = timestamps.slice(1).map((t, i) => (t - timestamps[i]!) >>> 0);
      // Across the reconnect the timestamp advances by the wall time between the two packets (533 ms).
      assert.deepEqual(steps, [3000, 3000, 3000, 3000, 533 * 90, 3000, 3000]);
      assert.deepEqual(
        sent.map((p) => payloadTag(p)),
        [65533, 65534, 65535, 0, 1, 100, 101, 102],
      );
    });
  });

  describe('routing by SSRC', () => {
    it('uses the announced SSRCs, else learns a new one from its MID or payload type, once', () => {
      const { leg } = connectPublisher(forwarder, publisherTracks({ videoSsrcs: [VIDEO_SSRC] }));
      const viewer = connectSubscriber(forwarder);
      receive(forwarder, leg, videoPacket({ ssrc: VIDEO_SSRC, sequence: 1, keyframe: true }));
      receive(forwarder, leg, audioPacket({ ssrc: AUDIO_SSRC, sequence: 1 }));
      // A second video SSRC, announced by its MID: learned, and kept once the MID is no longer sent.
      receive(forwarder, leg, videoPacket({ ssrc: 0x0d0d0d0d, sequence: 50, mid: '1' }));
      receive(forwarder, leg, videoPacket({ ssrc: 0x0d0d0d0d, sequence: 51 }));
      assert.equal(viewer.transport.rtp.length, 4);
      assert.equal(forwarder.counters.packetsDropped, 0);

      // A known SSRC with a payload type that is not its codec's is not forwarded as that codec.
      receive(forwarder, leg, videoPacket({ ssrc: VIDEO_SSRC, sequence: 2, payloadType: 100 }));
      // An unknown SSRC with an unknown payload type and no MID belongs to no track.
      receive(forwarder, leg, videoPacket({ ssrc: 0x0e0e0e0e, sequence: 1, payloadType: 101 }));
      assert.equal(viewer.transport.rtp.length, 4);
      assert.equal(forwarder.counters.packetsDropped, 2);
      assert.equal(leg.unroutedPackets, 1);
    });
  });

  describe('keyframe requests', () => {
    it('turns many viewers asking at once into one PLI per interval, and a keyframe cancels the wait', () => {
      const { leg, transport: publisher } = connectPublisher(forwarder);
      receive(forwarder, leg, videoPacket({ ssrc: VIDEO_SSRC, sequence: 1 }));
      const videoSsrc = forwarder.tracks.get('video')!.ssrc;
      const viewers = Array.from({ length: 10 }, () => connectSubscriber(forwarder));
      const pli = buildPli(0x5555, videoSsrc);
      for (const viewer of viewers) viewer.leg.handleRtcp(pli, pli.length);

      assert.deepEqual(
        ofType(publisher, 'pli').map((p) => [p.senderSsrc, p.mediaSsrc]),
        [[leg.rtcpSsrc, VIDEO_SSRC]],
        'the first goes out at once, for the publisher SSRC',
      );
      advance(499);
      assert.equal(ofType(publisher, 'pli').length, 1);
      advance(1);
      assert.equal(ofType(publisher, 'pli').length, 2, 'the other nine became one when the interval ended');

      advance(100);
      for (const viewer of viewers) viewer.leg.handleRtcp(pli, pli.length);
      receive(forwarder, leg, videoPacket({ ssrc: VIDEO_SSRC, sequence: 2, keyframe: true }));
      advance(2000);
      assert.equal(ofType(publisher, 'pli').length, 2, 'the keyframe answered the waiting requests');

      const fir = buildFir(0x5555, videoSsrc, 7);
      viewers[0]!.leg.handleRtcp(fir, fir.length);
      viewers[1]!.leg.handleRtcp(fir, fir.length);
      assert.deepEqual(
        ofType(publisher, 'fir').map((f) => f.entries),
        [[{ ssrc: VIDEO_SSRC, sequenceNumber: 0 }]],
        'a FIR goes up as a FIR, with our own command sequence number',
      );
      assert.equal(forwarder.counters.keyframeRequestsSent, 3);
    });
  });

  describe("viewers' NACKs", () => {
    it('are answered from the cache for packets at least one second old', () => {
      const { leg } = connectPublisher(forwarder);
      const viewer = connectSubscriber(forwarder);
      // 3 Mbit/s of 1200-byte packets is about 310 packets/s: send a little over a second of them.
      for (let i = 0; i < 340; i++) {
        receive(
          forwarder,
          leg,
          videoPacket({ ssrc: VIDEO_SSRC, sequence: 20_000 + i, timestamp: 90 * 3 * i, keyframe: i === 0 }),
        );
        advance(3);
      }
      const forwarded = viewer.transport.rtp.length;
      const oldest = rtpSequence(viewer.transport.rtp[0]!);
      const videoSsrc = forwarder.tracks.get('video')!.ssrc;
      const nack = buildNack(0x7777, videoSsrc, [oldest, (oldest + 170) & 0xffff, (oldest + 400) & 0xffff]);
      viewer.leg.handleRtcp(nack, nack.length);

      const resent = viewer.transport.rtp.slice(forwarded);
      assert.deepEqual(
        resent.map((p) => [rtpSequence(p), payloadTag(p)]),
        [
          [oldest, 20_000],
          [(oldest + 170) & 0xffff, 20_170],
        ],
      );
      assert.deepEqual(resent[0], viewer.transport.rtp[0], 'byte for byte what the viewer first got');
      assert.equal(forwarder.counters.nacksAnswered, 2);
      assert.equal(forwarder.counters.nacksMissed, 1, 'never sent: nothing to resend');
    });
  });

  describe('NACK cache retention', () => {
    /** A viewer's RR on `ssrc`, naming the SR of NTP time `ntp` and received `delayMs` ago. */
    function receiverReport(ssrc: number, ntp: [number, number], delayMs: number): Buffer {
      return buildReceiverReport(0x7777, [
        {
          ssrc,
          fractionLost: 0,
          cumulativeLost: 0,
          extendedHighestSequence: 0,
          jitter: 0,
          lastSr: ntpMiddle32(ntp[0], ntp[1]),
          delaySinceLastSr: Math.round(delayMs * 65.536),
        },
      ]);
    }

    it('is 3 RTTs of the farthest viewer, from their reports on the SRs it forwards; 1 s until they report', () => {
      const { leg } = connectPublisher(forwarder);
      const near = connectSubscriber(forwarder);
      const far = connectSubscriber(forwarder);
      receive(forwarder, leg, videoPacket({ ssrc: VIDEO_SSRC, sequence: 1, timestamp: 0, keyframe: true }));
      assert.equal(forwarder.nackRetentionMs, 1000);
      const ntp: [number, number] = [3_900_000_000, 0x40000000];
      const sr = buildSenderReport({
        ssrc: VIDEO_SSRC,
        ntpSeconds: ntp[0],
        ntpFraction: ntp[1],
        rtpTimestamp: 0,
        packetCount: 1,
        octetCount: 100,
      });
      forwarder.handlePublisherRtcp(leg, sr, sr.length);
      const videoSsrc = forwarder.tracks.get('video')!.ssrc;
      advance(160);
      const nearReport = receiverReport(videoSsrc, ntp, 150); // RTT 10 ms
      near.leg.handleRtcp(nearReport, nearReport.length);
      advance(1000 - 160);
      assert.equal(forwarder.nackRetentionMs, 250, 'a near viewer alone: the 250 ms floor');
      const farReport = receiverReport(videoSsrc, ntp, 850); // RTT 150 ms
      far.leg.handleRtcp(farReport, farReport.length);
      // A block about a stream this OTM does not send says nothing about its viewers.
      const unrelated = receiverReport(0x5555, ntp, 0);
      far.leg.handleRtcp(unrelated, unrelated.length);
      advance(1000);
      assert.equal(forwarder.nackRetentionMs, 450);
      // Once nobody has reported for two windows, back to the cautious second.
      advance(11_000);
      assert.equal(forwarder.nackRetentionMs, 1000);
    });
  });

  describe('toward the publisher', () => {
    it('NACKs a hole at once, retries, forwards the retransmission in place and gives up after a second', () => {
      const { leg, transport: publisher } = connectPublisher(forwarder);
      const viewer = connectSubscriber(forwarder);
      const send = (sequence: number) =>
        receive(forwarder, leg, videoPacket({ ssrc: VIDEO_SSRC, sequence, timestamp: sequence * 100 }));
      for (let s = 1000; s < 1010; s++) send(s);
      send(1012);
      const nacked = () => ofType(publisher, 'nack');
      assert.deepEqual(
        nacked().map((n) => [n.senderSsrc, n.mediaSsrc, n.items]),
        [[leg.rtcpSsrc, VIDEO_SSRC, [{ pid: 1010, blp: 0b1 }]]],
      );
      advance(100);
      assert.equal(nacked().length, 2, 'asked again one retry interval later');

      send(1010);
      const first = rtpSequence(viewer.transport.rtp[0]!);
      const retransmission = viewer.transport.rtp.at(-1)!;
      assert.equal(rtpSequence(retransmission), (first + 10) & 0xffff, 'in its place in our numbering');
      assert.equal(payloadTag(retransmission), 1010);
      assert.equal(forwarder.counters.upstreamRecovered, 1);

      advance(100);
      assert.deepEqual(nacked().at(-1)!.items, [{ pid: 1011, blp: 0 }], 'only the one still missing');
      advance(3000);
      assert.equal(nacked().length, 10, 'at once, then every 100 ms until the packet is a second old');
      assert.equal(forwarder.counters.upstreamNacked, 2 + 2 + 8);
    });

    it('does not NACK audio or a publisher that did not agree to NACK', () => {
      const tracks = publisherTracks();
      tracks[1]!.codec.rtcpFeedback = ['nack pli'];
      const { leg, transport: publisher } = connectPublisher(forwarder, tracks);
      for (const sequence of [1, 2, 5]) {
        receive(forwarder, leg, videoPacket({ ssrc: VIDEO_SSRC, sequence }));
        receive(forwarder, leg, audioPacket({ ssrc: AUDIO_SSRC, sequence }));
      }
      advance(500);
      assert.deepEqual(ofType(publisher, 'nack'), []);
    });

    it('reports loss, jitter and LSR/DLSR in an RR every second, in one compound with SDES and REMB', () => {
      const { leg, transport: publisher } = connectPublisher(forwarder);
      const sendVideo = (sequence: number) =>
        receive(forwarder, leg, videoPacket({ ssrc: VIDEO_SSRC, sequence, timestamp: sequence * 3000 }));
      const sendAudio = (sequence: number) =>
        receive(forwarder, leg, audioPacket({ ssrc: AUDIO_SSRC, sequence, timestamp: sequence * 960 }));
      // The first packet of each source brings an early report (the first REMB should not wait).
      sendVideo(500);
      sendAudio(40);
      advance(1);
      assert.equal(publisher.rtcp.length, 2);

      // Video: 501..520 with 505 and 506 lost for good (and never NACKed back).
      for (let s = 501; s <= 520; s++) if (s !== 505 && s !== 506) sendVideo(s);
      // Audio every 20 ms, one packet 10 ms late: jitter per RFC 3550 A.8.
      let jitter = 0;
      let previousTransit = START_MS * 48 - 40 * 960;
      for (let s = 41; s <= 50; s++) {
        const late = s === 45 ? 10 : 0;
        advance(20 + late - (s === 46 ? 10 : 0));
        sendAudio(s);
        const transit = Date.now() * 48 - s * 960;
        jitter += (Math.abs(transit - previousTransit) - jitter) / 16;
        previousTransit = transit;
      }
      const senderReportAt = Date.now();
      const sr = buildSenderReport({
        ssrc: AUDIO_SSRC,
        ntpSeconds: 3_900_000_000,
        ntpFraction: 0x12345678,
        rtpTimestamp: 48_000,
        packetCount: 11,
        octetCount: 330,
      });
      forwarder.handlePublisherRtcp(leg, sr, sr.length);
      advance(1000 - (Date.now() - START_MS));
      const delay = Date.now() - senderReportAt;

      // The last compound that starts with an RR (NACKs for the two lost packets went out meanwhile).
      const compound = publisher.rtcp.filter((c) => c[1] === 201).at(-1)!;
      const packets = parseRtcpCompound(compound, compound.length);
      assert.deepEqual(
        packets.map((p) => p.type),
        ['rr', 'sdes', 'remb'],
      );
      const [rr, sdes, remb] = packets as [
        Extract<RtcpPacket, { type: 'rr' }>,
        Extract<RtcpPacket, { type: 'sdes' }>,
        Extract<RtcpPacket, { type: 'remb' }>,
      ];
      assert.equal(rr.ssrc, leg.rtcpSsrc);
      const video = rr.reports.find((r) => r.ssrc === VIDEO_SSRC)!;
      const audio = rr.reports.find((r) => r.ssrc === AUDIO_SSRC)!;
      // The early reports closed an interval after packet 500: this one expected 501..520 and got 18.
      assert.deepEqual(video, {
        ssrc: VIDEO_SSRC,
        fractionLost: Math.floor((2 * 256) / 20),
        cumulativeLost: 2,
        extendedHighestSequence: 520,
        jitter: video.jitter,
        lastSr: 0,
        delaySinceLastSr: 0,
      });
      assert.equal(audio.fractionLost, 0);
      assert.equal(audio.cumulativeLost, 0);
      assert.equal(audio.extendedHighestSequence, 50);
      assert.equal(audio.jitter, Math.floor(jitter));
      assert.ok(audio.jitter > 0);
      assert.equal(audio.lastSr, ntpMiddle32(3_900_000_000, 0x12345678));
      assert.equal(audio.delaySinceLastSr, Math.round((delay * 65536) / 1000));
      assert.deepEqual(sdes.chunks[0]!.ssrc, leg.rtcpSsrc);
      assert.equal(sdes.chunks[0]!.items[0]!.text, 'dotm-test');
      assert.equal(remb.senderSsrc, leg.rtcpSsrc);
      assert.equal(remb.bitrateBps, 3_000_000);
      assert.deepEqual(remb.ssrcs.toSorted(), [VIDEO_SSRC, AUDIO_SSRC].toSorted());
    });

    it('does not count a repaired packet as lost', () => {
      const { leg, transport: publisher } = connectPublisher(forwarder);
      const send = (sequence: number) =>
        receive(forwarder, leg, videoPacket({ ssrc: VIDEO_SSRC, sequence, timestamp: sequence * 3000 }));
      for (let s = 1; s <= 10; s++) if (s !== 4) send(s);
      send(4);
      advance(1000);
      const rr = ofType(publisher, 'rr').at(-1)!;
      assert.equal(rr.reports[0]!.cumulativeLost, 0);
      assert.equal(rr.reports[0]!.fractionLost, 0);
    });

    it('sends transport-cc feedback every 100 ms when it was agreed, covering every packet', () => {
      const { leg, transport: publisher } = connectPublisher(
        forwarder,
        publisherTracks({ transportCc: true }),
      );
      for (const [transportSequence, sequence] of [
        [1, 1],
        [2, 2],
        [4, 3],
        [5, 4],
      ] as const) {
        receive(forwarder, leg, videoPacket({ ssrc: VIDEO_SSRC, sequence, transportSequence }));
      }
      // Not routed to any track, still accounted for: the sender must not think it lost.
      receive(forwarder, leg, videoPacket({ ssrc: 0x0e0e0e0e, payloadType: 101, transportSequence: 6 }));
      advance(100);
      const feedback = ofType(publisher, 'twcc');
      assert.equal(feedback.length, 1);
      assert.equal(feedback[0]!.senderSsrc, leg.rtcpSsrc);
      assert.equal(feedback[0]!.baseSequence, 1);
      assert.deepEqual(
        [...feedback[0]!.statuses].map((s) => s !== TWCC_NOT_RECEIVED),
        [true, true, false, true, true, true],
      );
      advance(500);
      assert.equal(ofType(publisher, 'twcc').length, 1, 'nothing new, nothing sent');
    });

    it('sends no transport-cc feedback when it was not agreed', () => {
      const { leg, transport: publisher } = connectPublisher(forwarder);
      receive(forwarder, leg, videoPacket({ ssrc: VIDEO_SSRC, sequence: 1, transportSequence: 1 }));
      advance(1000);
      assert.deepEqual(ofType(publisher, 'twcc'), []);
      assert.equal(ofType(publisher, 'remb').length, 2);
    });
  });
});
