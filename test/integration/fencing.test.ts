/**
 * Fencing a controller partitioned from Redis (issue 4): two controllers serve one cluster; the
 * first reaches Redis through a TCP proxy that the test cuts, for that controller only, while its
 * clients can still reach it. Past its lease it must stop acting as the room's home (its clients
 * are told to reconnect; through the load balancer they reach the other controller, which adopts
 * the room from its snapshot and carries the OTMs on), and when the partition heals its late
 * snapshot writes must bounce off the lease instead of landing over the adopter's. The cut drops
 * the traffic (connections stay open, nothing answers); a cut that resets the connections instead
 * (`proxy.cut('reset')`) behaves the same (checked by hand: fenced 2.7 s after the cut).
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
import { TcpProxy } from '../support/tcpProxy.ts';
import {
  createWeriftPeer,
  endSession,
  MediaStreamTrack,
  negotiate,
  startSyntheticMedia,
} from '../support/weriftPeer.ts';
import { WsParticipant } from '../support/wsParticipant.ts';

const ROOM = 'fenced';
const NODES = [
  { nodeId: 'media-a', address: '127.0.0.2' },
  { nodeId: 'media-b', address: '127.0.0.3' },
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

/** When a process first logged a JSON record with this message at or after `since`. */
function loggedAt(process: DotmProcess, msg: string, since: number): number | undefined {
  for (const line of process.output.split('\n')) {
    if (!line.startsWith('{') || !line.includes(msg)) continue;
    try {
      const record = JSON.parse(line) as { time?: string; msg?: string };
      const at = Date.parse(record.time ?? '');
      if (record.msg === msg && at >= since) return at;
    } catch {
      // Not a log record.
    }
  }
  return undefined;
}

