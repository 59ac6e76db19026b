/**
 * Two controllers serve one cluster (Redis, three media nodes, each process on its own loopback
 * address), fronted by a TCP load balancer as a deployment would front them with haproxy. Headless
 * participants speak the signalling protocol over WebSocket and reconnect like the browser SDK
 * (same backoff, rejoin ticket, to the load balancer's URL); a werift publisher and viewer carry
 * real media through WHIP/WHEP on the nodes.
 *
 * Proves: a client may join through either controller and the room is one (its home serves it, the
 * other controller pipes); a Redis restart mid-meeting is survived without anyone noticing; a
 * SIGKILLed home loses no room, participant or stream — clients resume as themselves at the other
 * controller while media keeps flowing (the OTMs never depended on the controller); leaving closes
 * the OTMs and removes the room's snapshot.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NodeReport } from '../../src/cluster/NodeReport.ts';
import type { RoomSnapshot } from '../../src/controller/rooms/RoomSnapshot.ts';
import type { RoomView } from '../../src/protocol/httpApi.ts';
import type { MediaGrant } from '../../src/protocol/roomSignalling.ts';
import { controllerReady } from '../support/clusterProcesses.ts';
import { Attendance, longestGap, ProcessCluster } from '../support/processCluster.ts';
import { waitFor } from '../support/startTestCluster.ts';
import {
  endSessions,
  publishSynthetic,
  receiveVideo,
  type SyntheticPublisher,
  type WeriftSession,
} from '../support/weriftPeer.ts';

const ROOM = 'failover';
const REDIS_DOWNTIME_MS = 2000;
const NODES = [
  { nodeId: 'media-a', address: '127.0.0.2' },
  { nodeId: 'media-b', address: '127.0.0.3' },
  { nodeId: 'media-c', address: '127.0.0.4' },
];

describe('two controllers, one cluster: join through either, survive a Redis restart and a SIGKILLed home', () => {
  let cluster: ProcessCluster;
  let controllers: ProcessCluster['controllers'];
  const attendance = new Attendance(ROOM, () => cluster.balancerUrl);
  const { people, firstIds } = attendance;
  let publisher: SyntheticPublisher | undefined;
  let publishGrant: MediaGrant;
  let viewer: WeriftSession | undefined;
  let viewGrant: MediaGrant;
  const arrivals: number[] = [];

  /** The controller (by URL) the directory names as the room's home. */
  const homeUrl = () => cluster.homeUrl(ROOM);
  const join = (name: string, via: string) => attendance.join(name, via);
  const api = <T>(baseUrl: string, path: string) => cluster.api<T>(path, baseUrl);

  before(async () => {
    cluster = await ProcessCluster.start({
      apiKey: 'test-key',
      nodes: NODES,
      controllers: ['127.0.0.11', '127.0.0.12'],
    });
    controllers = cluster.controllers;
    await cluster.registered(controllers[0]!.url);
  });

  after(async () => {
    publisher?.media.stop();
    attendance.closeAll();
    await viewer?.pc.close();
    await publisher?.pc.close();
    const problems = (await cluster?.stop()) ?? [];
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  it('Ada joins through one controller, Bob through the other: one room, each sees the other, Bob gets Ada’s media', async () => {
    const [one, two] = controllers;
    const ada = await join('Ada', one!.url);
    const bob = await join('Bob', two!.url);
    assert.deepEqual(
      bob.lastJoin!.participants.map((p) => p.name),
      ['Ada', 'Bob'],
    );
    await waitFor(
      'Ada to see Bob',
      () => ada.of('participantJoined').some((m) => m.participant.name === 'Bob') || undefined,
    );
    assert.equal(await homeUrl(), one!.url, 'the room’s home is where its first client came');

    publishGrant = await ada.request('publish', { kind: 'camera', audio: true, video: true });
    publisher = await publishSynthetic(publishGrant.url, publishGrant.token);

    const added = await waitFor('streamAdded at Bob', () =>
      bob.of('streamAdded').find((m) => m.stream.streamId === publishGrant.streamId),
    );
    assert.equal(added.stream.participantId, firstIds.get('Ada'));
    viewGrant = await bob.request('subscribe', { streamId: publishGrant.streamId });
    viewer = await receiveVideo(viewGrant.url, viewGrant.token, () => arrivals.push(Date.now()));
    await waitFor('video at Bob', () => arrivals.length > 30 || undefined, 15_000);

    // The HTTP API answers the same through either controller: the non-home one forwards.
    for (const controller of controllers) {
      const view = await api<RoomView>(controller.url, `/api/v1/rooms/${ROOM}`);
      assert.equal(view.status, 200, JSON.stringify(view.body));
      assert.deepEqual(
        view.body.participants.map((p) => p.name),
        ['Ada', 'Bob'],
      );
      assert.equal(view.body.streams[0]?.live, true);
    }
    const grant = await fetch(new URL('/api/v1/subscribe', two!.url), {
      method: 'POST',
      headers: { Authorization: `Bearer ${cluster.env.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ room: ROOM, streamId: publishGrant.streamId }),
    });
    const grantBody = (await grant.json()) as { whepUrl: string };
    assert.equal(grant.status, 201, JSON.stringify(grantBody));
    assert.equal(
      new URL(grantBody.whepUrl).host,
      new URL(viewGrant.url).host,
      'a WHEP grant on the OTM’s node',
    );
    const missing = await api<unknown>(two!.url, '/api/v1/rooms/no-such-room');
    assert.equal(missing.status, 404);
  });

  it('the home controller is SIGKILLed: everyone resumes as themselves at the other, the stream stays, media never stops', async (t) => {
    const [one, two] = controllers;
    const killedAt = Date.now();
    const arrivalsBefore = arrivals.length;
    let adoptedAt = 0;
    const watchAdoption = waitFor(
      'the other controller to adopt the room',
      async () => ((await homeUrl()) === two!.url ? Date.now() : undefined),
      15_000,
    ).then((at) => {
      adoptedAt = at;
    });
    await one!.process.stop('SIGKILL');

    const resumed = await attendance.resumedSince('both to resume', 0, 20_000);
    await watchAdoption;
    attendance.assertResumedAsThemselves();
    for (const person of people.values()) {
      assert.deepEqual(
        person.lastJoin!.participants.map((p) => p.name),
        ['Ada', 'Bob'],
      );
    }
    assert.deepEqual(
      people.get('Bob')!.lastJoin!.streams.map((s) => [s.streamId, s.live]),
      [[publishGrant.streamId, true]],
      'the stream is still listed, live',
    );
    const room = await api<RoomView>(cluster.balancerUrl, `/api/v1/rooms/${ROOM}`);
    assert.equal(room.status, 200);
    assert.equal(room.body.streams.length, 1);
    assert.equal(room.body.participants.length, 2);

    // Media never went through the controller: Bob kept receiving throughout.
    await waitFor('more video at Bob', () => arrivals.length > arrivalsBefore + 50 || undefined, 10_000);
    const gap = longestGap(arrivals, killedAt, Date.now());
    assert.ok(gap < 500, `media to Bob paused ${gap} ms while the controller died`);

    // The room works at its new home.
    await people.get('Bob')!.request('chat', { text: 'still here?' });
    await waitFor(
      'Ada to get the chat',
      () =>
        people
          .get('Ada')!
          .of('chat')
          .some((m) => m.message.text === 'still here?') || undefined,
    );

    const resumeMs = resumed.map((r) => r!.resumedAt! - killedAt);
    t.diagnostic(
      `controller SIGKILL: room adopted after ${adoptedAt - killedAt} ms; clients resumed after ${resumeMs.join(', ')} ms (attempts ${resumed.map((r) => r!.attempts).join(', ')}); longest media gap at Bob ${gap} ms`,
    );
  });

  it('a replacement controller joins the running cluster: a newcomer through it reaches the room at its new home', async () => {
    const [, two] = controllers;
    const three = await cluster.addController('127.0.0.13');
    await controllerReady(three.url);
    cluster.balancer!.setBackends([two!.url, three.url]);
    const cy = await join('Cy', three.url);
    assert.deepEqual(
      cy.lastJoin!.participants.map((p) => p.name),
      ['Ada', 'Bob', 'Cy'],
    );
    assert.equal(await homeUrl(), two!.url, 'the room stays at its home; the newcomer is piped there');
    await waitFor(
      'Ada to see Cy',
      () =>
        people
          .get('Ada')!
          .of('participantJoined')
          .some((m) => m.participant.name === 'Cy') || undefined,
    );
  });

  it('the home is stopped cleanly (SIGTERM, a rolling upgrade): its rooms move at once, everyone resumes', async (t) => {
    const [, two, three] = controllers;
    assert.equal(await homeUrl(), two!.url);
    cluster.balancer!.setBackends([three!.url, two!.url]);
    const stoppedAt = Date.now();
    assert.equal(await two!.process.stop('SIGTERM'), 0, two!.process.output.slice(-3000));
    const resumed = await attendance.resumedSince('everyone to resume', stoppedAt, 15_000);
    attendance.assertResumedAsThemselves();
    assert.equal(await homeUrl(), three!.url);
    assert.deepEqual(
      people.get('Bob')!.lastJoin!.streams.map((s) => s.streamId),
      [publishGrant.streamId],
    );
    const gap = longestGap(arrivals, stoppedAt, Date.now());
    assert.ok(gap < 500, `media to Bob paused ${gap} ms`);
    // Back to two controllers for what follows.
    const four = await cluster.addController('127.0.0.14');
    await controllerReady(four.url);
    cluster.balancer!.setBackends([three!.url, four.url]);
    t.diagnostic(
      `controller SIGTERM (hand-over): clients resumed after ${resumed.map((r) => r!.resumedAt! - stoppedAt).join(', ')} ms; longest media gap at Bob ${gap} ms`,
    );
  });

  it('Redis restarts mid-meeting: nobody notices, the room is restored in Redis, newcomers join through either controller', async (t) => {
    const [, , three, four] = controllers;
    const restartedAt = Date.now();
    // Down for two seconds, as a real restart would be: every node's heartbeat and every lease
    // renewal fails meanwhile, and Redis comes back empty (nothing persisted).
    await cluster.redis.kill();
    await new Promise((resolve) => setTimeout(resolve, REDIS_DOWNTIME_MS));
    await cluster.redis.restart();
    const backAt = Date.now();
    const snapshot = await waitFor(
      'the home to write the room’s snapshot again',
      async () =>
        (await cluster.directory.loadSnapshot(ROOM).catch(() => undefined)) as RoomSnapshot | undefined,
      15_000,
    );
    const snapshotBackAt = Date.now();
    assert.deepEqual(snapshot.participants.map((p) => p.name).sort(), ['Ada', 'Bob', 'Cy']);
    assert.deepEqual(
      snapshot.streams.map((s) => s.streamId),
      [publishGrant.streamId],
    );
    assert.equal(await homeUrl(), three!.url, 'the same home took its lease back');
    await waitFor(
      'the nodes to report again',
      async () => {
        const listed = await api<{ nodes: NodeReport[] }>(four!.url, '/api/v1/nodes');
        return listed.body.nodes?.length === 3 || undefined;
      },
      10_000,
    );

    const dee = await join('Dee', four!.url);
    const eve = await join('Eve', three!.url);
    assert.deepEqual(
      eve.lastJoin!.participants.map((p) => p.name),
      ['Ada', 'Bob', 'Cy', 'Dee', 'Eve'],
    );
    assert.equal(dee.lastJoin!.resumed, false);
    assert.deepEqual(
      dee.lastJoin!.streams.map((s) => s.streamId),
      [publishGrant.streamId],
      'the newcomer sees the live stream',
    );
    for (const name of ['Ada', 'Bob', 'Cy']) {
      const before = name === 'Cy' ? 1 : 2;
      assert.equal(
        people.get(name)!.reconnections.length,
        before,
        `${name} was not disconnected by the restart`,
      );
    }
    assert.equal(people.get('Bob')!.of('streamMoved').length, 0, 'no stream was moved');
    for (const controller of [three!, four!]) {
      // Every node vanished from Redis with the restart, until its next heartbeat: none was taken for dead.
      assert.doesNotMatch(controller.process.output, /media node lost/, controller.process.name);
    }
    const gap = longestGap(arrivals, restartedAt, Date.now());
    assert.ok(gap < 500, `media to Bob paused ${gap} ms across the Redis restart`);
    t.diagnostic(
      `Redis restart: down ${backAt - restartedAt} ms; room snapshot back ${snapshotBackAt - backAt} ms after Redis; longest media gap at Bob ${gap} ms`,
    );
  });

  it('a controller that only pipes is SIGKILLed: its clients reconnect to the home and resume at once', async (t) => {
    const [, , three, four] = controllers;
    assert.equal(await homeUrl(), three!.url);
    const dee = people.get('Dee')!;
    const before = dee.reconnections.length;
    const killedAt = Date.now();
    await four!.process.stop('SIGKILL');
    const reconnection = await waitFor(
      'Dee to resume',
      () =>
        dee.reconnections.length > before && dee.reconnections.at(-1)!.resumedAt
          ? dee.reconnections.at(-1)
          : undefined,
      10_000,
    );
    assert.equal(reconnection.resumed, true);
    assert.equal(dee.lastJoin!.self.participantId, firstIds.get('Dee'));
    assert.equal(await homeUrl(), three!.url, 'the room never moved');
    for (const name of ['Ada', 'Bob', 'Cy', 'Eve']) {
      const last = people.get(name)!.reconnections.at(-1);
      assert.ok(!last || last.droppedAt < killedAt, `${name}, served by the home, was not disturbed`);
    }
    t.diagnostic(
      `piping controller SIGKILL: its client resumed after ${reconnection.resumedAt! - killedAt} ms`,
    );
  });

  it('everyone leaves: the OTMs close on the nodes, the room’s snapshot and lease are gone', async () => {
    const [, , three] = controllers;
    await endSessions(viewer!, publisher!);
    viewer = undefined;
    publisher = undefined;
    await attendance.leaveAll();
    await cluster.otmsClosed(three!.url);
    await cluster.roomForgotten(ROOM);
    const rooms = await api<{ rooms: RoomView[] }>(cluster.balancerUrl, '/api/v1/rooms');
    assert.deepEqual(rooms.body.rooms, []);
  });
});
