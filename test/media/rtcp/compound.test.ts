import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildBye, parseBye } from '../../../src/media/rtcp/bye.ts';
import { parseRtcpCompound } from '../../../src/media/rtcp/compound.ts';
import { buildFir, parseFir } from '../../../src/media/rtcp/fir.ts';
import { buildNack, parseNack } from '../../../src/media/rtcp/nack.ts';
import { buildPli, parsePli } from '../../../src/media/rtcp/pli.ts';
import { buildReceiverReport, parseReceiverReport } from '../../../src/media/rtcp/receiverReport.ts';
import { buildRemb, parseRemb } from '../../../src/media/rtcp/remb.ts';
import { buildSdesCname, parseSdes } from '../../../src/media/rtcp/sdes.ts';
import { buildSenderReport, parseSenderReport } from '../../../src/media/rtcp/senderReport.ts';
import {
  buildTransportWideCcFeedback,
  parseTransportWideCc,
} from '../../../src/media/rtcp/transportWideCc.ts';
import { seededRandom } from '../rtp/rtpTestPackets.ts';

const sr = buildSenderReport({
  ssrc: 1,
  ntpSeconds: 2,
  ntpFraction: 3,
  rtpTimestamp: 4,
  packetCount: 5,
  octetCount: 6,
});
const sdes = buildSdesCname(1, 'cname');
const app = Buffer.from([0x81, 204, 0, 3, 0, 0, 0, 1, 0x64, 0x6f, 0x74, 0x6d, 1, 2, 3, 4]);
const tmmbr = Buffer.from([0x83, 205, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0]);

