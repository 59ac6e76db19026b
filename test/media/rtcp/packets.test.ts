import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ReceiverEstimatedMaxBitrate,
  RtcpPacketConverter,
  type RtcpPayloadSpecificFeedback,
  RtcpReceiverInfo,
  RtcpRrPacket,
  RtcpSenderInfo,
  RtcpSourceDescriptionPacket,
  RtcpSrPacket,
  type RtcpTransportLayerFeedback,
  SourceDescriptionChunk,
  SourceDescriptionItem,
  GenericNack as WeriftNack,
  PictureLossIndication as WeriftPli,
} from 'werift';
import { buildBye } from '../../../src/media/rtcp/bye.ts';
import { parseRtcpCompound, type RtcpPacket } from '../../../src/media/rtcp/compound.ts';
import { buildFir } from '../../../src/media/rtcp/fir.ts';
import { buildNack, nackToSequenceNumbers } from '../../../src/media/rtcp/nack.ts';
import { buildPli } from '../../../src/media/rtcp/pli.ts';
import { buildReceiverReport } from '../../../src/media/rtcp/receiverReport.ts';
import { buildRemb } from '../../../src/media/rtcp/remb.ts';
import type { ReportBlock } from '../../../src/media/rtcp/reportBlock.ts';
import { buildSdes, buildSdesCname } from '../../../src/media/rtcp/sdes.ts';
import { buildSenderReport, ntpFromUnixMs, ntpMiddle32 } from '../../../src/media/rtcp/senderReport.ts';

function parseOne<T extends RtcpPacket['type']>(buf: Buffer, type: T): Extract<RtcpPacket, { type: T }> {
  const packets = parseRtcpCompound(buf, buf.length);
  assert.equal(packets.length, 1);
  assert.equal(packets[0]!.type, type);
  return packets[0] as Extract<RtcpPacket, { type: T }>;
}

function block(i: number): ReportBlock {
  return {
    ssrc: 0x10000000 + i,
    fractionLost: (i * 7) & 0xff,
    cumulativeLost: i % 2 === 0 ? i * 1000 : -i,
    extendedHighestSequence: 0x00010000 + i,
    jitter: i * 3,
    lastSr: 0xabcd0000 + i,
    delaySinceLastSr: i * 65536,
  };
}

