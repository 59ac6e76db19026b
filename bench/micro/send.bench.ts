/**
 * UDP send microbenchmark: CPU per datagram of the ways a Node media worker can send a 1200-byte
 * packet, measured in one process run against a receiver in another process (so its reads are not
 * counted). The sender's CPU includes the kernel's loopback delivery, as it does on the server.
 *
 *   node bench/micro/send.bench.ts [datagramsPerRound=20000] [rounds=5]
 */
import { fork } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { cpus } from 'node:os';
import { ipLiteralLookup } from '../../src/media/ice/ipLiteralLookup.ts';

const PAYLOAD = 1200;

if (process.argv[2] === '--receiver') {
  const socket = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
  let received = 0;
  socket.on('message', () => {
    received++;
  });
  socket.bind(0, '127.0.0.1', () => process.send?.({ port: socket.address().port }));
  process.on('message', (message: { op: string }) => {
    if (message.op === 'count') process.send?.({ received });
    else if (message.op === 'stop') {
      socket.close();
      process.exit(0);
    }
  });
} else {
  await main();
}

interface Variant {
  name: string;
  socket: Socket;
  /** Sends one datagram; calls `done` for the last one of a round once the kernel took it. */
  send(index: number, last: boolean, done: () => void): void;
}

async function main(): Promise<void> {
  const perRound = Number(process.argv[2] ?? 20_000);
  const rounds = Number(process.argv[3] ?? 5);
  const receiver = fork(new URL(import.meta.url).pathname, ['--receiver'], { execArgv: [] });
  const port = await new Promise<number>((resolve) =>
    receiver.once('message', (m: { port: number }) => resolve(m.port)),
  );
  const shared = Buffer.alloc(PAYLOAD, 0x5a);

  const plain = await boundSocket(createSocket('udp4'));
  const literal = await boundSocket(createSocket({ type: 'udp4', lookup: ipLiteralLookup(4) }));
  const connected = await boundSocket(createSocket({ type: 'udp4', lookup: ipLiteralLookup(4) }));
  await new Promise<void>((resolve) => connected.connect(port, '127.0.0.1', resolve));

  const variants: Variant[] = [
    {
      name: 'send(buf, port, ip) — default dns.lookup',
      socket: plain,
      send: (_i, last, done) => plain.send(shared, port, '127.0.0.1', last ? done : undefined),
    },
    {
      name: 'send(buf, port, ip) — synchronous IP-literal lookup (dotm)',
      socket: literal,
      send: (_i, last, done) => literal.send(shared, port, '127.0.0.1', last ? done : undefined),
    },
    {
      name: 'send(fresh allocUnsafe copy, port, ip) — literal lookup',
      socket: literal,
      send: (_i, last, done) => {
        const copy = Buffer.allocUnsafe(PAYLOAD + 64);
        shared.copy(copy);
        literal.send(copy, 0, PAYLOAD, port, '127.0.0.1', last ? done : undefined);
      },
    },
    {
      name: 'connected socket send(buf)',
      socket: connected,
      send: (_i, last, done) => connected.send(shared, last ? done : undefined),
    },
  ];

  const results = new Map<string, number[]>();
  for (let round = 0; round < rounds + 1; round++) {
    for (const variant of variants) {
      const cpu = await timeRound(variant, perRound);
      // Round 0 warms up the JIT and the sockets.
      if (round > 0) results.set(variant.name, [...(results.get(variant.name) ?? []), cpu / perRound]);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  receiver.send({ op: 'count' });
  const { received } = await new Promise<{ received: number }>((resolve) =>
    receiver.once('message', (m: { received: number }) => resolve(m)),
  );
  receiver.send({ op: 'stop' });
  for (const socket of [plain, literal, connected]) socket.close();

  console.log(
    `UDP send of ${PAYLOAD}-byte datagrams over loopback, Node ${process.version}, ${cpus()[0]?.model}`,
  );
  console.log(
    `${rounds} rounds × ${perRound} datagrams, medians; the receiver (another process) got ${received} of ${
      (rounds + 1) * perRound * variants.length
    }\n`,
  );
  console.log('| operation | CPU µs / datagram (median) | min–max |');
  console.log('|---|---:|---:|');
  for (const [name, values] of results) {
    values.sort((a, b) => a - b);
    const median = values[Math.floor(values.length / 2)]!;
    console.log(
      `| ${name} | ${median.toFixed(2)} | ${values[0]!.toFixed(2)}–${values[values.length - 1]!.toFixed(2)} |`,
    );
  }
}

/** CPU µs (user + system) to send `count` datagrams and have the last one's callback run. */
async function timeRound(variant: Variant, count: number): Promise<number> {
  const start = process.cpuUsage();
  await new Promise<void>((resolve) => {
    // Bursts of 64 with a 1 ms pause between them, as a worker's fan-out comes in bursts, and so that
    // the receiver keeps up (a datagram dropped at a full socket costs the sender less than a delivered one).
    let i = 0;
    const burst = () => {
      const end = Math.min(count, i + 64);
      for (; i < end; i++) variant.send(i, i === count - 1, resolve);
      if (i < count) setTimeout(burst, 1);
    };
    burst();
  });
  const used = process.cpuUsage(start);
  return used.user + used.system;
}

function boundSocket(socket: Socket): Promise<Socket> {
  return new Promise((resolve) => socket.bind(0, '127.0.0.1', () => resolve(socket)));
}