describe('a controller cut off from Redis past its lease stops acting as home; the room goes on at another', () => {
  let redis: RedisServer;
  let proxy: TcpProxy;
  let env: ClusterEnv;
  let directory: RedisRoomDirectory;
  const nodes: DotmProcess[] = [];
  let one: { process: DotmProcess; url: string };
  let two: { process: DotmProcess; url: string };
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
  let cutAt = 0;
  let adoptedSnapshot: RoomSnapshot | undefined;

  async function homeUrl(): Promise<string | undefined> {
    const holder = await directory.home(ROOM);
    const presence = (await directory.listControllers()).find((c) => c.controllerId === holder);
    return presence?.internalUrl;
  }

  /** A first join through the load balancer: a controller that cannot serve says so, the client asks again. */
  async function join(name: string, via: string): Promise<WsParticipant> {
    for (let attempt = 1; ; attempt++) {
      const participant = new WsParticipant(name, ROOM, balancer.url);
      try {
        const result = await participant.join(via);
        people.set(name, participant);
        firstIds.set(name, result.self.participantId);
        return participant;
      } catch (error) {
        participant.close();
        if (attempt >= 5) throw error;
      }
    }
  }

  before(async () => {
    redis = await RedisServer.start();
    proxy = await TcpProxy.listen(redis.port);
    env = { redisUrl: redis.url, secret: randomBytes(24).toString('hex'), apiKey: 'fencing-key' };
    directory = new RedisRoomDirectory({ url: redis.url, keyPrefix: 'dotm:' });
    for (const { nodeId, address } of NODES) nodes.push(spawnNode(env, nodeId, address));
    // The first controller reaches Redis only through the proxy: the test can cut it off alone.
    one = await spawnController({ ...env, redisUrl: `redis://127.0.0.1:${proxy.port}` }, '127.0.0.11');
    two = await spawnController(env, '127.0.0.12');
    await Promise.all([one, two].map((c) => controllerReady(c.url)));
    balancer = await LoadBalancer.fromUrls([one.url, two.url]);
    await waitFor(
      'two nodes and two controllers registered',
      async () => {
        const listed = await api<{ nodes: NodeReport[] }>(one.url, env.apiKey, '/api/v1/nodes');
        const presences = await directory.listControllers();
        return (listed.body.nodes?.length === NODES.length && presences.length === 2) || undefined;
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
    proxy?.mend();
    const alive = [one?.process, two?.process, ...nodes].filter((p) => p?.alive) as DotmProcess[];
    const codes = await Promise.all(alive.map((p) => p.stop()));
    await directory?.close();
    await proxy?.close();
    await redis?.stop();
    for (const [i, code] of codes.entries()) {
      assert.equal(code, 0, `${alive[i]!.name} did not exit cleanly:\n${alive[i]!.output.slice(-3000)}`);
    }
    await waitFor('UDP sockets closed', () => openUdpSockets() === 0 || undefined, 5000);
  });

  it('Ada and Bob meet at the first controller; Ada publishes, Bob receives', async () => {
    const ada = await join('Ada', one.url);
    const bob = await join('Bob', one.url);
    assert.equal(await homeUrl(), one.url);
    publishGrant = await ada.request('publish', { kind: 'camera', audio: true, video: true });
    publisher = createWeriftPeer();
    const video = new MediaStreamTrack({ kind: 'video' });
    const audio = new MediaStreamTrack({ kind: 'audio' });
    publisher.addTransceiver(audio, { direction: 'sendonly' });
    publisher.addTransceiver(video, { direction: 'sendonly' });
    publisherResource = await negotiate(publisher, publishGrant.url, publishGrant.token);
    media = startSyntheticMedia(video, audio);
    await waitFor('streamAdded at Bob', () =>
      bob.of('streamAdded').find((m) => m.stream.streamId === publishGrant.streamId),
    );
    viewGrant = await bob.request('subscribe', { streamId: publishGrant.streamId });
    viewer = createWeriftPeer();
    viewer.addTransceiver('audio', { direction: 'recvonly' });
    viewer.addTransceiver('video', { direction: 'recvonly' });
    viewer.onTrack.subscribe((track) => {
      if (track.kind === 'video') track.onReceiveRtp.subscribe(() => arrivals.push(Date.now()));
    });
    viewerResource = await negotiate(viewer, viewGrant.url, viewGrant.token);
    await waitFor('video at Bob', () => arrivals.length > 30 || undefined, 15_000);
  });

  it('the home is cut off from Redis: past its lease it fences itself, everyone resumes at the other controller, media never stops', async (t) => {
    const ada = people.get('Ada')!;
    cutAt = Date.now();
    // Packets dropped, connections left open (a dead link): Redis commands get no answer at all.
    proxy.cut('blackhole');
    // A change at the cut-off home: it cannot be written now, and must never be written later.
    await ada.request('chat', { text: 'said while the home was cut off' });

    const resumed = await waitFor(
      'Ada and Bob to resume elsewhere',
      () => {
        const last = [...people.values()].map((p) => p.reconnections.at(-1));
        return last.every((r) => r !== undefined && r.droppedAt >= cutAt && r.resumedAt !== undefined)
          ? last
          : undefined;
      },
      20_000,
    );
    for (const [name, person] of people) {
      assert.equal(person.reconnections.at(-1)!.resumed, true, `${name} resumed`);
      assert.equal(
        person.lastJoin!.self.participantId,
        firstIds.get(name),
        `${name} is the same participant`,
      );
    }
    await waitFor(
      'the other controller homes the room',
      async () => (await homeUrl()) === two.url || undefined,
    );
    const fencedAt = loggedAt(
      one.process,
      'room directory unreachable for longer than a lease: this controller stops homing rooms until it answers again',
      cutAt,
    );
    assert.ok(fencedAt, `the cut-off controller never fenced itself:\n${one.process.output.slice(-3000)}`);
    assert.ok(
      fencedAt - cutAt < 4_000,
      `fenced ${fencedAt - cutAt} ms after the cut (its lease is 3 s from its last renewal)`,
    );
    assert.ok(proxy.cutOff, 'the first controller is still cut off');
    // A load balancer's health check takes it out of rotation, and /metrics says why.
    const health = await fetch(new URL('/health', one.url));
    assert.equal(health.status, 503, 'a fenced controller is not healthy');
    const metrics = await (await fetch(new URL('/metrics', one.url))).text();
    assert.match(metrics, /^dotm_controller_fenced 1$/m);
    assert.match(metrics, /^dotm_controller_fencings_total 1$/m);
    assert.match(metrics, /^dotm_cluster_state_up 0$/m, 'it says it could not list the nodes');

    const room = await api<RoomView>(two.url, env.apiKey, `/api/v1/rooms/${ROOM}`);
    assert.equal(room.status, 200);
    assert.deepEqual(room.body.participants.map((p) => p.name).sort(), ['Ada', 'Bob']);
    assert.deepEqual(
      room.body.streams.map((s) => [s.streamId, s.live]),
      [[publishGrant.streamId, true]],
      'the OTM carried on: the adopter found it on its node',
    );
    await waitFor('more video at Bob', () => (arrivals.at(-1)! > Date.now() - 200 ? true : undefined), 5_000);
    const gap = longestGap(arrivals, cutAt, Date.now());
    assert.ok(gap < 500, `media to Bob paused ${gap} ms`);

    const resumeMs = resumed.map((r) => r!.resumedAt! - cutAt);
    t.diagnostic(
      `cut at 0: fenced after ${fencedAt - cutAt} ms; clients resumed at the other controller after ${resumeMs.join(', ')} ms ` +
        `(attempts ${resumed.map((r) => r!.attempts).join(', ')}); longest media gap at Bob ${gap} ms`,
    );
  });

  it('while the first controller is still cut off, a newcomer through the load balancer joins the room', async () => {
    const carol = await join('Carol', balancer.url);
    assert.deepEqual(carol.lastJoin!.participants.map((p) => p.name).sort(), ['Ada', 'Bob', 'Carol']);
    assert.deepEqual(
      carol.lastJoin!.streams.map((s) => s.streamId),
      [publishGrant.streamId],
    );
    await people.get('Bob')!.request('chat', { text: 'welcome, Carol' });
    await waitFor(
      'Carol to get the chat',
      () => carol.of('chat').some((m) => m.message.text === 'welcome, Carol') || undefined,
    );
    adoptedSnapshot = await waitFor('the adopter’s snapshot with Carol', async () => {
      const snapshot = (await directory.loadSnapshot(ROOM)) as RoomSnapshot | undefined;
      return snapshot?.participants.some((p) => p.name === 'Carol') ? snapshot : undefined;
    });
  });

  it('the partition heals: the old home’s late write bounces off the lease, the adopter’s snapshot stands', async () => {
    const mendedAt = Date.now();
    proxy.mend();
    await waitFor(
      'the first controller to reach Redis again',
      () => loggedAt(one.process, 'room directory reachable again: homing rooms again', mendedAt),
      10_000,
    );
    await waitFor(
      'its queued write refused',
      () =>
        loggedAt(
          one.process,
          'room snapshot not written: this controller no longer holds the room’s lease',
          mendedAt,
        ),
      5_000,
    );
    // A few more lease beats on both sides.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.deepEqual(
      await directory.loadSnapshot(ROOM),
      adoptedSnapshot,
      'the adopter’s snapshot was overwritten',
    );
    assert.equal(await homeUrl(), two.url);
    assert.doesNotMatch(one.process.output, /room lease had lapsed/, 'the old home took the room back');
    assert.equal(
      (await fetch(new URL('/health', one.url))).status,
      200,
      'healthy again once it reaches Redis',
    );
    assert.match(
      await (await fetch(new URL('/metrics', one.url))).text(),
      /^dotm_snapshot_writes_refused_total [1-9]/m,
    );

    // Reachable again, the first controller serves clients again (piped to the room's home).
    const dee = await join('Dee', one.url);
    assert.deepEqual(dee.lastJoin!.participants.map((p) => p.name).sort(), ['Ada', 'Bob', 'Carol', 'Dee']);
  });

  it('everyone leaves: the OTM closes on its node, the room’s snapshot and lease are gone', async () => {
    media?.stop();
    await endSession(viewer!, viewerResource, viewGrant.token);
    viewer = undefined;
    await endSession(publisher!, publisherResource, publishGrant.token);
    publisher = undefined;
    for (const person of people.values()) await person.leave();
    const auth = new ClusterAuth(env.secret);
    const nodeUrls = (
      await api<{ nodes: NodeReport[] }>(two.url, env.apiKey, '/api/v1/nodes')
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
  });
});
