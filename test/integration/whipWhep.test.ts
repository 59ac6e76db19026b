import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PublishResponse, RoomView, SubscribeResponse } from '../../src/protocol/httpApi.ts';
import type { EmbeddedCluster } from '../../src/start/EmbeddedCluster.ts';
import { api, startTestCluster, stopTestCluster, waitFor } from '../support/startTestCluster.ts';
import {
  createWeriftPeer,
  endSession,
  MediaStreamTrack,
  negotiate,
  startSyntheticMedia,
} from '../support/weriftPeer.ts';

describe('WHIP publish → WHEP subscribe through controller and nodes (werift peers)', () => {
  let cluster: EmbeddedCluster;

  before(async () => {
    cluster = await startTestCluster();
  });

  after(() => stopTestCluster(cluster));

  it('forwards a published stream to two WHEP viewers with identical payloads', async () => {
    const published = await api<PublishResponse>(cluster, 'POST', '/api/v1/publish', {
      room: 'demo',
      participant: 'obs',
    });
    assert.equal(published.status, 201, JSON.stringify(published.body));
    const publisher = createWeriftPeer();
    const video = new MediaStreamTrack({ kind: 'video' });
    const audio = new MediaStreamTrack({ kind: 'audio' });
    publisher.addTransceiver(audio, { direction: 'sendonly' });
    publisher.addTransceiver(video, { direction: 'sendonly' });
    const publisherResource = await negotiate(publisher, published.body.whipUrl, published.body.token);
    await waitFor('publisher connected', () => publisher.connectionState === 'connected' || undefined);
    const media = startSyntheticMedia(video, audio);

    const view = await waitFor('stream live', async () => {
      const room = await api<RoomView>(cluster, 'GET', '/api/v1/rooms/demo');
      return room.body.streams?.length === 1 ? room.body : undefined;
    });
    const streamId = view.streams[0]!.streamId;

    const viewers = await Promise.all(
      [1, 2].map(async () => {
        const grant = await api<SubscribeResponse>(cluster, 'POST', '/api/v1/subscribe', {
          room: 'demo',
          streamId,
        });
        assert.equal(grant.status, 201);
        const pc = createWeriftPeer();
        pc.addTransceiver('audio', { direction: 'recvonly' });
        pc.addTransceiver('video', { direction: 'recvonly' });
        const received = { video: 0, audio: 0, payloadOk: true };
        pc.onTrack.subscribe((track) => {
          track.onReceiveRtp.subscribe((rtp) => {
            if (track.kind === 'video') {
              received.video++;
              if (rtp.payload.length !== 1000 || rtp.payload[5] !== rtp.payload[999])
                received.payloadOk = false;
            } else received.audio++;
          });
        });
        const resource = await negotiate(pc, grant.body.whepUrl, grant.body.token);
        return { pc, received, resource, token: grant.body.token };
      }),
    );
    await waitFor(
      'viewers receive video and audio',
      () => viewers.every((v) => v.received.video > 50 && v.received.audio > 50) || undefined,
      15_000,
    );
    for (const viewer of viewers) assert.ok(viewer.received.payloadOk, 'payload bytes changed in forwarding');

    // Operators see the load on /metrics, including how long the workers' event loops made packets wait.
    const metrics = await waitFor('the nodes to report forwarding', async () => {
      const text = await (await fetch(`${cluster.controller.url}/metrics`)).text();
      return /dotm_node_packets_out_per_second\{[^}]*\} [1-9]/.test(text) ? text : undefined;
    });
    assert.match(metrics, /dotm_node_subscribers\{[^}]*\} 2/);
    assert.match(metrics, /dotm_node_event_loop_delay_p99_ms\{[^}]*\} \d+(\.\d+)?/);
    // The NACK caches' memory, and how long they keep packets (1 s until the viewers report their RTT).
    assert.match(metrics, /dotm_node_nack_cache_bytes\{[^}]*\} [1-9]\d*/);
    assert.match(metrics, /dotm_node_nack_retention_max_ms\{[^}]*\} (1000|[2-9]\d\d)\b/);

    media.stop();
    await Promise.all(viewers.map((v) => endSession(v.pc, v.resource, v.token)));
    await endSession(publisher, publisherResource, published.body.token);
  });
});
