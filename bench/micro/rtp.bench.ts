/**
 * Per-packet cost of the RTP hot-path helpers next to werift's object-based path, in one process run.
 * Run: node bench/micro/rtp.bench.ts  (prints a markdown table; medians of several timed rounds)
 */
import { RtpHeader, RtpPacket } from 'werift';
import { TwccRecorder } from '../../src/media/rtcp/TwccRecorder.ts';
import { PacketCache } from '../../src/media/rtp/PacketCache.ts';
import { writeEgressPacket } from '../../src/media/rtp/RtpEgressWriter.ts';
import {
  headerExtensionOffset,
  isValidRtp,
  rtpSequence,
  rtpTimestamp,
} from '../../src/media/rtp/rtpHeader.ts';
import { SequenceRewriter } from '../../src/media/rtp/SequenceRewriter.ts';

const PAYLOAD_BYTES = 1200;
const ROUNDS = 7;
const ITERATIONS = 200_000;

function publisherPacket(sequence: number): Buffer {
  const payload = Buffer.alloc(PAYLOAD_BYTES);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
  return new RtpPacket(
    new RtpHeader({
      payloadType: 96,
      marker: false,
      sequenceNumber: sequence,
      timestamp: 123456,
      ssrc: 0x11223344,
      extensionProfile: 0xbede,
      extensions: [
        { id: 1, payload: Buffer.from('0') }, // mid
        { id: 3, payload: Buffer.from([0x12, 0x34, 0x56]) }, // abs-send-time
        { id: 5, payload: Buffer.from([0x00, 0x07]) }, // transport-cc
      ],
    }),
    payload,
  ).serialize();
}

let sink = 0;

function measure(run: (i: number) => void): { median: number; min: number } {
  for (let i = 0; i < ITERATIONS; i++) run(i);
  const perPacketUs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < ITERATIONS; i++) run(i);
    perPacketUs.push(Number(process.hrtime.bigint() - start) / 1000 / ITERATIONS);
  }
  perPacketUs.sort((a, b) => a - b);
  return { median: perPacketUs[Math.floor(ROUNDS / 2)]!, min: perPacketUs[0]! };
}

const source = publisherPacket(1000);
const receiveBuffer = Buffer.alloc(1500);
source.copy(receiveBuffer);
const sourceLen = source.length;
const out = Buffer.alloc(1500);
const transportCc = Buffer.alloc(2);
const rewrite = {
  ssrc: 0xaabbccdd,
  payloadType: 100,
  sequence: 0,
  timestamp: 0,
  extensions: [
    { id: 4, value: Buffer.from('a0') },
    { id: 2, value: Buffer.from([0x12, 0x34, 0x56]) },
    { id: 7, value: transportCc },
  ],
};
const cache = new PacketCache();
const rewriter = new SequenceRewriter({ clockRate: 90000 });
const twcc = new TwccRecorder();

const rows: Array<[string, { median: number; min: number }]> = [];

rows.push([
  'dotm writeEgressPacket (1200 B payload, 3 ext in, 3 ext out)',
  measure((i) => {
    rewrite.sequence = i & 0xffff;
    rewrite.timestamp = i * 3000;
    transportCc[0] = i >> 8;
    transportCc[1] = i;
    sink += writeEgressPacket(receiveBuffer, sourceLen, rewrite, out);
  }),
]);

rows.push([
  'dotm PacketCache.put (2048 slots)',
  measure((i) => {
    receiveBuffer[2] = (i >> 8) & 0xff;
    receiveBuffer[3] = i & 0xff;
    if (cache.put(receiveBuffer, sourceLen)) sink++;
  }),
]);

rows.push([
  'dotm PacketCache.get (hit)',
  measure((i) => {
    sink += cache.get(0x11223344, (i & 1023) + 1000)?.len ?? 0;
  }),
]);

rows.push([
  'dotm isValidRtp + transport-cc lookup + SequenceRewriter.rewrite',
  measure((i) => {
    receiveBuffer[2] = (i >> 8) & 0xff;
    receiveBuffer[3] = i & 0xff;
    if (!isValidRtp(receiveBuffer, sourceLen)) return;
    sink += headerExtensionOffset(receiveBuffer, sourceLen, 5);
    if (rewriter.rewrite(rtpSequence(receiveBuffer), rtpTimestamp(receiveBuffer), i))
      sink += rewriter.sequence;
  }),
]);

rows.push([
  'dotm TwccRecorder.record (+ buildFeedback every 32 packets)',
  measure((i) => {
    twcc.record(i & 0xffff, i * 1000);
    if ((i & 31) === 31) sink += twcc.buildFeedback(1, 2).length;
  }),
]);

rows.push([
  'werift RtpPacket.deSerialize + clone + serialize',
  measure((i) => {
    const packet = RtpPacket.deSerialize(receiveBuffer.subarray(0, sourceLen));
    const copy = packet.clone();
    copy.header.ssrc = 0xaabbccdd;
    copy.header.sequenceNumber = i & 0xffff;
    sink += copy.serialize().length;
  }),
]);

console.log(`Node ${process.version}, ${ITERATIONS} packets × ${ROUNDS} rounds (median and best round)\n`);
console.log('| operation | µs / packet (median) | µs / packet (best) | packets/s per core (median) |');
console.log('|---|---:|---:|---:|');
for (const [name, { median, min }] of rows) {
  console.log(
    `| ${name} | ${median.toFixed(3)} | ${min.toFixed(3)} | ${Math.round(1e6 / median).toLocaleString('en-US')} |`,
  );
}
if (sink === 42) console.log('');
