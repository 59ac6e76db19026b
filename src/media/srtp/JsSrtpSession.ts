import { AesCtrKeystream } from './AesCtrKeystream.ts';
import { HmacSha1 } from './HmacSha1.ts';
import { KeystreamCache } from './KeystreamCache.ts';
import { deriveSrtpSessionKeys } from './keyDerivation.ts';
import { ReplayWindow } from './ReplayWindow.ts';
import { RtpIndexTracker } from './RtpIndexTracker.ts';
import {
  SRTCP_AUTH_TAG_LENGTH,
  SRTCP_INDEX_LENGTH,
  type SrtpKeyMaterial,
  type SrtpProfileName,
  srtpAuthTagLength,
} from './SrtpProfile.ts';
import type { SrtpSession } from './SrtpSession.ts';

const RTP_HEADER_LENGTH = 12;
const RTCP_HEADER_LENGTH = 8;
/** A UDP datagram (and an RFC 4571 TCP frame) holds at most 65535 bytes; longer input is malformed. */
const MAX_PACKET_LENGTH = 0xffff;
/** libwebrtc configures libsrtp with a 1024-packet window; reordering in keyframe bursts can exceed 128. */
const RTP_REPLAY_WINDOW = 1024;
const RTCP_REPLAY_WINDOW = 128;
const SRTCP_INDEX_MASK = 0x7fffffff;
const SRTCP_E_FLAG = 0x80000000;

interface RtpSendStream {
  index: RtpIndexTracker;
  keystream: KeystreamCache;
}

interface RtpReceiveStream {
  index: RtpIndexTracker;
  replay: ReplayWindow;
  keystream: KeystreamCache;
}

/**
 * RFC 3711 AES_CM_128 + HMAC-SHA1 in JavaScript over node:crypto (see AesCtrKeystream and HmacSha1
 * for why the primitives are built the way they are).
 *
 * Per-SSRC state is created on protect for every SSRC sent, but on unprotect only once a packet has
 * authenticated, so forged packets with random SSRCs cannot grow it (nor trigger keystream prefetch:
 * decryption only ever follows a good tag).
 */
export class JsSrtpSession implements SrtpSession {
  private readonly rtpTagLength: number;
  /**
   * The RTP and RTCP primitives are created on first use: a viewer's receiving session never sees RTP,
   * and each AES context with its buffers is ~15 KiB of native memory per subscriber.
   */
  private readonly derived: ReturnType<typeof deriveSrtpSessionKeys>;
  private rtpCipherOrUndefined: AesCtrKeystream | undefined;
  private rtpAuthOrUndefined: HmacSha1 | undefined;
  private rtcpCipherOrUndefined: AesCtrKeystream | undefined;
  private rtcpAuthOrUndefined: HmacSha1 | undefined;
  private readonly sentRtp = new Map<number, RtpSendStream>();
  private readonly receivedRtp = new Map<number, RtpReceiveStream>();
  /** Next SRTCP index per SSRC. */
  private readonly sentRtcp = new Map<number, number>();
  private readonly receivedRtcp = new Map<number, ReplayWindow>();

  constructor(profile: SrtpProfileName, keys: SrtpKeyMaterial) {
    this.derived = deriveSrtpSessionKeys(keys.masterKey, keys.masterSalt);
    this.rtpTagLength = srtpAuthTagLength(profile);
  }

  private get rtpCipher(): AesCtrKeystream {
    this.rtpCipherOrUndefined ??= new AesCtrKeystream(this.derived.rtpCipherKey, this.derived.rtpCipherSalt);
    return this.rtpCipherOrUndefined;
  }

  private get rtpAuth(): HmacSha1 {
    this.rtpAuthOrUndefined ??= new HmacSha1(this.derived.rtpAuthKey);
    return this.rtpAuthOrUndefined;
  }

  private get rtcpCipher(): AesCtrKeystream {
    this.rtcpCipherOrUndefined ??= new AesCtrKeystream(
      this.derived.rtcpCipherKey,
      this.derived.rtcpCipherSalt,
    );
    return this.rtcpCipherOrUndefined;
  }

  private get rtcpAuth(): HmacSha1 {
    this.rtcpAuthOrUndefined ??= new HmacSha1(this.derived.rtcpAuthKey);
    return this.rtcpAuthOrUndefined;
  }

  protectRtp(buf: Buffer, len: number): number {
    const tagLength = this.rtpTagLength;
    if (!(len <= buf.length - tagLength && len <= MAX_PACKET_LENGTH) || (len | 0) !== len) return -1;
    const payloadOffset = rtpPayloadOffset(buf, len);
    if (payloadOffset < 0) return -1;
    const ssrc = readUint32(buf, 8);
    const sequence = (buf[2] << 8) | buf[3];
    let stream = this.sentRtp.get(ssrc);
    if (stream === undefined) {
      stream = { index: new RtpIndexTracker(), keystream: new KeystreamCache(this.rtpCipher, ssrc) };
      this.sentRtp.set(ssrc, stream);
    }
    let index = stream.index.estimate(sequence);
    if (index < 0) index = sequence;
    stream.index.commit(index);
    stream.keystream.apply(buf, payloadOffset, len, index);
    const roc = Math.floor(index / 0x10000);
    this.rtpAuth.computeWithSuffix(buf, len, roc);
    this.rtpAuth.writeTag(buf, len, tagLength);
    return len + tagLength;
  }

