/**
 * SRTP microbenchmark: CPU time per packet of dotm's protectRtp/unprotectRtp against werift's
 * SrtpSession, measured side by side in one process, interleaved round by round.
 *
 *   node bench/micro/srtp.bench.ts [packetsPerRound=50000] [rounds=5]
 *
 * CPU time comes from process.cpuUsage (all threads, so GC helpers count); the median over rounds is
 * reported, with the wall-clock median beside it.
 */
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { RtpPacket, SrtpSession as WeriftSrtpSession } from 'werift';
import { createSrtpSession, type SrtpSession } from '../../src/media/srtp/SrtpSession.ts';

const packetsPerRound = Number(process.argv[2] ?? 50_000);
const rounds = Number(process.argv[3] ?? 5);
const CHUNK = 1000;
const SSRC = 0x1234abcd;

interface Measurement {
  cpu: number[];
  wall: number[];
}

interface Variant {
  name: string;
  /** Runs `count` operations; returns the CPU and wall microseconds spent in the timed part. */
  run(count: number): { cpu: number; wall: number };
}

function timed(body: () => void): { cpu: number; wall: number } {
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  body();
  const cpu = process.cpuUsage(cpuStart);
  return { cpu: cpu.user + cpu.system, wall: (performance.now() - wallStart) * 1000 };
}

function plainPacket(size: number, sequence: number): Buffer {
  const packet = Buffer.alloc(size);
  packet[0] = 0x80;
  packet[1] = 96;
  packet.writeUInt16BE(sequence & 0xffff, 2);
  packet.writeUInt32BE(sequence * 3000, 4);
  packet.writeUInt32BE(SSRC, 8);
  randomBytes(size - 12).copy(packet, 12);
  return packet;
}

function keys() {
  return { masterKey: randomBytes(16), masterSalt: randomBytes(14) };
}

function weriftSession(material: { masterKey: Buffer; masterSalt: Buffer }): WeriftSrtpSession {
  return new WeriftSrtpSession({
    keys: {
      localMasterKey: material.masterKey,
      localMasterSalt: material.masterSalt,
      remoteMasterKey: material.masterKey,
      remoteMasterSalt: material.masterSalt,
    },
    profile: 0x0001,
  });
}

/** Protects one reused buffer in place, the sequence number advancing as on a forwarding leg. */
function dotmProtect(size: number): Variant {
  const session = createSrtpSession('SRTP_AES128_CM_HMAC_SHA1_80', keys());
  const buf = Buffer.alloc(1500);
  plainPacket(size, 0).copy(buf);
  let sequence = 0;
  return {
    name: `dotm protectRtp (${size} B)`,
    run: (count) =>
      timed(() => {
        for (let i = 0; i < count; i++) {
          sequence = (sequence + 1) & 0xffff;
          buf[2] = sequence >>> 8;
          buf[3] = sequence & 0xff;
          session.protectRtp(buf, size);
        }
      }),
  };
}

/**
 * A forwarding fan-out: each packet protected for 16 subscriber sessions in turn, so per-session state
 * (keystream batches, HMAC scratch) does not stay hot in cache between packets as in the loop above.
 */
function dotmProtectFanOut(size: number, sessions: number): Variant {
  const legs = Array.from({ length: sessions }, () =>
    createSrtpSession('SRTP_AES128_CM_HMAC_SHA1_80', keys()),
  );
  const buf = Buffer.alloc(1500);
  plainPacket(size, 0).copy(buf);
  let sequence = 0;
  return {
    name: `dotm protectRtp, ${sessions} sessions in turn (${size} B)`,
    run: (count) =>
      timed(() => {
        for (let i = 0; i < count; i += sessions) {
          sequence = (sequence + 1) & 0xffff;
          for (const leg of legs) {
            buf[2] = sequence >>> 8;
            buf[3] = sequence & 0xff;
            leg.protectRtp(buf, size);
          }
        }
      }),
  };
}

