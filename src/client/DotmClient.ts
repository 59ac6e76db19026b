import {
  type ChatMessage,
  type JoinResult,
  type MediaGrant,
  type ParticipantInfo,
  type RejoinTicket,
  type ResponseMap,
  SIGNALLING_PATH,
  type StreamInfo,
  type StreamKind,
} from '../protocol/roomSignalling.ts';
import type { BackoffOptions } from './backoff.ts';
import { type ClientLogger, consoleLogger } from './ClientLogger.ts';
import { DotmError } from './DotmError.ts';
import { LocalStream } from './LocalStream.ts';
import { type MeetingDetails, meetingDetailsOf } from './meetingDetails.ts';
import { RejoinStore, type StorageLike } from './RejoinStore.ts';
import { RemoteStream } from './RemoteStream.ts';
import {
  type RequestFields,
  type RequestType,
  type RoomEvent,
  type SendRequest,
  SignallingChannel,
  type SignallingState,
  type WebSocketConstructor,
} from './SignallingChannel.ts';
import { TypedEmitter } from './TypedEmitter.ts';
import type {
  FetchLike,
  MediaSessionState,
  RTCPeerConnectionConstructor,
  WebRtcHttpSessionOptions,
} from './WebRtcHttpSession.ts';
import { type MediaStreamConstructor, WhepSession } from './WhepSession.ts';
import { WhipSession } from './WhipSession.ts';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

export interface MediaDevicesLike {
  getUserMedia(constraints: MediaStreamConstraints): Promise<MediaStream>;
  getDisplayMedia(options?: DisplayMediaStreamOptions): Promise<MediaStream>;
}

export interface DotmClientOptions {
  /** The controller's base URL; defaults to the page's origin. The socket is `${url}/ws`. */
  url?: string;
  WebSocket?: WebSocketConstructor;
  fetch?: FetchLike;
  RTCPeerConnection?: RTCPeerConnectionConstructor;
  MediaStream?: MediaStreamConstructor;
  mediaDevices?: MediaDevicesLike;
  /** Where rejoin tickets live; defaults to sessionStorage, `null` disables resuming after reload. */
  storage?: StorageLike | null;
  requestTimeoutMs?: number;
  pingIntervalMs?: number;
  reconnect?: BackoffOptions;
  random?: () => number;
  logger?: ClientLogger;
  /** Log debug lines to the console (ignored when a logger is given). */
  debug?: boolean;
}

export interface PublishCameraOptions {
  audio?: boolean;
  video?: boolean;
  /** Refines the capture, e.g. `{ video: { width: 640 } }`; `audio`/`video` above decide what is captured. */
  constraints?: MediaStreamConstraints;
}

export interface DotmClientEvents {
  connectionState: [state: ConnectionState];
  /** After join() and after every rejoin following a dropped connection. */
  joined: [result: JoinResult];
  participantJoined: [participant: ParticipantInfo];
  participantLeft: [
    participantId: string,
    reason: 'left' | 'timeout' | 'removed',
    participant?: ParticipantInfo,
  ];
  /** A remote stream is subscribed: `stream.mediaStream` is ready to play. */
  streamAdded: [stream: RemoteStream];
  /**
   * Mute flags changed, or (mediaChanged) the stream moved after a failure and `stream.mediaStream`
   * is a new object. A stream migrated off a draining node keeps its MediaStream (new tracks
   * swapped in once they carry media): no event, nothing for the app to do.
   */
  streamUpdated: [stream: RemoteStream, mediaChanged: boolean];
  streamRemoved: [stream: RemoteStream];
  /**
   * A subscription's media connection changed state (`stream.state`): 'reconnecting' while it
   * recovers (its node died, the network changed), 'connected' once media flows again.
   */
  streamStateChanged: [stream: RemoteStream, state: MediaSessionState];
  chat: [message: ChatMessage];
  /** Also when a stream had to be published anew (its streamId changed). */
  localStreamPublished: [stream: LocalStream];
  /** Mute flags or tracks changed; `stream.mediaStream` may be a new object. */
  localStreamUpdated: [stream: LocalStream];
  /** By unpublish(), the browser's "stop sharing", or the controller. */
  localStreamUnpublished: [stream: LocalStream];
  /** Like streamStateChanged, for one of our own publications (`stream.state`). */
  localStreamStateChanged: [stream: LocalStream, state: MediaSessionState];
  roomClosed: [reason: string];
  /**
   * A moderator (`by`) asked us to mute: the SDK has already muted what was asked (microphone with
   * `audio`, camera with `video`) and told the room; the user may unmute again.
   */
  muteRequested: [by: string, parts: { audio: boolean; video: boolean }];
  /** A moderator (`by`) removed us: the client has left (an 'error' with code 'removed' follows). */
  removed: [by: string];
  error: [error: DotmError];
}

interface LocalStreamSpec {
  hasAudio: boolean;
  hasVideo: boolean;
  audioTrack: MediaStreamTrack | null;
  videoTrack: MediaStreamTrack | null;
}

const DEFAULT_VIDEO_CONSTRAINTS: MediaTrackConstraints = {
  width: { ideal: 1280 },
  height: { ideal: 720 },
  frameRate: { ideal: 30 },
};
/** How long own streams found after a page reload wait for publishCamera() to take them over. */
const ORPHAN_ADOPTION_MS = 10_000;
const LEAVE_TIMEOUT_MS = 2_000;
/** Session states worth telling the app about; 'new' and 'closed' are the client's own doing. */
const ANNOUNCED_STATES: ReadonlySet<MediaSessionState> = new Set([
  'connecting',
  'connected',
  'reconnecting',
  'failed',
]);
/**
 * A migrated subscription takes over once its tracks carry media (the browser unmutes a remote
 * track at its first packet), or after this long connected without any: then it is as good as
 * the old one, which closes within seconds anyway.
 */
const MIGRATION_MEDIA_WAIT_MS = 1_500;
/** A replaced publisher connection closes on `streamMigrated`; this long at most if that never comes. */
const RETIRED_CONNECTION_MAX_MS = 30_000;
/** Controller answers to a rejoin after which trying again cannot help. */
const FINAL_REJOIN_CODES = new Set(['not-found', 'forbidden', 'unauthorized', 'bad-request']);

