import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { TenantRepository } from '../../src/db/TenantRepository.ts';
import type { ServerMessage } from '../../src/protocol/roomSignalling.ts';
import type { EmbeddedCluster } from '../../src/start/EmbeddedCluster.ts';
import { HookReceiver } from '../portal/HookReceiver.ts';
import { startTestCluster, stopTestCluster, waitFor } from '../support/startTestCluster.ts';

/** A BigBlueButton API call signed as portals sign it: sha1(call + query + secret). */
async function bbb(cluster: EmbeddedCluster, secret: string, call: string, params: Record<string, string>) {
  const query = new URLSearchParams(params).toString();
  const checksum = createHash('sha1')
    .update(call + query + secret)
    .digest('hex');
  const url = `${cluster.controller.url}/bigbluebutton/api/${call}?${query}${query ? '&' : ''}checksum=${checksum}`;
  const response = await fetch(url, { redirect: 'manual' });
  return { location: response.headers.get('location'), xml: await response.text() };
}

const tag = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];

/** The meeting page's signalling socket, enough to join with a join link and leave. */
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

  /** Follows a portal's join redirect into the room, as the meeting page does. */
  static async join(cluster: EmbeddedCluster, joinLink: string): Promise<Member> {
    const link = new URL(joinLink);
    const socket = new WebSocket(`${cluster.controller.url.replace('http', 'ws')}/ws`);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const member = new Member(socket);
    const joined = await member.request({
      type: 'join',
      room: decodeURIComponent(link.pathname.replace(/^\/r\//, '')),
      name: 'ignored',
      joinToken: link.searchParams.get('join'),
    });
    assert.equal(joined.ok, true, JSON.stringify(joined));
    return member;
  }

  request(body: Record<string, unknown>) {
    const id = this.#nextId++;
    return new Promise<{ ok: boolean; error?: { code: string } }>((resolve) => {
      this.#pending.set(id, resolve);
      this.#socket.send(JSON.stringify({ id, ...body }));
    });
  }

  close(): void {
    this.#socket.close();
  }
}

describe('webhooks on the embedded system: a portal registers a hook and hears its meeting', () => {
  let cluster: EmbeddedCluster;
  let secret: string;
  let receiver: HookReceiver;
  let dead: HookReceiver;

  before(async () => {
    cluster = await startTestCluster();
    secret = (await new TenantRepository(cluster.database).findDefault())!.secrets[0]!;
    receiver = await HookReceiver.start();
    dead = await HookReceiver.start();
    dead.hang = true;
  });

  after(async () => {
    await stopTestCluster(cluster);
    await receiver.close();
    await dead.close();
  });

  it('create → joins → a leave → end reach the hook in order, each verifiable with the secret', async () => {
    const hookUrl = receiver.url('/bbb-events?course=101');
    const hook = await bbb(cluster, secret, 'hooks/create', { callbackURL: hookUrl });
    assert.equal(tag(hook.xml, 'returncode'), 'SUCCESS', hook.xml);
    // A receiver that never answers, for every meeting: it must slow nothing.
    assert.equal(
      tag((await bbb(cluster, secret, 'hooks/create', { callbackURL: dead.url() })).xml, 'returncode'),
      'SUCCESS',
    );
    // Another tenant's hook hears none of this tenant's meetings.
    const other = await new TenantRepository(cluster.database).create({
      name: 'other institution',
      secrets: ['secret-of-the-other-institution'],
    });
    // Made behind the API's back: it knows the tenant once its tenant cache expires (2 s).
    await waitFor('the other tenant to be known', async () => {
      const made = await bbb(cluster, other.secrets[0]!, 'hooks/create', {
        callbackURL: receiver.url('/other'),
      });
      return tag(made.xml, 'returncode') === 'SUCCESS' || undefined;
    });

    const created = await bbb(cluster, secret, 'create', { meetingID: 'physics-101', name: 'Physics 101' });
    assert.equal(tag(created.xml, 'returncode'), 'SUCCESS', created.xml);
    const internalId = tag(created.xml, 'internalMeetingID');

    const joinLink = async (fullName: string, userID: string, role: string) =>
      (await bbb(cluster, secret, 'join', { meetingID: 'physics-101', fullName, userID, role })).location!;
    const started = Date.now();
    const marie = await Member.join(cluster, await joinLink('Marie Curie', 'lms-marie', 'MODERATOR'));
    const pierre = await Member.join(cluster, await joinLink('Pierre Curie', 'lms-pierre', 'VIEWER'));
    const joinsTook = Date.now() - started;
    assert.ok(joinsTook < 3_000, `two joins took ${joinsTook} ms with a dead receiver registered`);

    assert.equal((await pierre.request({ type: 'leave' })).ok, true);
    pierre.close();
    await waitFor('the leave to be told', () => receiver.eventIds().includes('user-left') || undefined);

    assert.equal(
      tag((await bbb(cluster, secret, 'end', { meetingID: 'physics-101' })).xml, 'returncode'),
      'SUCCESS',
    );
    await waitFor(
      'roomClosed at Marie',
      () => marie.events.some((e) => e.type === 'roomClosed') || undefined,
    );
    marie.close();
    await receiver.waitFor(6, 10_000);

    const seen = receiver.received.flatMap((c) =>
      c.events.map((e) => [e.data.id, e.data.attributes.user?.['external-user-id'] ?? ''].join(' ').trim()),
    );
    assert.deepEqual(seen, [
      'meeting-created',
      'user-joined lms-marie',
      'user-joined lms-pierre',
      'user-left lms-pierre',
      'user-left lms-marie',
      'meeting-ended',
    ]);
    for (const callback of receiver.received) {
      assert.ok(callback.target.startsWith('/bbb-events?course=101&checksum='), callback.target);
      assert.ok(receiver.signedBy(callback, hookUrl, secret), 'sha1(callbackURL + body + secret)');
      assert.equal(callback.domain, new URL(cluster.controller.url).hostname);
      for (const event of callback.events) {
        assert.equal(event.data.attributes.meeting['internal-meeting-id'], internalId);
        assert.equal(event.data.attributes.meeting['external-meeting-id'], 'physics-101');
      }
    }
    const marieJoined = receiver.received[1]!.events[0]!.data.attributes.user!;
    assert.deepEqual([marieJoined.name, marieJoined.role], ['Marie Curie', 'MODERATOR']);
    assert.ok(
      !receiver.received.some((c) => c.target.startsWith('/other')),
      'the other tenant heard nothing',
    );

    const list = await bbb(cluster, secret, 'hooks/list', {});
    assert.equal((list.xml.match(/<hook>/g) ?? []).length, 2, list.xml);
  });
});
