import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { PublishResponse, RoomView, SubscribeResponse } from '../../src/protocol/httpApi.ts';
import type { EmbeddedCluster } from '../../src/start/EmbeddedCluster.ts';
import { chromiumAvailable, launchChromium, noiseY4m } from '../support/chromium.ts';
import { api, startTestCluster, stopTestCluster, waitFor } from '../support/startTestCluster.ts';

/** What the seed paper's scenario asks of one camera: 2.5 Mbit/s reaching the viewers. */
const ENCODER_MAX_BITRATE_BPS = 2_500_000;
const REQUIRED_BITRATE_MBPS = 2;
/** Measured here: the publisher's target reaches 2.5 Mbit/s within ~3 s of the first frame; then we measure. */
const RAMP_UP_MS = 6_000;
const MEASURE_MS = 8_000;
/** DOTM_BITRATE_TRACE=1 prints the publisher's and viewer's figures every second (for tuning). */
const TRACE = process.env.DOTM_BITRATE_TRACE === '1';
/**
 * DOTM_BITRATE_LOSS=0.03 puts a relay between the publisher and the node that drops that share of
 * the publisher's large RTP datagrams (video), to watch NACK repair and the estimators under loss.
 * The threshold then no longer applies: the figures are printed, not asserted.
 */
const PUBLISHER_LOSS = Number(process.env.DOTM_BITRATE_LOSS ?? 0);

interface ViewerSample {
  at: number;
  bytesReceived: number;
  framesDecoded: number;
  packetsLost: number;
  nackCount: number;
  pliCount: number;
  firstFrameAt: number | undefined;
}

interface PublisherSample {
  bytesSent: number;
  targetBitrate: number;
  availableOutgoingBitrate: number;
  qualityLimitationReason: string;
  frameWidth: number;
  retransmittedPacketsSent: number;
  nackCount: number;
  pliCount: number;
  /** From the OTM's receiver reports, as the publisher's browser read them (remote-inbound-rtp). */
  reportedRoundTripMs: number | undefined;
  reportedFractionLost: number | undefined;
}

