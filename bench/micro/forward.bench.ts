/**
 * The fan-out path without the socket: one publisher packet rewritten for each viewer
 * (writeEgressPacket) and SRTP-protected with that viewer's session, as SubscriberLeg.forward and
 * WebRtcTransport.sendRtp do. Compares a fresh Buffer per forwarded packet (the former code) with the
 * shared egress scratch, reporting CPU per forwarded packet, GC count/pause and external-memory peak.
 *
 *   node bench/micro/forward.bench.ts [viewers=100] [publisherPacketsPerSlice=2000] [rounds=2] [fresh|scratch]
 */
import { randomBytes } from 'node:crypto';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { type RtpRewrite, writeEgressPacket } from '../../src/media/rtp/RtpEgressWriter.ts';
import { SRTP_MAX_TRAILER } from '../../src/media/srtp/SrtpProfile.ts';
import { createSrtpSession, type SrtpSession } from '../../src/media/srtp/SrtpSession.ts';
import { egressScratch } from '../../src/media/transport/EgressScratch.ts';

const viewers = Number(process.argv[2] ?? 100);
const publisherPackets = Number(process.argv[3] ?? 2000);
const rounds = Number(process.argv[4] ?? 2);
/** 'fresh', 'scratch' or both (default), e.g. to count instructions of one variant with perf stat. */
const only = process.argv[5];
const PACKET = 1112;
const HEADROOM = 64 + SRTP_MAX_TRAILER;

const sessions: SrtpSession[] = [];
for (let i = 0; i < viewers; i++)
  sessions.push(
    createSrtpSession('SRTP_AES128_CM_HMAC_SHA1_80', {
      masterKey: randomBytes(16),
      masterSalt: randomBytes(14),
    }),
  );
const source = Buffer.alloc(PACKET);
source[0] = 0x80;
source[1] = 96;
randomBytes(PACKET - 12).copy(source, 12);
const rewrite: RtpRewrite = { ssrc: 0x1234, payloadType: 96, sequence: 0, timestamp: 0 };

let gcCount = 0;
let gcMs = 0;
let gcMajor = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gcCount++;
    gcMs += entry.duration;
    if ((entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)
      gcMajor++;
  }
}).observe({ entryTypes: ['gc'] });

let sink = 0;
function run(fresh: boolean): void {
  for (let p = 0; p < publisherPackets; p++) {
    rewrite.sequence = p & 0xffff;
    rewrite.timestamp = (p * 3000) >>> 0;
    for (let v = 0; v < viewers; v++) {
      const out = fresh ? Buffer.allocUnsafe(PACKET + HEADROOM) : egressScratch.take(PACKET + HEADROOM);
      const written = writeEgressPacket(source, PACKET, rewrite, out);
      sink += sessions[v]!.protectRtp(out, written);
    }
  }
}

for (let round = 0; round < rounds; round++) {
  for (const fresh of [true, false]) {
    if (only !== undefined && only !== (fresh ? 'fresh' : 'scratch')) continue;
    gcCount = 0;
    gcMs = 0;
    gcMajor = 0;
    let peakExternal = 0;
    const timer = setInterval(() => {}, 1000);
    const start = process.cpuUsage();
    // In slices, so the GC observer and the peak sampling get their turn.
    for (let slice = 0; slice < 10; slice++) {
      run(fresh);
      peakExternal = Math.max(peakExternal, process.memoryUsage().external);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const used = process.cpuUsage(start);
    clearInterval(timer);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const forwarded = publisherPackets * viewers * 10;
    console.log(
      `${fresh ? 'fresh Buffer per packet' : 'shared egress scratch  '}  ${(((used.user + used.system) / forwarded) * 1000).toFixed(0)} ns/forwarded packet  GCs ${gcCount} (major ${gcMajor}, ${gcMs.toFixed(0)} ms)  peak external ${(peakExternal / 1048576).toFixed(1)} MiB`,
    );
  }
}
if (sink === 0) console.log('');