describe('Sender and Receiver Reports', () => {
  it('round-trip an SR with report blocks, and werift reads it', () => {
    const sr = {
      ssrc: 0xdeadbeef,
      ntpSeconds: 0xe1234567,
      ntpFraction: 0x89abcdef,
      rtpTimestamp: 0x11223344,
      packetCount: 12345,
      octetCount: 0xfffffff0,
      reports: [block(1), block(2)],
    };
    const buf = buildSenderReport(sr);
    assert.deepEqual(parseOne(buf, 'sr'), { type: 'sr', ...sr });
    const [theirs] = RtcpPacketConverter.deSerialize(buf) as [RtcpSrPacket];
    assert.equal(theirs.ssrc, 0xdeadbeef);
    assert.equal(theirs.senderInfo.ntpTimestamp, (0xe1234567n << 32n) | 0x89abcdefn);
    assert.equal(theirs.senderInfo.rtpTimestamp, 0x11223344);
    assert.equal(theirs.senderInfo.packetCount, 12345);
    assert.equal(theirs.senderInfo.octetCount, 0xfffffff0);
    assert.equal(theirs.reports.length, 2);
    assert.equal(theirs.reports[1]!.jitter, 6);
    assert.equal(theirs.reports[1]!.dlsr, 2 * 65536);
  });

  it('parse an SR built by werift', () => {
    const buf = new RtcpSrPacket({
      ssrc: 42,
      senderInfo: new RtcpSenderInfo({
        ntpTimestamp: (5n << 32n) | 6n,
        rtpTimestamp: 7,
        packetCount: 8,
        octetCount: 9,
      }),
      reports: [
        new RtcpReceiverInfo({
          ssrc: 1,
          fractionLost: 2,
          packetsLost: 3,
          highestSequence: 4,
          jitter: 5,
          lsr: 6,
          dlsr: 7,
        }),
      ],
    }).serialize();
    const sr = parseOne(buf, 'sr');
    assert.deepEqual(
      [sr.ssrc, sr.ntpSeconds, sr.ntpFraction, sr.rtpTimestamp, sr.packetCount, sr.octetCount],
      [42, 5, 6, 7, 8, 9],
    );
    assert.deepEqual(sr.reports, [
      {
        ssrc: 1,
        fractionLost: 2,
        cumulativeLost: 3,
        extendedHighestSequence: 4,
        jitter: 5,
        lastSr: 6,
        delaySinceLastSr: 7,
      },
    ]);
  });

  it('round-trip RRs, including the empty one and negative cumulative loss', () => {
    assert.deepEqual(parseOne(buildReceiverReport(7), 'rr'), { type: 'rr', ssrc: 7, reports: [] });
    const reports = [block(1), block(3)];
    assert.deepEqual(parseOne(buildReceiverReport(7, reports), 'rr'), { type: 'rr', ssrc: 7, reports });
    const [theirs] = RtcpPacketConverter.deSerialize(buildReceiverReport(7, reports)) as [RtcpRrPacket];
    assert.equal(theirs.reports[1]!.packetsLost, 0x1000000 - 3, 'two-complement 24 bits');
    const fromWerift = new RtcpRrPacket({
      ssrc: 9,
      reports: [
        new RtcpReceiverInfo({
          ssrc: 1,
          fractionLost: 255,
          packetsLost: 0x7fffff,
          highestSequence: 70000,
          jitter: 1,
          lsr: 2,
          dlsr: 3,
        }),
      ],
    }).serialize();
    assert.equal(parseOne(fromWerift, 'rr').reports[0]!.cumulativeLost, 0x7fffff);
  });

  it('clamp cumulative loss to 24 bits', () => {
    const rr = parseOne(buildReceiverReport(1, [{ ...block(0), cumulativeLost: 1e9 }]), 'rr');
    assert.equal(rr.reports[0]!.cumulativeLost, 0x7fffff);
    const negative = parseOne(buildReceiverReport(1, [{ ...block(0), cumulativeLost: -1e9 }]), 'rr');
    assert.equal(negative.reports[0]!.cumulativeLost, -0x800000);
  });

  it('spill more than 31 blocks into additional RR packets of the compound', () => {
    const reports = Array.from({ length: 70 }, (_, i) => block(i));
    const rr = parseRtcpCompound(buildReceiverReport(5, reports), Number.MAX_SAFE_INTEGER);
    assert.deepEqual(
      rr.map((p) => (p.type === 'rr' ? p.reports.length : -1)),
      [31, 31, 8],
    );
    assert.deepEqual(
      rr.flatMap((p) => (p.type === 'rr' ? p.reports : [])),
      reports,
    );
    const srInit = {
      ssrc: 5,
      ntpSeconds: 1,
      ntpFraction: 2,
      rtpTimestamp: 3,
      packetCount: 4,
      octetCount: 5,
      reports,
    };
    const compound = parseRtcpCompound(buildSenderReport(srInit), 1 << 20);
    assert.deepEqual(
      compound.map((p) => p.type),
      ['sr', 'rr', 'rr'],
    );
    assert.deepEqual(
      compound.flatMap((p) => (p.type === 'sr' || p.type === 'rr' ? p.reports : [])),
      reports,
    );
  });

  it('convert wall time to NTP and its middle 32 bits', () => {
    const { ntpSeconds, ntpFraction } = ntpFromUnixMs(1_700_000_000_500);
    assert.equal(ntpSeconds, 1_700_000_000 + 2208988800);
    assert.equal(ntpFraction, 0x80000000);
    assert.equal(ntpMiddle32(0x12345678, 0x9abcdef0), 0x56789abc);
  });
});