describe('a 2.5 Mbit/s camera published from Chromium reaches a Chromium viewer', {
  skip: chromiumAvailable() ? false : 'chromium is not installed',
}, () => {
  let cluster: EmbeddedCluster;
  let browser: Browser;
  let relay: LossyRelay | undefined;
  const pages: Page[] = [];

  before(async () => {
    const [started, launched] = await Promise.all([
      startTestCluster(),
      noiseY4m().then((file) => launchChromium({ fakeVideoFile: file })),
    ]);
    cluster = started;
    browser = launched;
  });

  after(async () => {
    // Also after a failed assertion: a publisher that never says goodbye keeps its OTM open for the
    // consent timeout, longer than stopTestCluster waits.
    await Promise.all(pages.map((page) => hangUp(page).catch(() => {})));
    relay?.close();
    await browser?.close();
    if (cluster) await stopTestCluster(cluster);
  });

  it('ramps up to at least 2 Mbit/s at the viewer', { timeout: 40_000 }, async () => {
    const origin = cluster.controller.url;
    const publisherPage = await (await browser.newContext()).newPage();
    const viewerPage = await (await browser.newContext()).newPage();
    pages.push(viewerPage, publisherPage);
    // Any page of the controller gives a secure (loopback) origin where getUserMedia works.
    await Promise.all([publisherPage.goto(`${origin}/health`), viewerPage.goto(`${origin}/health`)]);

    const published = await api<PublishResponse>(cluster, 'POST', '/api/v1/publish', {
      room: 'bitrate',
      participant: 'camera',
    });
    assert.equal(published.status, 201, JSON.stringify(published.body));

    if (PUBLISHER_LOSS > 0) {
      const lossy = new LossyRelay(PUBLISHER_LOSS);
      relay = lossy;
      await publisherPage.exposeFunction('dotmRelayPort', (nodePort: number) => lossy.start(nodePort));
    }
    const publishStartedAt = await publishCamera(publisherPage, published.body);
    const view = await waitFor('stream live', async () => {
      const room = await api<RoomView>(cluster, 'GET', '/api/v1/rooms/bitrate');
      return room.body.streams?.length === 1 ? room.body : undefined;
    });
    const grant = await api<SubscribeResponse>(cluster, 'POST', '/api/v1/subscribe', {
      room: 'bitrate',
      streamId: view.streams[0]!.streamId,
    });
    assert.equal(grant.status, 201, JSON.stringify(grant.body));
    await watch(viewerPage, grant.body);

    const firstFrame = await waitFor(
      'first decoded frame at the viewer',
      async () => (await viewerSample(viewerPage)).firstFrameAt,
      15_000,
    );
    const rampUntil = Date.now() + RAMP_UP_MS;
    while (Date.now() < rampUntil) await trace(publisherPage, viewerPage);
    const start = await viewerSample(viewerPage);
    const measureUntil = Date.now() + MEASURE_MS;
    while (Date.now() < measureUntil) await trace(publisherPage, viewerPage);
    const end = await viewerSample(viewerPage);

    const bitrateMbps = ((end.bytesReceived - start.bytesReceived) * 8) / ((end.at - start.at) * 1000);
    const publisher = await publisherSample(publisherPage);
    const result = {
      bitrateMbps: round(bitrateMbps, 2),
      // From the WHIP POST to the viewer's first frame; the viewer subscribes once the room lists the
      // stream, as a client does on streamAdded.
      timeToFirstFrameMs: Math.round(firstFrame - publishStartedAt),
      framesPerSecond: round(((end.framesDecoded - start.framesDecoded) * 1000) / (end.at - start.at), 1),
      packetsLost: end.packetsLost,
      viewerNacks: end.nackCount,
      viewerPlis: end.pliCount,
      publisherTargetMbps: round(publisher.targetBitrate / 1e6, 2),
      publisherEstimateMbps: round(publisher.availableOutgoingBitrate / 1e6, 2),
      reportedRoundTripMs: publisher.reportedRoundTripMs,
      publisherRetransmissions: publisher.retransmittedPacketsSent,
    };
    console.log(JSON.stringify(PUBLISHER_LOSS > 0 ? { ...result, relayDropped: relay?.dropped } : result));
    assert.ok(
      PUBLISHER_LOSS > 0 || bitrateMbps >= REQUIRED_BITRATE_MBPS,
      `the viewer received ${result.bitrateMbps} Mbit/s, want ≥ ${REQUIRED_BITRATE_MBPS}`,
    );
    // A round trip only exists when the browser matched our RR's LSR/DLSR to a Sender Report of its own.
    assert.ok(
      publisher.reportedRoundTripMs !== undefined && publisher.reportedRoundTripMs < 1000,
      `the publisher's browser saw no round trip from our receiver reports (${publisher.reportedRoundTripMs})`,
    );
    // And the other way: the viewer's browser names our forwarded SRs in its receiver reports, so the
    // OTM knows that viewer's round trip and keeps packets for NACKs for 3 of them (250 ms to 3 s),
    // instead of the 1 s kept while no viewer has reported. How many ms depends on the machine's load:
    // Chromium's loopback RTT read 50 ms on an idle machine; beside another Chromium test on two cores
    // a stalled event loop once made it read over a second (3 s kept).
    const withinBounds = (ms: number) => ms >= 250 && ms <= 3000;
    const fromReports = (ms: number) => withinBounds(ms) && ms !== 1000;
    let retentions: number[] = [];
    const metrics = await waitFor("the node to report a NACK retention from the viewer's RTT", async () => {
      const text = await (await fetch(`${origin}/metrics`)).text();
      retentions = [...text.matchAll(/^dotm_node_nack_retention_max_ms\{[^}]*\} (\d+)/gm)].map((m) =>
        Number(m[1]),
      );
      return retentions.some(fromReports) ? text : undefined;
    }).catch((error: Error) => {
      throw new Error(`${error.message}; the nodes reported ${JSON.stringify(retentions)} ms`);
    });
    assert.ok(
      retentions.every((ms) => ms === 0 || withinBounds(ms)),
      `retentions outside 250 ms to 3 s: ${JSON.stringify(retentions)}`,
    );
    assert.match(metrics, /dotm_node_nack_cache_bytes\{[^}]*\} [1-9]\d*/);
  });

  async function trace(publisherPage: Page, viewerPage: Page): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    if (!TRACE) return;
    const [publisher, viewer] = await Promise.all([publisherSample(publisherPage), viewerSample(viewerPage)]);
    console.log(JSON.stringify({ publisher, viewer }));
  }
});