  unprotectRtp(buf: Buffer, len: number): number {
    const tagLength = this.rtpTagLength;
    if (!(len <= buf.length && len <= MAX_PACKET_LENGTH && len >= RTP_HEADER_LENGTH + tagLength)) return -1;
    if ((len | 0) !== len) return -1;
    const end = len - tagLength;
    const payloadOffset = rtpPayloadOffset(buf, end);
    if (payloadOffset < 0) return -1;
    const ssrc = readUint32(buf, 8);
    const sequence = (buf[2] << 8) | buf[3];
    const stream = this.receivedRtp.get(ssrc);
    let index = sequence;
    if (stream !== undefined) {
      index = stream.index.estimate(sequence);
      if (index < 0 || stream.replay.isReplay(index)) return -1;
    }
    const roc = Math.floor(index / 0x10000);
    this.rtpAuth.computeWithSuffix(buf, end, roc);
    if (!this.rtpAuth.tagMatches(buf, end, tagLength)) return -1;
    let accepted = stream;
    if (accepted === undefined) {
      accepted = {
        index: new RtpIndexTracker(),
        replay: new ReplayWindow(RTP_REPLAY_WINDOW),
        keystream: new KeystreamCache(this.rtpCipher, ssrc),
      };
      this.receivedRtp.set(ssrc, accepted);
    }
    accepted.keystream.apply(buf, payloadOffset, end, index);
    accepted.index.commit(index);
    accepted.replay.accept(index);
    return end;
  }

  protectRtcp(buf: Buffer, len: number): number {
    const room = buf.length - SRTCP_INDEX_LENGTH - SRTCP_AUTH_TAG_LENGTH;
    if (!(len <= room && len <= MAX_PACKET_LENGTH && len >= RTCP_HEADER_LENGTH) || (len | 0) !== len)
      return -1;
    if (buf[0] >>> 6 !== 2) return -1;
    const ssrc = readUint32(buf, 4);
    const index = this.sentRtcp.get(ssrc) ?? 0;
    this.sentRtcp.set(ssrc, (index + 1) & SRTCP_INDEX_MASK);
    this.rtcpCipher.apply(buf, RTCP_HEADER_LENGTH, len, ssrc, index);
    writeUint32(buf, len, (SRTCP_E_FLAG | index) >>> 0);
    const authenticated = len + SRTCP_INDEX_LENGTH;
    this.rtcpAuth.compute(buf, authenticated);
    this.rtcpAuth.writeTag(buf, authenticated, SRTCP_AUTH_TAG_LENGTH);
    return authenticated + SRTCP_AUTH_TAG_LENGTH;
  }

  unprotectRtcp(buf: Buffer, len: number): number {
    const trailer = SRTCP_INDEX_LENGTH + SRTCP_AUTH_TAG_LENGTH;
    if (!(len <= buf.length && len <= MAX_PACKET_LENGTH && len >= RTCP_HEADER_LENGTH + trailer)) return -1;
    if ((len | 0) !== len) return -1;
    if (buf[0] >>> 6 !== 2) return -1;
    const authenticated = len - SRTCP_AUTH_TAG_LENGTH;
    const end = len - trailer;
    const word = readUint32(buf, end);
    const index = word & SRTCP_INDEX_MASK;
    const ssrc = readUint32(buf, 4);
    const replay = this.receivedRtcp.get(ssrc);
    if (replay?.isReplay(index)) return -1;
    this.rtcpAuth.compute(buf, authenticated);
    if (!this.rtcpAuth.tagMatches(buf, authenticated, SRTCP_AUTH_TAG_LENGTH)) return -1;
    if ((word & SRTCP_E_FLAG) !== 0) {
      this.rtcpCipher.apply(buf, RTCP_HEADER_LENGTH, end, ssrc, index);
    }
    if (replay === undefined) {
      const created = new ReplayWindow(RTCP_REPLAY_WINDOW);
      created.accept(index);
      this.receivedRtcp.set(ssrc, created);
    } else {
      replay.accept(index);
    }
    return end;
  }
}

/**
 * Offset of the RTP payload (after CSRCs and the header extension) for a version-2 packet of `len`
 * bytes, or -1 when the header does not fit. Padding is left alone: it is part of the encrypted
 * payload (RFC 3711 §3.1), so it can only be checked after decryption, by the RTP layer.
 */
function rtpPayloadOffset(buf: Buffer, len: number): number {
  if (len < RTP_HEADER_LENGTH) return -1;
  const first = buf[0];
  if (first >>> 6 !== 2) return -1;
  let offset = RTP_HEADER_LENGTH + (first & 0x0f) * 4;
  if ((first & 0x10) !== 0) {
    if (offset + 4 > len) return -1;
    offset += 4 + ((buf[offset + 2] << 8) | buf[offset + 3]) * 4;
  }
  return offset <= len ? offset : -1;
}

function readUint32(buf: Buffer, offset: number): number {
  return ((buf[offset] << 24) | (buf[offset + 1] << 16) | (buf[offset + 2] << 8) | buf[offset + 3]) >>> 0;
}

function writeUint32(buf: Buffer, offset: number, value: number): void {
  buf[offset] = value >>> 24;
  buf[offset + 1] = (value >>> 16) & 0xff;
  buf[offset + 2] = (value >>> 8) & 0xff;
  buf[offset + 3] = value & 0xff;
}
