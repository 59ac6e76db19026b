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
import { after, before, describe, it } from 'node:test';
import type { RoomSnapshot } from '../../src/controller/rooms/RoomSnapshot.ts';
import type { RoomView } from '../../src/protocol/httpApi.ts';
import type { MediaGrant } from '../../src/protocol/roomSignalling.ts';
import type { DotmProcess } from '../support/clusterProcesses.ts';
import { Attendance, type ControllerProcess, longestGap, ProcessCluster } from '../support/processCluster.ts';
import { RedisServer } from '../support/redisServer.ts';
import { waitFor } from '../support/startTestCluster.ts';
import { TcpProxy } from '../support/tcpProxy.ts';
import {
  endSessions,
  publishSynthetic,
  receiveVideo,
  type SyntheticPublisher,
  type WeriftSession,
} from '../support/weriftPeer.ts';

const ROOM = 'fenced';
const NODES = [
  { nodeId: 'media-a', address: '127.0.0.2' },
  { nodeId: 'media-b', address: '127.0.0.3' },
];

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
  let proxy: TcpProxy;
  let cluster: ProcessCluster;
  let one: ControllerProcess;
  let two: ControllerProcess;
  const attendance = new Attendance(ROOM, () => cluster.balancerUrl, 5);
  const { people } = attendance;
  let publisher: SyntheticPublisher | undefined;
  let publishGrant: MediaGrant;
  let viewer: WeriftSession | undefined;
  let viewGrant: MediaGrant;
  const arrivals: number[] = [];
  let cutAt = 0;
  let adoptedSnapshot: RoomSnapshot | undefined;

  const homeUrl = () => cluster.homeUrl(ROOM);
  const join = (name: string, via: string) => attendance.join(name, via);

  before(async () => {
    const redis = await RedisServer.start();
    proxy = await TcpProxy.listen(redis.port);
    cluster = await ProcessCluster.start({
      redis,
      apiKey: 'fencing-key',
      nodes: NODES,
      // The first controller reaches Redis only through the proxy: the test can cut it off alone.
      controllers: [{ host: '127.0.0.11', redisUrl: `redis://127.0.0.1:${proxy.port}` }, '127.0.0.12'],
    });
    [one, two] = cluster.controllers as [ControllerProcess, ControllerProcess];
    await cluster.registered(one.url);
  });

  after(async () => {
    publisher?.media.stop();
    attendance.closeAll();
    await viewer?.pc.close();
    await publisher?.pc.close();
    proxy?.mend();
    const problems = (await cluster?.stop()) ?? [];
    await proxy?.close();
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  it('Ada and Bob meet at the first controller; Ada publishes, Bob receives', async () => {
    const ada = await join('Ada', one.url);
    const bob = await join('Bob', one.url);
    assert.equal(await homeUrl(), one.url);
    publishGrant = await ada.request('publish', { kind: 'camera', audio: true, video: true });
    publisher = await publishSynthetic(publishGrant.url, publishGrant.token);
    await waitFor('streamAdded at Bob', () =>
      bob.of('streamAdded').find((m) => m.stream.streamId === publishGrant.streamId),
    );
    viewGrant = await bob.request('subscribe', { streamId: publishGrant.streamId });
    viewer = await receiveVideo(viewGrant.url, viewGrant.token, () => arrivals.push(Date.now()));
    await waitFor('video at Bob', () => arrivals.length > 30 || undefined, 15_000);
  });

  it('the home is cut off from Redis: past its lease it fences itself, everyone resumes at the other controller, media never stops', async (t) => {
    const ada = people.get('Ada')!;
    cutAt = Date.now();
    // Packets dropped, connections left open (a dead link): Redis commands get no answer at all.
    proxy.cut('blackhole');
    // A change at the cut-off home: it cannot be written now, and must never be written later.
    await ada.request('chat', { text: 'said while the home was cut off' });

    const resumed = await attendance.resumedSince('Ada and Bob to resume elsewhere', cutAt, 20_000);
    attendance.assertResumedAsThemselves();
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

    const room = await cluster.api<RoomView>(`/api/v1/rooms/${ROOM}`, two.url);
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
    const carol = await join('Carol', cluster.balancerUrl);
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
      const snapshot = (await cluster.directory.loadSnapshot(ROOM)) as RoomSnapshot | undefined;
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
      await cluster.directory.loadSnapshot(ROOM),
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
    await endSessions(viewer!, publisher!);
    viewer = undefined;
    publisher = undefined;
    await attendance.leaveAll();
    await cluster.otmsClosed(two.url);
    await cluster.roomForgotten(ROOM);
  });
});
