import { JsSrtpSession } from './JsSrtpSession.ts';
import type { SrtpKeyMaterial, SrtpProfileName } from './SrtpProfile.ts';

/**
 * One direction of one DTLS-SRTP association, for any number of SSRCs: a session used for sending only
 * ever protects, one used for receiving only ever unprotects. All methods work in place on `buf`,
 * where `len` is the packet length inside a possibly larger buffer.
 */
export interface SrtpSession {
  /**
   * Encrypts+authenticates RTP in place. buf must have room for len + tag bytes. Returns the new
   * length, or -1 (not an RTP packet, or no room for the tag). Never throws.
   */
  protectRtp(buf: Buffer, len: number): number;
  /** Verifies+decrypts RTP in place. Returns the plain length, or -1 (auth failure, replay, malformed, too short). Never throws. */
  unprotectRtp(buf: Buffer, len: number): number;
  /**
   * SRTCP: encrypts after the first 8 octets, appends E-flag|index (4 bytes) and the 80-bit tag.
   * Returns the new length (len + 14), or -1 (not RTCP, or no room). Never throws.
   */
  protectRtcp(buf: Buffer, len: number): number;
  /** Returns the plain compound RTCP length, or -1. Never throws. */
  unprotectRtcp(buf: Buffer, len: number): number;
}

/**
 * JavaScript over node:crypto today; a native (libsrtp2) implementation may plug in here later.
 * Throws a RangeError when the master key is not 16 bytes or the master salt not 14.
 */
export function createSrtpSession(profile: SrtpProfileName, keys: SrtpKeyMaterial): SrtpSession {
  return new JsSrtpSession(profile, keys);
}