/**
 * A participant in a dotm room: signalling with the controller, publishing with WHIP and
 * subscribing with WHEP directly on the media nodes, and recovering from dropped sockets, ICE
 * failures and moved streams on its own.
 */
export class DotmClient extends TypedEmitter<DotmClientEvents> {
  readonly #options: DotmClientOptions;
  readonly #socketUrl: string;
  readonly #logger: ClientLogger;
  readonly #rejoinStore: RejoinStore;

  #channel: SignallingChannel | undefined;
  #connectionState: ConnectionState = 'disconnected';
  #room: string | undefined;
  #name: string | undefined;
  #self: ParticipantInfo | undefined;
  #ticket: RejoinTicket | undefined;
  #joinToken: string | undefined;
  #meeting: MeetingDetails | undefined;
  #participants = new Map<string, ParticipantInfo>();
  /** Identities this client had before a rejoin that was not resumed: never "others". */
  readonly #formerSelfIds = new Set<string>();
  readonly #remote = new Map<string, RemoteStream>();
  #camera: LocalStream | undefined;
  #screen: LocalStream | undefined;
  #pendingCamera: Promise<LocalStream> | undefined;
  #pendingScreen: Promise<LocalStream> | undefined;
  readonly #republishing = new Set<LocalStream>();
  /** Own streams the controller still had after a reload, which no local track feeds yet. */
  readonly #orphans = new Map<string, StreamInfo>();
  #orphanTimer: ReturnType<typeof setTimeout> | undefined;
  #chat: ChatMessage[] = [];
  readonly #seenMessageIds = new Set<string>();
  #microphoneMuted = false;
  #cameraMuted = false;
  #cameraEnabled = true;
  #cameraConstraints: boolean | MediaTrackConstraints = DEFAULT_VIDEO_CONSTRAINTS;
  #cameraToggle: Promise<void> = Promise.resolve();
  /** leave() runs: the room's reactions to our own DELETEs (streamRemoved) are no news. */
  #leaving = false;

  constructor(options: DotmClientOptions = {}) {
    super();
    this.#options = options;
    const base = options.url ?? globalThis.location?.origin;
    if (!base) throw new DotmError('invalid-state', 'DotmClient needs { url } outside a web page');
    this.#socketUrl = signallingUrl(base);
    this.#logger = options.logger ?? consoleLogger(options.debug);
    this.#rejoinStore = new RejoinStore(options.storage);
  }

  // ── state ─────────────────────────────────────────────────────────────────────────

