import { randomBytes } from 'node:crypto';

const ICE_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Bytes at or above this would bias the modulo; they are rejected. */
const UNBIASED_LIMIT = 256 - (256 % ICE_CHARS.length);

/**
 * Random ice-char string (RFC 8839 5.4). Letters and digits only: '+' and '/' are legal but get
 * mangled by careless URL and SDP handling in the wild.
 */
export function randomIceString(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte >= UNBIASED_LIMIT) continue;
      out += ICE_CHARS[byte % ICE_CHARS.length];
      if (out.length === length) break;
    }
  }
  return out;
}

/** 8 chars (~47 bits): collisions inside one mux are retried by the caller. */
export const ICE_UFRAG_LENGTH = 8;
/** 24 chars (~142 bits), above the 22 chars (128 bits) RFC 8839 asks for. */
export const ICE_PWD_LENGTH = 24;
