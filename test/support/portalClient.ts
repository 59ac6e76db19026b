import { createHash } from 'node:crypto';
import { WebSocket } from 'ws';
import type { ServerMessage } from '../../src/protocol/roomSignalling.ts';

/** A BigBlueButton API call signed the way portals sign it: hash(call + query + secret). */
export async function bbbCall(
  baseUrl: string,
  secret: string,
  call: string,
  params: Record<string, string>,
  hash: 'sha1' | 'sha256' = 'sha1',
): Promise<{ status: number; location: string | null; xml: string }> {
  const query = new URLSearchParams(params).toString();
  const checksum = createHash(hash)
    .update(call + query + secret)
    .digest('hex');
  const url = `${baseUrl}/bigbluebutton/api/${call}?${query}${query ? '&' : ''}checksum=${checksum}`;
  const response = await fetch(url, { redirect: 'manual' });
  return { status: response.status, location: response.headers.get('location'), xml: await response.text() };
}

/** The text of the first `<name>` element: enough to read BigBlueButton's flat answers. */
export function xmlTag(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

export interface SignallingAnswer {
  ok: boolean;
  data?: unknown;
  error?: { code: string; message: string };
}

/** A participant's signalling socket as the meeting page opens it, for portal flows in tests. */
export class SignallingMember {
  readonly events: ServerMessage[] = [];
  /** Set once joined through followJoinLink. */
  participantId: string | undefined;
  readonly #socket: WebSocket;
  #nextId = 1;
  readonly #pending = new Map<number, (answer: SignallingAnswer) => void>();

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as ServerMessage;
      if (message.type === 'response') this.#pending.get(message.id)?.(message);
      else this.events.push(message);
    });
  }

  static async connect(controllerUrl: string): Promise<SignallingMember> {
    const socket = new WebSocket(`${controllerUrl.replace('http', 'ws')}/ws`);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    return new SignallingMember(socket);
  }

  /** Follows a portal's join redirect into its room, as the meeting page does. */
  static async followJoinLink(controllerUrl: string, joinLink: string): Promise<SignallingMember> {
    const link = new URL(joinLink);
    const member = await SignallingMember.connect(controllerUrl);
    const joined = await member.request({
      type: 'join',
      room: decodeURIComponent(link.pathname.replace(/^\/r\//, '')),
      name: 'ignored',
      joinToken: link.searchParams.get('join'),
    });
    if (!joined.ok) throw new Error(`join with the link failed: ${JSON.stringify(joined)}`);
    member.participantId = (joined.data as { self: { participantId: string } }).self.participantId;
    return member;
  }

  request(body: Record<string, unknown>): Promise<SignallingAnswer> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#socket.send(JSON.stringify({ id, ...body }));
    });
  }

  close(): void {
    this.#socket.close();
  }
}
