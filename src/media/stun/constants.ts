/** STUN wire constants (RFC 8489, RFC 8445 section 16, RFC 5245 for the ICE attributes). */

export const STUN_HEADER_LENGTH = 20;
export const STUN_MAGIC_COOKIE = 0x2112a442;
/** FINGERPRINT is CRC-32 XORed with this, so a STUN CRC never equals a CRC of another protocol's payload. */
export const STUN_FINGERPRINT_XOR = 0x5354554e;
export const STUN_INTEGRITY_LENGTH = 20;
/** No STUN message can be larger than a 16-bit length field allows. */
export const STUN_MAX_MESSAGE_LENGTH = STUN_HEADER_LENGTH + 0xffff;

export const StunClass = {
  Request: 0,
  Indication: 1,
  SuccessResponse: 2,
  ErrorResponse: 3,
} as const;
export type StunClass = (typeof StunClass)[keyof typeof StunClass];

export const StunMethod = {
  Binding: 0x001,
} as const;

export const StunAttributeType = {
  MappedAddress: 0x0001,
  Username: 0x0006,
  MessageIntegrity: 0x0008,
  ErrorCode: 0x0009,
  UnknownAttributes: 0x000a,
  Realm: 0x0014,
  Nonce: 0x0015,
  MessageIntegritySha256: 0x001c,
  XorMappedAddress: 0x0020,
  Priority: 0x0024,
  UseCandidate: 0x0025,
  Software: 0x8022,
  AlternateServer: 0x8023,
  Fingerprint: 0x8028,
  IceControlled: 0x8029,
  IceControlling: 0x802a,
} as const;

export const StunErrorCode = {
  BadRequest: 400,
  Unauthorized: 401,
  UnknownAttribute: 420,
  RoleConflict: 487,
  ServerError: 500,
} as const;

export const STUN_ERROR_REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  420: 'Unknown Attribute',
  487: 'Role Conflict',
  500: 'Server Error',
};
