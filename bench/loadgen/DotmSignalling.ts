import type { LoadClient } from './LoadClient.ts';
import { readRemoteDescription } from './RemoteDescription.ts';
import { runLimited } from './runLimited.ts';
import { buildOffer, type LocalSources } from './SdpBuilder.ts';
import { dtlsRoleFromAnswer, type ServerSignalling, type SignalledSession } from './ServerSignalling.ts';

interface MediaGrant {
  url: string;
  token: string;
  streamId: string;
}

/**
 * dotm's signalling as an OBS or a WHEP player does it: the controller's token API
 * (`/api/v1/publish`, `/api/v1/subscribe`), then WHIP/WHEP on the node that carries the OTM.
 */
export class DotmSignalling implements ServerSignalling {
  readonly #controllerUrl: string;
  readonly #apiKey: string;
  readonly #room: string;
  readonly #open = new Set<SignalledSession>();

  constructor(controllerUrl: string, apiKey: string, room: string) {
    this.#controllerUrl = controllerUrl;
    this.#apiKey = apiKey;
    this.#room = room;
  }

  async publish(participant: string, client: LoadClient, sources: LocalSources): Promise<SignalledSession> {
    const grant = await this.#api<MediaGrant>('/api/v1/publish', { room: this.#room, participant });
    return this.#negotiate(grant, client, buildOffer(client.local, 'sendonly', sources));
  }

  async subscribe(participant: string, streamId: string, client: LoadClient): Promise<SignalledSession> {
    const grant = await this.#api<MediaGrant>('/api/v1/subscribe', {
      room: this.#room,
      streamId,
      participant,
    });
    return this.#negotiate({ ...grant, streamId }, client, buildOffer(client.local, 'recvonly'));
  }

  async close(): Promise<void> {
    const sessions = [...this.#open];
    await runLimited(sessions, 8, (session) => session.end());
  }

  async #negotiate(grant: MediaGrant, client: LoadClient, offer: string): Promise<SignalledSession> {
    const response = await fetch(grant.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${grant.token}` },
      body: offer,
    });
    const answer = await response.text();
    if (response.status !== 201) throw new Error(`WHIP/WHEP POST ${grant.url}: ${response.status} ${answer}`);
    const location = response.headers.get('location');
    if (!location) throw new Error('WHIP/WHEP answer without Location');
    const resourceUrl = new URL(location, grant.url).toString();
    const remove = () =>
      fetch(resourceUrl, { method: 'DELETE', headers: { Authorization: `Bearer ${grant.token}` } })
        .then((r) => r.arrayBuffer())
        .catch(() => undefined);
    try {
      await client.connect(answer, dtlsRoleFromAnswer(readRemoteDescription(answer).setup));
    } catch (error) {
      await remove();
      throw error;
    }
    let ended = false;
    const session: SignalledSession = {
      streamId: grant.streamId,
      end: async () => {
        if (ended) return;
        ended = true;
        this.#open.delete(session);
        await remove();
        client.close('ended');
      },
    };
    this.#open.add(session);
    return session;
  }

  async #api<T>(path: string, body: unknown): Promise<T> {
    const response = await fetch(new URL(path, this.#controllerUrl), {
      method: 'POST',
      headers: { Authorization: `Bearer ${this.#apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status !== 201) throw new Error(`POST ${path}: ${response.status} ${text}`);
    return JSON.parse(text) as T;
  }
}