/** WHIP from the page: camera at 1280x720, the encoder allowed ENCODER_MAX_BITRATE_BPS. Returns when it started. */
async function publishCamera(page: Page, grant: PublishResponse): Promise<number> {
  return page.evaluate(
    async ({ url, token, maxBitrate }) => {
      const stream = await navigator.mediaDevices.getUserMedia({
        audio: true,
        video: { width: 1280, height: 720, frameRate: 30 },
      });
      const startedAt = Date.now();
      const pc = new RTCPeerConnection({ iceServers: [] });
      pc.addTransceiver(stream.getAudioTracks()[0]!, { direction: 'sendonly' });
      pc.addTransceiver(stream.getVideoTracks()[0]!, {
        direction: 'sendonly',
        sendEncodings: [{ maxBitrate }],
      });
      await pc.setLocalDescription(await pc.createOffer());
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${token}` },
        body: pc.localDescription!.sdp,
      });
      if (response.status !== 201)
        throw new Error(`WHIP answered ${response.status}: ${await response.text()}`);
      let answer = await response.text();
      const relayPort = (globalThis as { dotmRelayPort?: (port: number) => Promise<number> }).dotmRelayPort;
      if (relayPort !== undefined) {
        const port = Number(/ (\d+) typ host/.exec(answer)![1]);
        const relayed = await relayPort(port);
        answer = answer.replaceAll(` ${port} typ host`, ` ${relayed} typ host`);
      }
      await pc.setRemoteDescription({ type: 'answer', sdp: answer });
      const scope = globalThis as Record<string, unknown>;
      scope.dotmPc = pc;
      scope.dotmResource = { url: new URL(response.headers.get('Location')!, url).href, token };
      return startedAt;
    },
    { url: grant.whipUrl, token: grant.token, maxBitrate: ENCODER_MAX_BITRATE_BPS },
  );
}

/** WHEP from the page; the first decoded frame's time is kept for `viewerSample`. */
async function watch(page: Page, grant: SubscribeResponse): Promise<void> {
  await page.evaluate(
    async ({ url, token }) => {
      const scope = globalThis as Record<string, unknown>;
      const pc = new RTCPeerConnection({ iceServers: [] });
      pc.addTransceiver('audio', { direction: 'recvonly' });
      pc.addTransceiver('video', { direction: 'recvonly' });
      pc.ontrack = (event) => {
        if (event.track.kind !== 'video') return;
        const video = document.createElement('video');
        video.muted = true;
        video.autoplay = true;
        video.srcObject = new MediaStream([event.track]);
        document.body.append(video);
        video.requestVideoFrameCallback(() => {
          scope.dotmFirstFrameAt = Date.now();
        });
      };
      await pc.setLocalDescription(await pc.createOffer());
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${token}` },
        body: pc.localDescription!.sdp,
      });
      if (response.status !== 201)
        throw new Error(`WHEP answered ${response.status}: ${await response.text()}`);
      await pc.setRemoteDescription({ type: 'answer', sdp: await response.text() });
      scope.dotmPc = pc;
      scope.dotmResource = { url: new URL(response.headers.get('Location')!, url).href, token };
    },
    { url: grant.whepUrl, token: grant.token },
  );
}

async function viewerSample(page: Page): Promise<ViewerSample> {
  return page.evaluate(async () => {
    const scope = globalThis as Record<string, unknown>;
    const pc = scope.dotmPc as RTCPeerConnection;
    const sample = {
      at: Date.now(),
      bytesReceived: 0,
      framesDecoded: 0,
      packetsLost: 0,
      nackCount: 0,
      pliCount: 0,
      firstFrameAt: scope.dotmFirstFrameAt as number | undefined,
    };
    (await pc.getStats()).forEach((report) => {
      if (report.type !== 'inbound-rtp' || report.kind !== 'video') return;
      sample.bytesReceived = report.bytesReceived ?? 0;
      sample.framesDecoded = report.framesDecoded ?? 0;
      sample.packetsLost = report.packetsLost ?? 0;
      sample.nackCount = report.nackCount ?? 0;
      sample.pliCount = report.pliCount ?? 0;
    });
    return sample;
  });
}

