import type { StreamKind } from '../protocol/roomSignalling.ts';
import type { MediaSessionState } from './WebRtcHttpSession.ts';
import type { MediaStreamConstructor } from './WhepSession.ts';
import type { WhipSession } from './WhipSession.ts';

export interface LocalStreamInit {
  kind: StreamKind;
  hasAudio: boolean;
  hasVideo: boolean;
  audioTrack: MediaStreamTrack | null;
  videoTrack: MediaStreamTrack | null;
  MediaStream?: MediaStreamConstructor;
}

/**
 * One of our own published streams (camera or screen). DotmClient owns and mutates it; apps read
 * it and show `mediaStream` as the local preview.
 */
export class LocalStream {
  readonly kind: StreamKind;
  /** Whether the publication carries an audio / a video m-line (fixed for its lifetime). */
  readonly hasAudio: boolean;
  readonly hasVideo: boolean;
  readonly #MediaStream: MediaStreamConstructor | undefined;
  #streamId = '';
  #audioTrack: MediaStreamTrack | null;
  #videoTrack: MediaStreamTrack | null;
  #mediaStream: MediaStream | undefined;
  #audioMuted = false;
  #videoMuted = false;
  #session: WhipSession | undefined;

  constructor(init: LocalStreamInit) {
    this.kind = init.kind;
    this.hasAudio = init.hasAudio;
    this.hasVideo = init.hasVideo;
    this.#audioTrack = init.audioTrack;
    this.#videoTrack = init.videoTrack;
    this.#MediaStream = init.MediaStream ?? globalThis.MediaStream;
    this.#rebuildPreview();
  }

  /** Changes when the controller had lost the stream and it was published anew. */
  get streamId(): string {
    return this.#streamId;
  }
  /** The live local tracks; a new object whenever a track changes (camera switched back on). */
  get mediaStream(): MediaStream | undefined {
    return this.#mediaStream;
  }
  get audioTrack(): MediaStreamTrack | null {
    return this.#audioTrack;
  }
  get videoTrack(): MediaStreamTrack | null {
    return this.#videoTrack;
  }
  get audioMuted(): boolean {
    return this.#audioMuted;
  }
  get videoMuted(): boolean {
    return this.#videoMuted;
  }
  get state(): MediaSessionState {
    return this.#session?.state ?? 'new';
  }
  get session(): WhipSession | undefined {
    return this.#session;
  }

  /** @internal */
  setStreamId(streamId: string): void {
    this.#streamId = streamId;
  }

  /** @internal */
  attach(session: WhipSession): void {
    this.#session = session;
  }

  /**
   * @internal While the stream migrates off a draining node: the second connection, to the new
   * node (`streamMigrating`), until `streamMoved` makes it the stream's session.
   */
  migration: WhipSession | undefined;
  /** @internal The connection a migration replaced: it keeps feeding the old node until `streamMigrated`. */
  retired: WhipSession | undefined;
  /** @internal */
  retiredTimer: ReturnType<typeof setTimeout> | undefined;

  /** @internal Disabled tracks send silence / black frames: muting without renegotiation. */
  applyMute(audioMuted: boolean, videoMuted: boolean): void {
    this.#audioMuted = audioMuted;
    this.#videoMuted = videoMuted;
    if (this.#audioTrack) this.#audioTrack.enabled = !audioMuted;
    if (this.#videoTrack) this.#videoTrack.enabled = !videoMuted;
  }

  /** @internal */
  setTrack(kind: 'audio' | 'video', track: MediaStreamTrack | null): void {
    if (kind === 'audio') this.#audioTrack = track;
    else this.#videoTrack = track;
    this.#rebuildPreview();
  }

  /** @internal Releases the devices (camera light off). */
  stopTracks(): void {
    this.#audioTrack?.stop();
    this.#videoTrack?.stop();
  }

  #rebuildPreview(): void {
    const tracks = [this.#audioTrack, this.#videoTrack].filter((track) => track !== null);
    this.#mediaStream = this.#MediaStream ? new this.#MediaStream(tracks) : undefined;
  }
}
