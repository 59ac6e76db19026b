/**
 * What browser tests and benchmarks read inside a meeting page, sampled by the page itself so that
 * times are the page's own (a media gap is last frame on the old connection → first frame on the
 * new one). The functions marked "runs in the page" are handed to playwright's page.evaluate, so
 * they must stay self-contained: no imports, no closures over module scope.
 */

/** A change seen on one remote stream's current WHEP peer connection. */
export interface InboundEvent {
  at: number;
  streamId: string;
  participantId: string;
  /** Which RTCPeerConnection of the page, numbered in the order the probe met them. */
  pc: number;
  framesDecoded: number;
  packetsReceived: number;
}

/** A change seen on one of the page's own WHIP sessions (its connection, state or frames sent). */
export interface OutboundEvent {
  at: number;
  streamId: string;
  kind: string;
  pc: number;
  state: string;
  framesSent: number;
}

/** A change of the signalling connection (`dotm.connectionState`) or of who this page is in the room. */
export interface ConnectionEvent {
  at: number;
  state: string;
  participantId: string | undefined;
}

export interface PageProbeState {
  /** Set when the probe was installed; a reload would lose it. */
  marker: string;
  inbound: InboundEvent[];
  outbound: OutboundEvent[];
  connection: ConnectionEvent[];
  /** Fewest seen at any sample since the probe started or was last reset (see resetPageProbe). */
  minListed: number;
  minRemoteStreams: number;
  /** Remote tiles on screen, all together and per participant (camera tiles). */
  minTiles: number;
  minTilesOf: Record<string, number>;
  /** Most "Reconnecting…" tile badges seen at once since the last reset, and how many show now. */
  maxReconnectingBadges: number;
  reconnectingBadgesNow: number;
  errorToasts: string[];
  samples: number;
}

/** Runs in the page: samples the meeting every `interval` ms into `window.__dotmProbe`. */
export function installPageProbe(args: { interval: number; marker: string }): void {
  type Stats = { forEach(cb: (report: Record<string, unknown>) => void): void };
  type Pc = { getStats(): Promise<Stats> };
  type Session = { peerConnection?: Pc; state: string };
  type Client = {
    on?(event: 'connectionState', listener: (state: string) => void): unknown;
    connectionState: string;
    self?: { participantId: string };
    streams: { streamId: string; participantId: string; session?: Session }[];
    localStreams: { streamId: string; kind: string; session?: Session }[];
  };
  const w = window as unknown as Record<string, unknown>;
  const ids = new WeakMap<object, number>();
  let nextId = 1;
  const idOf = (pc: object) => {
    let id = ids.get(pc);
    if (id === undefined) {
      id = nextId++;
      ids.set(pc, id);
    }
    return id;
  };
  const lastInbound = new Map<string, string>();
  const lastOutbound = new Map<string, string>();
  let lastConnection = '';
  let watched: Client | undefined;
  const recordConnection = (client: Client, state: string) => {
    const self = client.self?.participantId;
    const key = `${state}:${self}`;
    if (key === lastConnection) return;
    lastConnection = key;
    probe.connection.push({ at: Date.now(), state, participantId: self });
  };
  const probe = {
    marker: args.marker,
    inbound: [] as {
      at: number;
      streamId: string;
      participantId: string;
      pc: number;
      framesDecoded: number;
      packetsReceived: number;
    }[],
    outbound: [] as {
      at: number;
      streamId: string;
      kind: string;
      pc: number;
      state: string;
      framesSent: number;
    }[],
    connection: [] as { at: number; state: string; participantId: string | undefined }[],
    minListed: Number.POSITIVE_INFINITY,
    minRemoteStreams: Number.POSITIVE_INFINITY,
    minTiles: Number.POSITIVE_INFINITY,
    minTilesOf: {} as Record<string, number>,
    maxReconnectingBadges: 0,
    reconnectingBadgesNow: 0,
    errorToasts: [] as string[],
    samples: 0,
  };
  w.__dotmProbe = probe;
  let busy = false;
  const sample = async () => {
    const client = w.dotm as Client | undefined;
    if (!client || busy) return;
    busy = true;
    try {
      const at = Date.now();
      if (client !== watched) {
        // The client's own event: a reconnect shorter than a sampling interval is still seen.
        watched = client;
        client.on?.('connectionState', (state) => recordConnection(client, state));
      }
      recordConnection(client, client.connectionState);
      for (const stream of client.streams) {
        const pc = stream.session?.peerConnection;
        if (!pc) continue;
        let frames = 0;
        let packets = 0;
        (await pc.getStats()).forEach((report) => {
          if (report.type !== 'inbound-rtp') return;
          packets += Number(report.packetsReceived ?? 0);
          if (report.kind === 'video') frames += Number(report.framesDecoded ?? 0);
        });
        const key = `${idOf(pc)}:${frames}:${packets}`;
        if (lastInbound.get(stream.streamId) !== key) {
          lastInbound.set(stream.streamId, key);
          probe.inbound.push({
            at,
            streamId: stream.streamId,
            participantId: stream.participantId,
            pc: idOf(pc),
            framesDecoded: frames,
            packetsReceived: packets,
          });
          if (probe.inbound.length > 40_000) probe.inbound.splice(0, 20_000);
        }
        const tiles = document.querySelectorAll(
          `[data-testid="video-tile"][data-participant-id=${JSON.stringify(stream.participantId)}][data-kind="camera"]`,
        ).length;
        probe.minTilesOf[stream.participantId] = Math.min(
          probe.minTilesOf[stream.participantId] ?? Number.POSITIVE_INFINITY,
          tiles,
        );
      }
      for (const local of client.localStreams) {
        const session = local.session;
        const pc = session?.peerConnection;
        if (!session || !pc) continue;
        let framesSent = 0;
        (await pc.getStats()).forEach((report) => {
          if (report.type === 'outbound-rtp' && report.kind === 'video')
            framesSent += Number(report.framesSent ?? 0);
        });
        const key = `${idOf(pc)}:${session.state}:${framesSent}`;
        if (lastOutbound.get(local.streamId) !== key) {
          lastOutbound.set(local.streamId, key);
          probe.outbound.push({
            at,
            streamId: local.streamId,
            kind: local.kind,
            pc: idOf(pc),
            state: session.state,
            framesSent,
          });
          if (probe.outbound.length > 40_000) probe.outbound.splice(0, 20_000);
        }
      }
      probe.minRemoteStreams = Math.min(probe.minRemoteStreams, client.streams.length);
      probe.minListed = Math.min(
        probe.minListed,
        document.querySelectorAll('[data-testid="participant-item"]').length,
      );
      probe.minTiles = Math.min(
        probe.minTiles,
        document.querySelectorAll('[data-testid="video-tile"][data-local="false"]').length,
      );
      const badges = [...document.querySelectorAll('[data-testid="video-tile"] .tile-state')].filter(
        (element) => !(element as HTMLElement).hidden,
      ).length;
      probe.reconnectingBadgesNow = badges;
      probe.maxReconnectingBadges = Math.max(probe.maxReconnectingBadges, badges);
      for (const toast of document.querySelectorAll('[data-testid="toast"][data-kind="error"]')) {
        const text = toast.textContent ?? '';
        if (!probe.errorToasts.includes(text)) probe.errorToasts.push(text);
      }
      probe.samples++;
    } finally {
      busy = false;
    }
  };
  setInterval(() => void sample(), args.interval);
}

