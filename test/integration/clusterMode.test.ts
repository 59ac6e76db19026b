import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NodeReport } from '../../src/cluster/NodeReport.ts';
import type { PublishResponse, RoomView, SubscribeResponse } from '../../src/protocol/httpApi.ts';
import { PostgresServer } from '../support/postgresServer.ts';
import type { ControllerProcess } from '../support/processCluster.ts';
import { ProcessCluster } from '../support/processCluster.ts';
import { waitFor } from '../support/startTestCluster.ts';
import { endSessions, publishSynthetic, receiveVideo } from '../support/weriftPeer.ts';

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
  let postgres: PostgresServer;
  let cluster: ProcessCluster;
  let env: ProcessCluster['env'];
  let controller: ControllerProcess;

  before(async () => {
    postgres = await PostgresServer.start();
    cluster = await ProcessCluster.start({
      apiKey: 'test-key',
      nodes: [
        { nodeId: 'media-a', address: '127.0.0.2' },
        { nodeId: 'media-b', address: '127.0.0.3' },
      ],
      controllers: [
        {
          host: '127.0.0.1',
          env: {
            DOTM_DATABASE_ENGINE: 'postgres',
            DOTM_DATABASE_POSTGRES_URL: await postgres.createDatabase('dotm'),
            DOTM_STATS_SAMPLE_INTERVAL_MS: '1000',
            // Only one controller here, so nothing is relayed to this address: it is only announced.
            DOTM_CONTROLLER_INTERNAL_URL: 'http://controller-1.internal.test:8080',
          },
        },
      ],
      loadBalancer: false,
    });
    ({ env } = cluster);
    controller = cluster.controllers[0]!;
  });

  after(async () => {
    const problems = (await cluster?.stop()) ?? [];
    await postgres?.stop();
    assert.deepEqual(problems, [], problems.join('\n'));
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
    const publisher = await publishSynthetic(published.body.whipUrl, published.body.token);
    const view = await waitFor('stream live', async () => {
      const room = await call<RoomView>(`${controller.url}/api/v1/rooms/cluster`, env.apiKey, 'GET');
      return room.body.streams?.length === 1 ? room.body : undefined;
    });
    const grant = await call<SubscribeResponse>(`${controller.url}/api/v1/subscribe`, env.apiKey, 'POST', {
      room: 'cluster',
      streamId: view.streams[0]!.streamId,
    });
    assert.equal(grant.status, 201, JSON.stringify(grant.body));
    let videoPackets = 0;
    const viewer = await receiveVideo(grant.body.whepUrl, grant.body.token, () => videoPackets++);
    await waitFor('video at the viewer', () => videoPackets > 30 || undefined, 15_000);
    await endSessions(viewer, publisher);
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
