/**
 * Memory per media object: what one OTM's NACK cache, one subscriber's SRTP contexts and one DTLS
 * association (after its handshake) keep resident. Each part creates many objects in this process and
 * reports the process.memoryUsage() growth divided by their number (after a full GC).
 *
 *   node --expose-gc bench/micro/memory.bench.ts [objects=50]
 */
import { randomBytes } from 'node:crypto';
import type { DtlsClient } from 'werift';
import { DtlsCertificate } from '../../src/media/dtls/DtlsCertificate.ts';
import type { DtlsEndpoint } from '../../src/media/dtls/DtlsEndpoint.ts';
import { PacketCache } from '../../src/media/rtp/PacketCache.ts';
import { SRTP_MAX_TRAILER } from '../../src/media/srtp/SrtpProfile.ts';
import { createSrtpSession, type SrtpSession } from '../../src/media/srtp/SrtpSession.ts';
import { connectDtlsPair } from '../../test/media/dtls/dtlsPair.ts';

const objects = Number(process.argv[2] ?? 50);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

interface Snapshot {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

function snapshot(): Snapshot {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

function report(name: string, before: Snapshot, after: Snapshot, count: number): void {
  const kib = (a: number, b: number) => ((b - a) / 1024 / count).toFixed(1).padStart(8);
  console.log(
    `${name.padEnd(52)} KiB each: rss ${kib(before.rss, after.rss)}  heap ${kib(before.heapUsed, after.heapUsed)}  external ${kib(before.external, after.external)}  arrayBuffers ${kib(before.arrayBuffers, after.arrayBuffers)}`,
  );
}

function rtpPacket(ssrc: number, sequence: number, timestamp: number, payload: number): Buffer {
  const buf = Buffer.alloc(12 + payload + SRTP_MAX_TRAILER);
  buf[0] = 0x80;
  buf[1] = 96;
  buf.writeUInt16BE(sequence & 0xffff, 2);
  buf.writeUInt32BE(timestamp >>> 0, 4);
  buf.writeUInt32BE(ssrc, 8);
  randomBytes(Math.min(payload, 64)).copy(buf, 12);
  return buf;
}

/** `seconds` of a 3 Mbit/s VP8 stream (1100-byte payloads, an 80 KB keyframe every 4 s) plus Opus, as a publisher sends them. */
function feedCache(cache: PacketCache, seconds: number, startMs: number): void {
  const video = rtpPacket(0x1111, 0, 0, 1100);
  const audio = rtpPacket(0x2222, 0, 0, 120);
  const videoPps = Math.round(3_000_000 / 8 / 1112);
  let videoSeq = 0;
  let audioSeq = 0;
  for (let ms = 0; ms < seconds * 1000; ms += 20) {
    const now = startMs + ms;
    const burst = ms % 4000 === 0 ? Math.ceil(80_000 / 1112) : 0;
    for (let i = 0; i < Math.round((videoPps * 20) / 1000) + burst; i++) {
      video.writeUInt16BE(videoSeq++ & 0xffff, 2);
      cache.put(video, 1112, now);
    }
    audio.writeUInt16BE(audioSeq++ & 0xffff, 2);
    cache.put(audio, 132, now);
  }
}

async function measureCaches(): Promise<void> {
  const before = snapshot();
  const caches: PacketCache[] = [];
  for (let i = 0; i < objects; i++) {
    const cache = new PacketCache({ capacity: 2048 });
    feedCache(cache, 10, 0);
    caches.push(cache);
  }
  report('PacketCache (OTM: 10 s of 3 Mbit/s video + Opus)', before, snapshot(), objects);
  caches.length = 0;
}

async function measureSrtp(): Promise<void> {
  const before = snapshot();
  const sessions: SrtpSession[] = [];
  const keys = () => ({ masterKey: randomBytes(16), masterSalt: randomBytes(14) });
  const packet = rtpPacket(0x3333, 0, 0, 1100);
  for (let i = 0; i < objects; i++) {
    const out = createSrtpSession('SRTP_AES128_CM_HMAC_SHA1_80', keys());
    const inbound = createSrtpSession('SRTP_AES128_CM_HMAC_SHA1_80', keys());
    for (let s = 0; s < 400; s++) {
      packet.writeUInt16BE(s, 2);
      packet.writeUInt32BE(s % 3 === 0 ? 0x4444 : 0x3333, 8);
      out.protectRtp(packet, 1112);
    }
    sessions.push(out, inbound);
  }
  report('SRTP out+in sessions (subscriber, 400 packets sent)', before, snapshot(), objects);
  sessions.length = 0;
}

async function measureDtls(): Promise<void> {
  const [serverCertificate, clientCertificate] = await Promise.all([
    DtlsCertificate.generate(),
    DtlsCertificate.generate(),
  ]);
  const before = snapshot();
  const servers: DtlsEndpoint[] = [];
  let clients: DtlsClient[] = [];
  const unlinks: Array<() => void> = [];
  for (let i = 0; i < objects; i++) {
    const pair = await connectDtlsPair({ server: serverCertificate, client: clientCertificate });
    servers.push(pair.server);
    clients.push(pair.client);
    unlinks.push(pair.unlinkClient);
  }
  const withClients = snapshot();
  report('DTLS server endpoint + werift client, connected', before, withClients, objects);
  for (const unlink of unlinks) unlink();
  clients = [];
  await new Promise((r) => setTimeout(r, 50));
  report('DTLS server endpoint alone, after the handshake', before, snapshot(), objects);
  for (const server of servers) server.releaseHandshake();
  await new Promise((r) => setTimeout(r, 50));
  report('DTLS server endpoint after releaseHandshake()', before, snapshot(), objects);
  for (const server of servers) server.close();
}

await measureCaches();
await measureSrtp();
await measureDtls();