async function publisherSample(page: Page): Promise<PublisherSample> {
  return page.evaluate(async () => {
    const pc = (globalThis as Record<string, unknown>).dotmPc as RTCPeerConnection;
    const sample = {
      bytesSent: 0,
      targetBitrate: 0,
      availableOutgoingBitrate: 0,
      reportedRoundTripMs: undefined as number | undefined,
      reportedFractionLost: undefined as number | undefined,
      qualityLimitationReason: '',
      frameWidth: 0,
      retransmittedPacketsSent: 0,
      nackCount: 0,
      pliCount: 0,
    };
    (await pc.getStats()).forEach((report) => {
      if (report.type === 'outbound-rtp' && report.kind === 'video') {
        sample.bytesSent = report.bytesSent ?? 0;
        sample.targetBitrate = report.targetBitrate ?? 0;
        sample.qualityLimitationReason = report.qualityLimitationReason ?? '';
        sample.frameWidth = report.frameWidth ?? 0;
        sample.retransmittedPacketsSent = report.retransmittedPacketsSent ?? 0;
        sample.nackCount = report.nackCount ?? 0;
        sample.pliCount = report.pliCount ?? 0;
      }
      if (report.type === 'remote-inbound-rtp' && report.kind === 'video') {
        sample.reportedRoundTripMs =
          report.roundTripTime === undefined ? undefined : report.roundTripTime * 1000;
        sample.reportedFractionLost = report.fractionLost;
      }
      if (report.type === 'candidate-pair' && report.nominated && report.availableOutgoingBitrate) {
        sample.availableOutgoingBitrate = report.availableOutgoingBitrate;
      }
    });
    return sample;
  });
}

/** Leaves as a WHIP/WHEP client should: DELETE the resource, then close the connection. */
async function hangUp(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const scope = globalThis as Record<string, unknown>;
    const resource = scope.dotmResource as { url: string; token: string } | undefined;
    if (resource === undefined) return;
    await fetch(resource.url, { method: 'DELETE', headers: { Authorization: `Bearer ${resource.token}` } });
    (scope.dotmPc as RTCPeerConnection).close();
  });
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/**
 * A UDP relay on loopback between one client and the node's media port that drops a share of the
 * client's RTP datagrams larger than 400 bytes (video, not audio, STUN, DTLS or RTCP): loss on the
 * wire, before SRTP, as a real network would lose them.
 */
class LossyRelay {
  dropped = 0;
  readonly #lossRate: number;
  readonly #clientSide: Socket = createSocket('udp4');
  readonly #nodeSide: Socket = createSocket('udp4');

  constructor(lossRate: number) {
    this.#lossRate = lossRate;
  }

  /** Relays to the node's `nodePort`; returns the port the client should use instead. */
  async start(nodePort: number): Promise<number> {
    let client: { address: string; port: number } | undefined;
    this.#clientSide.on('message', (datagram, from) => {
      client = { address: from.address, port: from.port };
      const isRtp = datagram[0]! >= 128 && datagram[0]! <= 191 && (datagram[1]! < 192 || datagram[1]! > 223);
      if (isRtp && datagram.length > 400 && Math.random() < this.#lossRate) {
        this.dropped++;
        return;
      }
      this.#nodeSide.send(datagram, nodePort, '127.0.0.1');
    });
    this.#nodeSide.on('message', (datagram) => {
      if (client) this.#clientSide.send(datagram, client.port, client.address);
    });
    await Promise.all([
      new Promise<void>((resolve) => this.#clientSide.bind(0, '127.0.0.1', resolve)),
      new Promise<void>((resolve) => this.#nodeSide.bind(0, '127.0.0.1', resolve)),
    ]);
    return this.#clientSide.address().port;
  }

  close(): void {
    this.#clientSide.close();
    this.#nodeSide.close();
  }
}
