/**
 * Cost of the UdpMux dispatch and send paths. Run: node test/media/ice/dispatch.bench.ts
 * (not part of the test suite). The socket's 'message' listener is captured and called directly, so
 * the figures are what the mux adds on top of Node's own receive cost (Buffer + rinfo per datagram).
 */
import { createSocket, type RemoteInfo, Socket } from 'node:dgram';
import { UdpMux } from '../../../src/media/ice/UdpMux.ts';
import { StunClass, StunMethod } from '../../../src/media/stun/constants.ts';
import { StunMessage } from '../../../src/media/stun/StunMessage.ts';

type Listener = (buf: Buffer, rinfo: RemoteInfo) => void;

const ENDPOINTS = 1000;

async function captureMux(): Promise<{ mux: UdpMux; dispatch: Listener }> {
  const originalOn = Socket.prototype.on;
  let dispatch: Listener | undefined;
  const capture = function (
    this: Socket,
    event: string | symbol,
    listener: (...args: unknown[]) => void,
  ): Socket {
    if (event === 'message') dispatch = listener as Listener;
    return Reflect.apply(originalOn, this, [event, listener]) as Socket;
  };
  Socket.prototype.on = capture as unknown as typeof originalOn;
  const mux = await UdpMux.bind({ listenIp: '127.0.0.1' });
  Socket.prototype.on = originalOn;
  if (dispatch === undefined) throw new Error('message listener not captured');
  return { mux, dispatch };
}

function rinfoOf(i: number): RemoteInfo {
  return { address: `127.1.${i >> 8}.${i & 255}`, port: 10_000 + i, family: 'IPv4', size: 0 };
}

function bindingRequest(ufrag: string, pwd: string, useCandidate: boolean): Buffer {
  const request = new StunMessage({ method: StunMethod.Binding, messageClass: StunClass.Request })
    .setUsername(`${ufrag}:bnch`)
    .setPriority(1853824767)
    .setIceControlling(42n);
  if (useCandidate) request.setUseCandidate();
  return request.serialize({ integrityKey: pwd, fingerprint: true });
}

function timeNs(iterations: number, body: (i: number) => void): number {
  for (let i = 0; i < Math.min(iterations, 100_000); i++) body(i); // warm up
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) body(i);
  return Number(process.hrtime.bigint() - start) / iterations;
}

async function main(): Promise<void> {
  const { mux, dispatch } = await captureMux();
  let delivered = 0;
  const handler = { onConnected() {}, onPacket: () => void delivered++, onDisconnected() {} };
  const endpoints = Array.from({ length: ENDPOINTS }, () => mux.createEndpoint(handler));
  const checks = endpoints.map((endpoint) => bindingRequest(endpoint.localUfrag, endpoint.localPwd, true));
  const rinfos = endpoints.map((_, i) => rinfoOf(i));
  for (let i = 0; i < ENDPOINTS; i++) dispatch(Buffer.from(checks[i]), rinfos[i]);
  console.log(`bound: ${JSON.stringify(mux.stats())}`);

  const rtp = Buffer.alloc(1200, 0x42);
  rtp[0] = 0x80;
  const mask = ENDPOINTS - 1 > 1023 ? 1023 : 511;
  const dispatchNs = timeNs(5_000_000, (i) => dispatch(rtp, rinfos[(i * 7) & mask]));
  console.log(`media datagram dispatch (bound tuple, ${ENDPOINTS} endpoints): ${dispatchNs.toFixed(0)} ns`);
  const unknown = rinfoOf(5000);
  const dropNs = timeNs(5_000_000, () => dispatch(rtp, unknown));
  console.log(`media datagram from an unbound tuple (dropped): ${dropNs.toFixed(0)} ns`);

  // The same lookup with one string key per datagram, for comparison with the nested maps.
  const flat = new Map<string, number>();
  for (const [i, r] of rinfos.entries()) flat.set(`${r.address}:${r.port}`, i);
  let sink = 0;
  const flatNs = timeNs(5_000_000, (i) => {
    const r = rinfos[(i * 7) & mask];
    sink += flat.get(`${r.address}:${r.port}`) ?? 0;
  });
  console.log(`(reference: flat Map with a per-datagram key string: ${flatNs.toFixed(0)} ns; ${sink > 0})`);

  const checkUs = timeNs(20_000, (i) => dispatch(Buffer.from(checks[i & mask]), rinfos[i & mask])) / 1000;
  console.log(`STUN binding request (parse, HMAC verify, signed response, send): ${checkUs.toFixed(1)} µs`);
  const garbage = Buffer.alloc(100);
  garbage.writeUInt32BE(0x2112a442, 4);
  const garbageNs = timeNs(1_000_000, () => dispatch(garbage, unknown));
  console.log(`STUN-looking garbage (dropped): ${garbageNs.toFixed(0)} ns`);

  // Send path, to a sink socket: IceEndpoint.send versus a plain dgram send with default DNS lookup.
  const sinkSocket = createSocket('udp4');
  await new Promise<void>((resolve) => sinkSocket.bind(0, '127.0.0.1', resolve));
  const sinkInfo: RemoteInfo = {
    address: '127.0.0.1',
    port: sinkSocket.address().port,
    family: 'IPv4',
    size: 0,
  };
  const target = mux.createEndpoint(handler);
  dispatch(bindingRequest(target.localUfrag, target.localPwd, true), sinkInfo);
  const raw = createSocket('udp4');
  await new Promise<void>((resolve) => raw.bind(0, '127.0.0.1', resolve));
  const timeSends = async (label: string, send: () => void): Promise<void> => {
    const n = 200_000;
    const start = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      send();
      if ((i & 63) === 63) await new Promise((resolve) => setImmediate(resolve));
    }
    const cpu = process.cpuUsage(start);
    console.log(`${label}: ${((cpu.user + cpu.system) / n).toFixed(2)} µs CPU per 1200-byte send`);
  };
  await timeSends('dgram socket.send, default lookup', () =>
    raw.send(rtp, 0, 1200, sinkInfo.port, '127.0.0.1'),
  );
  await timeSends('IceEndpoint.send', () => target.send(rtp, 0, 1200));
  raw.close();
  sinkSocket.close();
  await mux.close();
  console.log(`delivered ${delivered}`);
}

await main();
