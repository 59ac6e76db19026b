export type SdpErrorCode = 'malformed' | 'unsupported' | 'no-common-codec' | 'too-large';

/** The only exception the SDP code lets escape for bad input; `message` tells the peer what to fix. */
export class SdpError extends Error {
  readonly code: SdpErrorCode;

  constructor(code: SdpErrorCode, message: string) {
    super(message);
    this.name = 'SdpError';
    this.code = code;
  }
}
