/** A refused OTM operation; `code` becomes an HTTP status at the node's edge. */
export class OtmError extends Error {
  override name = 'OtmError';
  readonly code: 'not-found' | 'bad-sdp' | 'conflict';
  constructor(code: OtmError['code'], message: string) {
    super(message);
    this.code = code;
  }
}
