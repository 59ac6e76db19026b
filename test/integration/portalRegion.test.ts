/**
 * Meetings placed by region: a controller with the region-aware policy and media nodes in three
 * regions (eu, us near eu, ap far), the BigBlueButton portal in front. A tenant in eu gets its
 * users' streams in eu; a user whose join call names a region gets theirs there; when eu is full
 * the streams spill to the nearest region with room (us), not to any region.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemoryClusterBus } from '../../src/cluster/memory/MemoryClusterBus.ts';
import { MemoryClusterState } from '../../src/cluster/memory/MemoryClusterState.ts';
import type { DotmConfig } from '../../src/config/DotmConfig.ts';
import { loadConfig } from '../../src/config/loadConfig.ts';
import { Controller } from '../../src/controller/Controller.ts';
import type { Database } from '../../src/db/Database.ts';
import { TenantRepository } from '../../src/db/TenantRepository.ts';
import { quietLogger } from '../../src/log/Logger.ts';
import { NodeAgent } from '../../src/node/NodeAgent.ts';
import type { RoomView } from '../../src/protocol/httpApi.ts';
import { controllerExtensions, openConfiguredDatabase, preparePortal } from '../../src/start/portalSetup.ts';
import { bbbCall, SignallingMember, xmlTag } from '../support/portalClient.ts';
import { processAlive } from '../support/processTree.ts';
import { openUdpSockets, waitFor } from '../support/startTestCluster.ts';

const SECRET = 'region-tenant-secret-0123456789';
const API_KEY = 'region-test-key';
const CLUSTER_SECRET = 'region-test-cluster-secret';

describe('meetings placed by region, spilling to the nearest region when theirs is full', () => {
  const state = new MemoryClusterState();
  const bus = new MemoryClusterBus();
  const nodes: NodeAgent[] = [];
  const members: SignallingMember[] = [];
  let controller: Controller | undefined;
  let db: Database;

  const config = (overrides: Record<string, unknown>): DotmConfig =>
    loadConfig({
      env: {},
      overrides: {
        cluster: { secret: CLUSTER_SECRET },
        controller: {
          port: 0,
          listenHost: '127.0.0.1',
          apiKeys: [API_KEY],
          placementPolicy: 'region-aware',
          regionDistances: { eu: { us: 1, ap: 5 } },
        },
        node: { workers: 1, listenHost: '127.0.0.1', rtcListenIp: '127.0.0.1' },
        database: { sqlitePath: ':memory:' },
        ...overrides,
      } as NonNullable<Parameters<typeof loadConfig>[0]>['overrides'],
    });

  before(async () => {
    const base = config({});
    db = await openConfiguredDatabase(base);
    await new TenantRepository(db).create({ name: 'uni-eu', region: 'eu', secrets: [SECRET] });
    // eu is small: one OTM being set up (counted as 1500 packets/s until the node reports it) fills it.
    for (const [region, maxPacketsPerSecond] of [
      ['eu', 1000],
      ['us', 0],
      ['ap', 0],
    ] as const) {
      const nodeConfig = config({
        node: {
          id: `node-${region}`,
          region,
          port: 0,
          workers: 1,
          listenHost: '127.0.0.1',
          rtcListenIp: '127.0.0.1',
          maxPacketsPerSecond,
        },
      });
      nodes.push(
        await NodeAgent.start({
          config: nodeConfig,
          clusterState: state,
          clusterBus: bus,
          tokenSecret: `${CLUSTER_SECRET}:media`,
          log: quietLogger(),
        }),
      );
    }
    const portal = await preparePortal(
      base,
      db,
      CLUSTER_SECRET,
      [API_KEY],
      () => controller?.url ?? '',
      quietLogger(),
    );
    controller = await Controller.start({
      config: base,
      clusterState: state,
      clusterBus: bus,
      tokenSecret: `${CLUSTER_SECRET}:media`,
      apiKeys: [API_KEY],
      log: quietLogger(),
      extend: controllerExtensions(base, db, state, [API_KEY], portal, quietLogger()),
    });
    await waitFor('three nodes reported', async () =>
      (await state.listNodes()).length === 3 ? true : undefined,
    );
  });

  after(async () => {
    for (const member of members) member.close();
    const workerPids = nodes.flatMap((n) => n.workerPids);
    await waitFor('every OTM closed', () => nodes.every((n) => n.otmCount === 0) || undefined, 10_000).catch(
      () => undefined,
    );
    await controller?.close();
    await db?.close();
    await Promise.all(nodes.map((n) => n.close()));
    await bus.close();
    await state.close();
    for (const pid of workerPids) assert.equal(processAlive(pid), false, `worker ${pid} left running`);
    await waitFor('UDP sockets closed', () => openUdpSockets() === 0 || undefined, 5_000);
  });

  it('the tenant’s region first, the user’s own when the join call names one, the nearest when full', async () => {
    const url = controller!.url;
    const created = await bbbCall(url, SECRET, 'create', { meetingID: 'seminar', name: 'Seminar' });
    assert.equal(xmlTag(created.xml, 'returncode'), 'SUCCESS', created.xml);
    const room = xmlTag(created.xml, 'internalMeetingID')!;
    const enter = async (fullName: string, extra: Record<string, string> = {}) => {
      const join = await bbbCall(url, SECRET, 'join', {
        meetingID: 'seminar',
        fullName,
        role: 'VIEWER',
        ...extra,
      });
      assert.equal(join.status, 302, join.xml);
      const member = await SignallingMember.followJoinLink(url, join.location!);
      members.push(member);
      return member;
    };
    const ada = await enter('Ada'); // no region given: the tenant's, eu
    const carol = await enter('Carol', { 'userdata-region': 'eu' });
    const bob = await enter('Bob', { region: 'ap' });

    try {
      // Ada and Carol publish at the same moment: eu takes one, then it is full.
      const published = await Promise.all(
        [ada, carol, bob].map((member) =>
          member.request({ type: 'publish', kind: 'camera', audio: true, video: true }),
        ),
      );
      for (const answer of published) assert.equal(answer.ok, true, JSON.stringify(answer));

      const view = await fetch(`${url}/api/v1/rooms/${encodeURIComponent(room)}`, {
        headers: { Authorization: `Bearer ${API_KEY}` },
      }).then((r) => r.json() as Promise<RoomView>);
      const nodeOf = (member: SignallingMember) =>
        view.streams.find((s) => s.participantId === member.participantId)?.nodeId;
      assert.deepEqual(
        [nodeOf(ada), nodeOf(carol)].sort(),
        ['node-eu', 'node-us'],
        'one in eu, the other in the nearest region (us), not the far one (ap)',
      );
      assert.equal(nodeOf(bob), 'node-ap', 'Bob’s join call said he is in ap');
    } finally {
      for (const member of [ada, carol, bob]) await member.request({ type: 'leave' });
    }
  });
});
