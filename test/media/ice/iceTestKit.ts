import { createSocket, type Socket } from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import { IceClient, type IceClientOptions } from '../../../src/media/ice/IceClient.ts';
import type { IceEndpoint, IceEndpointHandler } from '../../../src/media/ice/IceEndpoint.ts';
import type { RemoteTuple } from '../../../src/media/ice/RemoteTuple.ts';
import type { UdpMux } from '../../../src/media/ice/UdpMux.ts';
import { StunClass, StunMethod } from '../../../src/media/stun/constants.ts';
import { StunMessage } from '../../../src/media/stun/StunMessage.ts';

/** Records every callback, copying packets because the mux may reuse their buffers. */
export class RecordingHandler implements IceEndpointHandler {
  connected: RemoteTuple[] = [];
  packets: Buffer[] = [];
  packetTuples: RemoteTuple[] = [];
  disconnected: string[] = [];

  onConnected(tuple: RemoteTuple): void {
    this.connected.push(tuple);
  }

  onPacket(buf: Buffer, len: number, tuple: RemoteTuple): void {
    this.packets.push(Buffer.from(buf.subarray(0, len)));
    this.packetTuples.push(tuple);
  }

  onDisconnected(reason: 'consent-timeout' | 'closed'): void {
    this.disconnected.push(reason);
  }
}

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

export const CLIENT_UFRAG = 'cl1E';
export const CLIENT_PWD = 'client-password-22chars';

export function connectClient(
  mux: UdpMux,
  endpoint: IceEndpoint,
  overrides: Partial<IceClientOptions> = {},
): Promise<IceClient> {
  return IceClient.connect({
    localUfrag: CLIENT_UFRAG,
    localPwd: CLIENT_PWD,
    remoteUfrag: endpoint.localUfrag,
    remotePwd: endpoint.localPwd,
    remote: { address: '127.0.0.1', port: mux.localPort },
    localAddress: '127.0.0.1',
    timeoutMs: 2000,
    ...overrides,
  });
}

export async function boundSocket(): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}

export function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}

export interface RawCheck {
  username: string;
  pwd: string;
  useCandidate?: boolean;
  iceControlled?: boolean;
}

/** Sends one hand-built Binding request; resolves with the response, or undefined after `waitMs`. */
export function rawCheck(
  socket: Socket,
  port: number,
  check: RawCheck,
  waitMs = 300,
): Promise<StunMessage | undefined> {
  const request = new StunMessage({ method: StunMethod.Binding, messageClass: StunClass.Request })
    .setUsername(check.username)
    .setPriority(12345);
  if (check.iceControlled) request.setIceControlled(1n);
  else request.setIceControlling(1n);
  if (check.useCandidate) request.setUseCandidate();
  const bytes = request.serialize({ integrityKey: check.pwd, fingerprint: true });
  return new Promise((resolve) => {
    const onMessage = (buf: Buffer): void => {
      const response = StunMessage.parse(buf);
      if (response === undefined || !response.transactionId.equals(request.transactionId)) return;
      finish(response);
    };
    const timer = setTimeout(() => finish(undefined), waitMs);
    const finish = (response: StunMessage | undefined): void => {
      clearTimeout(timer);
      socket.off('message', onMessage);
      resolve(response);
    };
    socket.on('message', onMessage);
    socket.send(bytes, port, '127.0.0.1');
  });
}

export function rtpLike(marker: number, length = 100): Buffer {
  const packet = Buffer.alloc(length, marker);
  packet[0] = 0x80;
  return packet;
}
