import { networkInterfaces } from 'node:os';

/**
 * The address servers and load clients use for media: the host's first non-internal IPv4, because
 * Janus never gathers loopback candidates; 127.0.0.1 when the host has none. Traffic to a local
 * address stays on the loopback device either way, so both servers see the same kernel path.
 */
export function hostMediaIp(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal) return address.address;
    }
  }
  return '127.0.0.1';
}
