/** The remote transport address of a datagram: one candidate pair, seen from our single local socket. */
export interface RemoteTuple {
  readonly address: string;
  readonly port: number;
  readonly family: 'IPv4' | 'IPv6';
  /** `${address}:${port}`: stable for the lifetime of the binding, usable as a Map key. */
  readonly key: string;
}

export function remoteTuple(address: string, port: number, family: string): RemoteTuple {
  return { address, port, family: family === 'IPv6' ? 'IPv6' : 'IPv4', key: `${address}:${port}` };
}
