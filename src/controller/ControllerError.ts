/** A refusal the client should see as-is: a stable code and a readable message. */
export class ControllerError extends Error {
  override name = 'ControllerError';
  readonly code:
    | 'bad-request'
    | 'bad-room-name'
    | 'not-found'
    | 'forbidden'
    | 'cluster-full'
    | 'conflict'
    /** Passing: the room's home controller cannot be reached right now (it is being taken over). */
    | 'unavailable';
  constructor(code: ControllerError['code'], message: string) {
    super(message);
    this.code = code;
  }

  get httpStatus(): number {
    return {
      'bad-request': 400,
      'bad-room-name': 400,
      'not-found': 404,
      forbidden: 403,
      'cluster-full': 503,
      conflict: 409,
      unavailable: 503,
    }[this.code];
  }
}
