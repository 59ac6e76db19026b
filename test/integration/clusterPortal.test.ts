/**
 * The BigBlueButton API in cluster mode: two `dotm controller` processes over a real Redis and one
 * real PostgreSQL, a media node, and a portal that talks to either controller.
 *
 * Proves: a meeting created through one controller is joined through the other; getMeetingInfo,
 * getMeetings and isMeetingRunning on either see who is in the room wherever it is homed; `end`
 * called on the controller that is not the room's home ends the room for everyone; the webhooks
 * fire once each although both controllers sweep the same meetings; the tenant admin API and the
 * theme endpoint answer on both; /metrics on both counts the meeting and its participants.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { RedisRoomDirectory } from '../../src/cluster/redis/RedisRoomDirectory.ts';
import { HookReceiver } from '../portal/HookReceiver.ts';
import {
  type ClusterEnv,
  controllerReady,
  type DotmProcess,
  spawnController,
  spawnNode,
} from '../support/clusterProcesses.ts';
import { bbbCall, SignallingMember, xmlTag } from '../support/portalClient.ts';
import { PostgresServer } from '../support/postgresServer.ts';
import { RedisServer } from '../support/redisServer.ts';
import { openUdpSockets, waitFor } from '../support/startTestCluster.ts';

const SECRET = 'cluster-portal-secret-0123456789abcdef';

function count(xml: string, tag: string): number {
  return xml.split(`<${tag}>`).length - 1;
}

describe('BigBlueButton API in cluster mode: two controllers, one PostgreSQL, one Redis', () => {
  let redis: RedisServer;
  let postgres: PostgresServer;
  let env: ClusterEnv;
  let directory: RedisRoomDirectory;
  let receiver: HookReceiver;
  let node: DotmProcess;
  const controllers: Array<{ process: DotmProcess; url: string }> = [];
  const members: SignallingMember[] = [];
  let room = '';

  /** The controller (of the two) the directory names as the room's home, and the other one. */
  async function homeAndOther(of = room): Promise<{ home: string; other: string }> {
    const holder = await directory.home(of);
    const presence = (await directory.listControllers()).find((c) => c.controllerId === holder);
    assert.ok(presence, `the room has a home (holder ${holder})`);
    const home = controllers.find((c) => c.url === presence.internalUrl);
    assert.ok(home, `the home ${presence.internalUrl} is one of the test's controllers`);
    return { home: home.url, other: controllers.find((c) => c !== home)!.url };
  }

  async function joinLink(
    via: string,
    fullName: string,
    userID: string,
    meetingID = 'algebra',
  ): Promise<string> {
    const joined = await bbbCall(via, SECRET, 'join', {
      meetingID,
      fullName,
      role: 'VIEWER',
      userID,
      redirect: 'false',
    });
    assert.equal(xmlTag(joined.xml, 'returncode'), 'SUCCESS', joined.xml);
    return xmlTag(joined.xml, 'url')!.replaceAll('&amp;', '&');
  }

  before(async () => {
    [redis, postgres] = await Promise.all([RedisServer.start(), PostgresServer.start()]);
    env = { redisUrl: redis.url, secret: randomBytes(24).toString('hex'), apiKey: 'test-key' };
    directory = new RedisRoomDirectory({ url: redis.url, keyPrefix: 'dotm:' });
    receiver = await HookReceiver.start();
    node = spawnNode(env, 'media-a', '127.0.0.2');
    const database = await postgres.createDatabase('dotm');
    const settings = {
      DOTM_DATABASE_ENGINE: 'postgres',
      DOTM_DATABASE_POSTGRES_URL: database,
      DOTM_PORTAL_DEFAULT_SECRET: SECRET,
      // Both controllers sweep the same meetings often: nothing may end or fire twice.
      DOTM_PORTAL_SWEEP_INTERVAL_MS: '200',
      DOTM_CONTROLLER_REJOIN_GRACE_MS: '2000',
    };
    controllers.push(
      await spawnController(env, '127.0.0.11', settings),
      await spawnController(env, '127.0.0.12', settings),
    );
    await Promise.all(controllers.map((c) => controllerReady(c.url)));
    await waitFor('both controllers announced', async () => {
      return (await directory.listControllers()).length === 2 || undefined;
    });
  });

  after(async () => {
    for (const member of members) member.close();
    const processes = [...controllers.map((c) => c.process), node].filter((p) => p?.alive);
    const codes = await Promise.all(processes.map((p) => p.stop()));
    await directory?.close();
    await receiver?.close();
    await Promise.all([redis?.stop(), postgres?.stop()]);
    for (const [i, code] of codes.entries()) {
      assert.equal(
        code,
        0,
        `${processes[i]!.name} did not exit cleanly:\n${processes[i]!.output.slice(-3000)}`,
      );
    }
    assert.equal(openUdpSockets(), 0, 'UDP sockets left open in the test process');
  });

  it('both controllers answer the BigBlueButton API, the tenant admin API and the theme endpoint', async () => {
    for (const { url } of controllers) {
      const index = await fetch(`${url}/bigbluebutton/api`);
      assert.equal(xmlTag(await index.text(), 'returncode'), 'SUCCESS');
      const tenants = await fetch(`${url}/api/v1/tenants`, {
        headers: { Authorization: `Bearer ${env.apiKey}` },
      });
      assert.equal(tenants.status, 200);
      const listed = (await tenants.json()) as { tenants: Array<{ secrets: string[] }> };
      assert.deepEqual(
        listed.tenants.map((t) => t.secrets[0]),
        [SECRET],
        'one default tenant, made once',
      );
      const theme = await fetch(`${url}/api/v1/theme`);
      assert.equal(theme.status, 200, 'the meeting page’s theme request is answered');
      await theme.body?.cancel();
    }
  });

  it('create on one controller, join through the other: getMeetingInfo on either shows everyone', async () => {
    const [a, b] = controllers;
    const hook = await bbbCall(a!.url, SECRET, 'hooks/create', { callbackURL: receiver.url('/events') });
    assert.equal(xmlTag(hook.xml, 'returncode'), 'SUCCESS', hook.xml);
    const created = await bbbCall(a!.url, SECRET, 'create', { meetingID: 'algebra', name: 'Algebra' });
    assert.equal(xmlTag(created.xml, 'returncode'), 'SUCCESS', created.xml);
    room = xmlTag(created.xml, 'internalMeetingID')!;

    // Ada's page reaches controller B first, so B becomes the room's home; Bob reaches A, which pipes him to B.
    members.push(await SignallingMember.followJoinLink(b!.url, await joinLink(b!.url, 'Ada', 'ada-1')));
    members.push(await SignallingMember.followJoinLink(a!.url, await joinLink(a!.url, 'Bob', 'bob-2')));
    const { home } = await homeAndOther();
    assert.equal(home, b!.url, 'the room lives where its first participant arrived');

    for (const { url } of controllers) {
      const info = await bbbCall(url, SECRET, 'getMeetingInfo', { meetingID: 'algebra' });
      assert.equal(xmlTag(info.xml, 'participantCount'), '2', `getMeetingInfo at ${url}: ${info.xml}`);
      assert.equal(xmlTag(info.xml, 'running'), 'true');
      assert.deepEqual([...info.xml.matchAll(/<userID>([^<]*)<\/userID>/g)].map((m) => m[1]).sort(), [
        'ada-1',
        'bob-2',
      ]);
      const running = await bbbCall(url, SECRET, 'isMeetingRunning', { meetingID: 'algebra' });
      assert.equal(xmlTag(running.xml, 'running'), 'true', `isMeetingRunning at ${url}`);
      const all = await bbbCall(url, SECRET, 'getMeetings', {});
      assert.equal(count(all.xml, 'meeting'), 1, all.xml);
      assert.equal(xmlTag(all.xml, 'participantCount'), '2', `getMeetings at ${url}`);
      const admin = await fetch(`${url}/api/v1/meetings`, {
        headers: { Authorization: `Bearer ${env.apiKey}` },
      });
      const listed = (await admin.json()) as {
        meetings: Array<{ meetingID: string; participantCount: number }>;
      };
      assert.deepEqual(
        listed.meetings.map((m) => [m.meetingID, m.participantCount]),
        [['algebra', 2]],
        `the admin API at ${url}`,
      );
    }
  });

  it('/metrics on either controller counts the meeting and its participants, cluster-wide', async () => {
    for (const { url } of controllers) {
      const text = await (await fetch(`${url}/metrics`)).text();
      assert.match(text, /^bbb_meetings\{tenant="default"\} 1$/m, `metrics at ${url}:\n${text}`);
      assert.match(text, /^bbb_meetings_participants\{tenant="default"\} 2$/m);
      assert.match(text, /^bbb_meetings_listeners\{tenant="default"\} 2$/m);
      assert.match(text, /^bbb_meetings_voice_participants\{tenant="default"\} 0$/m);
      assert.match(text, /^bbb_meetings_video_participants\{tenant="default"\} 0$/m);
    }
  });

  it('the sweeps of both controllers leave a running meeting alone', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const info = await bbbCall(controllers[0]!.url, SECRET, 'getMeetingInfo', { meetingID: 'algebra' });
    assert.equal(xmlTag(info.xml, 'running'), 'true', info.xml);
  });

  it('end on the controller that is not the home ends the room for everyone; each webhook fires once', async () => {
    const { other } = await homeAndOther();
    const ended = await bbbCall(other, SECRET, 'end', { meetingID: 'algebra' });
    assert.equal(xmlTag(ended.xml, 'returncode'), 'SUCCESS', ended.xml);
    for (const member of members) {
      await waitFor('the room closed for everyone', () =>
        member.events.some((e) => e.type === 'roomClosed') ? true : undefined,
      );
    }
    await waitFor('the room is gone from the directory', async () =>
      (await directory.loadSnapshot(room)) === undefined ? true : undefined,
    );
    for (const { url } of controllers) {
      const running = await bbbCall(url, SECRET, 'isMeetingRunning', { meetingID: 'algebra' });
      assert.equal(xmlTag(running.xml, 'running'), 'false');
    }
    const expected = [
      'meeting-created',
      'user-joined',
      'user-joined',
      'user-left',
      'user-left',
      'meeting-ended',
    ];
    const ids = () => receiver.received.flatMap((callback) => callback.events.map((e) => e.data.id));
    await waitFor('every event delivered', () => (ids().length >= expected.length ? true : undefined));
    // Both controllers kept sweeping meanwhile: nothing more may come.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // Each controller sends what happened through it in order; across controllers (the create
    // through A, the joins at the home B) the order of arrival is not guaranteed.
    assert.deepEqual([...ids()].sort(), [...expected].sort());
    assert.equal(ids().at(-1), 'meeting-ended');
  });

  it('the room’s home stops mid-meeting: the other controller carries it on, and the records stay right', async () => {
    const [a, b] = controllers;
    const created = await bbbCall(a!.url, SECRET, 'create', { meetingID: 'geometry', name: 'Geometry' });
    const geometry = xmlTag(created.xml, 'internalMeetingID')!;
    const firstEvent = receiver.received.length;
    // Carol reaches B first (B becomes the home), Dan reaches A; both keep their rejoin tickets.
    const enter = async (via: string, name: string) => {
      const link = new URL(await joinLink(via, name, `${name.toLowerCase()}-id`, 'geometry'));
      const member = await SignallingMember.connect(via);
      members.push(member);
      const joined = await member.request({
        type: 'join',
        room: geometry,
        name,
        joinToken: link.searchParams.get('join'),
      });
      assert.equal(joined.ok, true, JSON.stringify(joined));
      return (joined.data as { rejoin: { participantId: string; secret: string } }).rejoin;
    };
    const carol = await enter(b!.url, 'Carol');
    await enter(a!.url, 'Dan');
    assert.equal((await homeAndOther(geometry)).home, b!.url);

    // B is stopped (SIGTERM): it hands the room over. Carol comes back through A with her ticket;
    // Dan never does, and his place runs out there.
    assert.equal(await b!.process.stop(), 0, b!.process.output.slice(-3000));
    const back = await SignallingMember.connect(a!.url);
    members.push(back);
    const resumed = await back.request({ type: 'join', room: geometry, name: 'Carol', rejoin: carol });
    assert.equal(resumed.ok, true, JSON.stringify(resumed));
    assert.equal((resumed.data as { resumed: boolean }).resumed, true, 'Carol is the same participant');
    const info = await waitFor('Dan’s place to run out', async () => {
      const answer = await bbbCall(a!.url, SECRET, 'getMeetingInfo', { meetingID: 'geometry' });
      return xmlTag(answer.xml, 'participantCount') === '1' ? answer.xml : undefined;
    });
    assert.equal(xmlTag(info, 'fullName'), 'Carol');

    const ended = await bbbCall(a!.url, SECRET, 'end', { meetingID: 'geometry' });
    assert.equal(xmlTag(ended.xml, 'returncode'), 'SUCCESS', ended.xml);
    await waitFor('the room closed for Carol', () =>
      back.events.some((e) => e.type === 'roomClosed') ? true : undefined,
    );
    const events = () =>
      receiver.received
        .slice(firstEvent)
        .flatMap((callback) =>
          callback.events.map((e) => [e.data.id, String(e.data.attributes.user?.['external-user-id'] ?? '')]),
        );
    const expected = [
      ['meeting-created', ''],
      ['user-joined', 'carol-id'],
      ['user-joined', 'dan-id'],
      ['user-left', 'dan-id'],
      ['user-left', 'carol-id'],
      ['meeting-ended', ''],
    ];
    await waitFor('every event delivered', () =>
      events().length >= expected.length ? true : undefined,
    ).catch((error: Error) => {
      throw new Error(`${error.message}: got ${JSON.stringify(events())}\n${a!.process.output.slice(-4000)}`);
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const byText = (a: string[], b: string[]) => a.join().localeCompare(b.join());
    assert.deepEqual([...events()].sort(byText), [...expected].sort(byText));
    // What A sent after B stopped (Dan's place running out, then the end) came in order.
    assert.deepEqual(events().slice(-3), expected.slice(-3));
  });
});
