import { randomBytes } from 'node:crypto';
import { RtpPacket, SrtcpSession, SrtpSession } from 'werift';
import type { SrtpKeyMaterial } from '../../../src/media/srtp/SrtpProfile.ts';

export interface RtpFixture {
  sequence: number;
  ssrc: number;
  timestamp?: number;
  payloadType?: number;
  marker?: boolean;
  csrcs?: number[];
  /** Header extension: profile and the data words (length must be a multiple of 4). */
  extension?: { profile: number; data: Buffer };
  payload: Buffer;
  /** Number of padding octets (including the count octet), 0 for none. */
  padding?: number;
}

/** Builds a plain RTP packet (RFC 3550 §5.1). */
export function buildRtp(fixture: RtpFixture): Buffer {
  const csrcs = fixture.csrcs ?? [];
  const extensionLength = fixture.extension ? 4 + fixture.extension.data.length : 0;
  const padding = fixture.padding ?? 0;
  const headerLength = 12 + csrcs.length * 4 + extensionLength;
  const packet = Buffer.alloc(headerLength + fixture.payload.length + padding);
  packet[0] = 0x80 | (padding > 0 ? 0x20 : 0) | (fixture.extension ? 0x10 : 0) | csrcs.length;
  packet[1] = (fixture.marker ? 0x80 : 0) | (fixture.payloadType ?? 96);
  packet.writeUInt16BE(fixture.sequence & 0xffff, 2);
  packet.writeUInt32BE((fixture.timestamp ?? fixture.sequence * 3000) >>> 0, 4);
  packet.writeUInt32BE(fixture.ssrc >>> 0, 8);
  let offset = 12;
  for (const csrc of csrcs) {
    packet.writeUInt32BE(csrc >>> 0, offset);
    offset += 4;
  }
  if (fixture.extension) {
    packet.writeUInt16BE(fixture.extension.profile, offset);
    packet.writeUInt16BE(fixture.extension.data.length / 4, offset + 2);
    fixture.extension.data.copy(packet, offset + 4);
    offset += extensionLength;
  }
  fixture.payload.copy(packet, offset);
  if (padding > 0) packet[packet.length - 1] = padding;
  return packet;
}

/** Builds a compound RTCP packet: a sender report followed by an SDES CNAME, both from `ssrc`. */
export function buildRtcp(ssrc: number, seed = 0): Buffer {
  const senderReport = Buffer.alloc(28);
  senderReport[0] = 0x80;
  senderReport[1] = 200;
  senderReport.writeUInt16BE(28 / 4 - 1, 2);
  senderReport.writeUInt32BE(ssrc >>> 0, 4);
  senderReport.writeUInt32BE(0x83aa7e80 + seed, 8);
  senderReport.writeUInt32BE(seed * 7, 12);
  senderReport.writeUInt32BE(seed * 90000, 16);
  senderReport.writeUInt32BE(seed, 20);
  senderReport.writeUInt32BE(seed * 1200, 24);
  const cname = Buffer.from('dotm-test');
  const sdesLength = Math.ceil((4 + 2 + cname.length + 1) / 4) * 4;
  const sdes = Buffer.alloc(4 + sdesLength);
  sdes[0] = 0x81;
  sdes[1] = 202;
  sdes.writeUInt16BE(sdes.length / 4 - 1, 2);
  sdes.writeUInt32BE(ssrc >>> 0, 4);
  sdes[8] = 1;
  sdes[9] = cname.length;
  cname.copy(sdes, 10);
  return Buffer.concat([senderReport, sdes]);
}

export function randomKeys(): SrtpKeyMaterial {
  return { masterKey: randomBytes(16), masterSalt: randomBytes(14) };
}

/** `packet` copied into a larger buffer with room for the SRTP/SRTCP trailer, as the hot path does. */
export function withRoom(packet: Buffer, room = 64): Buffer {
  const buf = Buffer.alloc(packet.length + room);
  packet.copy(buf);
  return buf;
}

const WERIFT_AES128_CM_HMAC_SHA1_80 = 0x0001;

/** werift's SRTP, as an independent implementation, keyed the same in both directions. */
export function weriftSrtp(keys: SrtpKeyMaterial): SrtpSession {
  return new SrtpSession({ keys: weriftKeys(keys), profile: WERIFT_AES128_CM_HMAC_SHA1_80 });
}

export function weriftSrtcp(keys: SrtpKeyMaterial): SrtcpSession {
  return new SrtcpSession({ keys: weriftKeys(keys), profile: WERIFT_AES128_CM_HMAC_SHA1_80 });
}

/** werift's protect takes a parsed header and the payload. */
export function weriftProtect(session: SrtpSession, plain: Buffer): Buffer {
  const packet = RtpPacket.deSerialize(plain);
  return session.encrypt(packet.payload, packet.header);
}

function weriftKeys(keys: SrtpKeyMaterial) {
  return {
    localMasterKey: keys.masterKey,
    localMasterSalt: keys.masterSalt,
    remoteMasterKey: keys.masterKey,
    remoteMasterSalt: keys.masterSalt,
  };
}