/** Runs in the page: starts judging the page's lists, tiles, badges and toasts afresh (before a kill). */
export function resetPageProbe(): void {
  const probe = (window as unknown as { __dotmProbe: PageProbeState }).__dotmProbe;
  probe.minListed = Number.POSITIVE_INFINITY;
  probe.minRemoteStreams = Number.POSITIVE_INFINITY;
  probe.minTiles = Number.POSITIVE_INFINITY;
  probe.minTilesOf = {};
  probe.maxReconnectingBadges = 0;
  probe.errorToasts = [];
}

/** Runs in the page: the probe's state with the events from `since` on (ms since epoch). */
export function readPageProbe(since = 0): PageProbeState {
  const probe = (window as unknown as { __dotmProbe: PageProbeState }).__dotmProbe;
  return JSON.parse(
    JSON.stringify({
      ...probe,
      inbound: probe.inbound.filter((e) => e.at >= since),
      outbound: probe.outbound.filter((e) => e.at >= since),
      connection: probe.connection.filter((e) => e.at >= since),
    }),
  );
}

/**
 * Runs in the page, before the click on "Join": from that click (`joinClickedAt`), when the
 * client is connected, and the first RTP packet and first decoded frame on any remote stream,
 * sampled every `interval` ms into `window.__dotmJoinProbe`.
 */
export function installJoinProbe(args: { interval: number }): void {
  type Stats = { forEach(cb: (report: Record<string, unknown>) => void): void };
  type Pc = { getStats(): Promise<Stats> };
  const w = window as unknown as Record<string, unknown>;
  const probe = {
    joinClickedAt: 0,
    joinedAt: 0,
    firstPacketAt: 0,
    firstFrameAt: 0,
  };
  w.__dotmJoinProbe = probe;
  document.querySelector('[data-testid="join-submit"]')?.addEventListener('click', () => {
    probe.joinClickedAt = Date.now();
  });
  const timer = setInterval(async () => {
    const client = w.dotm as
      | { connectionState: string; streams: { session?: { peerConnection?: Pc } }[] }
      | undefined;
    if (!client || !probe.joinClickedAt) return;
    const at = Date.now();
    if (!probe.joinedAt && client.connectionState === 'connected') probe.joinedAt = at;
    for (const stream of client.streams) {
      const pc = stream.session?.peerConnection;
      if (!pc) continue;
      (await pc.getStats()).forEach((report) => {
        if (report.type !== 'inbound-rtp') return;
        if (!probe.firstPacketAt && Number(report.packetsReceived ?? 0) > 0) probe.firstPacketAt = at;
        if (!probe.firstFrameAt && report.kind === 'video' && Number(report.framesDecoded ?? 0) > 0)
          probe.firstFrameAt = at;
      });
    }
    if (probe.firstFrameAt && probe.firstPacketAt) clearInterval(timer);
  }, args.interval);
}

export interface JoinProbeState {
  joinClickedAt: number;
  joinedAt: number;
  firstPacketAt: number;
  firstFrameAt: number;
}

/** Runs in the page. */
export function readJoinProbe(): JoinProbeState {
  return JSON.parse(
    JSON.stringify((window as unknown as { __dotmJoinProbe: JoinProbeState }).__dotmJoinProbe),
  );
}
