/**
 * What the failover benchmark reads inside a meeting page. `installPageProbe` is handed to
 * playwright's page.evaluate, so it must stay self-contained (no imports, no closures over module
 * scope): it runs in the browser.
 */

/** A change seen on one remote stream's current WHEP peer connection. */
export interface InboundEvent {
  at: number;
  streamId: string;
  /** Which RTCPeerConnection of the page, numbered in the order the probe met them. */
  pc: number;
  framesDecoded: number;
  packetsReceived: number;
}

/** A change seen on one of the page's own WHIP sessions. */
export interface OutboundEvent {
  at: number;
  streamId: string;
  pc: number;
  state: string;
}

export interface PageProbeState {
  marker: string;
  inbound: InboundEvent[];
  outbound: OutboundEvent[];
  /** Fewest entries seen since the last reset (see resetPageProbe). */
  minListed: number;
  minRemoteStreams: number;
  minTiles: number;
  errorToasts: string[];
  reconnectingBadgesNow: number;
  samples: number;
}

export function installPageProbe(args: { interval: number; marker: string }): void {
  type Stats = { forEach(cb: (report: Record<string, unknown>) => void): void };
  type Pc = { getStats(): Promise<Stats> };
  type Session = { peerConnection?: Pc; state: string };
  type Client = {
    streams: { streamId: string; session?: Session }[];
    localStreams: { streamId: string; session?: Session }[];
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
  const probe = {
    marker: args.marker,
    inbound: [] as {
      at: number;
      streamId: string;
      pc: number;
      framesDecoded: number;
      packetsReceived: number;
    }[],
    outbound: [] as { at: number; streamId: string; pc: number; state: string }[],
    minListed: Number.POSITIVE_INFINITY,
    minRemoteStreams: Number.POSITIVE_INFINITY,
    minTiles: Number.POSITIVE_INFINITY,
    errorToasts: [] as string[],
    reconnectingBadgesNow: 0,
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
            pc: idOf(pc),
            framesDecoded: frames,
            packetsReceived: packets,
          });
          if (probe.inbound.length > 40_000) probe.inbound.splice(0, 20_000);
        }
      }
      for (const local of client.localStreams) {
        const session = local.session;
        const pc = session?.peerConnection;
        if (!session || !pc) continue;
        const key = `${idOf(pc)}:${session.state}`;
        if (lastOutbound.get(local.streamId) !== key) {
          lastOutbound.set(local.streamId, key);
          probe.outbound.push({ at, streamId: local.streamId, pc: idOf(pc), state: session.state });
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
      probe.reconnectingBadgesNow = [
        ...document.querySelectorAll('[data-testid="video-tile"] .tile-state'),
      ].filter((element) => !(element as HTMLElement).hidden).length;
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

/** Starts judging the page's lists and tiles afresh (before a kill). */
export function resetPageProbe(): void {
  const probe = (window as unknown as { __dotmProbe: PageProbeState }).__dotmProbe;
  probe.minListed = Number.POSITIVE_INFINITY;
  probe.minRemoteStreams = Number.POSITIVE_INFINITY;
  probe.minTiles = Number.POSITIVE_INFINITY;
  probe.errorToasts = [];
}

/** The probe's state with the events from `since` on (ms since epoch); the page keeps them all. */
export function readPageProbe(since = 0): PageProbeState {
  const probe = (window as unknown as { __dotmProbe: PageProbeState }).__dotmProbe;
  return JSON.parse(
    JSON.stringify({
      ...probe,
      inbound: probe.inbound.filter((e) => e.at >= since),
      outbound: probe.outbound.filter((e) => e.at >= since),
    }),
  );
}

/**
 * For the join-latency runs: from the click on "Join" (`joinClickedAt`, set by a listener this
 * installs), the first RTP packet and the first decoded frame on any remote stream, sampled every
 * `interval` ms.
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

export function readJoinProbe(): JoinProbeState {
  return JSON.parse(
    JSON.stringify((window as unknown as { __dotmJoinProbe: JoinProbeState }).__dotmJoinProbe),
  );
}