describe('parseRtcpCompound', () => {
  it('splits a compound into typed packets in order', () => {
    const compound = Buffer.concat([
      sr,
      sdes,
      buildPli(1, 2),
      buildNack(1, 2, [5, 6]),
      buildFir(1, 2, 3),
      buildRemb(1, 1e6, [2]),
    ]);
    assert.deepEqual(
      parseRtcpCompound(compound, compound.length).map((p) => p.type),
      ['sr', 'sdes', 'pli', 'nack', 'fir', 'remb'],
    );
  });

  it('reports APP, unknown feedback formats and a PSFB FMT 15 without "REMB" as unknown, with their place', () => {
    const afbOther = Buffer.from(buildRemb(1, 1000, [2]));
    afbOther.write('GOOG', 12);
    const compound = Buffer.concat([sr, app, tmmbr, afbOther, buildBye([1])]);
    const packets = parseRtcpCompound(compound, compound.length);
    assert.deepEqual(
      packets.map((p) => p.type),
      ['sr', 'unknown', 'unknown', 'unknown', 'bye'],
    );
    assert.deepEqual(packets[1], {
      type: 'unknown',
      packetType: 204,
      count: 1,
      offset: sr.length,
      length: app.length,
    });
    assert.deepEqual(packets[2], {
      type: 'unknown',
      packetType: 205,
      count: 3,
      offset: sr.length + app.length,
      length: 20,
    });
    assert.equal((packets[3] as { packetType: number }).packetType, 206);
  });

  it('removes padding announced by the P bit', () => {
    const padded = Buffer.concat([buildReceiverReport(9), Buffer.from([0, 0, 0, 4])]);
    padded[0] = padded[0]! | 0x20;
    padded[3] = 2;
    assert.deepEqual(parseRtcpCompound(padded, padded.length), [{ type: 'rr', ssrc: 9, reports: [] }]);
    const twcc = buildTransportWideCcFeedback({
      senderSsrc: 1,
      mediaSsrc: 2,
      baseSequence: 3,
      referenceTime: 4,
      feedbackPacketCount: 5,
      statuses: [1],
      deltaTicks: [7],
    });
    assert.equal(twcc[0]! & 0x20, 0x20, 'TWCC needs padding here');
    const compound = Buffer.concat([twcc, buildPli(1, 2)]);
    assert.deepEqual(
      parseRtcpCompound(compound, compound.length).map((p) => p.type),
      ['twcc', 'pli'],
    );
  });

  it('returns the packets before the first malformed one', () => {
    const tooLong = Buffer.from(buildPli(1, 2));
    tooLong[3] = 9;
    const wrongVersion = Buffer.from(buildPli(1, 2));
    wrongVersion[0] = 0x41;
    const zeroPadding = Buffer.from(buildPli(1, 2));
    zeroPadding[0] = zeroPadding[0]! | 0x20;
    zeroPadding[11] = 0;
    const bigPadding = Buffer.from(buildPli(1, 2));
    bigPadding[0] = bigPadding[0]! | 0x20;
    bigPadding[11] = 12;
    const rrCountTooHigh = Buffer.from(buildReceiverReport(1));
    rrCountTooHigh[0] = 0x81;
    const sdesUnterminated = Buffer.from([0x81, 202, 0, 2, 0, 0, 0, 1, 1, 5, 0x61, 0x62]);
    for (const bad of [tooLong, wrongVersion, zeroPadding, bigPadding, rrCountTooHigh, sdesUnterminated]) {
      const compound = Buffer.concat([sr, bad, buildPli(3, 4)]);
      assert.deepEqual(
        parseRtcpCompound(compound, compound.length).map((p) => p.type),
        ['sr'],
        bad.toString('hex'),
      );
    }
  });

  it('parses only within len and tolerates len beyond the buffer', () => {
    const compound = Buffer.concat([sr, buildPli(1, 2)]);
    assert.equal(parseRtcpCompound(compound, sr.length).length, 1);
    assert.equal(parseRtcpCompound(compound, sr.length + 11).length, 1);
    assert.equal(parseRtcpCompound(compound, compound.length + 100).length, 2);
    assert.deepEqual(parseRtcpCompound(Buffer.alloc(0), 0), []);
    assert.deepEqual(parseRtcpCompound(compound, 3), []);
  });

  it('never throws on random and mutated input (fuzz)', () => {
    const random = seededRandom(3550);
    const valid = Buffer.concat([
      sr,
      sdes,
      buildNack(1, 2, [1, 2, 40]),
      buildFir(1, 2, 3),
      buildRemb(1, 5e6, [1, 2, 3]),
      buildBye([1, 2], 'bye'),
      buildTransportWideCcFeedback({
        senderSsrc: 1,
        mediaSsrc: 2,
        baseSequence: 65530,
        referenceTime: 100,
        feedbackPacketCount: 1,
        statuses: [1, 0, 2, 2, 1, 1, 0, 0, 1],
        deltaTicks: [4, -100, 3000, 255, 0, 9],
      }),
      app,
    ]);
    let parsedPackets = 0;
    for (let round = 0; round < 20_000; round++) {
      let buf: Buffer;
      if (round % 3 === 0) {
        buf = Buffer.alloc(Math.floor(random() * 120));
        for (let i = 0; i < buf.length; i++) buf[i] = Math.floor(random() * 256);
        if (buf.length > 0) buf[0] = 0x80 | (buf[0]! & 0x3f);
        if (buf.length > 1 && random() < 0.8) buf[1] = 200 + Math.floor(random() * 8);
      } else {
        buf = Buffer.from(valid);
        for (let flips = 1 + Math.floor(random() * 4); flips > 0; flips--) {
          buf[Math.floor(random() * buf.length)] = Math.floor(random() * 256);
        }
      }
      const len = Math.floor(random() * (buf.length + 1));
      const packets = parseRtcpCompound(buf, len);
      parsedPackets += packets.length;
      for (const p of packets) {
        if (p.type === 'unknown') assert.ok(p.offset + p.length <= len);
        if (p.type === 'twcc') {
          let received = 0;
          for (const s of p.statuses) if (s !== 0) received++;
          assert.equal(p.deltaTicks.length, received);
        }
      }
    }
    assert.ok(parsedPackets > 10_000, `mutations still parse often (${parsedPackets})`);
  });
});

describe('RTCP body readers', () => {
  it('never throw when called directly on random bodies (no reliance on the compound try/catch)', () => {
    const random = seededRandom(4585);
    for (let round = 0; round < 20_000; round++) {
      const buf = Buffer.alloc(Math.floor(random() * 100));
      for (let i = 0; i < buf.length; i++) buf[i] = Math.floor(random() * 256);
      if (buf.length > 20 && random() < 0.3) buf.write('REMB', 8);
      const start = Math.floor(random() * (buf.length + 1));
      const end = start + Math.floor(random() * (buf.length - start + 1));
      const count = Math.floor(random() * 32);
      parseSenderReport(buf, start, end, count);
      parseReceiverReport(buf, start, end, count);
      parseSdes(buf, start, end, count);
      parseBye(buf, start, end, count);
      parseNack(buf, start, end);
      parsePli(buf, start, end);
      parseFir(buf, start, end);
      parseRemb(buf, start, end);
      parseTransportWideCc(buf, start, end);
    }
  });
});