describe('SDES and BYE', () => {
  it('round-trip a CNAME and several chunks, and werift reads them', () => {
    assert.deepEqual(parseOne(buildSdesCname(0x01020304, 'dotm-otm-7'), 'sdes'), {
      type: 'sdes',
      chunks: [{ ssrc: 0x01020304, items: [{ type: 1, text: 'dotm-otm-7' }] }],
    });
    const chunks = [
      { ssrc: 1, items: [{ type: 1, text: 'abc' }] }, // chunk ends exactly on a word: 4 + 5 + null → 12
      {
        ssrc: 2,
        items: [
          { type: 1, text: 'ünïcødé' },
          { type: 2, text: 'Name' },
        ],
      },
      { ssrc: 3, items: [] },
    ];
    const buf = buildSdes(chunks);
    assert.deepEqual(parseOne(buf, 'sdes').chunks, chunks);
    const [theirs] = RtcpPacketConverter.deSerialize(buildSdesCname(77, 'hello')) as [
      RtcpSourceDescriptionPacket,
    ];
    assert.equal(theirs.chunks[0]!.source, 77);
    assert.equal(theirs.chunks[0]!.items[0]!.text, 'hello');
  });

  it('parse an SDES built by werift', () => {
    const buf = new RtcpSourceDescriptionPacket({
      chunks: [
        new SourceDescriptionChunk({
          source: 99,
          items: [new SourceDescriptionItem({ type: 1, text: 'werift-cname' })],
        }),
      ],
    }).serialize();
    assert.deepEqual(parseOne(buf, 'sdes').chunks, [
      { ssrc: 99, items: [{ type: 1, text: 'werift-cname' }] },
    ]);
  });

  it('round-trip BYE with and without a reason', () => {
    assert.deepEqual(parseOne(buildBye([1, 2]), 'bye'), { type: 'bye', ssrcs: [1, 2] });
    assert.deepEqual(parseOne(buildBye([3], 'left the room'), 'bye'), {
      type: 'bye',
      ssrcs: [3],
      reason: 'left the room',
    });
  });
});

describe('Generic NACK', () => {
  it('packs sequence numbers into PID/BLP items and expands them back', () => {
    const lost = [100, 101, 105, 116, 117, 200, 65535, 0, 3, 101];
    const buf = buildNack(1, 2, lost);
    const nack = parseOne(buf, 'nack');
    assert.equal(nack.senderSsrc, 1);
    assert.equal(nack.mediaSsrc, 2);
    // 65535, 0 and 3 come before 100 once the wrap is taken into account.
    assert.deepEqual(nack.items, [
      { pid: 65535, blp: (1 << 0) | (1 << 3) },
      { pid: 100, blp: (1 << 0) | (1 << 4) | (1 << 15) },
      { pid: 117, blp: 0 },
      { pid: 200, blp: 0 },
    ]);
    assert.deepEqual(nackToSequenceNumbers(nack), [65535, 0, 3, 100, 101, 105, 116, 117, 200]);
  });

  it('orders around the wrap', () => {
    const nack = parseOne(buildNack(1, 2, [2, 65534, 0]), 'nack');
    assert.deepEqual(nackToSequenceNumbers(nack), [65534, 0, 2]);
    assert.deepEqual(nack.items, [{ pid: 65534, blp: (1 << 1) | (1 << 3) }]);
  });

  it('is read by werift and reads what werift builds', () => {
    const ours = buildNack(0x11, 0x22, [10, 12, 30]);
    const [theirs] = RtcpPacketConverter.deSerialize(ours) as [RtcpTransportLayerFeedback];
    const feedback = theirs.feedback as WeriftNack;
    assert.equal(feedback.senderSsrc, 0x11);
    assert.equal(feedback.mediaSourceSsrc, 0x22);
    assert.deepEqual(feedback.lost, [10, 12, 30]);

    const built = new WeriftNack({
      senderSsrc: 5,
      mediaSourceSsrc: 6,
      lost: [1000, 1001, 1016, 1017, 2000],
    }).serialize();
    const nack = parseOne(built, 'nack');
    assert.deepEqual([nack.senderSsrc, nack.mediaSsrc], [5, 6]);
    assert.deepEqual(nackToSequenceNumbers(nack), [1000, 1001, 1016, 1017, 2000]);
  });

  it('builds an empty NACK for no sequence numbers', () => {
    assert.deepEqual(parseOne(buildNack(1, 2, []), 'nack').items, []);
  });
});

