/**
 * Cost of the UdpMux receive and send paths, in server CPU per datagram.
 * Run: node test/media/ice/dispatch.bench.ts   (not part of the test suite)
 *
 * A child process blasts 1200-byte datagrams at (a) a bare dgram socket with an empty handler and
 * (b) a UdpMux endpoint; the difference of CPU per received datagram is what the mux adds.
 */
import { fork } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { IceClient } from '../../../src/media/ice/IceClient.ts';
import { UdpMux } from '../../../src/media/ice/UdpMux.ts';

const PACKETS = 200_000;
const PAYLOAD = 1200;

interface SenderArgs {
  port: number;
  ice?: { remoteUfrag: string; remotePwd: string };
}

async function runSender(args: SenderArgs): Promise<void> {
  let socket: Socket;
  if (args.ice) {
    const client = await IceClient.connect({
      localUfrag: 'bnch',
      localPwd: 'bench-password-22-chars',
      ...args.ice,
      remote: { address: '127.0.0.1', port: args.port },
      consentIntervalMs: [60_000, 60_000],
    });
    socket = client.socket;
  } else {
    socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  }
  const packet = Buffer.alloc(PAYLOAD, 0x42);
  packet[0] = 0x80;
  let sent = 0;
  // Bursts of 64 with a yield between them: fast, but gentle enough for the receive buffer.
  await new Promise<void>((resolve) => {
    const burst = (): void => {
      for (let i = 0; i < 64 && sent < PACKETS; i++, sent++) socket.send(packet, args.port, '127.0.0.1');
      if (sent < PACKETS) setImmediate(burst);
      else resolve();
    };
    burst();
  });
  process.send?.('done');
  setTimeout(() => process.exit(0), 200);
}

function spawnSender(args: SenderArgs): Promise<void> {
  const child = fork(new URL(import.meta.url).pathname, ['--sender', JSON.stringify(args)]);
  return new Promise((resolve) => child.on('message', () => resolve()));
}

async function measure(label: string, receive: (count: () => void) => Promise<SenderArgs>): Promise<number> {
  let received = 0;
  const args = await receive(() => received++);
  const cpuBefore = process.cpuUsage();
  const done = spawnSender(args);
  await done;
  await new Promise((resolve) => setTimeout(resolve, 100));
  const cpu = process.cpuUsage(cpuBefore);
  const perPacketUs = (cpu.user + cpu.system) / received;
  console.log(`${label}: ${received} received, ${perPacketUs.toFixed(2)} µs CPU per datagram`);
  return perPacketUs;
}

async function main(): Promise<void> {
  const bare = await measure('bare dgram socket', async (count) => {
    const socket = createSocket('udp4');
    socket.setMaxListeners(0);
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    socket.setRecvBufferSize(4 * 1024 * 1024);
    socket.on('message', () => count());
    cleanup.push(() => socket.close());
    return { port: socket.address().port };
  });
  let mux: UdpMux | undefined;
  const muxed = await measure('UdpMux endpoint', async (count) => {
    mux = await UdpMux.bind({ listenIp: '127.0.0.1' });
    // Other endpoints and tuples present, as on a busy worker.
    for (let i = 0; i < 1000; i++)
      mux.createEndpoint({ onConnected() {}, onPacket() {}, onDisconnected() {} });
    const endpoint = mux.createEndpoint({ onConnected() {}, onPacket: () => count(), onDisconnected() {} });
    return { port: mux.localPort, ice: { remoteUfrag: endpoint.localUfrag, remotePwd: endpoint.localPwd } };
  });
  console.log(`receive path added by the mux: ${(muxed - bare).toFixed(2)} µs per datagram`);

  // Send path: endpoint.send versus socket.send with the same arguments, to a sink that drops.
  const sink = createSocket('udp4');
  await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', resolve));
  const sinkPort = sink.address().port;
  const sendMux = mux!;
  const target = sendMux.createEndpoint({ onConnected() {}, onPacket() {}, onDisconnected() {} });
  await IceClient.connect({
    socket: sink,
    localUfrag: 'sink',
    localPwd: 'sink-password-22-chars',
    remoteUfrag: target.localUfrag,
    remotePwd: target.localPwd,
    remote: { address: '127.0.0.1', port: sendMux.localPort },
    consentIntervalMs: [60_000, 60_000],
  }).then((client) => cleanup.push(() => client.close()));
  const packet = Buffer.alloc(PAYLOAD, 0x42);
  packet[0] = 0x80;
  const raw = createSocket('udp4');
  await new Promise<void>((resolve) => raw.bind(0, '127.0.0.1', resolve));
  const timeSends = async (label: string, send: () => void): Promise<void> => {
    const n = 100_000;
    const start = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      send();
      if ((i & 63) === 63) await new Promise((resolve) => setImmediate(resolve));
    }
    const cpu = process.cpuUsage(start);
    console.log(`${label}: ${((cpu.user + cpu.system) / n).toFixed(2)} µs CPU per send`);
  };
  await timeSends('dgram socket.send (dns.lookup default)', () =>
    raw.send(packet, 0, PAYLOAD, sinkPort, '127.0.0.1'),
  );
  await timeSends('IceEndpoint.send', () => target.send(packet, 0, PAYLOAD));
  raw.close();
  for (const fn of cleanup) fn();
  await sendMux.close();
}

const cleanup: (() => void)[] = [];
const senderIndex = process.argv.indexOf('--sender');
if (senderIndex >= 0) await runSender(JSON.parse(process.argv[senderIndex + 1]) as SenderArgs);
else await main();
