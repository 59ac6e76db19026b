import type { StreamInfo, StreamKind } from '../protocol/roomSignalling.ts';
import type { MediaSessionState } from './WebRtcHttpSession.ts';
import type { WhepSession } from './WhepSession.ts';

/**
 * Another participant's stream and our subscription to it. DotmClient owns and mutates it; apps
 * read `mediaStream` (set once subscribed; replaced when the stream moves after a failure, while a
 * stream migrated off a draining node keeps it, its tracks swapped in place) and the mute flags.
 */
export class RemoteStream {
  #info: StreamInfo;
  #mediaStream: MediaStream | undefined;
  #session: WhepSession | undefined;
  #announced = false;

  constructor(info: StreamInfo) {
    this.#info = info;
  }

  get info(): StreamInfo {
    return this.#info;
  }
  get streamId(): string {
    return this.#info.streamId;
  }
  get participantId(): string {
    return this.#info.participantId;
  }
  get kind(): StreamKind {
    return this.#info.kind;
  }
  get audioMuted(): boolean {
    return this.#info.audioMuted;
  }
  get videoMuted(): boolean {
    return this.#info.videoMuted;
  }
  get mediaStream(): MediaStream | undefined {
    return this.#mediaStream;
  }
  get state(): MediaSessionState {
    return this.#session?.state ?? 'new';
  }
  get session(): WhepSession | undefined {
    return this.#session;
  }

  /** @internal Returns whether the published state (mute flags, node) differs from before. */
  update(info: StreamInfo): boolean {
    const before = this.#info;
    this.#info = info;
    return (
      before.audioMuted !== info.audioMuted ||
      before.videoMuted !== info.videoMuted ||
      before.nodeId !== info.nodeId
    );
  }

  /** @internal */
  attach(session: WhepSession): void {
    this.#session = session;
  }

  /**
   * @internal A subscription to the stream's new node (a migration, `streamMoved` live) opened
   * while `session` still receives: it takes over once it has media.
   */
  pending: WhepSession | undefined;

  /**
   * @internal Puts the new subscription's tracks into the MediaStream the app already plays (new
   * ones added before old ones go, so it never runs empty): the app keeps one continuous stream.
   * Returns false when the MediaStream cannot change tracks: the new one replaces it.
   */
  swapTracks(next: MediaStream): boolean {
    const current = this.#mediaStream as
      | (MediaStream & {
          addTrack?: (track: MediaStreamTrack) => void;
          removeTrack?: (track: MediaStreamTrack) => void;
        })
      | undefined;
    if (!current || typeof current.addTrack !== 'function' || typeof current.removeTrack !== 'function') {
      this.#mediaStream = next;
      return false;
    }
    const old = current.getTracks();
    for (const track of next.getTracks()) current.addTrack(track);
    for (const track of old) current.removeTrack(track);
    return true;
  }

  /** @internal Returns true the first time: the moment to announce the stream. */
  setMediaStream(mediaStream: MediaStream): boolean {
    this.#mediaStream = mediaStream;
    const first = !this.#announced;
    this.#announced = true;
    return first;
  }
}
