import { readFileSync } from 'node:fs';

/**
 * Datagrams the kernel dropped because a socket's receive buffer was full, per local UDP port, from
 * /proc/net/udp (last column). Tells server-side drops (its sockets overflowed) from load-generator
 * drops (ours did), which the loss counters alone cannot.
 */
export function udpDropsByPort(): Map<number, number> {
  const drops = new Map<number, number>();
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      if (columns.length < 13) continue;
      const port = Number.parseInt(columns[1]!.split(':')[1]!, 16);
      const dropped = Number(columns[columns.length - 1]);
      if (Number.isFinite(port) && Number.isFinite(dropped))
        drops.set(port, (drops.get(port) ?? 0) + dropped);
    }
  }
  return drops;
}

/** Sum of drops over the ports in `ports` (or over every port not in `exclude`). */
export function sumDrops(
  drops: Map<number, number>,
  select: { ports?: Set<number>; exclude?: Set<number>; range?: [number, number] },
): number {
  let total = 0;
  for (const [port, dropped] of drops) {
    if (select.ports && !select.ports.has(port)) continue;
    if (select.exclude?.has(port)) continue;
    if (select.range && (port < select.range[0] || port > select.range[1])) continue;
    total += dropped;
  }
  return total;
}