describe('PLI, FIR and REMB', () => {
  it('round-trip a PLI both ways with werift', () => {
    assert.deepEqual(parseOne(buildPli(3, 4), 'pli'), { type: 'pli', senderSsrc: 3, mediaSsrc: 4 });
    const [theirs] = RtcpPacketConverter.deSerialize(buildPli(3, 4)) as [RtcpPayloadSpecificFeedback];
    const pli = theirs.feedback as WeriftPli;
    assert.deepEqual([pli.senderSsrc, pli.mediaSsrc], [3, 4]);
    const fromWerift = buildWeriftPsfb(new WeriftPli({ senderSsrc: 8, mediaSsrc: 9 }));
    assert.deepEqual(parseOne(fromWerift, 'pli'), { type: 'pli', senderSsrc: 8, mediaSsrc: 9 });
  });

  it('round-trip a FIR with the media SSRC in the FCI (RFC 5104)', () => {
    const buf = buildFir(0x0a, 0x0b, 257);
    assert.deepEqual(parseOne(buf, 'fir'), {
      type: 'fir',
      senderSsrc: 0x0a,
      mediaSsrc: 0,
      entries: [{ ssrc: 0x0b, sequenceNumber: 1 }],
    });
    const [theirs] = RtcpPacketConverter.deSerialize(buf) as [RtcpPayloadSpecificFeedback];
    const fir = theirs.feedback as unknown as {
      senderSsrc: number;
      fir: Array<{ ssrc: number; sequenceNumber: number }>;
    };
    assert.equal(fir.senderSsrc, 0x0a);
    assert.deepEqual(fir.fir, [{ ssrc: 0x0b, sequenceNumber: 1 }]);
  });

  it('encode REMB bitrates with the right exponent and mantissa', () => {
    const cases: Array<[number, number]> = [
      [0, 0],
      [262_143, 262_143],
      [1_000_000, 1_000_000],
      [2_500_001, 2_500_000], // mantissa floor: 2_500_001 >> 4 = 156_250 → 2_500_000
      [3_000_000_000, 2_999_992_320],
      [2 ** 40 + 12345, 2 ** 40],
    ];
    for (const [input, expected] of cases) {
      const remb = parseOne(buildRemb(1, input, [2, 3]), 'remb');
      assert.equal(remb.bitrateBps, expected, `${input}`);
      assert.ok(remb.bitrateBps <= input);
      assert.deepEqual(remb.ssrcs, [2, 3]);
      const [theirs] = RtcpPacketConverter.deSerialize(buildRemb(1, input, [2, 3])) as [
        RtcpPayloadSpecificFeedback,
      ];
      const weriftRemb = theirs.feedback as ReceiverEstimatedMaxBitrate;
      assert.equal(weriftRemb.bitrate, BigInt(expected));
      assert.deepEqual(weriftRemb.ssrcFeedbacks, [2, 3]);
      assert.equal(weriftRemb.senderSsrc, 1);
    }
  });

  it('parse a REMB built by werift with brExp/brMantissa set by hand', () => {
    const remb = new ReceiverEstimatedMaxBitrate({
      senderSsrc: 7,
      mediaSsrc: 0,
      brExp: 3,
      brMantissa: 250_000,
      ssrcNum: 1,
      ssrcFeedbacks: [0xfeedf00d],
    });
    const parsed = parseOne(buildWeriftPsfb(remb), 'remb');
    assert.equal(parsed.bitrateBps, 2_000_000);
    assert.deepEqual(parsed.ssrcs, [0xfeedf00d]);
  });
});

/** werift's PSFB serializer computes the length from the feedback; wrap it the way werift sends it. */
function buildWeriftPsfb(feedback: WeriftPli | ReceiverEstimatedMaxBitrate): Buffer {
  const body = feedback.serialize();
  const header = Buffer.from([0x80 | feedback.count, 206, 0, body.length / 4]);
  return Buffer.concat([header, body]);
}
