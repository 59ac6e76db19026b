import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TenantRepository } from '../../src/db/TenantRepository.ts';
import type { EmbeddedCluster } from '../../src/start/EmbeddedCluster.ts';
import { HookReceiver } from '../portal/HookReceiver.ts';
import { bbbCall, SignallingMember, xmlTag } from '../support/portalClient.ts';
import { startTestCluster, stopTestCluster, waitFor } from '../support/startTestCluster.ts';

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
    const hook = await bbbCall(cluster.controller.url, secret, 'hooks/create', { callbackURL: hookUrl });
    assert.equal(xmlTag(hook.xml, 'returncode'), 'SUCCESS', hook.xml);
    // A receiver that never answers, for every meeting: it must slow nothing.
    assert.equal(
      xmlTag(
        (await bbbCall(cluster.controller.url, secret, 'hooks/create', { callbackURL: dead.url() })).xml,
        'returncode',
      ),
      'SUCCESS',
    );
    // Another tenant's hook hears none of this tenant's meetings.
    const other = await new TenantRepository(cluster.database).create({
      name: 'other institution',
      secrets: ['secret-of-the-other-institution'],
    });
    // Made behind the API's back: it knows the tenant once its tenant cache expires (2 s).
    await waitFor('the other tenant to be known', async () => {
      const made = await bbbCall(cluster.controller.url, other.secrets[0]!, 'hooks/create', {
        callbackURL: receiver.url('/other'),
      });
      return xmlTag(made.xml, 'returncode') === 'SUCCESS' || undefined;
    });

    const created = await bbbCall(cluster.controller.url, secret, 'create', {
      meetingID: 'physics-101',
      name: 'Physics 101',
    });
    assert.equal(xmlTag(created.xml, 'returncode'), 'SUCCESS', created.xml);
    const internalId = xmlTag(created.xml, 'internalMeetingID');

    const joinLink = async (fullName: string, userID: string, role: string) =>
      (
        await bbbCall(cluster.controller.url, secret, 'join', {
          meetingID: 'physics-101',
          fullName,
          userID,
          role,
        })
      ).location!;
    const started = Date.now();
    const marie = await SignallingMember.followJoinLink(
      cluster.controller.url,
      await joinLink('Marie Curie', 'lms-marie', 'MODERATOR'),
    );
    const pierre = await SignallingMember.followJoinLink(
      cluster.controller.url,
      await joinLink('Pierre Curie', 'lms-pierre', 'VIEWER'),
    );
    const joinsTook = Date.now() - started;
    assert.ok(joinsTook < 3_000, `two joins took ${joinsTook} ms with a dead receiver registered`);

    assert.equal((await pierre.request({ type: 'leave' })).ok, true);
    pierre.close();
    await waitFor('the leave to be told', () => receiver.eventIds().includes('user-left') || undefined);

    assert.equal(
      xmlTag(
        (await bbbCall(cluster.controller.url, secret, 'end', { meetingID: 'physics-101' })).xml,
        'returncode',
      ),
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

    const list = await bbbCall(cluster.controller.url, secret, 'hooks/list', {});
    assert.equal((list.xml.match(/<hook>/g) ?? []).length, 2, list.xml);
  });
});