/** Unprotects packets protected beforehand (untimed), chunk by chunk. */
function dotmUnprotect(size: number): Variant {
  const material = keys();
  const sender = createSrtpSession('SRTP_AES128_CM_HMAC_SHA1_80', material);
  const receiver: SrtpSession = createSrtpSession('SRTP_AES128_CM_HMAC_SHA1_80', material);
  const plain = plainPacket(size, 0);
  const chunk = Array.from({ length: CHUNK }, () => Buffer.alloc(1500));
  let sequence = 0;
  return {
    name: `dotm unprotectRtp (${size} B)`,
    run(count) {
      let cpu = 0;
      let wall = 0;
      for (let done = 0; done < count; done += CHUNK) {
        const n = Math.min(CHUNK, count - done);
        const lengths: number[] = [];
        for (let i = 0; i < n; i++) {
          sequence = (sequence + 1) & 0xffff;
          plain.writeUInt16BE(sequence, 2);
          plain.copy(chunk[i]);
          lengths.push(sender.protectRtp(chunk[i], size));
        }
        const spent = timed(() => {
          for (let i = 0; i < n; i++) {
            if (receiver.unprotectRtp(chunk[i], lengths[i]) < 0) throw new Error('unprotect failed');
          }
        });
        cpu += spent.cpu;
        wall += spent.wall;
      }
      return { cpu, wall };
    },
  };
}

/** werift's protect as its sender uses it: a parsed header and the payload, a new Buffer out. */
function weriftProtect(size: number): Variant {
  const session = weriftSession(keys());
  const packet = RtpPacket.deSerialize(plainPacket(size, 0));
  const header = packet.header;
  const payload = packet.payload;
  let sequence = 0;
  return {
    name: `werift SrtpSession.encrypt (${size} B)`,
    run: (count) =>
      timed(() => {
        for (let i = 0; i < count; i++) {
          sequence = (sequence + 1) & 0xffff;
          header.sequenceNumber = sequence;
          session.encrypt(payload, header);
        }
      }),
  };
}

function weriftUnprotect(size: number): Variant {
  const material = keys();
  const sender = weriftSession(material);
  const receiver = weriftSession(material);
  const packet = RtpPacket.deSerialize(plainPacket(size, 0));
  let sequence = 0;
  return {
    name: `werift SrtpSession.decrypt (${size} B)`,
    run(count) {
      let cpu = 0;
      let wall = 0;
      for (let done = 0; done < count; done += CHUNK) {
        const n = Math.min(CHUNK, count - done);
        const chunk: Buffer[] = [];
        for (let i = 0; i < n; i++) {
          sequence = (sequence + 1) & 0xffff;
          packet.header.sequenceNumber = sequence;
          chunk.push(sender.encrypt(packet.payload, packet.header));
        }
        const spent = timed(() => {
          for (let i = 0; i < n; i++) receiver.decrypt(chunk[i]);
        });
        cpu += spent.cpu;
        wall += spent.wall;
      }
      return { cpu, wall };
    },
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const variants: Variant[] = [];
for (const size of [1200, 160]) {
  variants.push(
    dotmProtect(size),
    dotmProtectFanOut(size, 16),
    dotmUnprotect(size),
    weriftProtect(size),
    weriftUnprotect(size),
  );
}
const results = new Map<Variant, Measurement>(variants.map((variant) => [variant, { cpu: [], wall: [] }]));

for (const variant of variants) variant.run(Math.min(10_000, packetsPerRound));
for (let round = 0; round < rounds; round++) {
  for (const variant of variants) {
    const { cpu, wall } = variant.run(packetsPerRound);
    results.get(variant)!.cpu.push(cpu / packetsPerRound);
    results.get(variant)!.wall.push(wall / packetsPerRound);
  }
}

console.log(`SRTP AES128_CM_HMAC_SHA1_80, Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}`);
console.log(`${rounds} rounds × ${packetsPerRound} packets, medians\n`);
console.log('| operation | CPU µs/packet | wall µs/packet | CPU µs min–max |');
console.log('|---|---:|---:|---:|');
for (const variant of variants) {
  const { cpu, wall } = results.get(variant)!;
  const range = `${Math.min(...cpu).toFixed(2)}–${Math.max(...cpu).toFixed(2)}`;
  console.log(`| ${variant.name} | ${median(cpu).toFixed(2)} | ${median(wall).toFixed(2)} | ${range} |`);
}
