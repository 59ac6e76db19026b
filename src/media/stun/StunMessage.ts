import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';
import {
  STUN_ERROR_REASONS,
  STUN_FINGERPRINT_XOR,
  STUN_HEADER_LENGTH,
  STUN_INTEGRITY_LENGTH,
  STUN_MAGIC_COOKIE,
  STUN_MAX_MESSAGE_LENGTH,
  StunAttributeType,
  type StunClass,
} from './constants.ts';
import { ipAddressLength, readIPv4, readIPv6, writeIpAddress } from './ipAddress.ts';

export interface StunAttribute {
  type: number;
  /** Unpadded value. For a parsed message it is a view into the message's own copy of the datagram. */
  value: Buffer;
}

export interface StunAddress {
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
}

export interface StunErrorValue {
  code: number;
  reason: string;
}

export interface StunSerializeOptions {
  /** HMAC-SHA1 key of MESSAGE-INTEGRITY: the password itself for ICE (short-term credentials). */
  integrityKey?: Buffer | string;
  fingerprint?: boolean;
}

export interface StunMessageInit {
  method: number;
  messageClass: StunClass;
  /** 12 bytes; random when omitted. */
  transactionId?: Buffer;
}

/**
 * RFC 7983 demultiplexing: STUN starts with 0..3, and the magic cookie plus a consistent length rule
 * out RTP/RTCP/DTLS. Cheap enough to run on every datagram.
 */
export function isStunPacket(buf: Buffer, len: number): boolean {
  return (
    len >= STUN_HEADER_LENGTH &&
    len <= buf.length &&
    buf[0] < 4 &&
    buf.readUInt32BE(4) === STUN_MAGIC_COOKIE &&
    buf.readUInt16BE(2) + STUN_HEADER_LENGTH === len &&
    (len & 3) === 0
  );
}

/** The long-term credential key of RFC 8489 section 9.2.2 (MD5 of `username:realm:password`). */
export function stunLongTermKey(username: string, realm: string, password: string): Buffer {
  return createHash('md5').update(`${username}:${realm}:${password}`, 'utf8').digest();
}

function padded(length: number): number {
  return (length + 3) & ~3;
}

/**
 * One STUN message (RFC 8489): parse from a datagram, or build and serialize. MESSAGE-INTEGRITY and
 * FINGERPRINT are not kept as ordinary attributes on output: `serialize` computes them when asked,
 * and the verify methods check them against the bytes the message was parsed from.
 */
export class StunMessage {
  method: number;
  messageClass: StunClass;
  transactionId: Buffer;
  attributes: StunAttribute[] = [];
  /** Our own copy of the parsed datagram; integrity and fingerprint are checked against it. */
  #raw: Buffer | undefined;
  #integrityOffset = -1;
  #fingerprintOffset = -1;

  constructor(init: StunMessageInit) {
    this.method = init.method;
    this.messageClass = init.messageClass;
    this.transactionId = init.transactionId ?? randomBytes(12);
  }

  /** Alias of `messageClass`, for readers of RFC 8489 where it is the message "class". */
  get class(): StunClass {
    return this.messageClass;
  }

