import { DtlsClient } from 'werift';
import type { DtlsCertificate } from '../../../src/media/dtls/DtlsCertificate.ts';
import { DtlsEndpoint, type DtlsEndpointEvents } from '../../../src/media/dtls/DtlsEndpoint.ts';

export interface DtlsPair {
  /** Our endpoint, in the server role a media node takes. */
  server: DtlsEndpoint;
  /** A raw werift client: its record cipher (`client.cipher`) can seal records the way a real peer does. */
  client: DtlsClient;
  /** Cuts the server's way back to the client, so that dropping the client leaves nothing of it reachable. */
  unlinkClient(): void;
}

/**
 * Our server DtlsEndpoint and a werift DtlsClient connected in memory (each datagram a copy, delivered on
 * the next turn of the event loop, as a socket would), resolved once the server has agreed SRTP keys.
 * Used by the DtlsEndpoint tests and by the memory micro-benchmark.
 */
export async function connectDtlsPair(
  certificates: { server: DtlsCertificate; client: DtlsCertificate },
  events: Partial<DtlsEndpointEvents> = {},
): Promise<DtlsPair> {
  const clientTransport = {
    type: 'ice',
    address: {},
    closed: false,
    onData: (_data: Buffer) => {},
    send: async (data: Buffer) => {
      const copy = Buffer.from(data);
      setImmediate(() => server.handleDatagram(copy));
    },
    close: async () => {},
  };
  const link: { client: { onData: (data: Buffer) => void } | undefined } = { client: clientTransport };
  const server: DtlsEndpoint = new DtlsEndpoint(
    {
      role: 'server',
      certificate: certificates.server,
      remoteFingerprints: [{ algorithm: 'sha-256', value: certificates.client.sha256Fingerprint }],
      send: (datagram) => {
        const copy = Buffer.from(datagram);
        setImmediate(() => link.client?.onData(copy));
      },
    },
    {
      onConnected: (srtp) => events.onConnected?.(srtp),
      onClosed: () => events.onClosed?.(),
      onFailed: (error) => events.onFailed?.(error),
    },
  );
  const client = new DtlsClient({
    cert: certificates.client.certPem,
    key: certificates.client.keyPem,
    signatureHash: certificates.client.signatureHash as never,
    transport: clientTransport as never,
    srtpProfiles: [0x0001] as never,
    extendedMasterSecret: true,
  });
  server.start();
  await client.connect();
  for (let i = 0; i < 100 && server.state !== 'connected'; i++) await new Promise((r) => setTimeout(r, 10));
  if (server.state !== 'connected') throw new Error(`DTLS handshake did not finish (server ${server.state})`);
  return {
    server,
    client,
    unlinkClient: () => {
      link.client = undefined;
    },
  };
}
