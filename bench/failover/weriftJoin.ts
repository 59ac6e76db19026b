import type { RtpPacket } from 'werift';
import type { JoinResult, MediaGrant, ServerMessage } from '../../src/protocol/roomSignalling.ts';
import { SIGNALLING_PATH } from '../../src/protocol/roomSignalling.ts';
import { createWeriftPeer, endSession, negotiate } from '../../test/support/weriftPeer.ts';

/** Milliseconds from the join request, per step of a headless participant's first subscription. */
export interface HeadlessJoinTiming {
  /** WebSocket connect (before the join request; not part of the figures below). */
  socketOpenMs: number;
  joinAnsweredMs: number;
  grantMs: number;
  whepAnsweredMs: number;
  firstPacketMs: number;
  firstVideoPacketMs: number;
}

/**
 * A participant without a browser: joins `room` over the signalling WebSocket, subscribes to the
 * first live stream of someone else, negotiates WHEP with werift and waits for media. Leaves again
 * (DELETE, then `leave`) before returning.
 */
export async function headlessJoin(
  controllerUrl: string,
  room: string,
  name: string,
): Promise<HeadlessJoinTiming> {
  const url = new URL(SIGNALLING_PATH, controllerUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const startedAt = performance.now();
  const socket = new WebSocket(url);
  const pending = new Map<number, { resolve: (data: unknown) => void; reject: (error: Error) => void }>();
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data)) as ServerMessage;
    if (message.type !== 'response') return;
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.ok) waiter?.resolve(message.data);
    else waiter?.reject(new Error(`${message.error.code}: ${message.error.message}`));
  });
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('error', () => reject(new Error(`cannot open ${url}`)), { once: true });
  });
  let nextId = 1;
  const request = <T>(body: Record<string, unknown>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (data: unknown) => void, reject });
      socket.send(JSON.stringify({ id, ...body }));
    });

  const joinSentAt = performance.now();
  const since = () => Math.round((performance.now() - joinSentAt) * 10) / 10;
  const timing: Partial<HeadlessJoinTiming> = { socketOpenMs: Math.round(joinSentAt - startedAt) };
  const joined = await request<JoinResult>({ type: 'join', room, name });
  timing.joinAnsweredMs = since();
  const stream = joined.streams.find((s) => s.participantId !== joined.self.participantId);
  if (!stream) throw new Error(`no live stream in room ${room} to watch`);
  const grant = await request<MediaGrant>({ type: 'subscribe', streamId: stream.streamId });
  timing.grantMs = since();

  const pc = createWeriftPeer();
  pc.addTransceiver('audio', { direction: 'recvonly' });
  pc.addTransceiver('video', { direction: 'recvonly' });
  let resolveFirst: () => void = () => {};
  let resolveVideo: () => void = () => {};
  const first = new Promise<void>((resolve) => {
    resolveFirst = resolve;
  });
  const firstVideo = new Promise<void>((resolve) => {
    resolveVideo = resolve;
  });
  pc.onTrack.subscribe((track) => {
    const subscription = track.onReceiveRtp.subscribe((_packet: RtpPacket) => {
      timing.firstPacketMs ??= since();
      resolveFirst();
      if (track.kind === 'video') {
        timing.firstVideoPacketMs ??= since();
        resolveVideo();
      }
      subscription.unSubscribe();
    });
  });
  let resource: string | undefined;
  try {
    resource = await negotiate(pc, grant.url, grant.token);
    timing.whepAnsweredMs = since();
    await withTimeout(Promise.all([first, firstVideo]), 10_000, 'no media within 10 s');
  } finally {
    if (resource) await endSession(pc, resource, grant.token).catch(() => pc.close());
    else await pc.close();
    await request({ type: 'leave' }).catch(() => undefined);
    socket.close();
  }
  return timing as HeadlessJoinTiming;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
