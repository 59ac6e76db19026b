import type { LoadClient } from '../loadgen/LoadClient.ts';
import { readRemoteDescription } from '../loadgen/RemoteDescription.ts';
import { runLimited } from '../loadgen/runLimited.ts';
import { buildOffer, buildViewerAnswer, type LocalSources } from '../loadgen/SdpBuilder.ts';
import {
  dtlsRoleFromAnswer,
  type ServerSignalling,
  type SignalledSession,
} from '../loadgen/ServerSignalling.ts';
import { JanusSession } from './JanusSession.ts';

const VIDEOROOM = 'janus.plugin.videoroom';

/**
 * The load client speaking to Janus's VideoRoom as janus.js would, one Janus session per participant:
 * a publisher handle (`joinandconfigure` with our offer, `trickle: false`) and one subscriber handle
 * per feed (`join` with the 1.x `streams: [{ feed }]`, Janus offers, we answer with `start`). A
 * handle per subscription keeps one DTLS-SRTP context per viewer and stream, as dotm's WHEP does.
 */
export class JanusSignalling implements ServerSignalling {
  readonly #baseUrl: string;
  readonly #room: number;
  readonly #sessions = new Map<string, Promise<JanusSession>>();
  readonly #clients = new Set<LoadClient>();

  constructor(baseUrl: string, room: number) {
    this.#baseUrl = baseUrl;
    this.#room = room;
  }

  async publish(participant: string, client: LoadClient, sources: LocalSources): Promise<SignalledSession> {
    const session = await this.#session(participant);
    const handle = await session.attach(VIDEOROOM);
    const reply = await session.message(
      handle,
      { request: 'joinandconfigure', room: this.#room, ptype: 'publisher', display: participant },
      { type: 'offer', sdp: buildOffer(client.local, 'sendonly', sources), trickle: false },
    );
    if (reply.jsep?.type !== 'answer') throw new Error('janus: joinandconfigure gave no answer');
    const feed = reply.data.id;
    if (typeof feed !== 'number' && typeof feed !== 'string') throw new Error('janus: publisher has no id');
    const answer = reply.jsep.sdp;
    await client
      .connect(answer, dtlsRoleFromAnswer(readRemoteDescription(answer).setup))
      .catch(async (error) => {
        await session.detach(handle);
        throw error;
      });
    this.#clients.add(client);
    return { streamId: String(feed), end: () => this.#end(session, handle, client) };
  }

  async subscribe(participant: string, streamId: string, client: LoadClient): Promise<SignalledSession> {
    const session = await this.#session(participant);
    const handle = await session.attach(VIDEOROOM);
    const feed = /^\d+$/.test(streamId) ? Number(streamId) : streamId;
    const joined = await session.message(handle, {
      request: 'join',
      room: this.#room,
      ptype: 'subscriber',
      streams: [{ feed }],
    });
    if (joined.jsep?.type !== 'offer') throw new Error('janus: subscriber join gave no offer');
    const offer = joined.jsep.sdp;
    const answer = buildViewerAnswer(client.local, readRemoteDescription(offer));
    await session.message(handle, { request: 'start' }, { type: 'answer', sdp: answer, trickle: false });
    await client.connect(offer, 'client').catch(async (error) => {
      await session.detach(handle);
      throw error;
    });
    this.#clients.add(client);
    return { streamId, end: () => this.#end(session, handle, client) };
  }

  async close(): Promise<void> {
    const sessions = await Promise.all(this.#sessions.values());
    this.#sessions.clear();
    await runLimited(sessions, 8, (session) => session.destroy());
    for (const client of this.#clients) client.close('ended');
    this.#clients.clear();
  }

  async #end(session: JanusSession, handle: number, client: LoadClient): Promise<void> {
    await session.detach(handle);
    this.#clients.delete(client);
    client.close('ended');
  }

  #session(participant: string): Promise<JanusSession> {
    let session = this.#sessions.get(participant);
    if (!session) {
      session = JanusSession.create(this.#baseUrl);
      this.#sessions.set(participant, session);
    }
    return session;
  }
}
