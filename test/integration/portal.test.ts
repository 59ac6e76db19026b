import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { TenantRepository } from '../../src/db/TenantRepository.ts';
import type { ServerMessage } from '../../src/protocol/roomSignalling.ts';
import type { EmbeddedCluster } from '../../src/start/EmbeddedCluster.ts';
import { startTestCluster, stopTestCluster, waitFor } from '../support/startTestCluster.ts';

/** A BigBlueButton API call signed the way every portal signs it: sha1(call + query + secret). */
async function bbb(cluster: EmbeddedCluster, secret: string, call: string, params: Record<string, string>) {
  const query = new URLSearchParams(params).toString();
  const checksum = createHash('sha1')
    .update(call + query + secret)
    .digest('hex');
  const url = `${cluster.controller.url}/bigbluebutton/api/${call}?${query}${query ? '&' : ''}checksum=${checksum}`;
  const response = await fetch(url, { redirect: 'manual' });
  return { status: response.status, location: response.headers.get('location'), xml: await response.text() };
}

const tag = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];

/** A participant's signalling socket, as the meeting page opens it. */
class Member {
  readonly events: ServerMessage[] = [];
  readonly #socket: WebSocket;
  #nextId = 1;
  readonly #pending = new Map<number, (m: Extract<ServerMessage, { type: 'response' }>) => void>();

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as ServerMessage;
      if (message.type === 'response') this.#pending.get(message.id)?.(message);
      else this.events.push(message);
    });
  }

  static async connect(cluster: EmbeddedCluster): Promise<Member> {
    const socket = new WebSocket(`${cluster.controller.url.replace('http', 'ws')}/ws`);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    return new Member(socket);
  }

  request(body: Record<string, unknown>) {
    const id = this.#nextId++;
    return new Promise<{ ok: boolean; data?: unknown; error?: { code: string; message: string } }>(
      (resolve) => {
        this.#pending.set(id, resolve);
        this.#socket.send(JSON.stringify({ id, ...body }));
      },
    );
  }

  close(): void {
    this.#socket.close();
  }
}

describe('BigBlueButton API on the embedded system: a portal creates a meeting and sends people in', () => {
  let cluster: EmbeddedCluster;
  let secret: string;

  before(async () => {
    cluster = await startTestCluster();
    const tenant = await new TenantRepository(cluster.database).findDefault();
    assert.ok(tenant, 'the default tenant exists from the first start');
    secret = tenant.secrets[0]!;
  });

  after(() => stopTestCluster(cluster));

  it('create → join link → the page joins with it, as the portal named and ranked the person', async () => {
    const created = await bbb(cluster, secret, 'create', { meetingID: 'physics-101', name: 'Physics 101' });
    assert.equal(tag(created.xml, 'returncode'), 'SUCCESS', created.xml);

    const redirect = await bbb(cluster, secret, 'join', {
      meetingID: 'physics-101',
      fullName: 'Marie Curie',
      role: 'MODERATOR',
      userID: 'lms-user-42',
    });
    assert.equal(redirect.status, 302);
    const link = new URL(redirect.location!);
    assert.equal(link.origin, cluster.controller.url, 'the link leads to this controller’s meeting page');
    const room = decodeURIComponent(link.pathname.replace(/^\/r\//, ''));
    const joinToken = link.searchParams.get('join');
    assert.ok(joinToken, 'the link carries the signed invitation');

    const marie = await Member.connect(cluster);
    const joined = await marie.request({ type: 'join', room, name: 'typed something else', joinToken });
    assert.equal(joined.ok, true, JSON.stringify(joined));
    const self = (joined.data as { self: { name: string; role: string } }).self;
    assert.deepEqual([self.name, self.role], ['Marie Curie', 'moderator']);

    const info = await bbb(cluster, secret, 'getMeetingInfo', { meetingID: 'physics-101' });
    assert.equal(tag(info.xml, 'running'), 'true', info.xml);
    assert.equal(tag(info.xml, 'participantCount'), '1');
    assert.equal(tag(info.xml, 'fullName'), 'Marie Curie');
    assert.equal(tag(info.xml, 'userID'), 'lms-user-42');

    // Someone who guesses the room name cannot walk in without an invitation.
    const intruder = await Member.connect(cluster);
    const refused = await intruder.request({ type: 'join', room, name: 'Mallory' });
    assert.equal(refused.ok, false);
    assert.equal(refused.error?.code, 'forbidden');
    assert.match(refused.error?.message ?? '', /join link/);
    // Nor with a forged one.
    const forged = await intruder.request({
      type: 'join',
      room,
      name: 'Mallory',
      joinToken: `${joinToken}x`,
    });
    assert.equal(forged.error?.code, 'forbidden');
    intruder.close();

    // The portal ends the meeting: the person in it is told and the room is gone.
    const ended = await bbb(cluster, secret, 'end', { meetingID: 'physics-101' });
    assert.equal(tag(ended.xml, 'returncode'), 'SUCCESS', ended.xml);
    await waitFor(
      'roomClosed at the participant',
      () => marie.events.some((e) => e.type === 'roomClosed') || undefined,
    );
    const running = await bbb(cluster, secret, 'isMeetingRunning', { meetingID: 'physics-101' });
    assert.equal(tag(running.xml, 'running'), 'false');
    marie.close();

    // The invitation of an ended meeting no longer opens anything.
    const late = await Member.connect(cluster);
    const afterEnd = await late.request({ type: 'join', room, name: 'late', joinToken });
    assert.equal(afterEnd.error?.code, 'not-found');
    late.close();
  });

  it('a room no portal created stays open to anyone, as before', async () => {
    const guest = await Member.connect(cluster);
    const joined = await guest.request({ type: 'join', room: 'open-room', name: 'Guest' });
    assert.equal(joined.ok, true, JSON.stringify(joined));
    await guest.request({ type: 'leave' });
    guest.close();
  });
});