  /** Undefined for anything that is not a well-formed STUN message; never throws. */
  static parse(buf: Buffer, len: number = buf.length): StunMessage | undefined {
    if (!Buffer.isBuffer(buf) || !Number.isInteger(len) || len > STUN_MAX_MESSAGE_LENGTH) return undefined;
    if (!isStunPacket(buf, len)) return undefined;
    const raw = Buffer.from(buf.subarray(0, len));
    const type = raw.readUInt16BE(0);
    const method = (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2);
    const messageClass = (((type & 0x0010) >> 4) | ((type & 0x0100) >> 7)) as StunClass;
    const message = new StunMessage({ method, messageClass, transactionId: raw.subarray(8, 20) });
    message.#raw = raw;
    let offset = STUN_HEADER_LENGTH;
    while (offset < len) {
      if (offset + 4 > len) return undefined;
      const attributeType = raw.readUInt16BE(offset);
      const valueLength = raw.readUInt16BE(offset + 2);
      const valueStart = offset + 4;
      const next = valueStart + padded(valueLength);
      if (next > len) return undefined;
      if (message.#fingerprintOffset >= 0) return undefined; // FINGERPRINT must be the last attribute
      if (attributeType === StunAttributeType.Fingerprint) {
        if (valueLength !== 4) return undefined;
        message.#fingerprintOffset = offset;
      } else if (attributeType === StunAttributeType.MessageIntegrity) {
        if (valueLength !== STUN_INTEGRITY_LENGTH) return undefined;
        if (message.#integrityOffset < 0) message.#integrityOffset = offset;
      }
      // RFC 8489 14.5: anything between MESSAGE-INTEGRITY and FINGERPRINT is ignored.
      const afterIntegrity = message.#integrityOffset >= 0 && message.#integrityOffset !== offset;
      if (!afterIntegrity || attributeType === StunAttributeType.Fingerprint) {
        message.attributes.push({
          type: attributeType,
          value: raw.subarray(valueStart, valueStart + valueLength),
        });
      }
      offset = next;
    }
    return message;
  }

  getAttribute(type: number): Buffer | undefined {
    for (const attribute of this.attributes) if (attribute.type === type) return attribute.value;
    return undefined;
  }

  hasAttribute(type: number): boolean {
    return this.getAttribute(type) !== undefined;
  }

  addAttribute(type: number, value: Buffer): this {
    if (value.length > 0xffff) throw new RangeError(`STUN attribute 0x${type.toString(16)} is too long`);
    this.attributes.push({ type, value });
    return this;
  }

  get username(): string | undefined {
    return this.getAttribute(StunAttributeType.Username)?.toString('utf8');
  }

  setUsername(username: string): this {
    return this.addAttribute(StunAttributeType.Username, Buffer.from(username, 'utf8'));
  }

  get software(): string | undefined {
    return this.getAttribute(StunAttributeType.Software)?.toString('utf8');
  }

  setSoftware(software: string): this {
    return this.addAttribute(StunAttributeType.Software, Buffer.from(software, 'utf8'));
  }

  get priority(): number | undefined {
    const value = this.getAttribute(StunAttributeType.Priority);
    return value?.length === 4 ? value.readUInt32BE(0) : undefined;
  }

  setPriority(priority: number): this {
    const value = Buffer.alloc(4);
    value.writeUInt32BE(priority >>> 0, 0);
    return this.addAttribute(StunAttributeType.Priority, value);
  }

  get useCandidate(): boolean {
    return this.hasAttribute(StunAttributeType.UseCandidate);
  }

  setUseCandidate(): this {
    return this.addAttribute(StunAttributeType.UseCandidate, Buffer.alloc(0));
  }

  /** The sender's tie-breaker when it claims the controlling role. */
  get iceControlling(): bigint | undefined {
    const value = this.getAttribute(StunAttributeType.IceControlling);
    return value?.length === 8 ? value.readBigUInt64BE(0) : undefined;
  }

  setIceControlling(tieBreaker: bigint): this {
    const value = Buffer.alloc(8);
    value.writeBigUInt64BE(tieBreaker, 0);
    return this.addAttribute(StunAttributeType.IceControlling, value);
  }

  /** The sender's tie-breaker when it claims the controlled role. */
  get iceControlled(): bigint | undefined {
    const value = this.getAttribute(StunAttributeType.IceControlled);
    return value?.length === 8 ? value.readBigUInt64BE(0) : undefined;
  }

  setIceControlled(tieBreaker: bigint): this {
    const value = Buffer.alloc(8);
    value.writeBigUInt64BE(tieBreaker, 0);
    return this.addAttribute(StunAttributeType.IceControlled, value);
  }

  get xorMappedAddress(): StunAddress | undefined {
    const value = this.getAttribute(StunAttributeType.XorMappedAddress);
    return value ? this.#readAddress(value, true) : undefined;
  }

  setXorMappedAddress(address: string, port: number): this {
    return this.addAttribute(StunAttributeType.XorMappedAddress, this.#writeAddress(address, port, true));
  }

  get mappedAddress(): StunAddress | undefined {
    const value = this.getAttribute(StunAttributeType.MappedAddress);
    return value ? this.#readAddress(value, false) : undefined;
  }

  setMappedAddress(address: string, port: number): this {
    return this.addAttribute(StunAttributeType.MappedAddress, this.#writeAddress(address, port, false));
  }

  get errorCode(): StunErrorValue | undefined {
    const value = this.getAttribute(StunAttributeType.ErrorCode);
    if (!value || value.length < 4) return undefined;
    return { code: (value[2] & 0x07) * 100 + value[3], reason: value.toString('utf8', 4) };
  }

  setErrorCode(code: number, reason: string = STUN_ERROR_REASONS[code] ?? ''): this {
    const text = Buffer.from(reason, 'utf8');
    const value = Buffer.alloc(4 + text.length);
    value[2] = Math.floor(code / 100) & 0x07;
    value[3] = code % 100;
    text.copy(value, 4);
    return this.addAttribute(StunAttributeType.ErrorCode, value);
  }

  /** True when the parsed message carried MESSAGE-INTEGRITY. */
  get hasIntegrity(): boolean {
    return this.#integrityOffset >= 0;
  }

  /** True when the parsed message carried FINGERPRINT. */
  get hasFingerprint(): boolean {
    return this.#fingerprintOffset >= 0;
  }

  /** Checks MESSAGE-INTEGRITY of a parsed message; false when it has none or was built, not parsed. */
  verifyIntegrity(key: Buffer | string): boolean {
    const raw = this.#raw;
    const at = this.#integrityOffset;
    if (raw === undefined || at < 0) return false;
    // The HMAC covers the header with its length field pointing at the end of MESSAGE-INTEGRITY.
    const storedLength = raw.readUInt16BE(2);
    raw.writeUInt16BE(at + 4 + STUN_INTEGRITY_LENGTH - STUN_HEADER_LENGTH, 2);
    const expected = createHmac('sha1', key).update(raw.subarray(0, at)).digest();
    raw.writeUInt16BE(storedLength, 2);
    return timingSafeEqual(expected, raw.subarray(at + 4, at + 4 + STUN_INTEGRITY_LENGTH));
  }

  /** Checks FINGERPRINT of a parsed message; false when it has none or was built, not parsed. */
  verifyFingerprint(): boolean {
    const raw = this.#raw;
    const at = this.#fingerprintOffset;
    if (raw === undefined || at < 0) return false;
    const expected = (crc32(raw.subarray(0, at)) ^ STUN_FINGERPRINT_XOR) >>> 0;
    return raw.readUInt32BE(at + 4) === expected;
  }

  serialize(options: StunSerializeOptions = {}): Buffer {
    let length = STUN_HEADER_LENGTH;
    for (const attribute of this.attributes) {
      if (isTrailer(attribute.type)) continue;
      length += 4 + padded(attribute.value.length);
    }
    const integrityAt = length;
    if (options.integrityKey !== undefined) length += 4 + STUN_INTEGRITY_LENGTH;
    const fingerprintAt = length;
    if (options.fingerprint) length += 8;
    if (length > STUN_MAX_MESSAGE_LENGTH) throw new RangeError('STUN message too long');
    if (this.transactionId.length !== 12) throw new RangeError('STUN transaction id must be 12 bytes');

    const out = Buffer.alloc(length);
    const method = this.method;
    const cls = this.messageClass;
    const type =
      (method & 0x000f) |
      ((method & 0x0070) << 1) |
      ((method & 0x0f80) << 2) |
      ((cls & 1) << 4) |
      ((cls & 2) << 7);
    out.writeUInt16BE(type, 0);
    out.writeUInt32BE(STUN_MAGIC_COOKIE, 4);
    this.transactionId.copy(out, 8);
    let offset = STUN_HEADER_LENGTH;
    for (const attribute of this.attributes) {
      if (isTrailer(attribute.type)) continue;
      out.writeUInt16BE(attribute.type, offset);
      out.writeUInt16BE(attribute.value.length, offset + 2);
      attribute.value.copy(out, offset + 4);
      offset += 4 + padded(attribute.value.length);
    }
    if (options.integrityKey !== undefined) {
      out.writeUInt16BE(integrityAt + 4 + STUN_INTEGRITY_LENGTH - STUN_HEADER_LENGTH, 2);
      const hmac = createHmac('sha1', options.integrityKey).update(out.subarray(0, integrityAt)).digest();
      out.writeUInt16BE(StunAttributeType.MessageIntegrity, integrityAt);
      out.writeUInt16BE(STUN_INTEGRITY_LENGTH, integrityAt + 2);
      hmac.copy(out, integrityAt + 4);
    }
    out.writeUInt16BE(length - STUN_HEADER_LENGTH, 2);
    if (options.fingerprint) {
      const fingerprint = (crc32(out.subarray(0, fingerprintAt)) ^ STUN_FINGERPRINT_XOR) >>> 0;
      out.writeUInt16BE(StunAttributeType.Fingerprint, fingerprintAt);
      out.writeUInt16BE(4, fingerprintAt + 2);
      out.writeUInt32BE(fingerprint, fingerprintAt + 4);
    }
    return out;
  }

  #readAddress(value: Buffer, xored: boolean): StunAddress | undefined {
    if (value.length < 8) return undefined;
    const familyCode = value[1];
    const port = value.readUInt16BE(2) ^ (xored ? STUN_MAGIC_COOKIE >>> 16 : 0);
    if (familyCode === 0x01 && value.length === 8) {
      const bytes = Buffer.from(value.subarray(4, 8));
      if (xored) bytes.writeUInt32BE((bytes.readUInt32BE(0) ^ STUN_MAGIC_COOKIE) >>> 0, 0);
      return { address: readIPv4(bytes, 0), port, family: 'IPv4' };
    }
    if (familyCode === 0x02 && value.length === 20) {
      const bytes = Buffer.from(value.subarray(4, 20));
      if (xored) {
        const mask = this.#addressMask();
        for (let i = 0; i < 16; i++) bytes[i] ^= mask[i];
      }
      return { address: readIPv6(bytes, 0), port, family: 'IPv6' };
    }
    return undefined;
  }

  #writeAddress(address: string, port: number, xored: boolean): Buffer {
    const addressLength = ipAddressLength(address);
    if (addressLength === 0) throw new TypeError(`not an IP address: ${address}`);
    const value = Buffer.alloc(4 + addressLength);
    value[1] = addressLength === 4 ? 0x01 : 0x02;
    value.writeUInt16BE((port ^ (xored ? STUN_MAGIC_COOKIE >>> 16 : 0)) & 0xffff, 2);
    writeIpAddress(address, value, 4);
    if (xored) {
      const mask = this.#addressMask();
      for (let i = 0; i < addressLength; i++) value[4 + i] ^= mask[i];
    }
    return value;
  }

  /** Magic cookie followed by the transaction id: the XOR mask of XOR-MAPPED-ADDRESS. */
  #addressMask(): Buffer {
    const mask = Buffer.alloc(16);
    mask.writeUInt32BE(STUN_MAGIC_COOKIE, 0);
    this.transactionId.copy(mask, 4);
    return mask;
  }
}

function isTrailer(type: number): boolean {
  return type === StunAttributeType.MessageIntegrity || type === StunAttributeType.Fingerprint;
}