  get connectionState(): ConnectionState {
    return this.#connectionState;
  }
  get room(): string | undefined {
    return this.#room;
  }
  get self(): ParticipantInfo | undefined {
    return this.#self;
  }
  /** Everyone in the room, this client included. */
  get participants(): ParticipantInfo[] {
    return [...this.#participants.values()];
  }
  /** Other participants' streams; `mediaStream` is set once subscribed. */
  get streams(): RemoteStream[] {
    return [...this.#remote.values()];
  }
  get localStreams(): LocalStream[] {
    return [this.#camera, this.#screen].filter((stream) => stream !== undefined);
  }
  get camera(): LocalStream | undefined {
    return this.#camera;
  }
  get screen(): LocalStream | undefined {
    return this.#screen;
  }
  get chatHistory(): readonly ChatMessage[] {
    return this.#chat;
  }
  get microphoneMuted(): boolean {
    return this.#microphoneMuted;
  }
  get cameraMuted(): boolean {
    return this.#cameraMuted;
  }
  get cameraEnabled(): boolean {
    return this.#cameraEnabled;
  }

  /**
   * The welcome text and logout URL the portal set for this meeting (BigBlueButton's `welcome` and
   * `logoutURL`), as told when the controller admitted this client; undefined in rooms no portal
   * runs, or when it set neither. A resumed join (dropped socket, reload in the same tab) keeps
   * what was told first. Still readable after leave(), 'removed' or 'roomClosed', so the page can
   * send the person on; cleared by the next join(). `welcome` is text: show it with textContent.
   * `logoutUrl` is always an absolute http(s) URL.
   */
  get meeting(): MeetingDetails | undefined {
    return this.#meeting;
  }

  participant(participantId: string): ParticipantInfo | undefined {
    return this.#participants.get(participantId);
  }

  // ── room ──────────────────────────────────────────────────────────────────────────

  /**
   * Connects and joins. With a rejoin ticket from an earlier visit in this tab (a reload), the
   * controller resumes the same participant (`resumed: true`). `joinToken` is the invitation a
   * portal's join link carries (the BigBlueButton API's `?join=`): the controller then takes the
   * name and role from it, and a portal meeting's room admits nobody without one.
   */
  async join(room: string, name: string, options: { joinToken?: string } = {}): Promise<JoinResult> {
    if (this.#channel) throw new DotmError('invalid-state', 'already in a room: leave() first');
    const channel = new SignallingChannel({
      url: this.#socketUrl,
      WebSocket: this.#options.WebSocket,
      requestTimeoutMs: this.#options.requestTimeoutMs,
      pingIntervalMs: this.#options.pingIntervalMs,
      reconnect: this.#options.reconnect,
      random: this.#options.random,
      logger: this.#logger,
      onReconnect: (send) => this.#rejoin(channel, send),
    });
    this.#channel = channel;
    this.#room = room;
    this.#name = name;
    this.#joinToken = options.joinToken;
    this.#meeting = undefined;
    this.#ticket = undefined;
    this.#chat = [];
    this.#seenMessageIds.clear();
    this.#formerSelfIds.clear();
    this.#leaving = false;
    channel.on('event', (event) => {
      if (this.#channel === channel) this.#handleRoomEvent(event);
    });
    channel.on('state', (state) => {
      if (this.#channel === channel) this.#handleChannelState(state);
    });
    this.#setConnectionState('connecting');
    try {
      await channel.connect();
      const result = await this.#requestJoin((type, fields, options) =>
        channel.request(type, fields, options),
      );
      if (this.#channel !== channel) throw new DotmError('closed', 'left while joining');
      this.#applyJoinResult(result, false);
      this.#setConnectionState('connected');
      return result;
    } catch (error) {
      if (this.#channel === channel) await this.#teardown(false);
      throw DotmError.from(error);
    }
  }

  /** Leaves the room: tells the controller, DELETEs every WHIP/WHEP resource, releases the devices. */
  async leave(): Promise<void> {
    const channel = this.#channel;
    if (!channel) return;
    this.#leaving = true;
    // Our resources first: once the controller has let us go, the nodes may have closed them.
    await this.#closeSessions();
    if (channel.state === 'open') {
      await channel.request('leave', {}, { timeoutMs: LEAVE_TIMEOUT_MS }).catch((error: unknown) => {
        this.#logger.debug('leave was not acknowledged', { error });
      });
    }
    await this.#teardown(true);
  }

  async sendChat(text: string): Promise<ChatMessage> {
    const trimmed = text.trim();
    if (!trimmed) throw new DotmError('bad-request', 'empty chat message');
    const message = await this.#request('chat', { text: trimmed });
    if (this.#rememberMessage(message)) this.emit('chat', message);
    return message;
  }

  // ── moderation (moderators only: the controller refuses viewers with 'forbidden') ──

  /** True when we may mute, remove and end the meeting. */
  get isModerator(): boolean {
    return this.#self?.role === 'moderator';
  }

  /** Asks another participant to mute its microphone (default) and/or camera. */
  async muteParticipant(
    participantId: string,
    parts: { audio?: boolean; video?: boolean } = { audio: true },
  ): Promise<void> {
    await this.#request('muteParticipant', {
      participantId,
      ...(parts.audio ? { audio: true as const } : {}),
      ...(parts.video ? { video: true as const } : {}),
    });
  }

  async removeParticipant(participantId: string): Promise<void> {
    await this.#request('removeParticipant', { participantId });
  }

  /** Ends the meeting for everyone: we get 'roomClosed' like the others. */
  async endMeeting(): Promise<void> {
    await this.#request('endMeeting', {});
  }

  // ── publishing ────────────────────────────────────────────────────────────────────

  /** Captures camera and microphone and publishes them as this participant's 'camera' stream. */
  publishCamera(options: PublishCameraOptions = {}): Promise<LocalStream> {
    if (this.#camera) return Promise.resolve(this.#camera);
    this.#pendingCamera ??= this.#publishCamera(options).finally(() => {
      this.#pendingCamera = undefined;
    });
    return this.#pendingCamera;
  }

  /** Publishes a screen (getDisplayMedia) as a second stream; ends with the browser's "stop sharing". */
  publishScreen(): Promise<LocalStream> {
    if (this.#screen) return Promise.resolve(this.#screen);
    this.#pendingScreen ??= this.#publishScreen().finally(() => {
      this.#pendingScreen = undefined;
    });
    return this.#pendingScreen;
  }

  async unpublish(stream: LocalStream | string): Promise<void> {
    const local = typeof stream === 'string' ? this.#localByStreamId(stream) : stream;
    if (!local || !this.#forgetLocal(local)) return;
    local.stopTracks();
    this.emit('localStreamUnpublished', local);
    // DELETE before unpublish: the controller closes the OTM, after which the DELETE would 404.
    await Promise.all([local.session?.close(), this.#closeMigrationSessions(local)]);
    await this.#unpublishRemotely(local.streamId);
  }

  /** Mutes without releasing the microphone (the track sends silence); others see the flag. */
  async setMicrophoneMuted(muted: boolean): Promise<void> {
    this.#microphoneMuted = muted;
    const camera = this.#camera;
    if (!camera) return;
    camera.applyMute(muted, camera.videoMuted);
    this.emit('localStreamUpdated', camera);
    await this.#sendMediaState(camera);
  }

  /** Sends black frames without releasing the camera; see setCameraEnabled to switch it off. */
  async setCameraMuted(muted: boolean): Promise<void> {
    this.#cameraMuted = muted;
    const camera = this.#camera;
    if (!camera) return;
    camera.applyMute(camera.audioMuted, this.#videoMutedFlag());
    this.emit('localStreamUpdated', camera);
    await this.#sendMediaState(camera);
  }

  /**
   * Really switches the camera off (device released, light off) or on again (new capture put in
   * with replaceTrack, no renegotiation). Turning it on with no camera stream publishes one.
   */
  setCameraEnabled(enabled: boolean): Promise<void> {
    const toggle = this.#cameraToggle.then(() => this.#applyCameraEnabled(enabled));
    this.#cameraToggle = toggle.catch(() => undefined);
    return toggle;
  }

  // ── joining and rejoining ─────────────────────────────────────────────────────────

  async #requestJoin(send: SendRequest): Promise<JoinResult> {
    const room = this.#room ?? '';
    const name = this.#name ?? '';
    const ticket = this.#ticket ?? this.#rejoinStore.load(room);
    const invitation = this.#joinToken === undefined ? {} : { joinToken: this.#joinToken };
    if (!ticket) return send('join', { room, name, ...invitation });
    try {
      return await send('join', { room, name, rejoin: ticket, ...invitation });
    } catch (error) {
      // The contract answers an unusable ticket with resumed: false; should a controller refuse
      // it instead, coming in as someone new still beats not coming in.
      if (!(error instanceof DotmError) || !FINAL_REJOIN_CODES.has(error.code)) throw error;
      this.#logger.debug('rejoin ticket refused, joining anew', { error });
      this.#rejoinStore.clear(room);
      this.#ticket = undefined;
      return send('join', { room, name, ...invitation });
    }
  }

  async #rejoin(channel: SignallingChannel, send: SendRequest): Promise<void> {
    let result: JoinResult;
    try {
      result = await this.#requestJoin(send);
    } catch (error) {
      const failure = DotmError.from(error);
      if (FINAL_REJOIN_CODES.has(failure.code) && this.#channel === channel) {
        this.#emitError(failure);
        await this.#teardown(true);
      }
      throw failure;
    }
    if (this.#channel === channel) this.#applyJoinResult(result, true);
  }

  /** Takes the controller's view after join or rejoin and reconciles what this client holds. */
  #applyJoinResult(result: JoinResult, rejoined: boolean): void {
    const previousSelf = this.#self;
    if (previousSelf && previousSelf.participantId !== result.self.participantId) {
      this.#formerSelfIds.add(previousSelf.participantId);
    }
    this.#self = result.self;
    this.#room = result.room;
    this.#ticket = result.rejoin;
    // A fresh admission says it all (nothing, outside a portal's meeting); a resumed join says
    // nothing, so what was known stays: in memory, or after a reload in the rejoin store.
    const told = meetingDetailsOf(result);
    if (told || !result.resumed) this.#meeting = told;
    else this.#meeting ??= this.#rejoinStore.loadMeeting(result.room);
    this.#rejoinStore.save(result.room, result.rejoin, this.#meeting);

    const previous = this.#participants;
    const next = new Map<string, ParticipantInfo>();
    for (const participant of result.participants) {
      if (!this.#formerSelfIds.has(participant.participantId))
        next.set(participant.participantId, participant);
    }
    next.set(result.self.participantId, result.self);
    this.#participants = next;
    if (rejoined) {
      for (const [participantId, participant] of previous) {
        if (!next.has(participantId) && !this.#formerSelfIds.has(participantId)) {
          this.emit('participantLeft', participantId, 'timeout', participant);
        }
      }
      for (const [participantId, participant] of next) {
        if (!previous.has(participantId) && participantId !== result.self.participantId) {
          this.emit('participantJoined', participant);
        }
      }
    }

    for (const message of result.chat) {
      if (this.#rememberMessage(message) && rejoined) this.emit('chat', message);
    }

    this.#reconcileOwnStreams(result);
    this.#reconcileRemoteStreams(result.streams);
    this.emit('joined', result);
  }

  #reconcileOwnStreams(result: JoinResult): void {
    const selfId = result.self.participantId;
    const listed = new Map(result.streams.map((info) => [info.streamId, info]));
    this.#orphans.clear();
    for (const info of result.streams) {
      if (info.participantId === selfId && !this.#localByStreamId(info.streamId)) {
        this.#orphans.set(info.streamId, info);
      }
    }
    for (const local of this.localStreams) {
      const info = listed.get(local.streamId);
      if (!info || info.participantId !== selfId) void this.#restoreLocal(local);
      else if (local.state === 'failed') void this.#restartPublishing(local);
    }
    this.#settleOrphans();
  }

  /**
   * A camera orphan may be taken over by the publishCamera() a reloaded page is about to make;
   * everything else no local track can feed goes now.
   */
  #settleOrphans(): void {
    clearTimeout(this.#orphanTimer);
    for (const [streamId, info] of [...this.#orphans]) {
      const adoptable = info.kind === 'camera' && !this.#camera && !this.#pendingCamera;
      if (adoptable) continue;
      this.#orphans.delete(streamId);
      void this.#unpublishRemotely(streamId);
    }
    if (this.#orphans.size === 0) return;
    this.#orphanTimer = setTimeout(() => {
      for (const streamId of [...this.#orphans.keys()]) {
        this.#orphans.delete(streamId);
        void this.#unpublishRemotely(streamId);
      }
    }, ORPHAN_ADOPTION_MS);
  }

  #reconcileRemoteStreams(streams: readonly StreamInfo[]): void {
    const listed = new Map(streams.map((info) => [info.streamId, info]));
    for (const [streamId, remote] of [...this.#remote]) {
      const info = listed.get(streamId);
      if (!info || this.#isOwn(info)) this.#removeRemote(remote);
    }
    for (const info of streams) {
      if (this.#isOwn(info)) continue;
      const remote = this.#remote.get(info.streamId);
      if (!remote) {
        this.#subscribe(info);
        continue;
      }
      const moved = remote.info.nodeId !== info.nodeId;
      if (remote.update(info)) this.emit('streamUpdated', remote, false);
      if (moved || remote.state === 'failed') this.#resubscribe(remote);
    }
  }

  #handleChannelState(state: SignallingState): void {
    if (state === 'reconnecting') this.#setConnectionState('reconnecting');
    else if (state === 'open' && this.#self) this.#setConnectionState('connected');
  }

  #handleRoomEvent(event: RoomEvent): void {
    if (this.#leaving) return;
    switch (event.type) {
      case 'participantJoined': {
        const participant = event.participant;
        const id = participant.participantId;
        if (this.#formerSelfIds.has(id)) return;
        const known = this.#participants.has(id);
        this.#participants.set(id, participant);
        if (!known && id !== this.#self?.participantId) this.emit('participantJoined', participant);
        return;
      }
      case 'participantLeft': {
        const { participantId, reason } = event;
        if (this.#formerSelfIds.has(participantId)) return;
        if (participantId === this.#self?.participantId) {
          this.#emitError(new DotmError('removed', 'you were removed from the room'));
          void this.#teardown(true);
          return;
        }
        const participant = this.#participants.get(participantId);
        this.#participants.delete(participantId);
        for (const remote of [...this.#remote.values()]) {
          if (remote.participantId === participantId) this.#removeRemote(remote);
        }
        this.emit('participantLeft', participantId, reason, participant);
        return;
      }
      case 'streamAdded':
      case 'streamUpdated': {
        const info = event.stream;
        if (this.#isOwn(info)) return;
        const remote = this.#remote.get(info.streamId);
        if (!remote) {
          this.#subscribe(info);
          return;
        }
        const changed = remote.update(info);
        if (event.type === 'streamAdded') {
          // The publisher is connected now: a subscription waiting to retry should not wait.
          if (remote.state === 'failed') this.#resubscribe(remote);
          else remote.session?.retryNow();
        } else if (changed) {
          this.emit('streamUpdated', remote, false);
        }
        return;
      }
      case 'streamMoved': {
        const info = event.stream;
        const local = this.#localByStreamId(info.streamId);
        if (local) {
          this.#ownStreamMoved(local, info);
          return;
        }
        if (this.#isOwn(info)) return;
        const remote = this.#remote.get(info.streamId);
        if (!remote) {
          this.#subscribe(info);
          return;
        }
        remote.update(info);
        // Migrated (the new node has the publisher already): make-before-break.
        if (info.live === true && remote.state === 'connected' && remote.mediaStream)
          this.#migrateSubscription(remote);
        else this.#resubscribe(remote);
        return;
      }
      case 'streamMigrating': {
        const local = this.#localByStreamId(event.streamId);
        if (local) this.#startPublishMigration(local, event.grant);
        return;
      }
      case 'streamMigrated': {
        const local = this.#localByStreamId(event.streamId);
        if (local) this.#closeRetired(local);
        return;
      }
      case 'streamRemoved': {
        const local = this.#localByStreamId(event.streamId);
        if (local) {
          this.#forgetLocal(local);
          local.stopTracks();
          void local.session?.close();
          void this.#closeMigrationSessions(local);
          this.emit('localStreamUnpublished', local);
          this.#emitError(new DotmError('stream-removed', `the controller ended your ${local.kind} stream`));
          return;
        }
        this.#orphans.delete(event.streamId);
        const remote = this.#remote.get(event.streamId);
        if (remote) this.#removeRemote(remote);
        return;
      }
      case 'chat':
        if (this.#rememberMessage(event.message)) this.emit('chat', event.message);
        return;
      case 'muteRequested': {
        const parts = { audio: event.audio === true, video: event.video === true };
        const muting: Promise<void>[] = [];
        if (parts.audio && !this.#microphoneMuted) muting.push(this.setMicrophoneMuted(true));
        if (parts.video && !this.#cameraMuted) muting.push(this.setCameraMuted(true));
        void Promise.all(muting).catch((error: unknown) =>
          this.#logger.debug('could not confirm a requested mute', { error }),
        );
        this.emit('muteRequested', event.by, parts);
        return;
      }
      case 'removed':
        this.emit('removed', event.by);
        this.#emitError(new DotmError('removed', 'a moderator removed you from the meeting'));
        void this.#teardown(true);
        return;
      case 'roomClosed':
        // Announced first, so listeners know why the 'disconnected' that follows happens.
        this.emit('roomClosed', event.reason);
        void this.#teardown(true);
        return;
      default:
        return;
    }
  }

  // ── subscriptions ─────────────────────────────────────────────────────────────────

  #isOwn(info: StreamInfo): boolean {
    return (
      info.participantId === this.#self?.participantId ||
      this.#formerSelfIds.has(info.participantId) ||
      this.#localByStreamId(info.streamId) !== undefined ||
      this.#orphans.has(info.streamId)
    );
  }

  #subscribe(info: StreamInfo): void {
    if (this.#isOwn(info) || this.#remote.has(info.streamId)) return;
    const remote = new RemoteStream(info);
    this.#remote.set(info.streamId, remote);
    this.#startSubscription(remote);
  }

  #startSubscription(remote: RemoteStream): void {
    void remote.session?.close();
    this.#dropPending(remote);
    const session = this.#newWhepSession(remote);
    remote.attach(session);
    this.#startWhep(remote, session);
  }

  /**
   * The stream migrated: a second subscription on its new node, while the current one still plays;
   * it takes the current one's place once it has media (#takeOverSubscription).
   */
  #migrateSubscription(remote: RemoteStream): void {
    this.#dropPending(remote);
    const session = this.#newWhepSession(remote);
    remote.pending = session;
    this.#startWhep(remote, session);
  }

  #newWhepSession(remote: RemoteStream): WhepSession {
    const streamId = remote.streamId;
    const session: WhepSession = new WhepSession({
      ...this.#sessionOptions(),
      audio: remote.info.hasAudio,
      video: remote.info.hasVideo,
      MediaStream: this.#options.MediaStream,
      renewGrant: () => this.#request('subscribe', { streamId }),
      // The stream is listed, so it exists: keep trying until it goes away (streamRemoved closes us).
      maxStartAttempts: Number.POSITIVE_INFINITY,
      onStateChange: (state) => {
        if (this.#remote.get(streamId) !== remote) return;
        if (remote.pending === session) {
          if (state === 'connected') void this.#takeOverSubscription(remote, session);
          return;
        }
        if (!ANNOUNCED_STATES.has(state) || remote.session !== session) return;
        this.emit('streamStateChanged', remote, state);
      },
      onMediaStream: (mediaStream) => {
        if (this.#remote.get(streamId) !== remote) return;
        // A browser may report the connection up before the answer's tracks are handed out.
        if (remote.pending === session && session.state === 'connected')
          void this.#takeOverSubscription(remote, session);
        if (remote.session !== session) return;
        if (remote.setMediaStream(mediaStream)) this.emit('streamAdded', remote);
        else this.emit('streamUpdated', remote, true);
      },
    });
    return session;
  }

  #startWhep(remote: RemoteStream, session: WhepSession): void {
    session.start().catch((error: DotmError) => {
      if (this.#remote.get(remote.streamId) === remote && error.code !== 'closed') {
        this.#logger.warn(`cannot subscribe to ${remote.streamId}`, { error });
      }
    });
  }

  /**
   * The migrated subscription is connected and has its tracks (both, in either order: called on
   * each): once its media flows it replaces the old one, tracks swapped in place.
   */
  async #takeOverSubscription(remote: RemoteStream, session: WhepSession): Promise<void> {
    if (!session.mediaStream) return;
    await firstMedia(session.mediaStream, MIGRATION_MEDIA_WAIT_MS);
    if (this.#remote.get(remote.streamId) !== remote || remote.pending !== session) return;
    const old = remote.session;
    remote.pending = undefined;
    remote.attach(session);
    const next = session.mediaStream;
    if (next && !remote.swapTracks(next)) this.emit('streamUpdated', remote, true);
    if (old && old.state !== 'connected' && session.state === 'connected')
      this.emit('streamStateChanged', remote, 'connected');
    this.#logger.debug('subscription moved to the stream’s new node', { streamId: remote.streamId });
    // Leaving the old OTM (DELETE) tells the controller this subscriber has moved.
    void old?.close();
  }

  #dropPending(remote: RemoteStream): void {
    const pending = remote.pending;
    remote.pending = undefined;
    void pending?.close();
  }

  #resubscribe(remote: RemoteStream): void {
    this.#dropPending(remote);
    const session = remote.session;
    if (session && session.state !== 'failed' && session.state !== 'closed') void session.reconnect();
    else this.#startSubscription(remote);
  }

  /** The controller removed the stream and closed its OTM: nothing left to DELETE. */
  #removeRemote(remote: RemoteStream): void {
    if (this.#remote.get(remote.streamId) !== remote) return;
    this.#remote.delete(remote.streamId);
    void remote.session?.close({ deleteResource: false });
    this.#dropPending(remote);
    this.emit('streamRemoved', remote);
  }

  // ── publishing internals ──────────────────────────────────────────────────────────

  async #publishCamera(options: PublishCameraOptions): Promise<LocalStream> {
    this.#requireJoined();
    // A meeting's lock settings leave out what this participant may not publish (the controller
    // would refuse the whole stream otherwise).
    const locks = this.#self?.locks;
    let audio = (options.audio ?? true) && !locks?.microphone;
    let video = (options.video ?? true) && !locks?.camera;
    if (!audio && !video)
      throw new DotmError(
        locks ? 'forbidden' : 'bad-request',
        locks
          ? 'cameras and microphones are locked for viewers in this meeting'
          : 'publishCamera needs audio or video',
      );
    if (options.constraints?.video !== undefined && options.constraints.video !== false) {
      this.#cameraConstraints = options.constraints.video;
    }
    const audioConstraints = options.constraints?.audio ?? true;
    let media: MediaStream | undefined;
    const capture = (withAudio: boolean, withVideo: boolean) =>
      this.#getUserMedia({
        audio: withAudio ? audioConstraints : false,
        video: withVideo && this.#cameraEnabled ? this.#cameraConstraints : false,
      });
    if (audio || (video && this.#cameraEnabled)) {
      try {
        media = await capture(audio, video);
      } catch (error) {
        // No camera, or one another app holds: still take part with the microphone.
        const code = (error as DotmError).code;
        const deviceProblem = code === 'media-device-not-found' || code === 'media-device-busy';
        if (!(audio && video && deviceProblem)) throw error;
        this.#emitError(error as DotmError);
        media = await capture(true, false);
        video = false;
      }
    }
    const audioTrack = media?.getAudioTracks()[0] ?? null;
    const videoTrack = media?.getVideoTracks()[0] ?? null;
    audio = audio && audioTrack !== null;
    if (!this.#channel) {
      audioTrack?.stop();
      videoTrack?.stop();
      throw new DotmError('closed', 'left the room while capturing');
    }
    return this.#publishLocal('camera', { hasAudio: audio, hasVideo: video, audioTrack, videoTrack });
  }

  async #publishScreen(): Promise<LocalStream> {
    this.#requireJoined();
    let media: MediaStream;
    try {
      media = await this.#mediaDevices().getDisplayMedia({ video: true, audio: false });
    } catch (error) {
      throw mediaError(error, 'screen sharing');
    }
    const track = media.getVideoTracks()[0];
    if (!track) throw new DotmError('media-error', 'screen capture produced no video');
    // Encoders keep text sharp instead of smooth motion.
    if ('contentHint' in track) track.contentHint = 'detail';
    const local = await this.#publishLocal('screen', {
      hasAudio: false,
      hasVideo: true,
      audioTrack: null,
      videoTrack: track,
    });
    const stopSharing = () => {
      if (this.#screen === local) void this.unpublish(local);
    };
    track.addEventListener('ended', stopSharing);
    if (track.readyState === 'ended') stopSharing();
    return local;
  }

  async #publishLocal(kind: StreamKind, spec: LocalStreamSpec): Promise<LocalStream> {
    const local = new LocalStream({ kind, ...spec, MediaStream: this.#options.MediaStream });
    if (kind === 'camera') local.applyMute(this.#microphoneMuted, this.#videoMutedFlag());
    try {
      const grant = await this.#grantFor(local);
      local.setStreamId(grant.streamId);
      await this.#createWhipSession(local, grant).start();
      if (!this.#channel) throw new DotmError('closed', 'left the room while publishing');
    } catch (error) {
      local.stopTracks();
      void local.session?.close();
      if (local.streamId) void this.#unpublishRemotely(local.streamId);
      throw DotmError.from(error);
    }
    if (kind === 'camera') this.#camera = local;
    else this.#screen = local;
    this.#settleOrphans();
    if (local.audioMuted || local.videoMuted) void this.#sendMediaState(local).catch(() => undefined);
    this.emit('localStreamPublished', local);
    return local;
  }

  /** After a reload, the controller may still hold our camera stream: take it over, same streamId. */
  async #grantFor(local: LocalStream): Promise<MediaGrant> {
    for (const [streamId, info] of this.#orphans) {
      if (info.kind !== local.kind || info.hasAudio !== local.hasAudio || info.hasVideo !== local.hasVideo)
        continue;
      this.#orphans.delete(streamId);
      try {
        return await this.#request('republish', { streamId });
      } catch (error) {
        this.#logger.debug('could not take over the previous stream', { error, streamId });
        void this.#unpublishRemotely(streamId);
      }
      break;
    }
    return this.#request('publish', { kind: local.kind, audio: local.hasAudio, video: local.hasVideo });
  }

  /** `attach` false: a migration's second connection, which becomes the stream's on `streamMoved`. */
  #createWhipSession(local: LocalStream, grant: MediaGrant, attach = true): WhipSession {
    const session: WhipSession = new WhipSession({
      ...this.#sessionOptions(),
      grant,
      audio: local.hasAudio,
      video: local.hasVideo,
      audioTrack: local.audioTrack,
      videoTrack: local.videoTrack,
      // Only the stream's current connection may ask again: `republish` answers the stream's
      // current node, which is the old one for a migration's connection and wrong for a replaced one.
      renewGrant: () =>
        local.session === session
          ? this.#request('republish', { streamId: local.streamId })
          : Promise.reject(new DotmError('closed', 'this connection is not the stream’s current one')),
      onStateChange: (state, error) => {
        if (local.session !== session || this.#localByStreamId(local.streamId) !== local) return;
        if (ANNOUNCED_STATES.has(state)) this.emit('localStreamStateChanged', local, state);
        if (state === 'failed') {
          this.#emitError(
            error ?? new DotmError('media-error', `publishing the ${local.kind} stream failed`),
          );
        }
      },
    });
    if (attach) local.attach(session);
    return session;
  }

  /** `streamMigrating`: publish the same tracks to the new node too; the current connection keeps flowing. */
  #startPublishMigration(local: LocalStream, grant: MediaGrant): void {
    void local.migration?.close();
    const session = this.#createWhipSession(local, grant, false);
    local.migration = session;
    session.start().catch((error: unknown) => {
      this.#logger.debug('could not reach the node the stream migrates to', {
        error,
        streamId: local.streamId,
      });
    });
  }

  #ownStreamMoved(local: LocalStream, info: StreamInfo): void {
    const migration = local.migration;
    local.migration = undefined;
    if (migration && info.live === true && migration.state !== 'failed' && migration.state !== 'closed') {
      const old = local.session;
      local.attach(migration);
      clearTimeout(local.retiredTimer);
      void local.retired?.close();
      local.retired = old;
      local.retiredTimer = setTimeout(() => this.#closeRetired(local), RETIRED_CONNECTION_MAX_MS);
      return;
    }
    void migration?.close();
    void this.#restartPublishing(local);
  }

  /** The old OTM of a migrated stream is closing (`streamMigrated`): our connection to it goes too. */
  #closeRetired(local: LocalStream): void {
    clearTimeout(local.retiredTimer);
    const retired = local.retired;
    local.retired = undefined;
    void retired?.close();
  }

  /** A stream's migration leftovers, when it ends. */
  #closeMigrationSessions(local: LocalStream): Promise<unknown> {
    const migration = local.migration;
    local.migration = undefined;
    this.#closeRetired(local);
    return Promise.resolve(migration?.close());
  }

  /** The stream moved to another node: same streamId, fresh grant, same tracks. */
  async #restartPublishing(local: LocalStream): Promise<void> {
    const session = local.session;
    if (session && session.state !== 'failed' && session.state !== 'closed') {
      await session.reconnect();
      return;
    }
    try {
      const grant = await this.#request('republish', { streamId: local.streamId });
      await this.#createWhipSession(local, grant).start();
    } catch (error) {
      this.#emitError(DotmError.from(error));
    }
  }

  /**
   * A rejoin did not list one of our streams. The list holds live streams only, so a stream
   * between two publisher connections (just moved, say) is missing too: ask for it by id first,
   * and publish anew only when the controller really lost it (we were away too long).
   */
  async #restoreLocal(local: LocalStream): Promise<void> {
    if (this.#republishing.has(local)) return;
    this.#republishing.add(local);
    try {
      const grant = await this.#request('republish', { streamId: local.streamId }).catch((error: unknown) => {
        if (error instanceof DotmError && error.code === 'not-found') return undefined;
        throw error;
      });
      if (this.#localByStreamId(local.streamId) !== local) return;
      if (grant) {
        const session = local.session;
        if (session && session.state !== 'failed' && session.state !== 'closed') {
          // A stream that moved while we were away (its streamMoved never reached us) lives on
          // another node now: the connection to the old one may still look fine for a while.
          const moved = session.grant !== undefined && session.grant.url !== grant.url;
          if (moved || session.state !== 'connected') await session.reconnect(grant);
        } else {
          await this.#createWhipSession(local, grant).start();
        }
        return;
      }
      const fresh = await this.#request('publish', {
        kind: local.kind,
        audio: local.hasAudio,
        video: local.hasVideo,
      });
      if (this.#localByStreamId(local.streamId) !== local) return;
      const previous = local.session;
      local.setStreamId(fresh.streamId);
      void previous?.close();
      await this.#createWhipSession(local, fresh).start();
      if (local.audioMuted || local.videoMuted) await this.#sendMediaState(local);
      this.emit('localStreamPublished', local);
    } catch (error) {
      this.#emitError(DotmError.from(error));
    } finally {
      this.#republishing.delete(local);
    }
  }

  async #applyCameraEnabled(enabled: boolean): Promise<void> {
    this.#cameraEnabled = enabled;
    const camera = this.#camera ?? (await this.#pendingCamera?.catch(() => undefined));
    if (!camera) {
      if (enabled && this.#self) await this.publishCamera();
      return;
    }
    if (enabled && !camera.hasVideo) {
      // The publication has no video m-line and WHIP cannot renegotiate: publish it anew.
      await this.unpublish(camera);
      await this.publishCamera({ audio: camera.hasAudio, video: true });
      return;
    }
    if (!enabled) {
      const track = camera.videoTrack;
      if (track) {
        camera.setTrack('video', null);
        track.stop();
        await camera.session?.replaceTrack('video', null);
        await camera.migration?.replaceTrack('video', null);
      }
    } else if (!camera.videoTrack) {
      let track: MediaStreamTrack | undefined;
      try {
        const media = await this.#getUserMedia({ video: this.#cameraConstraints });
        track = media.getVideoTracks()[0];
      } finally {
        if (!track) this.#cameraEnabled = false;
      }
      if (!track) throw new DotmError('media-error', 'the camera produced no video');
      if (this.#camera !== camera) {
        track.stop();
        return;
      }
      camera.setTrack('video', track);
      await camera.session?.replaceTrack('video', track);
      await camera.migration?.replaceTrack('video', track);
    }
    camera.applyMute(camera.audioMuted, this.#videoMutedFlag());
    this.emit('localStreamUpdated', camera);
    await this.#sendMediaState(camera);
  }

  #videoMutedFlag(): boolean {
    return this.#cameraMuted || !this.#cameraEnabled;
  }

  #sendMediaState(local: LocalStream): Promise<void> {
    return this.#request('mediaState', {
      streamId: local.streamId,
      audioMuted: local.audioMuted,
      videoMuted: local.videoMuted,
    }).then(() => undefined);
  }

