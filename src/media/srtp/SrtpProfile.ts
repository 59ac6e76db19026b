/** The DTLS-SRTP protection profiles this server negotiates (RFC 5764 §4.1.2). */
export type SrtpProfileName = 'SRTP_AES128_CM_HMAC_SHA1_80' | 'SRTP_AES128_CM_HMAC_SHA1_32';

/** The master key and salt for one direction, as exported from the DTLS handshake (RFC 5764 §4.2). */
export interface SrtpKeyMaterial {
  masterKey: Buffer;
  masterSalt: Buffer;
}

export const SRTP_MASTER_KEY_LENGTH = 16;
export const SRTP_MASTER_SALT_LENGTH = 14;

/** SRTCP always carries an 80-bit tag, whatever the profile (RFC 5764 §4.1.2). */
export const SRTCP_AUTH_TAG_LENGTH = 10;
/** The E flag and 31-bit SRTCP index appended before the tag (RFC 3711 §3.4). */
export const SRTCP_INDEX_LENGTH = 4;

/** The most bytes `protectRtp`/`protectRtcp` can append: the SRTCP index plus an 80-bit tag. */
export const SRTP_MAX_TRAILER = 14;

export function srtpProfileFromDtlsId(id: number): SrtpProfileName | undefined {
  if (id === 0x0001) return 'SRTP_AES128_CM_HMAC_SHA1_80';
  if (id === 0x0002) return 'SRTP_AES128_CM_HMAC_SHA1_32';
  return undefined;
}

export function srtpDtlsIdFromProfile(profile: SrtpProfileName): number {
  return profile === 'SRTP_AES128_CM_HMAC_SHA1_80' ? 0x0001 : 0x0002;
}

/** Length of the SRTP (RTP, not RTCP) authentication tag. */
export function srtpAuthTagLength(profile: SrtpProfileName): number {
  return profile === 'SRTP_AES128_CM_HMAC_SHA1_80' ? 10 : 4;
}
