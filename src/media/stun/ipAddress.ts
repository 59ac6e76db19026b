import { isIPv4, isIPv6 } from 'node:net';

/**
 * IP literal <-> bytes for STUN address attributes. Node has no inet_pton/inet_ntop, and these run
 * once per connectivity check, not per media packet.
 */

/** Writes the address bytes at `offset`; returns 4, 16, or 0 when `address` is not an IP literal. */
export function writeIpAddress(address: string, out: Buffer, offset: number): 0 | 4 | 16 {
  if (isIPv4(address)) {
    writeIPv4(address, out, offset);
    return 4;
  }
  const zone = address.indexOf('%');
  const bare = zone >= 0 ? address.slice(0, zone) : address;
  if (!isIPv6(bare)) return 0;
  writeIPv6(bare, out, offset);
  return 16;
}

export function ipAddressLength(address: string): 0 | 4 | 16 {
  if (isIPv4(address)) return 4;
  const zone = address.indexOf('%');
  return isIPv6(zone >= 0 ? address.slice(0, zone) : address) ? 16 : 0;
}

export function readIPv4(buf: Buffer, offset: number): string {
  return `${buf[offset]}.${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}`;
}

/** RFC 5952 text form: lower case, longest zero run compressed, IPv4-mapped as `::ffff:a.b.c.d`. */
export function readIPv6(buf: Buffer, offset: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(buf.readUInt16BE(offset + i * 2));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${readIPv4(buf, offset + 12)}`;
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}

function writeIPv4(address: string, out: Buffer, offset: number): void {
  const parts = address.split('.');
  for (let i = 0; i < 4; i++) out[offset + i] = Number(parts[i]);
}

function writeIPv6(address: string, out: Buffer, offset: number): void {
  let text = address;
  const groups: number[] = [];
  const lastColon = text.lastIndexOf(':');
  let embeddedV4: number[] | undefined;
  if (text.indexOf('.', lastColon) > lastColon) {
    const v4 = text
      .slice(lastColon + 1)
      .split('.')
      .map(Number);
    embeddedV4 = [(v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]];
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const doubleColon = text.indexOf('::');
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  if (doubleColon >= 0) {
    const head = parse(text.slice(0, doubleColon));
    const tail = parse(text.slice(doubleColon + 2));
    groups.push(...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail);
  } else {
    groups.push(...parse(text));
  }
  if (embeddedV4) {
    groups[6] = embeddedV4[0];
    groups[7] = embeddedV4[1];
  }
  for (let i = 0; i < 8; i++) out.writeUInt16BE(groups[i], offset + i * 2);
}
