import { createCipheriv } from 'node:crypto';
import { SRTP_MASTER_KEY_LENGTH, SRTP_MASTER_SALT_LENGTH } from './SrtpProfile.ts';

/** Session keys for AES-128 counter mode with HMAC-SHA1, for SRTP and SRTCP. */
export interface SrtpSessionKeys {
  rtpCipherKey: Buffer;
  rtpCipherSalt: Buffer;
  rtpAuthKey: Buffer;
  rtcpCipherKey: Buffer;
  rtcpCipherSalt: Buffer;
  rtcpAuthKey: Buffer;
}

/** RFC 3711 §4.3.2 labels. */
const LABEL_RTP_ENCRYPTION = 0x00;
const LABEL_RTP_AUTH = 0x01;
const LABEL_RTP_SALT = 0x02;
const LABEL_RTCP_ENCRYPTION = 0x03;
const LABEL_RTCP_AUTH = 0x04;
const LABEL_RTCP_SALT = 0x05;

const CIPHER_KEY_LENGTH = 16;
const CIPHER_SALT_LENGTH = 14;
const AUTH_KEY_LENGTH = 20;

/**
 * The RFC 3711 §4.3 key derivation with a key derivation rate of 0: the PRF runs once per master key,
 * so the index term is zero and only the label is mixed into the salt (octet 7 of the 112-bit x).
 */
export function deriveSrtpSessionKeys(masterKey: Buffer, masterSalt: Buffer): SrtpSessionKeys {
  if (masterKey.length !== SRTP_MASTER_KEY_LENGTH) {
    throw new RangeError(`SRTP master key must be ${SRTP_MASTER_KEY_LENGTH} bytes, got ${masterKey.length}`);
  }
  if (masterSalt.length !== SRTP_MASTER_SALT_LENGTH) {
    throw new RangeError(
      `SRTP master salt must be ${SRTP_MASTER_SALT_LENGTH} bytes, got ${masterSalt.length}`,
    );
  }
  return {
    rtpCipherKey: srtpPrf(masterKey, masterSalt, LABEL_RTP_ENCRYPTION, CIPHER_KEY_LENGTH),
    rtpCipherSalt: srtpPrf(masterKey, masterSalt, LABEL_RTP_SALT, CIPHER_SALT_LENGTH),
    rtpAuthKey: srtpPrf(masterKey, masterSalt, LABEL_RTP_AUTH, AUTH_KEY_LENGTH),
    rtcpCipherKey: srtpPrf(masterKey, masterSalt, LABEL_RTCP_ENCRYPTION, CIPHER_KEY_LENGTH),
    rtcpCipherSalt: srtpPrf(masterKey, masterSalt, LABEL_RTCP_SALT, CIPHER_SALT_LENGTH),
    rtcpAuthKey: srtpPrf(masterKey, masterSalt, LABEL_RTCP_AUTH, AUTH_KEY_LENGTH),
  };
}

/**
 * AES-CM PRF (RFC 3711 §4.3.3): the keystream for IV = x·2^16, truncated to `length` bytes.
 *
 * The result is a view on the cipher's own output, never a slice of Node's shared Buffer pool: a session
 * key lives as long as its session, and a pool slice would keep the whole 64 KiB pool slab (Node 24's
 * `Buffer.poolSize`) resident with it.
 */
export function srtpPrf(masterKey: Buffer, masterSalt: Buffer, label: number, length: number): Buffer {
  const blockCount = Math.ceil(length / 16);
  const counters = Buffer.alloc(blockCount * 16);
  for (let block = 0; block < blockCount; block++) {
    const offset = block * 16;
    masterSalt.copy(counters, offset, 0, SRTP_MASTER_SALT_LENGTH);
    counters[offset + 7] ^= label;
    counters.writeUInt16BE(block, offset + 14);
  }
  const cipher = createCipheriv('aes-128-ecb', masterKey, null);
  cipher.setAutoPadding(false);
  const keystream = cipher.update(counters);
  cipher.final();
  return keystream.subarray(0, length);
}
