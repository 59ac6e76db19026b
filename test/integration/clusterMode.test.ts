import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { NodeReport } from '../../src/cluster/NodeReport.ts';
import type { PublishResponse, RoomView, SubscribeResponse } from '../../src/protocol/httpApi.ts';
import {
  type ClusterEnv,
  type DotmProcess,
  spawnController,
  spawnNode,
} from '../support/clusterProcesses.ts';
import { PostgresServer } from '../support/postgresServer.ts';
import { RedisServer } from '../support/redisServer.ts';
import { openUdpSockets, waitFor } from '../support/startTestCluster.ts';
import {
  createWeriftPeer,
  endSession,
  MediaStreamTrack,
  negotiate,
  startSyntheticMedia,
} from '../support/weriftPeer.ts';

async function call<T>(url: string, key: string, method: string, body?: unknown) {
  const response = await fetch(url, {
    method,
    headers: {
      Authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
}

describe('cluster mode: dotm controller + dotm node processes over a real Redis', () => {
  let redis: RedisServer;
  let postgres: PostgresServer;
  let env: ClusterEnv;
  let controller: { process: DotmProcess; url: string };
  let nodes: DotmProcess[] = [];

  before(async () => {
    [redis, postgres] = await Promise.all([RedisServer.start(), PostgresServer.start()]);
    env = { redisUrl: redis.url, secret: randomBytes(24).toString('hex'), apiKey: 'test-key' };
    nodes = [spawnNode(env, 'media-a', '127.0.0.2'), spawnNode(env, 'media-b', '127.0.0.3')];
    controller = await spawnController(env, '127.0.0.1', {
      DOTM_DATABASE_ENGINE: 'postgres',
      DOTM_DATABASE_POSTGRES_URL: await postgres.createDatabase('dotm'),
      DOTM_STATS_SAMPLE_INTERVAL_MS: '1000',
      // Only one controller here, so nothing is relayed to this address: it is only announced.
      DOTM_CONTROLLER_INTERNAL_URL: 'http://controller-1.internal.test:8080',
    });
  });

  after(async () => {
    const diagnostics = [controller?.process, ...nodes].filter(Boolean).map((p) => p!);
    const codes = await Promise.all(diagnostics.map((p) => p.stop()));
    await Promise.all([redis.stop(), postgres.stop()]);
    for (const [i, code] of codes.entries()) {
      const role = diagnostics[i]!;
      assert.equal(code, 0, `${role.name} did not exit cleanly:\n${role.output.slice(-3000)}`);
    }
    assert.equal(openUdpSockets(), 0, 'UDP sockets left open in the test process');
  });

  it('sees both nodes, each at its own address', async () => {
    const reports = await waitFor(
      'both nodes registered',
      async () => {
        const listed = await call<{ nodes: NodeReport[] }>(
          `${controller.url}/api/v1/nodes`,
          env.apiKey,
          'GET',
        ).catch(() => undefined);
        return listed?.body.nodes?.length === 2 ? listed.body.nodes : undefined;
      },
      20_000,
    );
    const urls = reports.map((n) => new URL(n.url).hostname).sort();
    assert.deepEqual(urls, ['127.0.0.2', '127.0.0.3']);
  });

  it('publishes through the controller process and plays from a node process', async () => {
    const published = await call<PublishResponse>(`${controller.url}/api/v1/publish`, env.apiKey, 'POST', {
      room: 'cluster',
      participant: 'obs',
    });
    assert.equal(published.status, 201, JSON.stringify(published.body));
    assert.match(new URL(published.body.whipUrl).hostname, /^127\.0\.0\.[23]$/);
    const publisher = createWeriftPeer();
    const video = new MediaStreamTrack({ kind: 'video' });
    const audio = new MediaStreamTrack({ kind: 'audio' });
    publisher.addTransceiver(audio, { direction: 'sendonly' });
    publisher.addTransceiver(video, { direction: 'sendonly' });
    const publisherResource = await negotiate(publisher, published.body.whipUrl, published.body.token);
    const media = startSyntheticMedia(video, audio);
    const view = await waitFor('stream live', async () => {
      const room = await call<RoomView>(`${controller.url}/api/v1/rooms/cluster`, env.apiKey, 'GET');
      return room.body.streams?.length === 1 ? room.body : undefined;
    });
    const grant = await call<SubscribeResponse>(`${controller.url}/api/v1/subscribe`, env.apiKey, 'POST', {
      room: 'cluster',
      streamId: view.streams[0]!.streamId,
    });
    assert.equal(grant.status, 201, JSON.stringify(grant.body));
    const viewer = createWeriftPeer();
    viewer.addTransceiver('audio', { direction: 'recvonly' });
    viewer.addTransceiver('video', { direction: 'recvonly' });
    let videoPackets = 0;
    viewer.onTrack.subscribe((track) => {
      if (track.kind === 'video') track.onReceiveRtp.subscribe(() => videoPackets++);
    });
    const viewerResource = await negotiate(viewer, grant.body.whepUrl, grant.body.token);
    await waitFor('video at the viewer', () => videoPackets > 30 || undefined, 15_000);
    media.stop();
    await endSession(viewer, viewerResource, grant.body.token);
    await endSession(publisher, publisherResource, published.body.token);
    await waitFor('the room closed', async () => {
      const room = await call<RoomView>(`${controller.url}/api/v1/rooms/cluster`, env.apiKey, 'GET');
      return room.status === 404 || undefined;
    });
  });

  it('keeps the cluster’s history in the shared PostgreSQL: node load samples from both nodes', async () => {
    const live = await waitFor(
      'both nodes sampled',
      async () => {
        const answer = await call<{ nodes?: { nodeId: string }[] }>(
          `${controller.url}/api/v1/stats/nodes?from=-1h&bucket=60000`,
          env.apiKey,
          'GET',
        );
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        const ids = new Set((answer.body.nodes ?? []).map((n) => n.nodeId));
        return ids.has('media-a') && ids.has('media-b') ? answer.body : undefined;
      },
      15_000,
    );
    assert.ok(live.nodes!.length >= 2);
  });

  it('takes the internal URL other controllers reach it by from the configuration', async () => {
    await waitFor(
      'the controller ready',
      () => controller.process.output.includes('controller ready') || undefined,
    );
    assert.match(controller.process.output, /"internalUrl":"http:\/\/controller-1\.internal\.test:8080"/);
  });
});
