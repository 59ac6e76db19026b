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
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { NodeReport } from '../../src/cluster/NodeReport.ts';
import type { NodeOtmList } from '../../src/cluster/OtmListing.ts';
import { RedisRoomDirectory } from '../../src/cluster/redis/RedisRoomDirectory.ts';
import type { RoomSnapshot } from '../../src/controller/rooms/RoomSnapshot.ts';
import type { RoomView } from '../../src/protocol/httpApi.ts';
import type { MediaGrant } from '../../src/protocol/roomSignalling.ts';
import { ClusterAuth } from '../../src/security/ClusterAuth.ts';
import {
  type ClusterEnv,
  controllerReady,
  type DotmProcess,
  spawnController,
  spawnNode,
} from '../support/clusterProcesses.ts';
import { LoadBalancer } from '../support/loadBalancer.ts';
import { RedisServer } from '../support/redisServer.ts';
import { openUdpSockets, waitFor } from '../support/startTestCluster.ts';
import {
  createWeriftPeer,
  endSession,
  MediaStreamTrack,
  negotiate,
  startSyntheticMedia,
} from '../support/weriftPeer.ts';
import { WsParticipant } from '../support/wsParticipant.ts';

const ROOM = 'failover';
const REDIS_DOWNTIME_MS = 2000;
const NODES = [
  { nodeId: 'media-a', address: '127.0.0.2' },
  { nodeId: 'media-b', address: '127.0.0.3' },
  { nodeId: 'media-c', address: '127.0.0.4' },
];

async function api<T>(baseUrl: string, key: string, path: string): Promise<{ status: number; body: T }> {
  const response = await fetch(new URL(path, baseUrl), { headers: { Authorization: `Bearer ${key}` } });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
}

/** The longest silence between consecutive packets whose arrival falls in [from, to]. */
function longestGap(arrivals: number[], from: number, to: number): number {
  let gap = 0;
  for (let i = 1; i < arrivals.length; i++) {
    if (arrivals[i]! < from || arrivals[i - 1]! > to) continue;
    gap = Math.max(gap, arrivals[i]! - arrivals[i - 1]!);
  }
  return gap;
}

