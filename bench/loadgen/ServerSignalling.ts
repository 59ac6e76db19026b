import type { LoadClient } from './LoadClient.ts';
import type { LocalSources } from './SdpBuilder.ts';

/** One negotiated WebRTC session (a publish or a subscription), ended by `end()`. */
export interface SignalledSession {
  /** For a publish: what viewers subscribe to (dotm stream id, Janus feed id). */
  streamId: string;
  end(): Promise<void>;
}

/**
 * How the load generator asks a server for media sessions. dotm: controller API + WHIP/WHEP, the
 * client offers both ways. Janus VideoRoom: HTTP API, the client offers to publish and answers Janus's
 * offer to subscribe. Either way `client.connect` runs ICE + DTLS before the promise resolves.
 */
export interface ServerSignalling {
  publish(participant: string, client: LoadClient, sources: LocalSources): Promise<SignalledSession>;
  subscribe(participant: string, streamId: string, client: LoadClient): Promise<SignalledSession>;
  /** Ends every session still open (DELETE / destroy), so the server stops sending at once. */
  close(): Promise<void>;
}

/** Our DTLS role from the peer's a=setup in its answer. */
export function dtlsRoleFromAnswer(setup: string): 'client' | 'server' {
  return setup === 'active' ? 'server' : 'client';
}