  #unpublishRemotely(streamId: string): Promise<void> {
    return this.#request('unpublish', { streamId }).then(
      () => undefined,
      (error: DotmError) => {
        if (error.code !== 'not-found' && error.code !== 'closed') {
          this.#logger.warn(`unpublish ${streamId} failed`, { error });
        }
      },
    );
  }

  #localByStreamId(streamId: string): LocalStream | undefined {
    if (this.#camera?.streamId === streamId) return this.#camera;
    if (this.#screen?.streamId === streamId) return this.#screen;
    return undefined;
  }

  /** Returns whether the stream was one of ours. */
  #forgetLocal(local: LocalStream): boolean {
    if (this.#camera === local) this.#camera = undefined;
    else if (this.#screen === local) this.#screen = undefined;
    else return false;
    return true;
  }

  // ── plumbing ──────────────────────────────────────────────────────────────────────

  #sessionOptions(): Omit<WebRtcHttpSessionOptions, 'renewGrant'> {
    return {
      fetch: this.#options.fetch,
      RTCPeerConnection: this.#options.RTCPeerConnection,
      requestTimeoutMs: this.#options.requestTimeoutMs,
      random: this.#options.random,
      logger: this.#logger,
    };
  }

  #request<T extends RequestType>(type: T, fields: RequestFields<T>): Promise<ResponseMap[T]> {
    const channel = this.#channel;
    if (!channel) return Promise.reject(new DotmError('closed', 'not in a room'));
    return channel.request(type, fields);
  }

  #requireJoined(): void {
    if (!this.#channel || !this.#self) throw new DotmError('invalid-state', 'join a room first');
  }

  #mediaDevices(): MediaDevicesLike {
    const devices = this.#options.mediaDevices ?? globalThis.navigator?.mediaDevices;
    if (!devices) {
      throw new DotmError(
        'media-unavailable',
        'camera, microphone and screen need a secure page (https or localhost)',
      );
    }
    return devices;
  }

  async #getUserMedia(constraints: MediaStreamConstraints): Promise<MediaStream> {
    const devices = this.#mediaDevices();
    try {
      return await devices.getUserMedia(constraints);
    } catch (error) {
      throw mediaError(error, constraints.video ? 'the camera' : 'the microphone');
    }
  }

  #rememberMessage(message: ChatMessage): boolean {
    if (this.#seenMessageIds.has(message.messageId)) return false;
    this.#seenMessageIds.add(message.messageId);
    this.#chat.push(message);
    return true;
  }

  #emitError(error: DotmError): void {
    this.#logger.warn(error.message, { code: error.code });
    this.emit('error', error);
  }

  /** Ends the membership locally; `forget` drops the rejoin ticket (left on purpose, or closed). */
  async #teardown(forget: boolean): Promise<void> {
    const channel = this.#channel;
    this.#channel = undefined;
    if (forget && this.#room) this.#rejoinStore.clear(this.#room);
    clearTimeout(this.#orphanTimer);
    const closing = this.#closeSessions();
    for (const local of this.localStreams) local.stopTracks();
    this.#remote.clear();
    this.#camera = undefined;
    this.#screen = undefined;
    this.#orphans.clear();
    this.#participants = new Map();
    this.#self = undefined;
    this.#ticket = undefined;
    channel?.close();
    this.#setConnectionState('disconnected');
    await closing;
  }

  /** Closes (and DELETEs) every WHIP/WHEP session; idempotent, sessions ignore a second close. */
  async #closeSessions(): Promise<void> {
    const sessions = [...this.#remote.values(), ...this.localStreams].map((stream) =>
      stream.session?.close(),
    );
    for (const remote of this.#remote.values()) this.#dropPending(remote);
    const migrations = this.localStreams.map((local) => this.#closeMigrationSessions(local));
    await Promise.allSettled([...sessions, ...migrations]);
  }

  #setConnectionState(state: ConnectionState): void {
    if (this.#connectionState === state) return;
    this.#connectionState = state;
    this.emit('connectionState', state);
  }
}

/** `${url}/ws` with http(s) turned into ws(s). */
export function signallingUrl(base: string): string {
  const url = new URL(base);
  if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol === 'http:') url.protocol = 'ws:';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${SIGNALLING_PATH}`;
  url.search = '';
  url.hash = '';
  return url.href;
}

function mediaError(error: unknown, what: string): DotmError {
  if (error instanceof DotmError) return error;
  const name = (error as { name?: unknown } | null)?.name;
  const detail = error instanceof Error && error.message ? `: ${error.message}` : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return new DotmError('media-permission-denied', `access to ${what} was denied${detail}`, {
        cause: error,
      });
    case 'NotFoundError':
    case 'OverconstrainedError':
      return new DotmError('media-device-not-found', `no device found for ${what}${detail}`, {
        cause: error,
      });
    case 'NotReadableError':
    case 'AbortError':
      return new DotmError('media-device-busy', `${what} is in use or unavailable${detail}`, {
        cause: error,
      });
    default:
      return new DotmError('media-error', `cannot start ${what}${detail}`, { cause: error });
  }
}

/**
 * Resolves once one of the stream's tracks (video first, it is what people see) has media — the
 * browser unmutes a remote track at its first packet — or after `timeoutMs`.
 */
function firstMedia(stream: MediaStream | undefined, timeoutMs: number): Promise<void> {
  const tracks = stream ? [...stream.getVideoTracks(), ...stream.getAudioTracks()] : [];
  const track = tracks[0];
  if (track?.muted !== true) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      track.removeEventListener('unmute', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    track.addEventListener('unmute', done);
  });
}
