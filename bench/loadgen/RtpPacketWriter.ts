import { randomBytes } from 'node:crypto';
import type { SourcePacket } from './PacketSource.ts';
import { EXT_ABS_SEND_TIME, EXT_MID, EXT_TRANSPORT_CC, type RemoteMedia } from './RemoteDescription.ts';

/** Incompressible filler for payloads, shared by every writer (content does not matter, size does). */
const FILLER = randomBytes(64 * 1024);
/** Room for the SRTP tag after the packet. */
export const SRTP_TAG_ROOM = 16;

interface TrackState {
  ssrc: number;
  payloadType: number;
  sequence: number;
  midId: number;
  mid: Buffer;
  absSendTimeId: number;
}

/**
 * Writes a publisher's RTP packets as Chromium lays them out: one-byte header extensions (mid,
 * abs-send-time, transport-wide sequence number — only those the peer negotiated), a VP8 payload
 * descriptor with a 15-bit picture id and, on a frame's first packet, the VP8 frame tag (with the
 * keyframe start code 9d 01 2a and a 1280×720 size on keyframes). Opus payloads are filler.
 */
export class RtpPacketWriter {
  readonly #audio: TrackState | undefined;
  readonly #video: TrackState | undefined;
  readonly #transportCcId: number;
  #transportSequence = 0;
  #fillerOffset = 0;

  constructor(
    ssrcs: { audio: number; video: number },
    remote: { audio: RemoteMedia | undefined; video: RemoteMedia | undefined },
  ) {
    this.#audio = remote.audio && trackState(ssrcs.audio, remote.audio);
    this.#video = remote.video && trackState(ssrcs.video, remote.video);
    this.#transportCcId =
      remote.video?.extensionIds.get(EXT_TRANSPORT_CC) ??
      remote.audio?.extensionIds.get(EXT_TRANSPORT_CC) ??
      0;
  }

  /** Returns the buffer (with SRTP_TAG_ROOM spare bytes) and the plain packet length, or undefined. */
  write(packet: SourcePacket, nowMs: number): { buf: Buffer; len: number } | undefined {
    const track = packet.kind === 'video' ? this.#video : this.#audio;
    if (!track) return undefined;
    const extensionBytes = this.#extensionBlockLength(track);
    const headerLength = 12 + extensionBytes;
    const len = headerLength + packet.payloadBytes;
    const buf = Buffer.allocUnsafe(len + SRTP_TAG_ROOM);
    buf[0] = 0x80 | (extensionBytes > 0 ? 0x10 : 0);
    buf[1] = (packet.marker ? 0x80 : 0) | track.payloadType;
    buf.writeUInt16BE(track.sequence, 2);
    track.sequence = (track.sequence + 1) & 0xffff;
    buf.writeUInt32BE(packet.timestamp >>> 0, 4);
    buf.writeUInt32BE(track.ssrc, 8);
    if (extensionBytes > 0) this.#writeExtensions(buf, 12, extensionBytes, track, nowMs);
    let pos = headerLength;
    const end = len;
    if (packet.kind === 'video') {
      // X=1, S on a frame's first packet, PID 0; I=1 with a 15-bit picture id.
      buf[pos++] = 0x80 | (packet.frameStart ? 0x10 : 0);
      buf[pos++] = 0x80;
      buf[pos++] = 0x80 | ((packet.pictureId >> 8) & 0x7f);
      buf[pos++] = packet.pictureId & 0xff;
      if (packet.frameStart && pos + 10 <= end) {
        // Frame tag: P (inverse key frame flag) in bit 0, version 0, show_frame 1.
        buf[pos++] = packet.keyframe ? 0x10 : 0x11;
        buf[pos++] = 0x00;
        buf[pos++] = 0x00;
        if (packet.keyframe) {
          buf[pos++] = 0x9d;
          buf[pos++] = 0x01;
          buf[pos++] = 0x2a;
          buf.writeUInt16LE(1280, pos);
          buf.writeUInt16LE(720, pos + 2);
          pos += 4;
        }
      }
    }
    this.#fill(buf, pos, end);
    return { buf, len };
  }

  #fill(buf: Buffer, start: number, end: number): void {
    const length = end - start;
    if (length <= 0) return;
    if (this.#fillerOffset + length > FILLER.length) this.#fillerOffset = 0;
    FILLER.copy(buf, start, this.#fillerOffset, this.#fillerOffset + length);
    this.#fillerOffset += 61;
  }

  #extensionBlockLength(track: TrackState): number {
    let bytes = 0;
    if (track.midId > 0) bytes += 1 + track.mid.length;
    if (track.absSendTimeId > 0) bytes += 4;
    if (this.#transportCcId > 0) bytes += 3;
    if (bytes === 0) return 0;
    return 4 + ((bytes + 3) & ~3);
  }

  #writeExtensions(buf: Buffer, offset: number, blockLength: number, track: TrackState, nowMs: number): void {
    buf[offset] = 0xbe;
    buf[offset + 1] = 0xde;
    buf.writeUInt16BE((blockLength - 4) / 4, offset + 2);
    let pos = offset + 4;
    const end = offset + blockLength;
    if (track.midId > 0) {
      buf[pos++] = (track.midId << 4) | (track.mid.length - 1);
      track.mid.copy(buf, pos);
      pos += track.mid.length;
    }
    if (track.absSendTimeId > 0) {
      // 6.18 fixed point seconds, 24 bits.
      const value = Math.floor(((nowMs / 1000) % 64) * (1 << 18)) & 0xffffff;
      buf[pos++] = (track.absSendTimeId << 4) | 2;
      buf[pos++] = value >> 16;
      buf[pos++] = (value >> 8) & 0xff;
      buf[pos++] = value & 0xff;
    }
    if (this.#transportCcId > 0) {
      buf[pos++] = (this.#transportCcId << 4) | 1;
      buf[pos++] = (this.#transportSequence >> 8) & 0xff;
      buf[pos++] = this.#transportSequence & 0xff;
      this.#transportSequence = (this.#transportSequence + 1) & 0xffff;
    }
    while (pos < end) buf[pos++] = 0;
  }
}

function trackState(ssrc: number, media: RemoteMedia): TrackState {
  return {
    ssrc,
    payloadType: media.payloadType,
    sequence: Math.floor(Math.random() * 0xffff),
    midId: media.extensionIds.get(EXT_MID) ?? 0,
    mid: Buffer.from(media.mid),
    absSendTimeId: media.extensionIds.get(EXT_ABS_SEND_TIME) ?? 0,
  };
}