describe('two controllers, one cluster: join through either, survive a Redis restart and a SIGKILLed home', () => {
  let redis: RedisServer;
  let env: ClusterEnv;
  let directory: RedisRoomDirectory;
  const nodes: DotmProcess[] = [];
  const controllers: Array<{ process: DotmProcess; url: string }> = [];
  let balancer: LoadBalancer;
  const people = new Map<string, WsParticipant>();
  const firstIds = new Map<string, string>();
  let publisher: ReturnType<typeof createWeriftPeer> | undefined;
  let publisherResource = '';
  let publishGrant: MediaGrant;
  let media: ReturnType<typeof startSyntheticMedia> | undefined;
  let viewer: ReturnType<typeof createWeriftPeer> | undefined;
  let viewerResource = '';
  let viewGrant: MediaGrant;
  const arrivals: number[] = [];

  /** The controller (by URL) the directory names as the room's home. */
  async function homeUrl(): Promise<string | undefined> {
    const holder = await directory.home(ROOM);
    const presence = (await directory.listControllers()).find((c) => c.controllerId === holder);
    return presence?.internalUrl;
  }

  async function join(name: string, via: string): Promise<WsParticipant> {
    const participant = new WsParticipant(name, ROOM, balancer.url);
    people.set(name, participant);
    const result = await participant.join(via);
    firstIds.set(name, result.self.participantId);
    return participant;
  }

  before(async () => {
    redis = await RedisServer.start();
    env = { redisUrl: redis.url, secret: randomBytes(24).toString('hex'), apiKey: 'test-key' };
    directory = new RedisRoomDirectory({ url: redis.url, keyPrefix: 'dotm:' });
    for (const { nodeId, address } of NODES) nodes.push(spawnNode(env, nodeId, address));
    controllers.push(await spawnController(env, '127.0.0.11'), await spawnController(env, '127.0.0.12'));
    await Promise.all(controllers.map((c) => controllerReady(c.url)));
    balancer = await LoadBalancer.fromUrls(controllers.map((c) => c.url));
    await waitFor(
      'three nodes and two controllers registered',
      async () => {
        const listed = await api<{ nodes: NodeReport[] }>(controllers[0]!.url, env.apiKey, '/api/v1/nodes');
        const presences = await directory.listControllers();
        return (listed.body.nodes?.length === 3 && presences.length === 2) || undefined;
      },
      20_000,
    );
  });

  after(async () => {
    media?.stop();
    for (const person of people.values()) person.close();
    await viewer?.close();
    await publisher?.close();
    await balancer?.close();
    const alive = [...controllers.map((c) => c.process), ...nodes].filter((p) => p.alive);
    const codes = await Promise.all(alive.map((p) => p.stop()));
    await directory?.close();
    await redis?.stop();
    for (const [i, code] of codes.entries()) {
      assert.equal(code, 0, `${alive[i]!.name} did not exit cleanly:\n${alive[i]!.output.slice(-3000)}`);
    }
    await waitFor('UDP sockets closed', () => openUdpSockets() === 0 || undefined, 5000);
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
    publisher = createWeriftPeer();
    const video = new MediaStreamTrack({ kind: 'video' });
    const audio = new MediaStreamTrack({ kind: 'audio' });
    publisher.addTransceiver(audio, { direction: 'sendonly' });
    publisher.addTransceiver(video, { direction: 'sendonly' });
    publisherResource = await negotiate(publisher, publishGrant.url, publishGrant.token);
    media = startSyntheticMedia(video, audio);

    const added = await waitFor('streamAdded at Bob', () =>
      bob.of('streamAdded').find((m) => m.stream.streamId === publishGrant.streamId),
    );
    assert.equal(added.stream.participantId, firstIds.get('Ada'));
    viewGrant = await bob.request('subscribe', { streamId: publishGrant.streamId });
    viewer = createWeriftPeer();
    viewer.addTransceiver('audio', { direction: 'recvonly' });
    viewer.addTransceiver('video', { direction: 'recvonly' });
    viewer.onTrack.subscribe((track) => {
      if (track.kind === 'video') track.onReceiveRtp.subscribe(() => arrivals.push(Date.now()));
    });
    viewerResource = await negotiate(viewer, viewGrant.url, viewGrant.token);
    await waitFor('video at Bob', () => arrivals.length > 30 || undefined, 15_000);

    // The HTTP API answers the same through either controller: the non-home one forwards.
    for (const controller of controllers) {
      const view = await api<RoomView>(controller.url, env.apiKey, `/api/v1/rooms/${ROOM}`);
      assert.equal(view.status, 200, JSON.stringify(view.body));
      assert.deepEqual(
        view.body.participants.map((p) => p.name),
        ['Ada', 'Bob'],
      );
      assert.equal(view.body.streams[0]?.live, true);
    }
    const grant = await fetch(new URL('/api/v1/subscribe', two!.url), {
      method: 'POST',
      headers: { Authorization: `Bearer ${env.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ room: ROOM, streamId: publishGrant.streamId }),
    });
    const grantBody = (await grant.json()) as { whepUrl: string };
    assert.equal(grant.status, 201, JSON.stringify(grantBody));
    assert.equal(
      new URL(grantBody.whepUrl).host,
      new URL(viewGrant.url).host,
      'a WHEP grant on the OTM’s node',
    );
    const missing = await api<unknown>(two!.url, env.apiKey, '/api/v1/rooms/no-such-room');
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

    const resumed = await waitFor(
      'both to resume',
      () => {
        const done = [...people.values()].map((p) => p.reconnections.at(-1));
        return done.every((r) => r?.resumedAt !== undefined) ? done : undefined;
      },
      20_000,
    );
    await watchAdoption;
    for (const [name, person] of people) {
      const reconnection = person.reconnections.at(-1)!;
      assert.equal(reconnection.resumed, true, `${name} resumed`);
      assert.equal(
        person.lastJoin!.self.participantId,
        firstIds.get(name),
        `${name} is still the same participant`,
      );
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
    const room = await api<RoomView>(balancer.url, env.apiKey, `/api/v1/rooms/${ROOM}`);
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
    const three = await spawnController(env, '127.0.0.13');
    controllers.push(three);
    await controllerReady(three.url);
    balancer.setBackends([two!.url, three.url]);
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
    balancer.setBackends([three!.url, two!.url]);
    const stoppedAt = Date.now();
    assert.equal(await two!.process.stop('SIGTERM'), 0, two!.process.output.slice(-3000));
    const resumed = await waitFor(
      'everyone to resume',
      () => {
        const last = [...people.values()].map((p) => p.reconnections.at(-1));
        return last.every((r) => r !== undefined && r.droppedAt >= stoppedAt && r.resumedAt !== undefined)
          ? last
          : undefined;
      },
      15_000,
    );
    for (const [name, person] of people) {
      assert.equal(person.reconnections.at(-1)!.resumed, true, `${name} resumed`);
      assert.equal(person.lastJoin!.self.participantId, firstIds.get(name));
    }
    assert.equal(await homeUrl(), three!.url);
    assert.deepEqual(
      people.get('Bob')!.lastJoin!.streams.map((s) => s.streamId),
      [publishGrant.streamId],
    );
    const gap = longestGap(arrivals, stoppedAt, Date.now());
    assert.ok(gap < 500, `media to Bob paused ${gap} ms`);
    // Back to two controllers for what follows.
    const four = await spawnController(env, '127.0.0.14');
    controllers.push(four);
    await controllerReady(four.url);
    balancer.setBackends([three!.url, four.url]);
    t.diagnostic(
      `controller SIGTERM (hand-over): clients resumed after ${resumed.map((r) => r!.resumedAt! - stoppedAt).join(', ')} ms; longest media gap at Bob ${gap} ms`,
    );
  });

  it('Redis restarts mid-meeting: nobody notices, the room is restored in Redis, newcomers join through either controller', async (t) => {
    const [, , three, four] = controllers;
    const restartedAt = Date.now();
    // Down for two seconds, as a real restart would be: every node's heartbeat and every lease
    // renewal fails meanwhile, and Redis comes back empty (nothing persisted).
    await redis.kill();
    await new Promise((resolve) => setTimeout(resolve, REDIS_DOWNTIME_MS));
    await redis.restart();
    const backAt = Date.now();
    const snapshot = await waitFor(
      'the home to write the room’s snapshot again',
      async () => (await directory.loadSnapshot(ROOM).catch(() => undefined)) as RoomSnapshot | undefined,
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
        const listed = await api<{ nodes: NodeReport[] }>(four!.url, env.apiKey, '/api/v1/nodes');
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
    media?.stop();
    await endSession(viewer!, viewerResource, viewGrant.token);
    viewer = undefined;
    await endSession(publisher!, publisherResource, publishGrant.token);
    publisher = undefined;
    for (const person of people.values()) await person.leave();
    const auth = new ClusterAuth(env.secret);
    const nodeUrls = (
      await api<{ nodes: NodeReport[] }>(three!.url, env.apiKey, '/api/v1/nodes')
    ).body.nodes.map((n) => n.url);
    await waitFor(
      'every OTM closed on the nodes',
      async () => {
        const lists = await Promise.all(
          nodeUrls.map(async (url) => {
            const response = await fetch(new URL('/internal/otms', url), {
              headers: { Authorization: auth.header() },
            });
            return (await response.json()) as NodeOtmList;
          }),
        );
        return lists.every((list) => list.otms.length === 0) || undefined;
      },
      10_000,
    );
    await waitFor(
      'the snapshot deleted',
      async () => (await directory.loadSnapshot(ROOM)) === undefined || undefined,
    );
    await waitFor('the lease released', async () => (await directory.home(ROOM)) === undefined || undefined);
    const rooms = await api<{ rooms: RoomView[] }>(balancer.url, env.apiKey, '/api/v1/rooms');
    assert.deepEqual(rooms.body.rooms, []);
  });
});
